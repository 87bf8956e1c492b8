extension CatalogueState {
    /// Folds the robot events. Like `evolve`, pure and total.
    mutating func evolveRobotics(_ event: CatalogueEvent, _ envelope: EventEnvelope, _ indexing: inout IndexMaintenance)
    {
        let now = envelope.time
        switch event {
        case .changerAttached(let e):
            libraries[e.library]?.changer = e.kind
            libraries[e.library]?.device = e.device

        case .changerConfigured(let e):
            libraries[e.library]?.changerSettings = e.settings

        case .libraryDoorOpened(let e):
            libraries[e.library]?.doorOpen = true
            // Anything may have been moved by hand: only an inventory can say.
            libraries[e.library]?.needsInventory = true

        case .libraryDoorClosed(let e):
            libraries[e.library]?.doorOpen = false

        case .robotOperationStarted(let e):
            let operation = e.operation
            reserve(operation.id)
            operations[operation.id] = operation
            if let medium = operation.medium { media[medium]?.physicalState = .inUse }
            if operation.task == .mount, case .drive(let library, let number) = operation.to {
                let address = DriveAddress(library: library, number: number)
                drives[address]?.medium = operation.medium
                drives[address]?.side = operation.side
                drives[address]?.state = .mounted
            }
            if operation.task == .clean, let drive = operation.to.driveAddress { drives[drive]?.state = .beingCleaned }

        case .robotOperationFinished(let e):
            guard let operation = operations.removeValue(forKey: e.operation) else { return }
            if let drive = operation.drive, let failures = drives[drive]?.consecutiveFailures {
                drives[drive]?.consecutiveFailures = e.result == .succeeded ? 0 : failures &+ 1
            }
            switch e.result {
            case .succeeded:
                finish(operation, at: now, &indexing)
            case .failedUnchanged:
                if let medium = operation.medium { media[medium]?.physicalState = operation.previousState }
                if operation.task == .mount || operation.task == .clean, let drive = operation.to.driveAddress {
                    release(drive, at: now)
                }
            case .failedUncertain:
                if let medium = operation.medium { media[medium]?.physicalState = .operationError }
                if operation.task == .mount || operation.task == .clean, let drive = operation.to.driveAddress {
                    release(drive, at: now)
                }
                libraries[operation.library]?.needsInventory = true
            }

        case .dismountDeferred(let e):
            drives[e.drive]?.state = .dismountable
            media[e.medium]?.physicalState = .unloaded
            // The medium stays in the drive, but its use has ended.
            endUse(of: e.drive, at: now)
            updateUsage(of: e.medium) { $0.lastDismounted = now }

        case .mediumRemounted(let e):
            drives[e.drive]?.state = .loaded
            drives[e.drive]?.side = e.side
            drives[e.drive]?.lastUsed = eventCount
            drives[e.drive]?.mountCount &+= 1
            drives[e.drive]?.mountsSinceCleaning &+= 1
            drives[e.drive]?.busySince = now
            media[e.medium]?.physicalState = .loaded
            recordMount(of: e.medium, at: now)

        case .inventoryTaken(let e):
            for moved in e.moved {
                if let drive = moved.from.driveAddress, drives[drive]?.medium == moved.medium {
                    release(drive, at: now)
                }
                if let drive = moved.to.driveAddress {
                    drives[drive]?.medium = moved.medium
                    drives[drive]?.side = nil
                    drives[drive]?.state = .loaded
                }
                let home: UInt32? =
                    if case .drive = moved.to, case .slot(_, let slot) = moved.from { slot } else { nil }
                relocate(
                    moved.medium, to: moved.to, state: moved.to.driveAddress == nil ? .idle : .loaded, home: home,
                    &indexing)
            }
            for medium in e.missing {
                if let drive = media[medium]?.location.driveAddress { release(drive, at: now) }
                relocate(medium, to: .shelf, state: .idle, home: nil, &indexing)
            }
            // What the inventory confirmed is no longer in doubt, and nothing is in flight any more.
            for (id, operation) in operations where operation.library == e.library { operations[id] = nil }
            // A cleaning it interrupted is over; a cleaner left in the drive is not a medium.
            for (address, drive) in drives where address.library == e.library && drive.state == .beingCleaned {
                drives[address]?.state = .dismounted
            }
            for (id, medium) in media
            where medium.location.library == e.library
                && (medium.physicalState == .inUse || medium.physicalState == .operationError)
            {
                media[id]?.physicalState = medium.location.driveAddress == nil ? .idle : .loaded
            }
            libraries[e.library]?.needsInventory = false

        default:
            break
        }
    }

    /// The successful end of a robot operation: the cartridge is where it was sent.
    private mutating func finish(_ operation: RobotOperation, at now: Int64, _ indexing: inout IndexMaintenance) {
        switch operation.task {
        case .injectCleaner:
            libraries[operation.library]?.cleaner = CleanerCartridge(
                barcode: operation.barcode, usesLeft: operation.cleanerUses)
            return
        case .ejectCleaner:
            libraries[operation.library]?.cleaner = nil
            return
        case .clean:
            if let drive = operation.to.driveAddress {
                drives[drive]?.state = .dismounted
                drives[drive]?.mountsSinceCleaning = 0
                drives[drive]?.cleaningRequested = false
                drives[drive]?.lastCleaned = now
            }
            if let uses = libraries[operation.library]?.cleaner?.usesLeft {
                libraries[operation.library]?.cleaner?.usesLeft = uses > 0 ? uses - 1 : 0
            }
            return
        case .returnCleaner:
            if let drive = operation.from.driveAddress { drives[drive]?.state = .dismounted }
            return
        case .mount, .dismount, .inject, .eject:
            break
        }
        guard let medium = operation.medium else { return }  // a new cartridge: MediumImported follows
        switch operation.task {
        case .mount:
            let home: UInt32? = if case .slot(_, let slot) = operation.from { slot } else { nil }
            relocate(medium, to: operation.to, state: .loaded, home: home, &indexing)
            if let drive = operation.to.driveAddress {
                drives[drive]?.state = .loaded
                drives[drive]?.lastUsed = eventCount
                drives[drive]?.mountCount &+= 1
                drives[drive]?.mountsSinceCleaning &+= 1
                drives[drive]?.busySince = now
            }
            recordMount(of: medium, at: now)
        case .dismount:
            if let drive = operation.from.driveAddress {
                release(drive, at: now)
                drives[drive]?.lastUsed = eventCount
            }
            updateUsage(of: medium) { $0.lastDismounted = now }
            relocate(medium, to: operation.to, state: .idle, home: nil, &indexing)
        case .inject:
            relocate(medium, to: operation.to, state: .idle, home: nil, &indexing)
        case .eject:
            // RSM: ejected media belong to the offline library.
            relocate(medium, to: .shelf, state: .idle, home: nil, &indexing)
        case .injectCleaner, .ejectCleaner, .clean, .returnCleaner:
            break
        }
    }

    /// Folds the cleaning events (a cleaner's moves and the cleanings are robot operations).
    mutating func evolveCleaning(_ event: CatalogueEvent) {
        switch event {
        case .cleanerSlotReserved(let e): libraries[e.library]?.cleanerSlot = e.slot
        case .cleanerSlotReleased(let e): libraries[e.library]?.cleanerSlot = nil
        case .driveCleaningRequested(let e): drives[e.drive]?.cleaningRequested = true
        case .cleaningIntervalSet(let e): libraries[e.library]?.cleaningInterval = e.mounts
        case .cleanerLost(let e): libraries[e.library]?.cleaner = nil
        default: break
        }
    }

    private mutating func release(_ drive: DriveAddress, at now: Int64) {
        endUse(of: drive, at: now)
        drives[drive]?.medium = nil
        drives[drive]?.side = nil
        drives[drive]?.state = .dismounted
    }

    /// Ends the drive's current use, if any, adding its length to the busy time.
    private mutating func endUse(of drive: DriveAddress, at now: Int64) {
        guard let since = drives[drive]?.busySince else { return }
        // A clock stepped back between the two records counts as no time, never as negative time.
        drives[drive]?.busyNanoseconds &+= max(0, now &- since)
        drives[drive]?.busySince = nil
    }

    private mutating func recordMount(of medium: MediumID, at now: Int64) {
        updateUsage(of: medium) { usage in
            usage.lastMounted = now
            usage.mountCount &+= 1
        }
    }

    /// Moves a medium's recorded location, keeping the location map and the
    /// allocation indexes (which only hold online media) in step.
    private mutating func relocate(
        _ id: MediumID, to location: MediumLocation, state: PhysicalState, home: UInt32?,
        _ indexing: inout IndexMaintenance
    ) {
        changeMedium(id, &indexing) { s in
            guard var medium = s.media[id] else { return }
            if medium.location != .shelf, s.mediumAtLocation[medium.location] == id {
                s.mediumAtLocation[medium.location] = nil
            }
            medium.location = location
            medium.physicalState = state
            medium.home = home
            if location != .shelf { s.mediumAtLocation[location] = id }
            s.media[id] = medium
        }
    }
}

extension RobotOperation {
    /// The drive a mount loads or a dismount unloads; nil for injects and ejects.
    public var drive: DriveAddress? {
        switch task {
        case .mount, .clean: to.driveAddress
        case .dismount, .returnCleaner: from.driveAddress
        case .inject, .eject, .injectCleaner, .ejectCleaner: nil
        }
    }
}

extension MediumLocation {
    /// The drive, when the location is one.
    public var driveAddress: DriveAddress? {
        if case .drive(let library, let number) = self { DriveAddress(library: library, number: number) } else { nil }
    }
}
