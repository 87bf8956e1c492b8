extension CatalogueEvent {
    /// The payload bytes stored in the log for this event.
    public func encodedPayload() -> [UInt8] {
        var out = BinaryWriter()
        encodePayload(into: &out)
        return out.bytes
    }

    /// Appends the payload to `bytes`: the writer encodes each event straight
    /// into the record it is building, with no array of its own.
    public func encodePayload(appendingTo bytes: inout [UInt8]) {
        var out = BinaryWriter(continuing: &bytes)
        encodePayload(into: &out)
        out.hand(to: &bytes)
    }

    private func encodePayload(into out: inout BinaryWriter) {
        switch self {
        case .catalogueCreated(let e):
            out.write(e.offlineLibrary)
            out.write(e.freeFolder)
            out.write(e.importFolder)
            out.write(e.unrecognizedFolder)
        case .mediaTypeRegistered(let e):
            out.write(e.mediaType)
            out.write(e.name)
            out.write(e.sideCount)
            out.write(e.freePool)
            out.write(e.importPool)
            out.write(e.unrecognizedPool)
        case .libraryDeleted(let e):
            out.write(e.library)
        case .libraryAdded(let e):
            out.write(e.library)
            out.write(e.name)
            out.write(e.slotCount)
            out.write(e.driveCount)
            out.write(e.portCount)
        case .poolCreated(let e):
            out.write(e.pool)
            out.write(e.path)
            out.write(e.parent)
            out.write(e.mediaType)
            out.write(e.policy)
        case .poolPolicyChanged(let e):
            out.write(e.pool)
            out.write(e.policy)
        case .mediumImported(let e):
            out.write(e.medium)
            out.write(e.barcode)
            out.write(e.mediaType)
            out.write(e.pool)
            out.write(e.location)
            out.write(e.firstSide)
            out.write(e.sideCount)
            out.write(e.sideState.rawValue)
        case .mediumMoved(let e):
            out.write(e.medium)
            out.write(e.from)
            out.write(e.to)
            out.write(e.reason.rawValue)
            out.write(e.relabelledSides)
            out.write(e.relabelledState.rawValue)
        case .sideAllocated(let e):
            out.write(e.side)
            out.write(e.logicalMedium)
            out.write(e.pool)
            out.write(e.allocatedFrom)
            out.write(e.exclusive)
            out.write(e.reservedSides)
        case .sideAllocatedNext(let e):
            out.write(e.side)
            out.write(e.logicalMedium)
            out.write(e.pool)
            out.write(e.previous)
        case .sideDeallocated(let e):
            out.write(e.logicalMedium)
            out.write(e.side)
            out.write(e.newState.rawValue)
            out.write(e.releasedSides)
        case .poolDeleted(let e):
            out.write(e.pool)
        case .sideCompleted(let e):
            out.write(e.logicalMedium)
            out.write(e.side)
        case .sideDecommissioned(let e):
            out.write(e.side)
        case .mediumDeleted(let e):
            out.write(e.medium)
        case .operatorRequestSubmitted(let e):
            out.write(e.request)
            out.write(e.type.rawValue)
            out.write(e.firstArgument ?? 0)
            out.write(e.secondArgument ?? 0)
            out.write(e.message)
            out.write(e.submitted)
            out.write(e.application)
            out.write(e.user)
            out.write(e.deadline != nil)
            out.write(e.deadline ?? 0)
            out.write(e.waiter != nil)
            if let waiter = e.waiter {
                out.write(waiter.bootID)
                out.write(waiter.processID)
                out.write(waiter.processStart)
                out.write(waiter.session)
            }
        case .operatorRequestDisplayed(let e):
            out.write(e.request)
        case .operatorRequestAcknowledged(let e):
            out.write(e.request)
        case .operatorRequestSatisfied(let e):
            out.write(e.request)
            out.write(e.time)
            out.write(e.byEngine)
        case .operatorRequestCancelled(let e):
            out.write(e.request)
            out.write(e.time)
            out.write(e.reason.rawValue)
        case .operatorRequestTimedOut(let e):
            out.write(e.request)
            out.write(e.time)
        case .changerAttached, .changerConfigured, .libraryDoorOpened, .libraryDoorClosed, .robotOperationStarted,
            .robotOperationFinished, .dismountDeferred,
            .mediumRemounted,
            .inventoryTaken:
            encodeRobotics(into: &out)
        case .accessListChanged, .accessDenied, .tokenIssued, .tokenRevoked:
            encodeAccess(into: &out)
        case .objectDisabled, .objectEnabled:
            encodeEnablement(into: &out)
        case .mediaTypeDeleted, .mediumTypeChanged, .logicalMediaSwapped, .onMediaIdentifierRecorded,
            .mediumBarcodeChanged:
            encodeMediaServices(into: &out)
        case .cleanerSlotReserved, .cleanerSlotReleased, .driveCleaningRequested, .cleaningIntervalSet, .cleanerLost:
            encodeCleaning(into: &out)
        case .libraryRequestQueued, .libraryRequestStarted, .libraryRequestWaiting, .libraryRequestFinished,
            .libraryRequestReordered:
            encodeLibraryRequest(into: &out)
        }
    }

    /// Decodes a stored payload. Throws for an unknown type or version, or bytes
    /// that do not form exactly one payload.
    public static func decode(typeCode: UInt16, schemaVersion: UInt16, payload: [UInt8]) throws(PayloadDecodingError)
        -> CatalogueEvent
    {
        try withPayloadBytes(payload) { raw throws(PayloadDecodingError) in
            try decode(typeCode: typeCode, schemaVersion: schemaVersion, payload: raw)
        }
    }

    /// Decodes a payload where it lies (a replay decodes straight from the log's memory map).
    public static func decode(typeCode: UInt16, schemaVersion: UInt16, payload: UnsafeRawBufferPointer)
        throws(PayloadDecodingError) -> CatalogueEvent
    {
        guard schemaVersion == 1 else {
            throw PayloadDecodingError("event type \(typeCode) has unknown schema version \(schemaVersion)")
        }
        guard let type = EventType(rawValue: typeCode) else {
            throw PayloadDecodingError("unknown event type \(typeCode)")
        }
        var r = BinaryReader(payload)
        let event: CatalogueEvent
        switch type {
        case .catalogueCreated:
            event = .catalogueCreated(
                CatalogueCreated(
                    offlineLibrary: try r.readID(), freeFolder: try r.readID(), importFolder: try r.readID(),
                    unrecognizedFolder: try r.readID()))
        case .mediaTypeRegistered:
            event = .mediaTypeRegistered(
                MediaTypeRegistered(
                    mediaType: try r.readID(), name: try r.readString(), sideCount: try r.readUInt8(),
                    freePool: try r.readID(), importPool: try r.readID(), unrecognizedPool: try r.readID()))
        case .libraryAdded:
            event = .libraryAdded(
                LibraryAdded(
                    library: try r.readID(), name: try r.readString(), slotCount: try r.readUInt32(),
                    driveCount: try r.readUInt32(), portCount: try r.readUInt32()))
        case .poolCreated:
            event = .poolCreated(
                PoolCreated(
                    pool: try r.readID(), path: try r.readString(), parent: try r.readOptionalID(),
                    mediaType: try r.readOptionalID(), policy: try r.readPolicy()))
        case .poolPolicyChanged:
            event = .poolPolicyChanged(PoolPolicyChanged(pool: try r.readID(), policy: try r.readPolicy()))
        case .mediumImported:
            event = .mediumImported(
                MediumImported(
                    medium: try r.readID(), barcode: try r.readString(), mediaType: try r.readID(),
                    pool: try r.readID(), location: try r.readLocation(), firstSide: try r.readID(),
                    sideCount: try r.readUInt8(), sideState: try r.readEnum(SideState.self)))
        case .mediumMoved:
            event = .mediumMoved(
                MediumMoved(
                    medium: try r.readID(), from: try r.readID(), to: try r.readID(),
                    reason: try r.readEnum(MoveReason.self), relabelledSides: try r.readIDs(),
                    relabelledState: try r.readEnum(SideState.self)))
        case .sideAllocated:
            event = .sideAllocated(
                SideAllocated(
                    side: try r.readID(), logicalMedium: try r.readID(), pool: try r.readID(),
                    allocatedFrom: try r.readID(), exclusive: try r.readBool(), reservedSides: try r.readIDs()))
        case .sideAllocatedNext:
            event = .sideAllocatedNext(
                SideAllocatedNext(
                    side: try r.readID(), logicalMedium: try r.readID(), pool: try r.readID(),
                    previous: try r.readID()))
        case .sideDeallocated:
            event = .sideDeallocated(
                SideDeallocated(
                    logicalMedium: try r.readID(), side: try r.readID(), newState: try r.readEnum(SideState.self),
                    releasedSides: try r.readIDs()))
        case .poolDeleted:
            event = .poolDeleted(PoolDeleted(pool: try r.readID()))
        case .sideCompleted:
            event = .sideCompleted(SideCompleted(logicalMedium: try r.readID(), side: try r.readID()))
        case .sideDecommissioned:
            event = .sideDecommissioned(SideDecommissioned(side: try r.readID()))
        case .mediumDeleted:
            event = .mediumDeleted(MediumDeleted(medium: try r.readID()))
        case .operatorRequestSubmitted:
            let request: OperatorRequestID = try r.readID()
            let type = try r.readEnum(OperatorRequestType.self)
            let first = try r.readUInt64()
            let second = try r.readUInt64()
            let message = try r.readString()
            let submitted = try r.readInt64()
            let application = try r.readString()
            let user = try r.readString()
            let hasDeadline = try r.readBool()
            let deadline = try r.readInt64()
            var waiter: WaiterToken?
            if try r.readBool() {
                waiter = WaiterToken(
                    bootID: try r.readString(), processID: try r.readUInt32(), processStart: try r.readUInt64(),
                    session: try r.readUInt64())
            }
            event = .operatorRequestSubmitted(
                OperatorRequestSubmitted(
                    request: request, type: type, firstArgument: first == 0 ? nil : first,
                    secondArgument: second == 0 ? nil : second, message: message, submitted: submitted,
                    application: application, user: user, deadline: hasDeadline ? deadline : nil, waiter: waiter))
        case .operatorRequestDisplayed:
            event = .operatorRequestDisplayed(OperatorRequestDisplayed(request: try r.readID()))
        case .operatorRequestAcknowledged:
            event = .operatorRequestAcknowledged(OperatorRequestAcknowledged(request: try r.readID()))
        case .operatorRequestSatisfied:
            event = .operatorRequestSatisfied(
                OperatorRequestSatisfied(request: try r.readID(), time: try r.readInt64(), byEngine: try r.readBool()))
        case .operatorRequestCancelled:
            event = .operatorRequestCancelled(
                OperatorRequestCancelled(
                    request: try r.readID(), time: try r.readInt64(), reason: try r.readEnum(RequestCloseReason.self)))
        case .operatorRequestTimedOut:
            event = .operatorRequestTimedOut(OperatorRequestTimedOut(request: try r.readID(), time: try r.readInt64()))
        case .changerAttached, .changerConfigured, .libraryDoorOpened, .libraryDoorClosed, .robotOperationStarted,
            .robotOperationFinished, .dismountDeferred,
            .mediumRemounted,
            .inventoryTaken:
            event = try decodeRobotics(type, &r)
        case .libraryDeleted:
            event = .libraryDeleted(LibraryDeleted(library: try r.readID()))
        case .accessListChanged, .accessDenied, .tokenIssued, .tokenRevoked:
            event = try decodeAccess(type, &r)
        case .objectDisabled, .objectEnabled:
            event = try decodeEnablement(type, &r)
        case .mediaTypeDeleted, .mediumTypeChanged, .logicalMediaSwapped, .onMediaIdentifierRecorded,
            .mediumBarcodeChanged:
            event = try decodeMediaServices(type, &r)
        case .cleanerSlotReserved, .cleanerSlotReleased, .driveCleaningRequested, .cleaningIntervalSet, .cleanerLost:
            event = try decodeCleaning(type, &r)
        case .libraryRequestQueued, .libraryRequestStarted, .libraryRequestWaiting, .libraryRequestFinished,
            .libraryRequestReordered:
            event = try decodeLibraryRequest(type, &r)
        }
        guard r.isAtEnd else { throw PayloadDecodingError("unexpected bytes after a \(event.name) payload") }
        return event
    }
}

extension BinaryWriter {
    mutating func write(_ policy: PoolPolicy) {
        write(policy.allocateFromScratch)
        write(policy.deallocateToScratch)
        write(policy.maxAllocates)
    }

    mutating func write(_ location: MediumLocation) {
        switch location {
        case .shelf:
            write(UInt8(0))
        case .slot(let library, let number):
            write(UInt8(1))
            write(library)
            write(number)
        case .drive(let library, let number):
            write(UInt8(2))
            write(library)
            write(number)
        case .port(let library, let number):
            write(UInt8(3))
            write(library)
            write(number)
        }
    }
}

extension BinaryReader {
    mutating func readPolicy() throws(PayloadDecodingError) -> PoolPolicy {
        PoolPolicy(
            allocateFromScratch: try readBool(), deallocateToScratch: try readBool(), maxAllocates: try readUInt32())
    }

    mutating func readLocation() throws(PayloadDecodingError) -> MediumLocation {
        switch try readUInt8() {
        case 0: return .shelf
        case 1: return .slot(try readID(), try readUInt32())
        case 2: return .drive(try readID(), try readUInt32())
        case 3: return .port(try readID(), try readUInt32())
        case let tag: throw PayloadDecodingError("invalid location tag \(tag)")
        }
    }
}
