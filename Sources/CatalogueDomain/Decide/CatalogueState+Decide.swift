/// Hands out fresh identifiers during one decision, starting from the state's counter.
struct IdentifierSource {
    var next: UInt64

    mutating func take<Kind>(_: Identifier<Kind>.Type = Identifier<Kind>.self) -> Identifier<Kind> {
        defer { next += 1 }
        return Identifier(next)
    }
}

/// RSM's string limits (ntmsapi.h): object names 64, bar codes 64, pool paths 512.
public enum NameLimits {
    public static let objectName = 64
    public static let barcode = 64
    public static let poolPath = 512
    /// A changer's device path (`/dev/sg3`, `/dev/tape/by-id/…`), in UTF-8 bytes.
    public static let devicePath = 512
}

extension CatalogueState {
    /// Validates `command` against this state. Pure: the same state and command
    /// always give the same answer, and nothing changes until the events are evolved into it.
    public func decide(_ command: CatalogueCommand, context: DecisionContext = .init()) -> Result<Decision, NtmsError> {
        do {
            return .success(try decideOrThrow(command, context: context))
        } catch {
            return .failure(error)
        }
    }

    private func decideOrThrow(_ command: CatalogueCommand, context: DecisionContext) throws(NtmsError) -> Decision {
        if case .createCatalogue = command {
        } else if creation == nil {
            throw NtmsError(.databaseFailure, "the catalogue has not been initialised (run `mediactl init`)")
        }
        if let denial = accessDenial(for: command, context: context) { throw error(for: denial) }
        var ids = IdentifierSource(next: nextIdentifier)
        switch command {
        case .createCatalogue(let initialAccess):
            guard creation == nil else { return Decision(events: [], outcome: .done) }
            for entry in initialAccess { try validateEntry(entry) }
            let created = CatalogueCreated(
                offlineLibrary: ids.take(), freeFolder: ids.take(), importFolder: ids.take(),
                unrecognizedFolder: ids.take())
            // The creator administers the new catalogue.
            let creator = AccessList(
                [AccessEntry(.user(context.principal?.user ?? context.user), .all)] + initialAccess)
            return Decision(
                events: [
                    .catalogueCreated(created),
                    .accessListChanged(AccessListChanged(object: .catalogue, list: creator)),
                ], outcome: .done)

        case .grantAccess, .revokeAccess, .inheritAccess:
            return try decideAccessChange(command, context: context)

        case .issueToken(let principal, let secretHash, let expires):
            try validateEntry(AccessEntry(.user(principal.user), .use))
            for group in principal.groups { try validateEntry(AccessEntry(.group(group), .use)) }
            guard secretHash.count == 32 else {
                throw NtmsError(.invalidParameter, "a token hash is 32 bytes of SHA-256, not \(secretHash.count)")
            }
            if let expires, expires <= context.now {
                throw NtmsError(.invalidParameter, "a token's expiry must lie in the future")
            }
            let event = TokenIssued(token: ids.take(), principal: principal, secretHash: secretHash, expires: expires)
            return Decision(events: [.tokenIssued(event)], outcome: .token(event.token))

        case .revokeToken(let id):
            guard let token = tokens[id] else { throw NtmsError(.objectNotFound, "no token \(id)") }
            guard token.revoked == nil else { return Decision(events: [], outcome: .token(id)) }
            return Decision(events: [.tokenRevoked(TokenRevoked(token: id, time: context.now))], outcome: .token(id))

        case .registerMediaType(let name, let sideCount):
            try validateName(name, what: "media type name")
            guard (1...2).contains(sideCount) else {
                throw NtmsError(.invalidParameter, "a media type has 1 or 2 sides, not \(sideCount)")
            }
            guard mediaTypeByName[name] == nil else {
                throw NtmsError(.alreadyExists, "media type \(name) already exists")
            }
            let event = MediaTypeRegistered(
                mediaType: ids.take(), name: name, sideCount: UInt8(sideCount), freePool: ids.take(),
                importPool: ids.take(), unrecognizedPool: ids.take())
            return Decision(events: [.mediaTypeRegistered(event)], outcome: .mediaType(event.mediaType))

        case .addLibrary(let name, let slots, let drives, let ports, let changer):
            try validateName(name, what: "library name")
            guard libraryByName[name] == nil else { throw NtmsError(.alreadyExists, "library \(name) already exists") }
            for (count, what) in [(slots, "slots"), (drives, "drives"), (ports, "ports")] {
                guard (0...100_000).contains(count) else {
                    throw NtmsError(.invalidParameter, "a library has 0 to 100000 \(what), not \(count)")
                }
            }
            guard slots > 0 else { throw NtmsError(.invalidParameter, "an online library needs at least one slot") }
            if let changer { try validateChanger(changer) }
            let event = LibraryAdded(
                library: ids.take(), name: name, slotCount: UInt32(slots), driveCount: UInt32(drives),
                portCount: UInt32(ports))
            var events: [CatalogueEvent] = [.libraryAdded(event)]
            if let changer {
                events.append(
                    .changerAttached(
                        ChangerAttached(library: event.library, kind: changer.kind, device: changer.device)))
            }
            return Decision(events: events, outcome: .library(event.library))

        case .deleteLibrary(let libraryID):
            return try decideLibraryDeletion(libraryID)

        case .createPool(let path, let mediaType, let policy):
            let (parent, _) = try validateNewPoolPath(path)
            if let mediaType, mediaTypes[mediaType] == nil {
                throw NtmsError(.invalidParameter, "no media type \(mediaType)")
            }
            let event = PoolCreated(pool: ids.take(), path: path, parent: parent, mediaType: mediaType, policy: policy)
            return Decision(events: [.poolCreated(event)], outcome: .pool(event.pool))

        case .setPoolPolicy(let poolID, let policy):
            guard let pool = pools[poolID] else { throw NtmsError(.invalidMediaPool, "no pool \(poolID)") }
            guard pool.type == .application else {
                throw NtmsError(.invalidMediaPool, "\(pool.path) is a system pool; its policy cannot be changed")
            }
            guard pool.policy != policy else { return Decision(events: [], outcome: .pool(poolID)) }
            return Decision(
                events: [.poolPolicyChanged(PoolPolicyChanged(pool: poolID, policy: policy))], outcome: .pool(poolID))

        case .registerMedium(let barcode, let typeID, let location, let label):
            return try decideRegistration(barcode: barcode, typeID: typeID, location: location, label: label, ids: &ids)

        case .allocate(let request):
            return try decideAllocation(request, wait: nil, context: context, ids: &ids)

        case .allocateOrWait(let request, let wait):
            return try decideAllocation(request, wait: wait, context: context, ids: &ids)

        case .serveWaitingAllocation(let requestID, let allocation):
            return try decideServing(requestID, allocation, context: context, ids: &ids)

        case .submitRequest(let type, let message, let first, let second):
            return try decideSubmission(
                type: type, message: message, first: first, second: second, context: context, ids: &ids)

        case .displayRequests(let list):
            let events = list.filter { requests[$0]?.state == .submitted }.map {
                CatalogueEvent.operatorRequestDisplayed(OperatorRequestDisplayed(request: $0))
            }
            return Decision(events: events, outcome: .done)

        case .acknowledgeRequest(let id):
            let request = try openRequest(id)
            guard request.state != .inProgress else { return Decision(events: [], outcome: .request(id)) }
            return Decision(
                events: [.operatorRequestAcknowledged(OperatorRequestAcknowledged(request: id))], outcome: .request(id))

        case .satisfyRequest(let id):
            _ = try openRequest(id)
            return Decision(
                events: [
                    .operatorRequestSatisfied(OperatorRequestSatisfied(request: id, time: context.now, byEngine: false))
                ],
                outcome: .request(id))

        case .cancelRequest(let id):
            _ = try openRequest(id)
            return Decision(
                events: [
                    .operatorRequestCancelled(
                        OperatorRequestCancelled(request: id, time: context.now, reason: .cancelledByOperator))
                ],
                outcome: .request(id))

        case .expireRequests(let list):
            let due = list.filter { id in
                guard let request = requests[id], request.state.isOpen, let deadline = request.deadline else {
                    return false
                }
                return deadline <= context.now
            }
            return Decision(
                events: due.map { .operatorRequestTimedOut(OperatorRequestTimedOut(request: $0, time: context.now)) },
                outcome: .done)

        case .abandonRequests(let list, let reason):
            let open = list.filter { requests[$0]?.state.isOpen == true }
            return Decision(
                events: open.map {
                    .operatorRequestCancelled(OperatorRequestCancelled(request: $0, time: context.now, reason: reason))
                }, outcome: .done)

        case .deallocate(let lmid):
            return try decideDeallocation(lmid)

        case .deletePool(let poolID):
            guard let pool = pools[poolID] else { throw NtmsError(.invalidMediaPool, "no pool \(poolID)") }
            guard pool.type == .application else {
                throw NtmsError(.invalidMediaPool, "\(pool.path) is a system pool; it cannot be deleted")
            }
            guard pool.mediumCount == 0, pool.childCount == 0 else {
                throw NtmsError(
                    .notEmpty, "\(pool.path) still holds \(pool.mediumCount) media and \(pool.childCount) pools")
            }
            return Decision(events: [.poolDeleted(PoolDeleted(pool: poolID))], outcome: .done)

        case .complete(let lmid):
            guard let logical = logicalMedia[lmid], let side = sides[logical.side] else {
                throw NtmsError(.invalidMedia, "no logical medium \(lmid)")
            }
            guard side.state == .allocated else {
                throw NtmsError(
                    .invalidState, "\(lmid) is \(side.state.name); only ALLOCATED sides can be marked complete")
            }
            return Decision(events: [.sideCompleted(SideCompleted(logicalMedium: lmid, side: side.id))], outcome: .done)

        case .decommission(let sideID):
            guard let side = sides[sideID], let medium = media[side.medium] else {
                throw NtmsError(.invalidMedia, "no side \(sideID)")
            }
            guard side.state == .available else {
                throw NtmsError(
                    .invalidState,
                    "side \(side.letter) of \(medium.barcode) is \(side.state.name); only AVAILABLE sides can be decommissioned"
                )
            }
            return Decision(events: [.sideDecommissioned(SideDecommissioned(side: sideID))], outcome: .done)

        case .moveMedium(let mediumID, let target):
            return try decideMove(mediumID, to: target)

        case .deleteMedium(let mediumID):
            guard let medium = media[mediumID] else { throw NtmsError(.invalidMedia, "no medium \(mediumID)") }
            guard !sides(of: medium).contains(where: { $0.state.holdsMedium }) else {
                throw NtmsError(.busy, "\(medium.barcode) has sides that are allocated, complete or reserved")
            }
            guard medium.location == .shelf else {
                throw NtmsError(.invalidState, "\(medium.barcode) is in a library; only offline media can be deleted")
            }
            return Decision(events: [.mediumDeleted(MediumDeleted(medium: mediumID))], outcome: .done)

        case .attachChanger, .configureChanger, .beginMount, .beginDismount, .beginInject, .beginEject,
            .finishOperation, .recordInventory, .accessDoor:
            return try decideRobotics(command, context: context, ids: &ids)
        case .disable, .enable:
            return try decideEnablement(command, context: context, ids: &ids)

        case .reserveCleanerSlot, .releaseCleanerSlot, .beginCleanerInject, .beginCleanerEject, .beginClean,
            .beginCleanerReturn, .requestCleaning, .setCleaningInterval:
            return try decideCleaning(command, context: context, ids: &ids)

        case .queueLibraryRequest, .waitLibraryRequest, .finishLibraryRequest, .cancelLibraryRequest,
            .reorderLibraryRequest, .abandonLibraryRequests:
            return try decideLibraryRequest(command, context: context, ids: &ids)

        case .libraryRequestStep(let request, let step):
            let started = try startingLibraryRequest(request, context: context)
            let decided = try decideOrThrow(step, context: context)
            return Decision(events: started + decided.events, outcome: decided.outcome)

        case .changeMediaType(let mediumID, let pool):
            return try decideMove(mediumID, to: pool, changingType: true)

        case .deleteMediaType(let typeID):
            return try decideTypeDeletion(typeID)

        case .swapLogicalMedia(let first, let second):
            return try decideSwap(first, second)

        case .recordOnMediaIdentifier(let logicalMedium, let identifier):
            guard let side = logicalMedia[logicalMedium]?.side else {
                throw NtmsError(.invalidMedia, "no logical medium \(logicalMedium)")
            }
            return try decideOnMediaIdentifier(side, identifier)
        }
    }

    // MARK: Registration

    func decideRegistration(
        barcode: String, typeID: MediaTypeID, location: MediumLocation, label: MediaLabel, ids: inout IdentifierSource
    ) throws(NtmsError) -> Decision {
        guard TextRules.isBarcode(barcode) else {
            throw NtmsError(
                .invalidParameter,
                "a bar code is 1 to \(NameLimits.barcode) printable ASCII characters without spaces, not "
                    + "\"\(TextRules.preview(barcode))\"")
        }
        guard mediumByBarcode[barcode] == nil else {
            throw NtmsError(.alreadyExists, "a medium with bar code \(barcode) is already catalogued")
        }
        guard let type = mediaTypes[typeID] else { throw NtmsError(.invalidParameter, "no media type \(typeID)") }
        try validatePlacement(location)
        let (pool, state): (PoolID, SideState) =
            switch label {
            case .free: (type.freePool, .available)
            case .import: (type.importPool, .import)
            case .none: (type.unrecognizedPool, .foreign)
            }
        let medium: MediumID = ids.take()
        let firstSide: SideID = ids.take()
        let event = MediumImported(
            medium: medium, barcode: barcode, mediaType: typeID, pool: pool, location: location, firstSide: firstSide,
            sideCount: type.sideCount, sideState: state)
        return Decision(events: [.mediumImported(event)], outcome: .medium(medium))
    }

    private func validatePlacement(_ location: MediumLocation) throws(NtmsError) {
        guard case .slot(let libraryID, let slot) = location else {
            guard location == .shelf else {
                throw NtmsError(.invalidParameter, "new media are placed in a slot or on the shelf")
            }
            return
        }
        guard let library = libraries[libraryID], library.type == .online else {
            throw NtmsError(.invalidLibrary, "no online library \(libraryID)")
        }
        guard slot >= 1, slot <= library.slotCount else {
            throw NtmsError(
                .invalidParameter, "library \(library.name) has slots 1 to \(library.slotCount), not \(slot)")
        }
        if let occupant = medium(at: location) {
            throw NtmsError(.busy, "slot \(slot) of library \(library.name) already holds \(occupant.barcode)")
        }
        guard !isCleanerSlot(location) else {
            throw NtmsError(.resourceNotAvailable, "slot \(slot) of library \(library.name) is its cleaner slot")
        }
    }

    // MARK: Allocation

    private func decideAllocation(
        _ request: AllocationRequest, wait: AllocationWait?, context: DecisionContext, ids: inout IdentifierSource
    ) throws(NtmsError) -> Decision {
        guard let pool = pools[request.pool] else { throw NtmsError(.invalidMediaPool, "no pool \(request.pool)") }
        guard pool.type == .application, let typeID = pool.mediaType, let type = mediaTypes[typeID] else {
            throw NtmsError(
                .invalidMediaPool,
                "\(pool.path) is not an application pool holding media; only those can be allocated from")
        }
        if request.new, request.next != nil {
            throw NtmsError(.invalidParameter, "NEW and NEXT cannot be combined")
        }
        if let previous = request.next {
            return try decideNext(after: previous, pool: pool, ids: &ids)
        }
        if let sideID = request.side {
            return try decideSpecificSide(sideID, pool: pool, type: type, new: request.new, ids: &ids)
        }
        // Search order: the pool's own online Available sides, then its Free pool when the policy allows.
        if let side = firstCandidate(in: pool.id, wholeMedium: request.new) {
            return allocate(side, into: pool, from: pool.id, new: request.new, move: nil, ids: &ids)
        }
        if pool.policy.allocateFromScratch, let side = firstCandidate(in: type.freePool, wholeMedium: request.new) {
            return allocate(
                side, into: pool, from: type.freePool, new: request.new, move: .allocationFromScratch, ids: &ids)
        }
        if request.errorIfUnavailable {
            throw NtmsError(
                .mediaUnavailable,
                "no online, enabled Available side in \(pool.path)"
                    + (pool.policy.allocateFromScratch ? " or its Free pool" : " (the pool does not draw from scratch)")
            )
        }
        // Nothing qualifies: ask an operator for media, unless the caller will not wait.
        guard let wait, wait.deadline.map({ $0 > context.now }) ?? true else {
            throw NtmsError(
                .timeout,
                "no online, enabled Available side in \(pool.path), and the allocation may not wait for an operator")
        }
        let submitted = OperatorRequestSubmitted(
            request: ids.take(), type: .newMedia, firstArgument: pool.id.rawValue, secondArgument: nil,
            message: "Insert new \(type.name) media, or bring Available media online, for pool \(pool.path)",
            submitted: context.now, application: context.application, user: context.user, deadline: wait.deadline,
            waiter: wait.waiter)
        return Decision(events: [.operatorRequestSubmitted(submitted)], outcome: .waiting(submitted.request))
    }

    // MARK: Operator requests

    private func openRequest(_ id: OperatorRequestID) throws(NtmsError) -> OperatorRequest {
        guard let request = requests[id] else { throw NtmsError(.objectNotFound, "no operator request \(id)") }
        guard request.state.isOpen else {
            throw NtmsError(
                .invalidState, "\(id) is already \(request.state.name) (\(request.closeReason?.name ?? "closed"))")
        }
        return request
    }

    func decideSubmission(
        type: OperatorRequestType, message: String, first: UInt64?, second: UInt64?, context: DecisionContext,
        ids: inout IdentifierSource
    ) throws(NtmsError) -> Decision {
        guard message.utf8.count <= NameLimits.requestMessage else {
            throw NtmsError(
                .messageExceedsMaxSize,
                "an operator request message is at most \(NameLimits.requestMessage) bytes of UTF-8, "
                    + "not \(message.utf8.count)")
        }
        guard TextRules.isDisplayable(message) else {
            throw NtmsError(
                .invalidParameter,
                "an operator request message is one line without control, format or bidirectional characters")
        }
        switch type {
        case .newMedia:
            guard let first, pools[PoolID(first)] != nil else {
                throw NtmsError(.objectNotFound, "NEWMEDIA names a pool")
            }
        case .moveMedia:
            guard let first, media[MediumID(first)] != nil else {
                throw NtmsError(.objectNotFound, "MOVEMEDIA names a medium")
            }
        case .cleaner, .deviceService:
            guard let first, libraries[LibraryID(first)] != nil else {
                throw NtmsError(.objectNotFound, "\(type.name) names a library")
            }
        case .message:
            guard !message.isEmpty else { throw NtmsError(.invalidParameter, "a MESSAGE request needs a message") }
        }
        let submitted = OperatorRequestSubmitted(
            request: ids.take(), type: type, firstArgument: first, secondArgument: second, message: message,
            submitted: context.now, application: context.application, user: context.user, deadline: nil, waiter: nil)
        return Decision(events: [.operatorRequestSubmitted(submitted)], outcome: .request(submitted.request))
    }

    /// Serves the oldest waiting allocation of a pool when a side qualifies again.
    private func decideServing(
        _ requestID: OperatorRequestID, _ allocation: AllocationRequest, context: DecisionContext,
        ids: inout IdentifierSource
    ) throws(NtmsError) -> Decision {
        let request = try openRequest(requestID)
        guard request.waiter != nil, let pool = request.firstArgument.map(PoolID.init) else {
            throw NtmsError(.invalidParameter, "\(requestID) is not a waiting allocation")
        }
        guard oldestWaitingRequest(in: pool) == requestID else {
            throw NtmsError(.busy, "an older allocation waits on pool \(pools[pool]?.path ?? "?")")
        }
        var strict = allocation
        strict.errorIfUnavailable = true
        var decision = try decideAllocation(strict, wait: nil, context: context, ids: &ids)
        decision.events.append(
            .operatorRequestSatisfied(OperatorRequestSatisfied(request: requestID, time: context.now, byEngine: true)))
        return decision
    }

    private func decideNext(after previous: LogicalMediumID, pool: Pool, ids: inout IdentifierSource) throws(NtmsError)
        -> Decision
    {
        guard let owner = logicalMedia[previous], let ownerSide = sides[owner.side],
            let medium = media[ownerSide.medium]
        else { throw NtmsError(.invalidMedia, "no logical medium \(previous)") }
        guard owner.exclusive else {
            throw NtmsError(.invalidMedia, "\(previous) was not allocated with NEW, so it has no reserved sides")
        }
        guard owner.pool == pool.id else {
            throw NtmsError(
                .invalidMediaPool, "\(previous) belongs to pool \(pools[owner.pool]?.path ?? "?"), not \(pool.path)")
        }
        guard let next = sides(of: medium).first(where: { $0.state == .reserved }) else {
            throw NtmsError(.mediaUnavailable, "every side of medium \(medium.barcode) is already allocated")
        }
        try requireEnabled(medium)
        let event = SideAllocatedNext(side: next.id, logicalMedium: ids.take(), pool: pool.id, previous: previous)
        return Decision(
            events: [.sideAllocatedNext(event)],
            outcome: .allocation(
                Allocation(
                    logicalMedium: event.logicalMedium, side: next.id, medium: medium.id, pool: pool.id,
                    allocatedFrom: pool.id)))
    }

    private func decideSpecificSide(
        _ sideID: SideID, pool: Pool, type: MediaType, new: Bool, ids: inout IdentifierSource
    ) throws(NtmsError) -> Decision {
        guard let side = sides[sideID], let medium = media[side.medium] else {
            throw NtmsError(.invalidMedia, "no side \(sideID)")
        }
        let name = "side \(side.letter) of \(medium.barcode)"
        guard side.state == .available || side.state == .import else {
            throw NtmsError(
                .invalidState, "\(name) is \(side.state.name); only AVAILABLE or IMPORT sides can be allocated")
        }
        guard isOnline(medium) else { throw NtmsError(.mediaOffline, "\(name) is offline") }
        try requireEnabled(medium)
        if let library = medium.location.library, libraries[library]?.enabled == false {
            throw NtmsError(
                .deviceNotAvailable, "\(name) is in library \(libraries[library]?.name ?? "?"), which is disabled")
        }
        guard medium.mediaType == type.id else {
            throw NtmsError(
                .mediaIncompatible,
                "\(name) is \(mediaTypes[medium.mediaType]?.name ?? "?"), pool \(pool.path) holds \(type.name)")
        }
        var move: MoveReason?
        if medium.pool != pool.id {
            guard let source = pools[medium.pool] else { throw NtmsError(.databaseFailure, "\(name) has no pool") }
            switch source.type {
            case .free, .import:
                move = .allocationOfSide
            case .application:
                guard !sides(of: medium).contains(where: { $0.state.holdsMedium }) else {
                    throw NtmsError(
                        .busy, "\(medium.barcode) is held in pool \(source.path); allocate there or deallocate it first"
                    )
                }
                move = .allocationOfSide
            default:
                throw NtmsError(.invalidMediaPool, "\(name) is in \(source.path), which cannot supply media")
            }
        }
        if new, !siblingsAllAvailable(of: side) {
            throw NtmsError(.mediaUnavailable, "NEW needs every other side of \(medium.barcode) Available")
        }
        return allocate(side, into: pool, from: medium.pool, new: new, move: move, ids: &ids)
    }

    private func allocate(
        _ side: Side, into pool: Pool, from source: PoolID, new: Bool, move: MoveReason?, ids: inout IdentifierSource
    ) -> Decision {
        var events: [CatalogueEvent] = []
        let medium = media[side.medium]!
        if let move {
            events.append(.mediumMoved(MediumMoved(medium: medium.id, from: medium.pool, to: pool.id, reason: move)))
        }
        let reserved = new ? sides(of: medium).filter { $0.id != side.id && $0.state == .available }.map(\.id) : []
        let lmid: LogicalMediumID = ids.take()
        events.append(
            .sideAllocated(
                SideAllocated(
                    side: side.id, logicalMedium: lmid, pool: pool.id, allocatedFrom: source, exclusive: new,
                    reservedSides: reserved)))
        return Decision(
            events: events,
            outcome: .allocation(
                Allocation(logicalMedium: lmid, side: side.id, medium: medium.id, pool: pool.id, allocatedFrom: source))
        )
    }

    private func siblingsAllAvailable(of side: Side) -> Bool {
        guard let medium = media[side.medium] else { return false }
        return sides(of: medium).allSatisfy { $0.id == side.id || $0.state == .available }
    }

    // MARK: Deallocation

    private func decideDeallocation(_ lmid: LogicalMediumID) throws(NtmsError) -> Decision {
        guard let logical = logicalMedia[lmid], let side = sides[logical.side], let medium = media[side.medium],
            let pool = pools[medium.pool]
        else { throw NtmsError(.invalidMedia, "no logical medium \(lmid)") }
        let limit = pool.policy.maxAllocates
        let siblings = sides(of: medium).filter { $0.id != side.id }
        // A medium allocated with NEW stays its owner's until no side of it is held:
        // a side given back meanwhile is reserved again, and reserved siblings go
        // back to Available only with the last side held.
        let stillHeld = siblings.contains { $0.state == .allocated || $0.state == .complete }
        let newState: SideState =
            limit > 0 && side.allocateCount >= limit
            ? .decommissioned : (logical.exclusive && stillHeld ? .reserved : .available)
        let released = stillHeld ? [] : siblings.filter { $0.state == .reserved }.map(\.id)
        var events: [CatalogueEvent] = [
            .sideDeallocated(
                SideDeallocated(logicalMedium: lmid, side: side.id, newState: newState, releasedSides: released))
        ]
        if pool.policy.deallocateToScratch, !stillHeld, let type = mediaTypes[medium.mediaType] {
            events.append(
                .mediumMoved(
                    MediumMoved(
                        medium: medium.id, from: pool.id, to: type.freePool, reason: .deallocationToScratch,
                        relabelledSides: siblings.filter { $0.state == .import || $0.state == .foreign }.map(\.id))))
        }
        return Decision(events: events, outcome: .done)
    }

    // MARK: Moves

    /// MoveToNtmsMediaPool with RSM's move matrix. Entering the Free pool writes a
    /// free label, so Import and Foreign sides become Available.
    /// MoveToNtmsMediaPool, and with `changingType` ChangeNtmsMediaType: the
    /// same matrix, except that a medium may also move between two system
    /// pools of one kind (Free to Free) when that changes its type.
    func decideMove(_ mediumID: MediumID, to targetID: PoolID, changingType: Bool = false) throws(NtmsError)
        -> Decision
    {
        guard let medium = media[mediumID] else { throw NtmsError(.invalidMedia, "no medium \(mediumID)") }
        guard let target = pools[targetID] else { throw NtmsError(.invalidMediaPool, "no pool \(targetID)") }
        guard let source = pools[medium.pool] else {
            throw NtmsError(.databaseFailure, "\(medium.barcode) has no pool")
        }
        guard target.id != source.id else { return Decision(events: [], outcome: .done) }
        guard let targetType = target.mediaType else {
            throw NtmsError(.invalidMediaPool, "\(target.path) is a folder; media live in pools with a media type")
        }
        var events: [CatalogueEvent] = []
        if changingType, targetType != medium.mediaType {
            events.append(try decideTypeChange(of: medium, to: targetType))
        } else if targetType != medium.mediaType {
            throw NtmsError(
                .mediaIncompatible,
                "\(medium.barcode) is \(mediaTypes[medium.mediaType]?.name ?? "?"); \(target.path) holds \(mediaTypes[targetType]?.name ?? "?")"
            )
        }
        let all = sides(of: medium)
        let refused = NtmsError(.invalidMediaPool, "media cannot move from \(source.path) to \(target.path)")
        var relabelled: [SideID] = []
        switch (source.type, target.type) {
        case (.free, .free), (.import, .import), (.unrecognized, .unrecognized):
            // Only another type's pool of the same kind: the medium keeps its classification.
            guard !events.isEmpty else { throw refused }
        case (.free, .application):
            break
        case (.import, .free), (.unrecognized, .free):
            relabelled = all.map(\.id)
        case (.application, .free):
            guard !all.contains(where: { $0.state.holdsMedium }) else {
                throw NtmsError(.busy, "\(medium.barcode) has sides that are allocated, complete or reserved")
            }
            relabelled = all.filter { $0.state == .import || $0.state == .foreign }.map(\.id)
        case (.application, .import):
            guard all.allSatisfy({ $0.state == .import }) else {
                throw NtmsError(.invalidMediaPool, "only media whose every side is IMPORT can move to \(target.path)")
            }
        case (.application, .application):
            // Decision: an allocation belongs to its pool, so held media do not change pools.
            guard !all.contains(where: { $0.state.holdsMedium }) else {
                throw NtmsError(.busy, "\(medium.barcode) has sides that are allocated, complete or reserved")
            }
        default:
            throw refused
        }
        let event = MediumMoved(
            medium: mediumID, from: source.id, to: target.id, reason: events.isEmpty ? .operatorMove : .typeChange,
            relabelledSides: relabelled, relabelledState: .available)
        return Decision(events: events + [.mediumMoved(event)], outcome: .done)
    }

    // MARK: Names

    private func validateName(_ name: String, what: String) throws(NtmsError) {
        guard !name.isEmpty, name.utf8.count <= NameLimits.objectName, !name.contains("\\"),
            TextRules.isDisplayable(name), name.first != " ", name.last != " "
        else {
            throw NtmsError(
                .invalidName,
                "a \(what) is 1 to \(NameLimits.objectName) bytes of displayable text without `\\` or spaces at "
                    + "either end, not \"\(TextRules.preview(name))\"")
        }
    }

    /// Checks a new pool path and returns its parent (nil at the top level).
    private func validateNewPoolPath(_ path: String) throws(NtmsError) -> (PoolID?, String) {
        guard path.hasPrefix("\\"), path.utf8.count <= NameLimits.poolPath else {
            throw NtmsError(
                .invalidName,
                "a pool path starts with `\\` and is at most \(NameLimits.poolPath) bytes, not "
                    + "\"\(TextRules.preview(path))\"")
        }
        let components = path.dropFirst().split(separator: "\\", omittingEmptySubsequences: false).map(String.init)
        for component in components { try validateName(component, what: "pool name") }
        if let existing = pool(atPath: path) {
            throw NtmsError(.alreadyExists, "pool \(existing.path) already exists (pool paths ignore case)")
        }
        guard components.count > 1 else { return (nil, components[0]) }
        let parentPath = "\\" + components.dropLast().joined(separator: "\\")
        guard let parent = pool(atPath: parentPath) else {
            throw NtmsError(.objectNotFound, "parent pool \(parentPath) does not exist; create each level first")
        }
        guard parent.type == .application else {
            throw NtmsError(.invalidMediaPool, "\(parentPath) is a system pool; applications cannot create pools in it")
        }
        guard parent.mediaType == nil else {
            throw NtmsError(.invalidMediaPool, "\(parentPath) holds media, so it cannot hold pools")
        }
        return (parent.id, components.last!)
    }
}
