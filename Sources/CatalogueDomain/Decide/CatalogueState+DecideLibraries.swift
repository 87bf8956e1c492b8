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
    /// Public so that a caller can check a changer before asking it anything.
    ///
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) for an mtx device that is not
    ///   an absolute, displayable path, or a device given to a simulated changer.
    public func validateChanger(_ changer: ChangerAttachment) throws(NtmsError) {
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

    /// Changer settings are for an mtx changer: absolute, displayable paths,
    /// a device only for drives the library has, one for every drive when
    /// drives are taken offline, timeouts of at most a day. Public so that a
    /// caller setting a changer and its settings together can check both first.
    ///
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) for a library without an mtx
    ///   changer, a path that is not absolute, offline without every drive's
    ///   device or a timeout over a day; `ERROR_INVALID_DRIVE` (15) for a
    ///   drive the library does not have.
    public func validate(_ settings: ChangerSettings, for library: Library) throws(NtmsError) {
        guard library.changer == .mtx else {
            throw NtmsError(
                .invalidParameter, "changer settings are for an mtx changer; library \(library.name) has none")
        }
        func checkPath(_ path: String, _ what: String) throws(NtmsError) {
            guard path.hasPrefix("/"), path.utf8.count <= NameLimits.devicePath, TextRules.isDisplayable(path) else {
                throw NtmsError(
                    .invalidParameter, "\(what) must be an absolute path, not \"\(TextRules.preview(path))\"")
            }
        }
        if !settings.mtxPath.isEmpty { try checkPath(settings.mtxPath, "the mtx binary") }
        for (drive, device) in settings.driveDevices {
            guard drive < library.driveCount else {
                throw NtmsError(
                    .invalidDrive,
                    "library \(library.name) has drives 0 to \(Int(library.driveCount) - 1), not \(drive)")
            }
            try checkPath(device, "drive \(drive)'s tape device")
        }
        if settings.offlineBeforeUnload {
            let missing = (0..<library.driveCount).filter { settings.driveDevices[$0] == nil }
            guard missing.isEmpty else {
                throw NtmsError(
                    .invalidParameter,
                    "taking drives offline needs each drive's tape device; give one for drive "
                        + missing.map(String.init).joined(separator: ", "))
            }
        }
        for (timeout, what) in [
            (settings.statusTimeout, "status"), (settings.moveTimeout, "move"),
            (settings.inventoryTimeout, "inventory"),
        ] where timeout > ChangerSettings.maximumTimeout {
            throw NtmsError(.invalidParameter, "the \(what) timeout is at most \(ChangerSettings.maximumTimeout) s")
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
