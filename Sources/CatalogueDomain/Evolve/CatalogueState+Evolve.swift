import HashTreeCollections
import SortedCollections

extension CatalogueState {
    /// Folds one event into the state. Pure and total: events are facts, so this
    /// never fails and never consults a clock, randomness or hardware; the same
    /// log always yields the same state. `envelope` is the event's record: its
    /// time and caller, from which the usage facts are kept.
    public mutating func evolve(_ event: CatalogueEvent, _ envelope: EventEnvelope) {
        var indexing = IndexMaintenance.eachChange
        evolve(event, envelope, indexing: &indexing)
    }

    /// Folds a decision's events, all recorded with `envelope`, with the same
    /// result as folding them one by one, but changes the allocation indexes
    /// once per medium they touch, by the difference between its entries
    /// before the first event and after the last. Drawing a medium from
    /// scratch and allocating one of its sides then moves one entry instead of
    /// moving every side's entry into the pool and taking one out again.
    public mutating func evolve(_ events: some Collection<CatalogueEvent>, _ envelope: EventEnvelope) {
        guard events.count > 1 else {
            for event in events { evolve(event, envelope) }
            return
        }
        var indexing = IndexMaintenance.grouped([])
        for event in events { evolve(event, envelope, indexing: &indexing) }
        finishGroup(indexing)
    }

    /// Folds one event, keeping the allocation indexes as `indexing` says.
    mutating func evolve(_ event: CatalogueEvent, _ envelope: EventEnvelope, indexing: inout IndexMaintenance) {
        eventCount += 1
        switch event {
        case .catalogueCreated(let e):
            creation = e
            reserve(e.offlineLibrary, e.freeFolder, e.importFolder, e.unrecognizedFolder)
            addLibrary(
                Library(
                    id: e.offlineLibrary, name: "Offline", type: .offline, slotCount: 0, driveCount: 0, portCount: 0))
            for (id, name) in [
                (e.freeFolder, "Free"), (e.importFolder, "Import"), (e.unrecognizedFolder, "Unrecognized"),
            ] {
                addPool(
                    Pool(
                        id: id, path: "\\" + name, parent: nil, type: .systemFolder, mediaType: nil,
                        policy: PoolPolicy(), childCount: 0, mediumCount: 0))
            }

        case .mediaTypeRegistered(let e):
            reserve(e.mediaType, e.freePool, e.importPool, e.unrecognizedPool)
            mediaTypes[e.mediaType] = MediaType(
                id: e.mediaType, name: e.name, sideCount: e.sideCount, freePool: e.freePool, importPool: e.importPool,
                unrecognizedPool: e.unrecognizedPool)
            mediaTypeByName[e.name] = e.mediaType
            let systemPools: [(PoolID?, PoolID, PoolType)] = [
                (creation?.freeFolder, e.freePool, .free), (creation?.importFolder, e.importPool, .import),
                (creation?.unrecognizedFolder, e.unrecognizedPool, .unrecognized),
            ]
            for (folder, pool, type) in systemPools {
                let path = (folder.flatMap { pools[$0]?.path } ?? "") + "\\" + e.name
                addPool(
                    Pool(
                        id: pool, path: path, parent: folder, type: type, mediaType: e.mediaType, policy: PoolPolicy(),
                        childCount: 0, mediumCount: 0))
            }

        case .libraryAdded(let e):
            reserve(e.library)
            addLibrary(
                Library(
                    id: e.library, name: e.name, type: .online, slotCount: e.slotCount, driveCount: e.driveCount,
                    portCount: e.portCount, added: envelope.time))
            for number in 0..<e.driveCount {
                let address = DriveAddress(library: e.library, number: number)
                drives[address] = Drive(
                    address: address, state: .dismounted, medium: nil, side: nil, lastUsed: 0, mountCount: 0)
            }

        case .libraryDeleted(let e):
            guard let library = libraries.removeValue(forKey: e.library) else { return }
            if libraryByName[library.name] == e.library { libraryByName[library.name] = nil }
            for number in 0..<library.driveCount {
                drives[DriveAddress(library: e.library, number: number)] = nil
            }
            accessLists[.library(e.library)] = nil
            for id in finishedLibraryRequests.removeValue(forKey: e.library) ?? [] { libraryRequests[id] = nil }

        case .poolCreated(let e):
            reserve(e.pool)
            addPool(
                Pool(
                    id: e.pool, path: e.path, parent: e.parent, type: .application, mediaType: e.mediaType,
                    policy: e.policy, childCount: 0, mediumCount: 0))

        case .poolPolicyChanged(let e):
            pools[e.pool]?.policy = e.policy

        case .poolDeleted(let e):
            removePool(e.pool)

        case .mediumImported(let e):
            noteTouched(e.medium, &indexing)
            reserve(e.medium)
            reserve(SideID(e.firstSide.rawValue + UInt64(e.sideCount) - 1))
            let medium = Medium(
                id: e.medium, barcode: e.barcode, mediaType: e.mediaType, pool: e.pool, location: e.location,
                firstSide: e.firstSide, sideCount: e.sideCount)
            media[e.medium] = medium
            mediumByBarcode[e.barcode] = e.medium
            if e.location != .shelf { mediumAtLocation[e.location] = e.medium }
            pools[e.pool]?.mediumCount += 1
            for (number, id) in medium.sides.enumerated() {
                sides[id] = Side(
                    id: id, medium: e.medium, number: UInt8(number), state: e.sideState, allocateCount: 0,
                    logicalMedium: nil)
            }
            indexSides(of: e.medium, &indexing)

        case .mediumMoved(let e):
            changeMedium(e.medium, &indexing) { state in
                let left = state.media.modify(e.medium) { medium -> PoolID in
                    let from = medium.pool
                    medium.pool = e.to
                    return from
                }
                guard let from = left else { return }
                state.pools.modify(from) { $0.mediumCount -= 1 }
                state.pools.modify(e.to) { $0.mediumCount += 1 }
                for side in e.relabelledSides { state.sides.modify(side) { $0.state = e.relabelledState } }
            }

        case .mediumDeleted(let e):
            unindexSides(of: e.medium, &indexing)
            mediumUsage[e.medium] = nil
            disabledMedia.remove(e.medium)
            if let medium = media[e.medium] { for side in medium.sides { forgetOnMediaIdentifier(of: side) } }
            guard let medium = media.removeValue(forKey: e.medium) else { return }
            mediumByBarcode[medium.barcode] = nil
            if medium.location != .shelf { mediumAtLocation[medium.location] = nil }
            pools[medium.pool]?.mediumCount -= 1
            for side in medium.sides { sides[side] = nil }

        case .sideAllocated(let e):
            poolActivity[e.pool, default: PoolActivity()].allocations += 1
            allocate(
                e.side, as: e.logicalMedium, in: e.pool, exclusive: e.exclusive, reserving: e.reservedSides,
                envelope, &indexing)

        case .sideAllocatedNext(let e):
            poolActivity[e.pool, default: PoolActivity()].allocations += 1
            allocate(e.side, as: e.logicalMedium, in: e.pool, exclusive: true, reserving: [], envelope, &indexing)

        case .sideDeallocated(let e):
            // The pool it leaves: a move back to scratch, if any, comes after this event.
            if let pool = sides[e.side].flatMap({ media[$0.medium] })?.pool {
                poolActivity[pool, default: PoolActivity()].deallocations += 1
            }
            logicalMedia[e.logicalMedium] = nil
            forgetOnMediaIdentifier(of: e.side)
            changeMediumOf(side: e.side, &indexing) { state in
                state.sides.modify(e.side) { side in
                    side.state = e.newState
                    side.logicalMedium = nil
                }
                for sibling in e.releasedSides { state.sides.modify(sibling) { $0.state = .available } }
            }

        case .sideCompleted(let e):
            changeMediumOf(side: e.side, &indexing) { $0.sides.modify(e.side) { $0.state = .complete } }

        case .sideDecommissioned(let e):
            changeMediumOf(side: e.side, &indexing) { $0.sides.modify(e.side) { $0.state = .decommissioned } }

        case .operatorRequestSubmitted(let e):
            reserve(e.request)
            requests[e.request] = OperatorRequest(e)
            openRequestIDs.insert(e.request)
            if e.waiter != nil, e.type == .newMedia, let pool = e.firstArgument {
                waitingRequests[PoolID(pool), default: SortedSet()].insert(e.request)
            }
            if e.type == .moveMedia, let medium = e.firstArgument.map(MediumID.init), media[medium] != nil {
                media[medium]?.physicalState = .operatorRequest
            }

        case .operatorRequestDisplayed(let e):
            if requests[e.request]?.state == .submitted { requests[e.request]?.state = .active }

        case .operatorRequestAcknowledged(let e):
            if requests[e.request]?.state.isOpen == true { requests[e.request]?.state = .inProgress }

        case .operatorRequestSatisfied(let e):
            closeRequest(
                e.request, state: .complete, at: e.time, reason: e.byEngine ? .satisfiedByEngine : .satisfiedByOperator)

        case .operatorRequestCancelled(let e):
            closeRequest(e.request, state: .refused, at: e.time, reason: e.reason)

        case .operatorRequestTimedOut(let e):
            closeRequest(e.request, state: .refused, at: e.time, reason: .timedOut)

        case .changerAttached, .changerConfigured, .libraryDoorOpened, .libraryDoorClosed, .robotOperationStarted,
            .robotOperationFinished, .dismountDeferred,
            .mediumRemounted,
            .inventoryTaken:
            evolveRobotics(event, envelope, &indexing)

        case .accessListChanged(let e):
            accessLists[e.object] = e.list

        case .accessDenied:
            accessDenialCount += 1

        case .tokenIssued(let e):
            reserve(e.token)
            tokens[e.token] = AccessToken(
                id: e.token, principal: e.principal, secretHash: e.secretHash, issued: envelope.time,
                expires: e.expires, revoked: nil)
            tokenByHash[e.secretHash] = e.token

        case .tokenRevoked(let e):
            tokens[e.token]?.revoked = e.time

        case .cleanerSlotReserved, .cleanerSlotReleased, .driveCleaningRequested, .cleaningIntervalSet, .cleanerLost:
            evolveCleaning(event)

        case .libraryRequestQueued, .libraryRequestStarted, .libraryRequestWaiting, .libraryRequestFinished,
            .libraryRequestReordered:
            evolveLibraryRequest(event, envelope)

        case .objectDisabled(let e):
            setEnabled(e.target, false, &indexing)

        case .objectEnabled(let e):
            setEnabled(e.target, true, &indexing)

        case .mediaTypeDeleted(let e):
            guard let type = mediaTypes.removeValue(forKey: e.mediaType) else { return }
            if mediaTypeByName[type.name] == type.id { mediaTypeByName[type.name] = nil }
            for pool in [type.freePool, type.importPool, type.unrecognizedPool] { removePool(pool) }

        case .onMediaIdentifierRecorded(let e):
            if let old = onMediaIdentifiers[e.side] { sideByOnMediaLabel[old.key] = nil }
            onMediaIdentifiers[e.side] = e.identifier
            sideByOnMediaLabel[e.identifier.key] = e.side

        case .mediumBarcodeChanged(let e):
            guard media[e.medium] != nil else { return }
            media[e.medium]?.barcode = e.to
            if mediumByBarcode[e.from] == e.medium { mediumByBarcode[e.from] = nil }
            mediumByBarcode[e.to] = e.medium

        case .mediumTypeChanged(let e):
            media[e.medium]?.mediaType = e.to

        case .logicalMediaSwapped(let e):
            // Each logical medium keeps its side state (its data's), so the two sides exchange theirs.
            guard let firstState = sides[e.secondSide]?.state, let secondState = sides[e.firstSide]?.state else {
                return
            }
            logicalMedia[e.first]?.side = e.firstSide
            logicalMedia[e.second]?.side = e.secondSide
            sides[e.firstSide]?.logicalMedium = e.first
            sides[e.firstSide]?.state = firstState
            sides[e.secondSide]?.logicalMedium = e.second
            sides[e.secondSide]?.state = secondState
        }
    }

    /// A side's on-media label no longer names it (its data was given back, or the medium left).
    mutating func forgetOnMediaIdentifier(of side: SideID) {
        guard let identifier = onMediaIdentifiers.removeValue(forKey: side) else { return }
        if sideByOnMediaLabel[identifier.key] == side { sideByOnMediaLabel[identifier.key] = nil }
    }

    /// A pool leaves the state with everything kept about it.
    private mutating func removePool(_ id: PoolID) {
        guard let pool = pools.removeValue(forKey: id) else { return }
        if poolByPath[Pool.lookupKey(pool.path)] == pool.id { poolByPath[Pool.lookupKey(pool.path)] = nil }
        if let parent = pool.parent { pools[parent]?.childCount -= 1 }
        accessLists[.pool(id)] = nil
        poolActivity[id] = nil
    }

    /// Keeps `nextIdentifier` past every identifier an event introduces.
    mutating func reserve<each Kind>(_ ids: repeat Identifier<each Kind>) {
        for id in repeat each ids {
            nextIdentifier = max(nextIdentifier, id.rawValue + 1)
        }
    }

    private mutating func allocate(
        _ side: SideID, as lmid: LogicalMediumID, in pool: PoolID, exclusive: Bool, reserving siblings: [SideID],
        _ envelope: EventEnvelope, _ indexing: inout IndexMaintenance
    ) {
        reserve(lmid)
        changeMediumOf(side: side, &indexing) { state in
            state.sides.modify(side) { side in
                side.state = .allocated
                side.allocateCount &+= 1
                side.logicalMedium = lmid
            }
            for sibling in siblings { state.sides.modify(sibling) { $0.state = .reserved } }
        }
        logicalMedia[lmid] = LogicalMedium(
            id: lmid, side: side, pool: pool, exclusive: exclusive, allocated: envelope.time,
            application: envelope.application, user: envelope.user)
        if let medium = sides[side]?.medium {
            updateUsage(of: medium) { $0.lastAllocated = envelope.time }
        }
    }

    /// Changes a medium's usage facts, starting from none when it has no entry yet.
    mutating func updateUsage(of medium: MediumID, _ change: (inout MediumUsage) -> Void) {
        guard mediumUsage.modify(medium, change) == nil else { return }
        var usage = MediumUsage()
        change(&usage)
        mediumUsage[medium] = usage
    }

    private mutating func closeRequest(
        _ id: OperatorRequestID, state: OperatorRequestState, at time: Int64, reason: RequestCloseReason
    ) {
        guard var request = requests[id], request.state.isOpen else { return }
        request.state = state
        request.closed = time
        request.closeReason = reason
        requests[id] = request
        openRequestIDs.remove(id)
        if request.type == .moveMedia, let medium = request.firstArgument.map(MediumID.init),
            media[medium]?.physicalState == .operatorRequest
        {
            media[medium]?.physicalState = .idle
        }
        if request.waiter != nil, request.type == .newMedia, let pool = request.firstArgument.map(PoolID.init) {
            _ = waitingRequests[pool]?.remove(id)
            if waitingRequests[pool]?.isEmpty == true { waitingRequests[pool] = nil }
        }
    }

    private mutating func addLibrary(_ library: Library) {
        libraries[library.id] = library
        libraryByName[library.name] = library.id
    }

    private mutating func addPool(_ pool: Pool) {
        pools[pool.id] = pool
        poolByPath[Pool.lookupKey(pool.path)] = pool.id
        if let parent = pool.parent { pools[parent]?.childCount += 1 }
    }
}
