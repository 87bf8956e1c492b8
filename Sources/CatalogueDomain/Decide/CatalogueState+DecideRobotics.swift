extension CatalogueState {
    /// Robot commands. Each `begin...` only records the intent (and reserves the
    /// drive or slot it needs); the engine moves the robot and then reports with
    /// `finishOperation`.
    func decideRobotics(_ command: CatalogueCommand, context: DecisionContext, ids: inout IdentifierSource)
        throws(NtmsError) -> Decision
    {
        switch command {
        case .attachChanger(let libraryID, let kind, let device):
            let library = try onlineLibrary(libraryID)
            try validateChanger(ChangerAttachment(kind: kind, device: device))
            guard library.changer != kind || library.device != device else {
                return Decision(events: [], outcome: .done)
            }
            guard !operations.values.contains(where: { $0.library == libraryID }) else {
                throw NtmsError(.busy, "library \(library.name) has robot operations in progress")
            }
            return Decision(
                events: [.changerAttached(ChangerAttached(library: libraryID, kind: kind, device: device))],
                outcome: .done)

        case .configureChanger(let libraryID, let settings):
            let library = try onlineLibrary(libraryID)
            try validate(settings, for: library)
            guard settings != library.changerSettings else { return Decision(events: [], outcome: .done) }
            return Decision(
                events: [.changerConfigured(ChangerConfigured(library: libraryID, settings: settings))], outcome: .done)

        case .beginMount(let sideID, let requestedDrive):
            return try decideMount(sideID, requestedDrive: requestedDrive, context: context, ids: &ids)

        case .beginDismount(let mediumID, let deferred):
            guard let medium = media[mediumID] else { throw NtmsError(.invalidMedia, "no medium \(mediumID)") }
            guard let drive = medium.location.driveAddress, let state = drives[drive]?.state else {
                throw NtmsError(.invalidState, "\(medium.barcode) is not in a drive")
            }
            guard medium.physicalState == .loaded || medium.physicalState == .unloaded else {
                throw NtmsError(.busy, "\(medium.barcode) is \(medium.physicalState.name)")
            }
            if deferred {
                guard state != .dismountable else { return Decision(events: [], outcome: .done) }
                return Decision(
                    events: [.dismountDeferred(DismountDeferred(medium: mediumID, drive: drive))], outcome: .done)
            }
            let library = try robotLibrary(drive.library)
            let home = medium.home.flatMap { isFreeSlot(.slot(drive.library, $0)) ? $0 : nil }
            guard let slot = home ?? firstFreeSlot(in: library) else {
                throw NtmsError(.libraryFull, "library \(library.name) has no free slot to put \(medium.barcode) back")
            }
            return start(
                RobotOperation(
                    id: ids.take(), task: .dismount, library: drive.library, medium: mediumID,
                    side: drives[drive]?.side,
                    from: medium.location, to: .slot(drive.library, slot), barcode: medium.barcode, mediaType: nil,
                    label: .free, previousState: medium.physicalState))

        case .beginInject(let libraryID, let port, let barcode, let typeID, let label, let onMediaLabel):
            let library = try robotLibrary(libraryID)
            try library.checkPort(port)
            if let problem = onMediaLabel?.problem { throw NtmsError(.invalidParameter, problem) }
            // A known bar code names the medium; failing that, a known on-media label does.
            var known: Medium?
            var label = label
            if let existing = medium(withBarcode: barcode) ?? medium(identifiedBy: onMediaLabel) {
                guard existing.location == .shelf,
                    existing.physicalState == .idle || existing.physicalState == .operatorRequest
                else {
                    let place = describe(existing.location)
                    throw NtmsError(
                        .alreadyExists,
                        existing.barcode == barcode
                            ? "\(barcode) is already in \(place)"
                            : "\(barcode) carries the on-media label of \(existing.barcode), which is already in \(place)"
                    )
                }
                known = existing
            } else {
                // A label of a format it knows but an identity it does not: RSM imports the cartridge.
                if onMediaLabel != nil { label = .import }
                // Checked now so that the outcome cannot fail to register it.
                var probe = ids
                _ = try decideRegistration(
                    barcode: barcode, typeID: typeID, location: .shelf, label: label, ids: &probe)
            }
            guard let slot = firstFreeSlot(in: library) else {
                throw NtmsError(.libraryFull, "library \(library.name) has no free slot for \(barcode)")
            }
            return start(
                RobotOperation(
                    id: ids.take(), task: .inject, library: libraryID, medium: known?.id, side: nil,
                    from: .port(libraryID, port), to: .slot(libraryID, slot), barcode: barcode,
                    mediaType: known == nil ? typeID : nil, label: label,
                    previousState: known?.physicalState ?? .idle))

        case .beginEject(let mediumID, let port):
            guard let medium = media[mediumID] else { throw NtmsError(.invalidMedia, "no medium \(mediumID)") }
            guard case .slot(let libraryID, _) = medium.location else {
                if medium.location.driveAddress != nil {
                    throw NtmsError(.busy, "\(medium.barcode) is mounted; dismount it first")
                }
                throw NtmsError(.invalidState, "\(medium.barcode) is \(describe(medium.location)), not in a slot")
            }
            let library = try robotLibrary(libraryID)
            guard medium.physicalState == .idle else {
                throw NtmsError(.busy, "\(medium.barcode) is \(medium.physicalState.name)")
            }
            try requireEnabled(medium)
            try library.checkPort(port)
            guard isFreeSlot(.port(libraryID, port)) else {
                throw NtmsError(.busy, "port \(port) of \(library.name) is in use")
            }
            return start(
                RobotOperation(
                    id: ids.take(), task: .eject, library: libraryID, medium: mediumID, side: nil,
                    from: medium.location,
                    to: .port(libraryID, port), barcode: medium.barcode, mediaType: nil, label: .free,
                    previousState: medium.physicalState))

        case .finishOperation(let operationID, let result):
            guard let operation = operations[operationID] else {
                throw NtmsError(.objectNotFound, "no robot operation \(operationID) in progress")
            }
            var events: [CatalogueEvent] = []
            var outcome = CommandOutcome.done
            var result = result
            if result == .succeeded, operation.task == .inject, operation.medium == nil,
                let typeID = operation.mediaType
            {
                do {
                    let registration = try decideRegistration(
                        barcode: operation.barcode, typeID: typeID, location: .shelf, label: operation.label,
                        ids: &ids)
                    for case .mediumImported(var imported) in registration.events {
                        imported.location = operation.to
                        events.append(.mediumImported(imported))
                        outcome = .medium(imported.medium)
                    }
                } catch {
                    // Registered meanwhile by someone else: where it is, only an inventory can tell.
                    result = .failedUncertain(code: UInt32(error.code.rawValue), message: error.message)
                }
            }
            // A medium recognised by its label takes the bar code its cartridge has now.
            if result == .succeeded, operation.task == .inject, let id = operation.medium, let medium = media[id],
                medium.barcode != operation.barcode
            {
                if mediumByBarcode[operation.barcode] == nil {
                    events.append(
                        .mediumBarcodeChanged(
                            MediumBarcodeChanged(medium: id, from: medium.barcode, to: operation.barcode)))
                } else {
                    result = .failedUncertain(
                        code: UInt32(NtmsErrorCode.alreadyExists.rawValue),
                        message: "bar code \(operation.barcode) was catalogued meanwhile")
                }
            }
            // A medium brought back in answers the MOVEMEDIA requests raised for it.
            if result == .succeeded, operation.task == .inject, let medium = operation.medium {
                for request in requests.values
                where request.state.isOpen && request.type == .moveMedia && request.firstArgument == medium.rawValue {
                    events.append(
                        .operatorRequestSatisfied(
                            OperatorRequestSatisfied(request: request.id, time: context.now, byEngine: true)))
                }
            }
            events += drivePenalty(for: operation, result, context: context, ids: &ids)
            return Decision(
                events: [.robotOperationFinished(RobotOperationFinished(operation: operationID, result: result))]
                    + events,
                outcome: outcome)

        case .recordInventory(let libraryID, let reading, let typeID):
            return try decideInventory(libraryID, reading: reading, mediaType: typeID, ids: &ids)

        case .accessDoor(let libraryID, let open):
            let library = try onlineLibrary(libraryID)
            guard library.doorOpen != open else {
                throw NtmsError(.invalidState, "the door of \(library.name) is already \(open ? "open" : "closed")")
            }
            guard open else {
                return Decision(events: [.libraryDoorClosed(LibraryDoorClosed(library: libraryID))], outcome: .done)
            }
            _ = try enabledLibrary(libraryID)
            guard !operations.values.contains(where: { $0.library == libraryID }) else {
                throw NtmsError(.busy, "the robot of \(library.name) is moving; open the door when it is done")
            }
            return Decision(events: [.libraryDoorOpened(LibraryDoorOpened(library: libraryID))], outcome: .done)

        default:
            preconditionFailure("not a robot command")
        }
    }

    private func decideMount(
        _ sideID: SideID, requestedDrive: UInt32?, context: DecisionContext, ids: inout IdentifierSource
    )
        throws(NtmsError) -> Decision
    {
        guard let side = sides[sideID], let medium = media[side.medium] else {
            throw NtmsError(.invalidMedia, "no side \(sideID)")
        }
        guard side.state == .allocated || side.state == .complete else {
            throw NtmsError(
                .invalidState,
                "side \(side.letter) of \(medium.barcode) is \(side.state.name); allocate it before mounting")
        }
        try requireEnabled(medium)
        switch medium.location {
        case .shelf:
            // RSM raises a MOVEMEDIA request for an offline medium; one open request is enough.
            if let open = requests.values.first(where: {
                $0.state.isOpen && $0.type == .moveMedia && $0.firstArgument == medium.id.rawValue
            }) {
                return Decision(events: [], outcome: .request(open.id))
            }
            return try decideSubmission(
                type: .moveMedia,
                message: "Insert \(medium.barcode) into a library: side \(side.letter) is to be mounted",
                first: medium.id.rawValue, second: nil, context: context, ids: &ids)
        case .drive(let libraryID, let number):
            let address = DriveAddress(library: libraryID, number: number)
            guard drives[address]?.state == .dismountable, medium.physicalState == .unloaded else {
                throw NtmsError(.busy, "\(medium.barcode) is already mounted in drive \(number)")
            }
            if let requestedDrive, requestedDrive != number {
                throw NtmsError(.busy, "\(medium.barcode) is in drive \(number); dismount it before choosing another")
            }
            _ = try enabledLibrary(libraryID)
            guard drives[address]?.enabled == true else {
                throw NtmsError(
                    .resourceDisabled,
                    "\(medium.barcode) was left in drive \(number), which is disabled; dismount it and mount it again")
            }
            return Decision(
                events: [.mediumRemounted(MediumRemounted(medium: medium.id, side: sideID, drive: address))],
                outcome: .done)
        case .port:
            throw NtmsError(.invalidState, "\(medium.barcode) is in an import/export port; inject it first")
        case .slot(let libraryID, _):
            let library = try robotLibrary(libraryID)
            guard medium.physicalState == .idle else {
                throw NtmsError(.busy, "\(medium.barcode) is \(medium.physicalState.name)")
            }
            let drive = try chooseDrive(in: library, requested: requestedDrive)
            return start(
                RobotOperation(
                    id: ids.take(), task: .mount, library: libraryID, medium: medium.id, side: sideID,
                    from: medium.location, to: .drive(libraryID, drive.number), barcode: medium.barcode,
                    mediaType: nil, label: .free, previousState: medium.physicalState))
        }
    }

    /// The requested drive if it is free, else the least recently used empty
    /// drive (ties: the lowest number). Every drive takes every media type.
    public func chooseDrive(in library: Library, requested: UInt32?) throws(NtmsError) -> DriveAddress {
        if let requested {
            let address = DriveAddress(library: library.id, number: requested)
            guard let drive = drives[address] else {
                throw NtmsError(
                    .invalidDrive,
                    "library \(library.name) has drives 0 to \(Int(library.driveCount) - 1), not \(requested)")
            }
            guard drive.enabled else {
                throw NtmsError(.resourceDisabled, "drive \(requested) of \(library.name) is disabled")
            }
            guard drive.state == .dismounted, drive.medium == nil else {
                throw NtmsError(.busy, "drive \(requested) of \(library.name) is \(drive.state.name)")
            }
            return address
        }
        let usable = (0..<library.driveCount).compactMap { drives[DriveAddress(library: library.id, number: $0)] }
            .filter(\.enabled)
        guard !usable.isEmpty else {
            throw NtmsError(.resourceDisabled, "every drive of \(library.name) is disabled")
        }
        let empty = usable.filter { $0.state == .dismounted && $0.medium == nil }
        guard let best = empty.min(by: { ($0.lastUsed, $0.address.number) < ($1.lastUsed, $1.address.number) }) else {
            throw NtmsError(.busy, "every enabled drive of \(library.name) is in use")
        }
        return best.address
    }

    private func decideInventory(
        _ libraryID: LibraryID, reading: InventoryReading, mediaType typeID: MediaTypeID?, ids: inout IdentifierSource
    ) throws(NtmsError) -> Decision {
        let library = try enabledLibrary(libraryID)
        // An element the library does not have is never catalogued: a changer larger than
        // the library says (or another changer behind the device) is named, not believed.
        var unidentified: [InventoryTaken.UnidentifiedCartridge] = []
        var elements: [InventoryReading.Element] = []
        for element in reading.elements {
            if library.has(element.location) {
                elements.append(element)
            } else if element.isFull {
                unidentified.append(
                    .init(
                        location: element.location, barcode: element.barcode ?? "",
                        reason:
                            "beyond the library, which has \(library.driveCount) drives, \(library.slotCount) slots and \(library.portCount) ports"
                    ))
            }
        }
        let reported = Set(elements.map(\.location))
        var seenBarcodes: [String: MediumLocation] = [:]
        var duplicates = Set<String>()
        for element in elements where element.isFull {
            guard let barcode = element.barcode else { continue }
            if seenBarcodes.updateValue(element.location, forKey: barcode) != nil { duplicates.insert(barcode) }
        }
        let identified = mediaIdentifiedByLabel(in: elements, seenBarcodes: seenBarcodes)
        var moved: [InventoryTaken.MovedMedium] = []
        var missing: [MediumID] = []
        // Media the catalogue places in this library.
        var ejected = Set<String>()
        for medium in media.values where medium.location.library == libraryID {
            if let found = seenBarcodes[medium.barcode], !duplicates.contains(medium.barcode) {
                if case .port = found {
                    // In a port is out of the library (an eject whose outcome was never recorded): offline.
                    moved.append(.init(medium: medium.id, from: medium.location, to: .shelf))
                    ejected.insert(medium.barcode)
                } else if found != medium.location {
                    moved.append(.init(medium: medium.id, from: medium.location, to: found))
                }
            } else if let element = identified[medium.id] {
                if element.location != medium.location {
                    moved.append(.init(medium: medium.id, from: medium.location, to: element.location))
                }
            } else if !reading.incomplete || reported.contains(medium.location) {
                missing.append(medium.id)
            }
        }
        // Cartridges the changer holds that the catalogue does not place here.
        let defaultType = typeID ?? mostCommonMediaType(in: libraryID)
        var imported: [CatalogueEvent] = []
        for (id, element) in identified.sorted(by: { $0.key < $1.key }) {
            guard let medium = media[id] else { continue }
            if medium.location.library != libraryID {
                moved.append(.init(medium: id, from: medium.location, to: element.location))
            }
            if let barcode = element.barcode, barcode != medium.barcode {
                imported.append(
                    .mediumBarcodeChanged(MediumBarcodeChanged(medium: id, from: medium.barcode, to: barcode)))
            }
        }
        let identifiedLocations = Set(identified.values.map(\.location))
        for element in elements where element.isFull && !identifiedLocations.contains(element.location) {
            guard let barcode = element.barcode else {
                unidentified.append(.init(location: element.location, barcode: "", reason: "no bar code label"))
                continue
            }
            if duplicates.contains(barcode) {
                unidentified.append(.init(location: element.location, barcode: barcode, reason: "bar code seen twice"))
                continue
            }
            if case .port = element.location {
                // Ports are the operator's: an ejected medium waits there to be taken, a new one to be injected.
                if medium(withBarcode: barcode)?.location != .shelf, !ejected.contains(barcode) {
                    unidentified.append(
                        .init(location: element.location, barcode: barcode, reason: "waiting in a port; inject it"))
                }
                continue
            }
            if let known = medium(withBarcode: barcode) {
                if known.location.library != libraryID {
                    moved.append(.init(medium: known.id, from: known.location, to: element.location))
                }
                continue
            }
            if let cleaner = library.cleaner, barcode == cleaner.barcode {
                // The library's own cleaner: in its slot it is where it belongs; elsewhere, the operator's to return.
                if !isCleanerSlot(element.location) {
                    unidentified.append(
                        .init(
                            location: element.location, barcode: barcode,
                            reason: "the library's cleaner, out of its slot"))
                }
                continue
            }
            if barcode.uppercased().hasPrefix("CLN") {
                unidentified.append(.init(location: element.location, barcode: barcode, reason: "cleaning cartridge"))
                continue
            }
            guard let defaultType else {
                unidentified.append(
                    .init(
                        location: element.location, barcode: barcode, reason: "no media type known for new cartridges"))
                continue
            }
            if element.location.driveAddress != nil {
                unidentified.append(
                    .init(location: element.location, barcode: barcode, reason: "unknown cartridge in a drive"))
                continue
            }
            // An unknown on-media label: import; none: unrecognized until an operator says otherwise.
            do {
                let registration = try decideRegistration(
                    barcode: barcode, typeID: defaultType, location: .shelf,
                    label: element.onMediaLabel == nil ? .none : .import, ids: &ids)
                for case .mediumImported(var event) in registration.events {
                    event.location = element.location
                    imported.append(.mediumImported(event))
                }
            } catch {
                unidentified.append(.init(location: element.location, barcode: barcode, reason: error.message))
            }
        }
        let taken = InventoryTaken(
            library: library.id, moved: moved, missing: missing, unidentified: unidentified,
            incomplete: reading.incomplete)
        return Decision(events: [.inventoryTaken(taken)] + imported + cleanerCheck(library, reading), outcome: .done)
    }

    /// The recorded cleaner is lost when its slot was read and it is nowhere in the library.
    private func cleanerCheck(_ library: Library, _ reading: InventoryReading) -> [CatalogueEvent] {
        guard let cleaner = library.cleaner, let slot = library.cleanerSlot else { return [] }
        let element = reading.elements.first { $0.location == .slot(library.id, slot) }
        // Found elsewhere in the library (an interrupted cleaning), it is still this library's: the engine returns it.
        if reading.elements.contains(where: { $0.isFull && $0.barcode == cleaner.barcode }) { return [] }
        guard element != nil || !reading.incomplete else { return [] }
        return [.cleanerLost(CleanerLost(library: library.id, barcode: cleaner.barcode))]
    }

    /// Full elements whose bar code the catalogue does not know (or that have
    /// none) but whose on-media label names a medium, by medium. A label read
    /// twice, or naming a medium whose own bar code is also in the reading,
    /// identifies nothing: which cartridge is which is then for an operator.
    private func mediaIdentifiedByLabel(
        in elements: [InventoryReading.Element], seenBarcodes: [String: MediumLocation]
    ) -> [MediumID: InventoryReading.Element] {
        var found: [MediumID: InventoryReading.Element] = [:]
        var ambiguous = Set<MediumID>()
        for element in elements where element.isFull && element.onMediaLabel != nil {
            if let barcode = element.barcode, mediumByBarcode[barcode] != nil { continue }
            // Ports are the operator's: a cartridge there is injected, not inventoried.
            if case .port = element.location { continue }
            guard let medium = medium(identifiedBy: element.onMediaLabel), seenBarcodes[medium.barcode] == nil,
                element.location.driveAddress == nil || medium.location == element.location
            else { continue }
            if found.updateValue(element, forKey: medium.id) != nil { ambiguous.insert(medium.id) }
        }
        for id in ambiguous { found[id] = nil }
        return found
    }

    // MARK: Helpers

    func start(_ operation: RobotOperation) -> Decision {
        Decision(
            events: [.robotOperationStarted(RobotOperationStarted(operation: operation))],
            outcome: .operation(operation.id))
    }

    /// An online library that is not disabled and whose door is closed: what any robot work needs.
    ///
    /// - Throws: `ERROR_INVALID_LIBRARY` (4301) for no such online library;
    ///   `ERROR_DEVICE_NOT_AVAILABLE` (4319) for a disabled one; `ERROR_NOT_READY` (21) while its door is open.
    public func enabledLibrary(_ id: LibraryID) throws(NtmsError) -> Library {
        let library = try onlineLibrary(id)
        guard library.enabled else {
            throw NtmsError(
                .deviceNotAvailable, "library \(library.name) is disabled; enable it before using its robot")
        }
        guard !library.doorOpen else {
            throw NtmsError(
                .notReady,
                "the door of \(library.name) is open; close it (`mediactl door close`) and the robot inventories")
        }
        return library
    }

    func onlineLibrary(_ id: LibraryID) throws(NtmsError) -> Library {
        guard let library = libraries[id], library.type == .online else {
            throw NtmsError(.invalidLibrary, "no online library \(id)")
        }
        return library
    }

    /// An online, enabled library with a changer that is fit to move.
    func robotLibrary(_ id: LibraryID) throws(NtmsError) -> Library {
        let library = try enabledLibrary(id)
        guard library.changer != nil else {
            throw NtmsError(
                .deviceNotAvailable, "library \(library.name) has no changer (add one with --driver simulated|mtx)")
        }
        guard !library.needsInventory else {
            throw NtmsError(.notReady, "library \(library.name) needs an inventory before the robot is used")
        }
        return library
    }

    /// ERROR_MEDIA_NOT_AVAILABLE for a disabled medium.
    func requireEnabled(_ medium: Medium) throws(NtmsError) {
        guard !disabledMedia.contains(medium.id) else {
            throw NtmsError(.mediaNotAvailable, "\(medium.barcode) is disabled; enable it before using it")
        }
    }

    /// An element a medium may be moved into: empty, and not the cleaner slot.
    func isFreeSlot(_ location: MediumLocation) -> Bool { isEmptyElement(location) && !isCleanerSlot(location) }

    /// Neither a medium nor an operation in progress claims the element.
    func isEmptyElement(_ location: MediumLocation) -> Bool {
        mediumAtLocation[location] == nil && !operations.values.contains { $0.to == location }
    }

    /// The slot a library keeps for its cleaning cartridge.
    func isCleanerSlot(_ location: MediumLocation) -> Bool {
        if case .slot(let library, let slot) = location { libraries[library]?.cleanerSlot == slot } else { false }
    }

    private func firstFreeSlot(in library: Library) -> UInt32? {
        guard library.slotCount > 0 else { return nil }
        return (1...library.slotCount).first { isFreeSlot(.slot(library.id, $0)) }
    }

    private func mostCommonMediaType(in library: LibraryID) -> MediaTypeID? {
        var counts: [MediaTypeID: Int] = [:]
        for medium in media.values where medium.location.library == library {
            counts[medium.mediaType, default: 0] += 1
        }
        if let best = counts.max(by: { ($0.value, $1.key.rawValue) < ($1.value, $0.key.rawValue) }) { return best.key }
        return mediaTypes.count == 1 ? mediaTypes.keys.first : nil
    }

    func describe(_ location: MediumLocation) -> String {
        switch location {
        case .shelf: "on the shelf"
        case .slot(let library, let n): "slot \(n) of \(libraries[library]?.name ?? "\(library)")"
        case .drive(let library, let n): "drive \(n) of \(libraries[library]?.name ?? "\(library)")"
        case .port(let library, let n): "port \(n) of \(libraries[library]?.name ?? "\(library)")"
        }
    }
}
