// Drive cleaning: the cleaner slot, the cleaning cartridge and CleanNtmsDrive.
extension CatalogueState {
    func decideCleaning(_ command: CatalogueCommand, context: DecisionContext, ids: inout IdentifierSource)
        throws(NtmsError) -> Decision
    {
        switch command {
        case .reserveCleanerSlot(let libraryID, let slot):
            let library = try onlineLibrary(libraryID)
            if let reserved = library.cleanerSlot {
                throw NtmsError(.cleanerSlotSet, "slot \(reserved) is already the cleaner slot of \(library.name)")
            }
            guard slot >= 1, slot <= library.slotCount else {
                throw NtmsError(
                    .resourceNotPresent, "library \(library.name) has slots 1 to \(library.slotCount), not \(slot)")
            }
            guard isFreeSlot(.slot(libraryID, slot)) else {
                throw NtmsError(.resourceNotAvailable, "slot \(slot) of \(library.name) is not empty")
            }
            return Decision(
                events: [.cleanerSlotReserved(CleanerSlotReserved(library: libraryID, slot: slot))], outcome: .done)

        case .releaseCleanerSlot(let libraryID):
            let library = try onlineLibrary(libraryID)
            guard library.cleanerSlot != nil else {
                throw NtmsError(.cleanerSlotNotSet, "library \(library.name) has no cleaner slot")
            }
            if let cleaner = library.cleaner {
                throw NtmsError(.cleanerCartridgeInstalled, "\(cleaner.barcode) is in the cleaner slot; eject it first")
            }
            return Decision(events: [.cleanerSlotReleased(CleanerSlotReleased(library: libraryID))], outcome: .done)

        case .beginCleanerInject(let libraryID, let port, let barcode, let uses):
            let library = try robotLibrary(libraryID)
            try library.checkPort(port)
            let slot = try cleanerSlot(of: library)
            if let cleaner = library.cleaner {
                throw NtmsError(.cleanerCartridgeInstalled, "\(library.name) already has cleaner \(cleaner.barcode)")
            }
            guard TextRules.isBarcode(barcode) else {
                throw NtmsError(
                    .invalidParameter, "a bar code is 1 to \(NameLimits.barcode) printable ASCII characters")
            }
            guard medium(withBarcode: barcode) == nil else {
                throw NtmsError(.alreadyExists, "\(barcode) is a catalogued medium, not a cleaner")
            }
            guard uses != 0 else { throw NtmsError(.cleanerCartridgeSpent, "a cleaner with no uses left is spent") }
            guard isEmptyElement(.slot(libraryID, slot)) else {
                throw NtmsError(.resourceNotAvailable, "the cleaner slot \(slot) of \(library.name) is not empty")
            }
            var operation = RobotOperation(
                id: ids.take(), task: .injectCleaner, library: libraryID, medium: nil, side: nil,
                from: .port(libraryID, port), to: .slot(libraryID, slot), barcode: barcode, mediaType: nil,
                label: .none, previousState: .idle)
            operation.cleanerUses = uses
            return start(operation)

        case .beginCleanerEject(let libraryID, let port):
            let library = try robotLibrary(libraryID)
            try library.checkPort(port)
            let slot = try cleanerSlot(of: library)
            guard let cleaner = library.cleaner else {
                throw NtmsError(.invalidCleaner, "library \(library.name) has no cleaning cartridge")
            }
            guard isFreeSlot(.port(libraryID, port)) else {
                throw NtmsError(.busy, "port \(port) of \(library.name) is in use")
            }
            return start(
                RobotOperation(
                    id: ids.take(), task: .ejectCleaner, library: libraryID, medium: nil, side: nil,
                    from: .slot(libraryID, slot), to: .port(libraryID, port), barcode: cleaner.barcode,
                    mediaType: nil, label: .none, previousState: .idle))

        case .beginClean(let address, let automatic):
            return try decideClean(address, automatic: automatic, context: context, ids: &ids)

        case .beginCleanerReturn(let address):
            let library = try robotLibrary(address.library)
            let slot = try cleanerSlot(of: library)
            guard let cleaner = library.cleaner else {
                throw NtmsError(.invalidCleaner, "library \(library.name) has no cleaning cartridge")
            }
            guard let drive = drives[address], drive.medium == nil, drive.state == .dismounted else {
                throw NtmsError(.busy, "drive \(address.number) of \(library.name) holds a medium")
            }
            guard isEmptyElement(.slot(address.library, slot)) else {
                throw NtmsError(.resourceNotAvailable, "the cleaner slot \(slot) of \(library.name) is not empty")
            }
            return start(
                RobotOperation(
                    id: ids.take(), task: .returnCleaner, library: address.library, medium: nil, side: nil,
                    from: .drive(address.library, address.number), to: .slot(address.library, slot),
                    barcode: cleaner.barcode, mediaType: nil, label: .none, previousState: .idle))

        case .requestCleaning(let address):
            let library = try onlineLibrary(address.library)
            guard let drive = drives[address] else {
                throw NtmsError(.invalidDrive, "library \(library.name) has no drive \(address.number)")
            }
            guard !drive.cleaningRequested else { return Decision(events: [], outcome: .done) }
            return Decision(
                events: [.driveCleaningRequested(DriveCleaningRequested(drive: address))], outcome: .done)

        case .setCleaningInterval(let libraryID, let mounts):
            let library = try onlineLibrary(libraryID)
            guard mounts != library.cleaningInterval else { return Decision(events: [], outcome: .done) }
            return Decision(
                events: [.cleaningIntervalSet(CleaningIntervalSet(library: libraryID, mounts: mounts))],
                outcome: .done)

        default:
            preconditionFailure("not a cleaning command")
        }
    }

    /// CleanNtmsDrive of an empty drive with the library's cleaner. Before a
    /// mount (automatic) a missing or spent cleaner raises one CLEANER request
    /// (none while one is open) and the mount goes on uncleaned.
    private func decideClean(
        _ address: DriveAddress, automatic: Bool, context: DecisionContext, ids: inout IdentifierSource
    ) throws(NtmsError) -> Decision {
        let library = try robotLibrary(address.library)
        guard let drive = drives[address] else {
            throw NtmsError(
                .invalidDrive,
                "library \(library.name) has drives 0 to \(Int(library.driveCount) - 1), not \(address.number)")
        }
        guard drive.state == .dismounted, drive.medium == nil else {
            throw NtmsError(.busy, "drive \(address.number) of \(library.name) is \(drive.state.name)")
        }
        let problem: NtmsError
        switch (library.cleanerSlot, library.cleaner) {
        case (let slot?, let cleaner?) where !cleaner.isSpent:
            return start(
                RobotOperation(
                    id: ids.take(), task: .clean, library: address.library, medium: nil, side: nil,
                    from: .slot(address.library, slot), to: .drive(address.library, address.number),
                    barcode: cleaner.barcode, mediaType: nil, label: .none, previousState: .idle))
        case (nil, _): problem = NtmsError(.cleanerSlotNotSet, "library \(library.name) has no cleaner slot")
        case (_, nil): problem = NtmsError(.unableToClean, "library \(library.name) has no cleaning cartridge")
        default: problem = NtmsError(.cleanerCartridgeSpent, "the cleaner of \(library.name) has no uses left")
        }
        guard automatic else { throw problem }
        if let open = requests.values.first(where: {
            $0.state.isOpen && $0.type == .cleaner && $0.firstArgument == address.library.rawValue
        }) {
            return Decision(events: [], outcome: .request(open.id))
        }
        return try decideSubmission(
            type: .cleaner, message: "Drive \(address.number) needs cleaning: \(problem.message)",
            first: address.library.rawValue, second: UInt64(address.number), context: context, ids: &ids)
    }

    private func cleanerSlot(of library: Library) throws(NtmsError) -> UInt32 {
        guard let slot = library.cleanerSlot else {
            throw NtmsError(.cleanerSlotNotSet, "library \(library.name) has no cleaner slot; reserve one first")
        }
        return slot
    }
}
