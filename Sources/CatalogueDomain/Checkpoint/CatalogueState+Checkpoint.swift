import HashTreeCollections
import SortedCollections

/// The state's checkpoint encoding: the objects only, in the event codec's
/// LEB128 style. Name maps and allocation indexes are rebuilt on load from the
/// objects, so a checkpoint cannot disagree with them and stays small.
extension CatalogueState {
    /// Bump whenever a field is added to the state or an encoding changes; older
    /// checkpoints are then ignored and the log is replayed in full.
    public static let checkpointVersion: UInt16 = 13

    public func checkpointPayload() -> [UInt8] {
        var out = BinaryWriter()
        out.write(creation != nil)
        if let creation {
            out.write(creation.offlineLibrary)
            out.write(creation.freeFolder)
            out.write(creation.importFolder)
            out.write(creation.unrecognizedFolder)
        }
        out.write(nextIdentifier)
        out.write(eventCount)

        out.write(UInt64(mediaTypes.count))
        for type in mediaTypes.values {
            out.write(type.id)
            out.write(type.name)
            out.write(type.sideCount)
            out.write(type.freePool)
            out.write(type.importPool)
            out.write(type.unrecognizedPool)
        }
        out.write(UInt64(libraries.count))
        for library in libraries.values {
            out.write(library.id)
            out.write(library.name)
            out.write(library.type.rawValue)
            out.write(library.slotCount)
            out.write(library.driveCount)
            out.write(library.portCount)
            out.write(library.changer?.rawValue ?? 0)
            out.write(library.device)
            out.write(library.needsInventory)
            out.write(library.added)
            out.write(library.changerSettings)
            out.write(library.enabled)
            out.write(library.doorOpen)
            out.write(library.cleanerSlot.map { UInt64($0) + 1 } ?? 0)
            out.write(library.cleaner != nil)
            if let cleaner = library.cleaner {
                out.write(cleaner.barcode)
                out.write(cleaner.usesLeft != nil)
                out.write(cleaner.usesLeft ?? 0)
            }
            out.write(library.cleaningInterval)
        }
        out.write(UInt64(pools.count))
        for pool in pools.values {
            out.write(pool.id)
            out.write(pool.path)
            out.write(pool.parent)
            out.write(pool.type.rawValue)
            out.write(pool.mediaType)
            out.write(pool.policy)
            out.write(Int64(pool.childCount))
            out.write(Int64(pool.mediumCount))
        }
        out.write(UInt64(media.count))
        for medium in media.values {
            out.write(medium.id)
            out.write(medium.barcode)
            out.write(medium.mediaType)
            out.write(medium.pool)
            out.write(medium.location)
            out.write(medium.firstSide)
            out.write(medium.sideCount)
            out.write(medium.physicalState.rawValue)
            out.write(medium.home.map { UInt64($0) + 1 } ?? 0)
        }
        out.write(UInt64(sides.count))
        for side in sides.values {
            out.write(side.id)
            out.write(side.medium)
            out.write(side.number)
            out.write(side.state.rawValue)
            out.write(side.allocateCount)
            out.write(side.logicalMedium)
        }
        out.write(UInt64(logicalMedia.count))
        for logical in logicalMedia.values {
            out.write(logical.id)
            out.write(logical.side)
            out.write(logical.pool)
            out.write(logical.exclusive)
            out.write(logical.allocated)
            out.write(logical.application)
            out.write(logical.user)
        }
        out.write(UInt64(requests.count))
        for request in requests.values { out.write(request) }
        out.write(UInt64(drives.count))
        for drive in drives.values {
            out.write(drive.address)
            out.write(drive.state.rawValue)
            out.write(drive.medium)
            out.write(drive.side)
            out.write(drive.lastUsed)
            out.write(drive.mountCount)
            out.write(drive.busyNanoseconds)
            out.write(drive.busySince != nil)
            if let since = drive.busySince { out.write(since) }
            out.write(drive.enabled)
            out.write(drive.consecutiveFailures)
            out.write(drive.mountsSinceCleaning)
            out.write(drive.cleaningRequested)
            out.write(drive.lastCleaned != nil)
            if let cleaned = drive.lastCleaned { out.write(cleaned) }
        }
        out.write(UInt64(mediumUsage.count))
        for (medium, usage) in mediumUsage {
            out.write(medium)
            for time in [usage.lastMounted, usage.lastDismounted, usage.lastAllocated] {
                out.write(time != nil)
                if let time { out.write(time) }
            }
            out.write(usage.mountCount)
        }
        out.write(UInt64(operations.count))
        for operation in operations.values {
            CatalogueEvent.robotOperationStarted(RobotOperationStarted(operation: operation)).encodeRobotics(into: &out)
        }
        out.write(UInt64(accessLists.count))
        for (object, list) in accessLists.sorted(by: { $0.key < $1.key }) {
            out.write(object)
            out.write(list)
        }
        out.write(accessDenialCount)
        out.write(UInt64(poolActivity.count))
        for (pool, activity) in poolActivity.sorted(by: { $0.key < $1.key }) {
            out.write(pool)
            out.write(activity.allocations)
            out.write(activity.deallocations)
        }
        out.write(UInt64(tokens.count))
        for token in tokens.values.sorted(by: { $0.id < $1.id }) {
            CatalogueEvent.tokenIssued(
                TokenIssued(
                    token: token.id, principal: token.principal, secretHash: token.secretHash, expires: token.expires)
            ).encodeAccess(into: &out)
            out.write(token.issued)
            out.write(token.revoked != nil)
            if let revoked = token.revoked { out.write(revoked) }
        }
        out.write(Array(disabledMedia).sorted())
        out.write(UInt64(onMediaIdentifiers.count))
        for (side, identifier) in onMediaIdentifiers.sorted(by: { $0.key < $1.key }) {
            CatalogueEvent.onMediaIdentifierRecorded(OnMediaIdentifierRecorded(side: side, identifier: identifier))
                .encodeMediaServices(into: &out)
        }
        out.write(UInt64(libraryRequests.count))
        for request in libraryRequests.values.sorted(by: { $0.id < $1.id }) { out.write(request) }
        for lists in [libraryQueues, finishedLibraryRequests] {
            out.write(UInt64(lists.count))
            for (library, ids) in lists.sorted(by: { $0.key < $1.key }) {
                out.write(library)
                out.write(ids)
            }
        }
        return out.bytes
    }

    /// Rebuilds a state from `checkpointPayload()`. Never traps on damaged input.
    public init(checkpointPayload bytes: [UInt8]) throws(PayloadDecodingError) {
        self = try BinaryReader.reading(bytes) { input throws(PayloadDecodingError) in
            try CatalogueState(checkpointReader: &input)
        }
    }

    private init(checkpointReader input: inout BinaryReader) throws(PayloadDecodingError) {
        self.init()
        if try input.readBool() {
            creation = CatalogueCreated(
                offlineLibrary: try input.readID(), freeFolder: try input.readID(), importFolder: try input.readID(),
                unrecognizedFolder: try input.readID())
        }
        nextIdentifier = try input.readUInt64()
        eventCount = try input.readUInt64()

        mediaTypes = try Self.readMap(&input, "media type") { input throws(PayloadDecodingError) in
            MediaType(
                id: try input.readID(), name: try input.readString(), sideCount: try input.readSideCount(),
                freePool: try input.readID(), importPool: try input.readID(), unrecognizedPool: try input.readID())
        } key: {
            $0.id
        }
        libraries = try Self.readMap(&input, "library") { input throws(PayloadDecodingError) in
            var library = Library(
                id: try input.readID(), name: try input.readString(), type: try input.readEnum(LibraryType.self),
                slotCount: try input.readUInt32(), driveCount: try input.readUInt32(), portCount: try input.readUInt32()
            )
            let changer = try input.readUInt8()
            if changer != 0 {
                guard let kind = ChangerKind(rawValue: changer) else {
                    throw PayloadDecodingError("invalid changer kind \(changer)")
                }
                library.changer = kind
            }
            library.device = try input.readString()
            library.needsInventory = try input.readBool()
            library.added = try input.readInt64()
            library.changerSettings = try input.readChangerSettings()
            library.enabled = try input.readBool()
            library.doorOpen = try input.readBool()
            let cleanerSlot = try input.readUInt64()
            if cleanerSlot != 0 {
                guard let slot = UInt32(exactly: cleanerSlot - 1) else {
                    throw PayloadDecodingError("invalid cleaner slot")
                }
                library.cleanerSlot = slot
            }
            if try input.readBool() {
                let barcode = try input.readString()
                let limited = try input.readBool()
                let uses = try input.readUInt32()
                library.cleaner = CleanerCartridge(barcode: barcode, usesLeft: limited ? uses : nil)
            }
            library.cleaningInterval = try input.readUInt32()
            return library
        } key: {
            $0.id
        }
        pools = try Self.readMap(&input, "pool") { input throws(PayloadDecodingError) in
            Pool(
                id: try input.readID(), path: try input.readString(), parent: try input.readOptionalID(),
                type: try input.readEnum(PoolType.self), mediaType: try input.readOptionalID(),
                policy: try input.readPolicy(), childCount: Int(try input.readInt64()),
                mediumCount: Int(try input.readInt64()))
        } key: {
            $0.id
        }
        media = try Self.readMap(&input, "medium") { input throws(PayloadDecodingError) in
            var medium = Medium(
                id: try input.readID(), barcode: try input.readString(), mediaType: try input.readID(),
                pool: try input.readID(), location: try input.readLocation(), firstSide: try input.readID(),
                sideCount: try input.readSideCount())
            medium.physicalState = try input.readEnum(PhysicalState.self)
            let home = try input.readUInt64()
            if home != 0 {
                guard let slot = UInt32(exactly: home - 1) else { throw PayloadDecodingError("invalid home slot") }
                medium.home = slot
            }
            guard medium.firstSide.rawValue <= UInt64.max - UInt64(medium.sideCount) else {
                throw PayloadDecodingError("side identifiers of \(medium.id) overflow")
            }
            return medium
        } key: {
            $0.id
        }
        sides = try Self.readMap(&input, "side") { input throws(PayloadDecodingError) in
            Side(
                id: try input.readID(), medium: try input.readID(), number: try input.readSideNumber(),
                state: try input.readEnum(SideState.self), allocateCount: try input.readUInt32(),
                logicalMedium: try input.readOptionalID())
        } key: {
            $0.id
        }
        logicalMedia = try Self.readMap(&input, "logical medium") { input throws(PayloadDecodingError) in
            LogicalMedium(
                id: try input.readID(), side: try input.readID(), pool: try input.readID(),
                exclusive: try input.readBool(), allocated: try input.readInt64(), application: try input.readString(),
                user: try input.readString())
        } key: {
            $0.id
        }
        requests = try Self.readMap(&input, "operator request") { input throws(PayloadDecodingError) in
            try input.readOperatorRequest()
        } key: {
            $0.id
        }
        drives = try Self.readMap(&input, "drive") { input throws(PayloadDecodingError) in
            Drive(
                address: try input.readDrive(), state: try input.readEnum(DriveState.self),
                medium: try input.readOptionalID(), side: try input.readOptionalID(), lastUsed: try input.readUInt64(),
                mountCount: try input.readUInt32(), busyNanoseconds: try input.readInt64(),
                busySince: try input.readBool() ? try input.readInt64() : nil, enabled: try input.readBool(),
                consecutiveFailures: try input.readUInt32(), mountsSinceCleaning: try input.readUInt32(),
                cleaningRequested: try input.readBool(), lastCleaned: try input.readBool() ? try input.readInt64() : nil
            )
        } key: {
            $0.address
        }
        let usageCount = try input.readUInt64()
        guard usageCount <= UInt64(input.remaining) else { throw PayloadDecodingError("truncated medium usage list") }
        for _ in 0..<usageCount {
            let medium: MediumID = try input.readID()
            var usage = MediumUsage()
            usage.lastMounted = try input.readBool() ? try input.readInt64() : nil
            usage.lastDismounted = try input.readBool() ? try input.readInt64() : nil
            usage.lastAllocated = try input.readBool() ? try input.readInt64() : nil
            usage.mountCount = try input.readUInt32()
            guard mediumUsage.updateValue(usage, forKey: medium) == nil else {
                throw PayloadDecodingError("medium usage of \(medium) appears twice")
            }
        }
        operations = try Self.readMap(&input, "robot operation") { input throws(PayloadDecodingError) in
            guard
                case .robotOperationStarted(let started) = try CatalogueEvent.decodeRobotics(
                    .robotOperationStarted, &input)
            else {
                throw PayloadDecodingError("not a robot operation")
            }
            return started.operation
        } key: {
            $0.id
        }
        let listCount = try input.readUInt64()
        guard listCount <= UInt64(input.remaining) else { throw PayloadDecodingError("truncated access lists") }
        for _ in 0..<listCount {
            let object = try input.readSecuredObject()
            guard accessLists.updateValue(try input.readAccessList(), forKey: object) == nil else {
                throw PayloadDecodingError("the access list of \(object) appears twice")
            }
        }
        accessDenialCount = try input.readUInt64()
        let activityCount = try input.readUInt64()
        guard activityCount <= UInt64(input.remaining) else { throw PayloadDecodingError("truncated pool activity") }
        for _ in 0..<activityCount {
            let pool: PoolID = try input.readID()
            let activity = PoolActivity(allocations: try input.readUInt64(), deallocations: try input.readUInt64())
            guard poolActivity.updateValue(activity, forKey: pool) == nil else {
                throw PayloadDecodingError("the activity of \(pool) appears twice")
            }
        }
        let tokenCount = try input.readUInt64()
        guard tokenCount <= UInt64(input.remaining) else { throw PayloadDecodingError("truncated token list") }
        for _ in 0..<tokenCount {
            guard case .tokenIssued(let issued) = try CatalogueEvent.decodeAccess(.tokenIssued, &input) else {
                throw PayloadDecodingError("not a token")
            }
            let issuedAt = try input.readInt64()
            let revoked = try input.readBool() ? try input.readInt64() : nil
            let token = AccessToken(
                id: issued.token, principal: issued.principal, secretHash: issued.secretHash, issued: issuedAt,
                expires: issued.expires, revoked: revoked)
            guard tokens.updateValue(token, forKey: token.id) == nil else {
                throw PayloadDecodingError("\(token.id) appears twice")
            }
        }
        let disabled: [MediumID] = try input.readIDs()
        disabledMedia = TreeSet(disabled)
        guard disabledMedia.count == disabled.count else {
            throw PayloadDecodingError("a disabled medium appears twice")
        }
        let labelCount = try input.readUInt64()
        guard labelCount <= UInt64(input.remaining) else { throw PayloadDecodingError("truncated on-media labels") }
        for _ in 0..<labelCount {
            guard
                case .onMediaIdentifierRecorded(let recorded) = try CatalogueEvent.decodeMediaServices(
                    .onMediaIdentifierRecorded, &input)
            else { throw PayloadDecodingError("not an on-media label") }
            guard onMediaIdentifiers.updateValue(recorded.identifier, forKey: recorded.side) == nil,
                sideByOnMediaLabel.updateValue(recorded.side, forKey: recorded.identifier.key) == nil
            else { throw PayloadDecodingError("on-media label of \(recorded.side) appears twice") }
        }
        let requestCount = try input.readUInt64()
        guard requestCount <= UInt64(input.remaining) else { throw PayloadDecodingError("truncated work items") }
        for _ in 0..<requestCount {
            let request = try input.readLibraryRequest()
            guard libraryRequests.updateValue(request, forKey: request.id) == nil else {
                throw PayloadDecodingError("work item \(request.id) appears twice")
            }
            if request.state.isActive { activeLibraryRequests.insert(request.id) }
        }
        libraryQueues = try Self.readLibraryLists(&input, "queue")
        finishedLibraryRequests = try Self.readLibraryLists(&input, "finished work items")
        let queued = libraryQueues.values.flatMap { $0 }
        guard Set(queued).count == queued.count,
            queued.allSatisfy({ libraryRequests[$0]?.state.isPending == true }),
            activeLibraryRequests.count
                == queued.count + libraryRequests.values.filter({ $0.state == .inProcess }).count
        else { throw PayloadDecodingError("the work queues do not match their items") }
        guard input.isAtEnd else { throw PayloadDecodingError("\(input.remaining) bytes follow the checkpoint") }
        rebuildDerivedIndexes()
    }

    private static func readLibraryLists(_ input: inout BinaryReader, _ kind: String) throws(PayloadDecodingError)
        -> TreeDictionary<LibraryID, [LibraryRequestID]>
    {
        let count = try input.readUInt64()
        guard count <= UInt64(input.remaining) else { throw PayloadDecodingError("truncated \(kind)") }
        var lists = TreeDictionary<LibraryID, [LibraryRequestID]>()
        for _ in 0..<count {
            let library: LibraryID = try input.readID()
            let ids: [LibraryRequestID] = try input.readIDs()
            guard lists.updateValue(ids, forKey: library) == nil else {
                throw PayloadDecodingError("the \(kind) of \(library) appear twice")
            }
        }
        return lists
    }

    private static func readMap<Map: CheckpointMap>(
        _ input: inout BinaryReader, _ kind: String,
        _ element: (inout BinaryReader) throws(PayloadDecodingError) -> Map.Value,
        key: (Map.Value) -> Map.Key
    ) throws(PayloadDecodingError) -> Map {
        let count = try input.readUInt64()
        guard count <= UInt64(input.remaining) else { throw PayloadDecodingError("truncated \(kind) list") }
        var map = Map()
        for _ in 0..<count {
            let value = try element(&input)
            guard map.updateValue(value, forKey: key(value)) == nil else {
                throw PayloadDecodingError("a \(kind) appears twice")
            }
        }
        return map
    }

    /// The name maps, locations and allocation indexes, exactly as `evolve` keeps them.
    private mutating func rebuildDerivedIndexes() {
        for type in mediaTypes.values { mediaTypeByName[type.name] = type.id }
        for library in libraries.values { libraryByName[library.name] = library.id }
        for pool in pools.values { poolByPath[Pool.lookupKey(pool.path)] = pool.id }
        for medium in media.values {
            mediumByBarcode[medium.barcode] = medium.id
            if medium.location != .shelf { mediumAtLocation[medium.location] = medium.id }
        }
        rebuildAllocationIndexes()
        for request in requests.values where request.state.isOpen { openRequestIDs.insert(request.id) }
        for token in tokens.values { tokenByHash[token.secretHash] = token.id }
        for request in requests.values
        where request.state.isOpen && request.waiter != nil && request.type == .newMedia {
            guard let pool = request.firstArgument.map(PoolID.init) else { continue }
            waitingRequests[pool, default: SortedSet()].insert(request.id)
        }
    }
}

extension BinaryWriter {
    fileprivate mutating func write(_ request: OperatorRequest) {
        write(request.id)
        write(request.type.rawValue)
        write(request.state.rawValue)
        writeOptional(request.firstArgument)
        writeOptional(request.secondArgument)
        write(request.message)
        write(request.submitted)
        write(request.application)
        write(request.user)
        writeOptional(request.deadline.map { UInt64(bitPattern: $0) })
        write(request.waiter != nil)
        if let waiter = request.waiter {
            write(waiter.bootID)
            write(waiter.processID)
            write(waiter.processStart)
            write(waiter.session)
        }
        writeOptional(request.closed.map { UInt64(bitPattern: $0) })
        write(request.closeReason?.rawValue ?? 0)
    }

    fileprivate mutating func writeOptional(_ value: UInt64?) {
        write(value != nil)
        if let value { write(value) }
    }
}

extension BinaryReader {
    /// Media have one or two sides (decide refuses more); a side's number is below its medium's count.
    fileprivate mutating func readSideCount() throws(PayloadDecodingError) -> UInt8 {
        let count = try readUInt8()
        guard (1...2).contains(count) else { throw PayloadDecodingError("\(count) sides") }
        return count
    }

    fileprivate mutating func readSideNumber() throws(PayloadDecodingError) -> UInt8 {
        let number = try readUInt8()
        guard number < 2 else { throw PayloadDecodingError("side number \(number)") }
        return number
    }

    fileprivate mutating func readOperatorRequest() throws(PayloadDecodingError) -> OperatorRequest {
        let submission = OperatorRequestSubmitted(
            request: try readID(), type: try readEnum(OperatorRequestType.self), firstArgument: nil,
            secondArgument: nil, message: "", submitted: 0, application: "", user: "", deadline: nil, waiter: nil)
        var request = OperatorRequest(submission)
        request.state = try readEnum(OperatorRequestState.self)
        request.firstArgument = try readOptional()
        request.secondArgument = try readOptional()
        request.message = try readString()
        request.submitted = try readInt64()
        request.application = try readString()
        request.user = try readString()
        request.deadline = try readOptional().map { Int64(bitPattern: $0) }
        if try readBool() {
            request.waiter = WaiterToken(
                bootID: try readString(), processID: try readUInt32(), processStart: try readUInt64(),
                session: try readUInt64())
        }
        request.closed = try readOptional().map { Int64(bitPattern: $0) }
        let reason = try readUInt8()
        if reason != 0 {
            guard let known = RequestCloseReason(rawValue: reason) else {
                throw PayloadDecodingError("invalid close reason \(reason)")
            }
            request.closeReason = known
        }
        return request
    }

    fileprivate mutating func readOptional() throws(PayloadDecodingError) -> UInt64? {
        try readBool() ? try readUInt64() : nil
    }
}

/// The maps a checkpoint restores: identifier tables for objects named by an identifier, hash tries for the rest.
protocol CheckpointMap {
    associatedtype Key
    associatedtype Value
    init()
    mutating func updateValue(_ value: Value, forKey key: Key) -> Value?
}

extension TreeDictionary: CheckpointMap {}
extension IdentifierTable: CheckpointMap {}
