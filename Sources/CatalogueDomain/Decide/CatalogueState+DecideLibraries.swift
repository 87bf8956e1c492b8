extension Library {
    /// ERROR_INVALID_PARAMETER unless the library has import/export port `port` (numbered from 1).
    public func checkPort(_ port: UInt32) throws(NtmsError) {
        guard port < 1 || port > portCount else { return }
        throw NtmsError(
            .invalidParameter,
            portCount == 0
                ? "library \(name) has no import/export port"
                : "library \(name) has ports 1 to \(portCount), not \(port)")
    }
}

extension CatalogueState {
    /// A changer is checked before anything is recorded for it, so that adding
    /// a library with a changer that is refused leaves no library behind.
    func validateChanger(_ changer: ChangerAttachment) throws(NtmsError) {
        switch changer.kind {
        case .mtx:
            guard changer.device.hasPrefix("/"), changer.device.utf8.count <= NameLimits.devicePath,
                TextRules.isDisplayable(changer.device)
            else {
                throw NtmsError(
                    .invalidParameter,
                    "an mtx changer needs its device's absolute path (for example /dev/sg3), not "
                        + "\"\(TextRules.preview(changer.device))\"")
            }
        case .simulated:
            guard changer.device.isEmpty else {
                throw NtmsError(.invalidParameter, "a simulated changer has no device")
            }
        }
    }

    /// Deletes an online library that holds nothing and has no robot work in progress.
    func decideLibraryDeletion(_ libraryID: LibraryID) throws(NtmsError) -> Decision {
        let library = try onlineLibrary(libraryID)
        let inside = media.values.filter { $0.location.library == libraryID }
        guard inside.isEmpty else {
            let sample = inside.prefix(3).map(\.barcode).joined(separator: ", ")
            throw NtmsError(
                .notEmpty,
                "library \(library.name) holds \(inside.count) media (\(sample)\(inside.count > 3 ? ", …" : "")); "
                    + "eject them or take an inventory first")
        }
        guard !operations.values.contains(where: { $0.library == libraryID }) else {
            throw NtmsError(.busy, "library \(library.name) has robot operations in progress")
        }
        return Decision(events: [.libraryDeleted(LibraryDeleted(library: libraryID))], outcome: .done)
    }
}
