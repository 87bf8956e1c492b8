import HashTreeCollections
import SortedCollections

extension CatalogueState {
    /// Folds one event into the state. Pure and total: events are facts, so this
    /// never fails and never consults a clock, randomness or hardware; the same
    /// log always yields the same state.
    public mutating func apply(_ event: CatalogueEvent) {
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
                    portCount: e.portCount))
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

        case .poolCreated(let e):
            reserve(e.pool)
            addPool(
                Pool(
                    id: e.pool, path: e.path, parent: e.parent, type: .application, mediaType: e.mediaType,
                    policy: e.policy, childCount: 0, mediumCount: 0))

        case .poolPolicyChanged(let e):
            pools[e.pool]?.policy = e.policy

        case .poolDeleted(let e):
            guard let pool = pools.removeValue(forKey: e.pool) else { return }
            if poolByPath[Pool.lookupKey(pool.path)] == pool.id { poolByPath[Pool.lookupKey(pool.path)] = nil }
            if let parent = pool.parent { pools[parent]?.childCount -= 1 }

        case .mediumImported(let e):
            noteTouched(e.medium)
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
            indexSides(of: e.medium)

        case .mediumMoved(let e):
            changeMedium(e.medium) { state in
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
            unindexSides(of: e.medium)
            guard let medium = media.removeValue(forKey: e.medium) else { return }
            mediumByBarcode[medium.barcode] = nil
            if medium.location != .shelf { mediumAtLocation[medium.location] = nil }
            pools[medium.pool]?.mediumCount -= 1
            for side in medium.sides { sides[side] = nil }

        case .sideAllocated(let e):
            allocate(e.side, as: e.logicalMedium, in: e.pool, exclusive: e.exclusive, reserving: e.reservedSides)

        case .sideAllocatedNext(let e):
            allocate(e.side, as: e.logicalMedium, in: e.pool, exclusive: true, reserving: [])

        case .sideDeallocated(let e):
            logicalMedia[e.logicalMedium] = nil
            changeMediumOf(side: e.side) { state in
                state.sides.modify(e.side) { side in
                    side.state = e.newState
                    side.logicalMedium = nil
                }
                for sibling in e.releasedSides { state.sides.modify(sibling) { $0.state = .available } }
            }

        case .sideCompleted(let e):
            changeMediumOf(side: e.side) { $0.sides.modify(e.side) { $0.state = .complete } }

        case .sideDecommissioned(let e):
            changeMediumOf(side: e.side) { $0.sides.modify(e.side) { $0.state = .decommissioned } }

        case .requestSubmitted(let e):
            reserve(e.request)
            requests[e.request] = OperatorRequest(e)
            if e.waiter != nil, e.type == .newMedia, let pool = e.firstArgument {
                waitingRequests[PoolID(pool), default: SortedSet()].insert(e.request)
            }
            if e.type == .moveMedia, let medium = e.firstArgument.map(MediumID.init), media[medium] != nil {
                media[medium]?.physicalState = .operatorRequest
            }

        case .requestDisplayed(let e):
            if requests[e.request]?.state == .submitted { requests[e.request]?.state = .active }

        case .requestAcknowledged(let e):
            if requests[e.request]?.state.isOpen == true { requests[e.request]?.state = .inProgress }

        case .requestSatisfied(let e):
            closeRequest(
                e.request, state: .complete, at: e.time, reason: e.byEngine ? .satisfiedByEngine : .satisfiedByOperator)

        case .requestCancelled(let e):
            closeRequest(e.request, state: .refused, at: e.time, reason: e.reason)

        case .requestTimedOut(let e):
            closeRequest(e.request, state: .refused, at: e.time, reason: .timedOut)

        case .changerAttached, .operationStarted, .operationFinished, .dismountDeferred, .mediumRemounted,
            .inventoryTaken:
            applyRobotics(event)
        }
    }

    /// Folds a decision's events with the same result as folding them one by
    /// one, but changes the allocation indexes once per medium they touch, by
    /// the difference between its entries before the first event and after the
    /// last. Drawing a medium from scratch and allocating one of its sides then
    /// moves one entry instead of moving every side's entry into the pool and
    /// taking one out again.
    public mutating func apply(_ events: some Collection<CatalogueEvent>) {
        guard !allocationIndexesDeferred, events.count > 1 else {
            for event in events { apply(event) }
            return
        }
        touchedMedia = []
        for event in events { apply(event) }
        let touched = touchedMedia ?? []
        touchedMedia = nil
        for change in touched { changeIndexes(from: change.before, to: indexEntries(of: change.medium)) }
    }

    /// Keeps `nextIdentifier` past every identifier an event introduces.
    mutating func reserve<each Kind>(_ ids: repeat Identifier<each Kind>) {
        for id in repeat each ids {
            nextIdentifier = max(nextIdentifier, id.rawValue + 1)
        }
    }

    private mutating func allocate(
        _ side: SideID, as lmid: LogicalMediumID, in pool: PoolID, exclusive: Bool, reserving siblings: [SideID]
    ) {
        reserve(lmid)
        changeMediumOf(side: side) { state in
            state.sides.modify(side) { side in
                side.state = .allocated
                side.allocateCount &+= 1
                side.logicalMedium = lmid
            }
            for sibling in siblings { state.sides.modify(sibling) { $0.state = .reserved } }
        }
        logicalMedia[lmid] = LogicalMedium(id: lmid, side: side, pool: pool, exclusive: exclusive)
    }

    private mutating func closeRequest(
        _ id: OperatorRequestID, state: OperatorRequestState, at time: Int64, reason: RequestCloseReason
    ) {
        guard var request = requests[id], request.state.isOpen else { return }
        request.state = state
        request.closed = time
        request.closeReason = reason
        requests[id] = request
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

    private mutating func changeMediumOf(side: SideID, _ change: (inout CatalogueState) -> Void) {
        guard !allocationIndexesDeferred else { return change(&self) }
        guard let medium = sides[side]?.medium else { return }
        changeMedium(medium, change)
    }

    /// Applies a change to a medium or its sides and keeps the allocation indexes
    /// in step: a side's place depends on its siblings (whole-medium index), its
    /// medium's pool and location, so the medium's entries are taken before and
    /// after the change and only the difference is applied, with one lookup per
    /// index (allocating one side of a two-sided medium removes that side's entry
    /// and the whole-medium one; the sibling's stays unless it becomes reserved).
    mutating func changeMedium(_ medium: MediumID, _ change: (inout CatalogueState) -> Void) {
        guard !allocationIndexesDeferred else { return change(&self) }
        guard touchedMedia == nil else {
            noteTouched(medium)
            return change(&self)
        }
        let before = indexEntries(of: medium)
        change(&self)
        changeIndexes(from: before, to: indexEntries(of: medium))
    }

    /// In a grouped fold, remembers a medium's entries before its first change.
    private mutating func noteTouched(_ medium: MediumID) {
        guard touchedMedia?.contains(where: { $0.medium == medium }) == false else { return }
        let before = indexEntries(of: medium)
        touchedMedia?.append(TouchedMedium(medium: medium, before: before))
    }

    /// Changes the indexes from one medium's old entries to its new ones.
    private mutating func changeIndexes(from before: IndexEntries?, to after: IndexEntries?) {
        guard before != after else { return }
        let stayed = before != nil && before?.pool == after?.pool ? before : nil
        if let before, stayed == nil { remove(before) }
        guard let after else { return }
        guard let stayed else { return add(after) }
        if stayed.available != after.available {
            availableSides.modify(after.pool) { set in
                stayed.available.forEach { if !after.available.contains($0) { set.remove($0) } }
                after.available.forEach { if !stayed.available.contains($0) { set.insert($0) } }
            }
        }
        if stayed.whole != after.whole {
            wholeMediumSides.modify(after.pool) { set in
                if let old = stayed.whole { set.remove(old) }
                if let whole = after.whole { set.insert(whole) }
            }
        }
    }

    private mutating func indexSides(of id: MediumID) {
        guard !allocationIndexesDeferred, touchedMedia == nil, let entries = indexEntries(of: id) else { return }
        add(entries)
    }

    private mutating func unindexSides(of id: MediumID) {
        guard !allocationIndexesDeferred else { return }
        guard touchedMedia == nil else { return noteTouched(id) }
        guard let entries = indexEntries(of: id) else { return }
        remove(entries)
    }

    private mutating func add(_ entries: IndexEntries) {
        if !entries.available.isEmpty {
            availableSides.modify(entries.pool) { set in entries.available.forEach { set.insert($0) } }
        }
        if let whole = entries.whole { wholeMediumSides.modify(entries.pool) { $0.insert(whole) } }
    }

    private mutating func remove(_ entries: IndexEntries) {
        if !entries.available.isEmpty {
            availableSides.modify(entries.pool) { set in entries.available.forEach { set.remove($0) } }
        }
        if let whole = entries.whole { wholeMediumSides.modify(entries.pool) { $0.remove(whole) } }
    }

    /// A medium's allocation-index entries; nil when it is not online (not indexed).
    private func indexEntries(of id: MediumID) -> IndexEntries? {
        guard let medium = media[id], isOnline(medium) else { return nil }
        var available = SideEntries()
        let whole = Self.allocationEntries(of: medium, in: sides) { available.append($0) }
        return IndexEntries(pool: medium.pool, available: available, whole: whole)
    }

    /// The allocation-index entries of an online medium, the one rule that both
    /// `apply` and the bulk rebuild follow: `available` gets each Available side;
    /// the result is the medium's whole-medium entry (its first side in choice
    /// order) when it has several sides and every one is Available. Walks the
    /// table side by side, with no array per call.
    static func allocationEntries(
        of medium: Medium, in sides: IdentifierTable<SideKind, Side>, _ available: (AllocationCandidate) -> Void
    ) -> AllocationCandidate? {
        var whole = medium.sideCount > 1
        var first: AllocationCandidate?
        for number in 0..<UInt64(medium.sideCount) {
            guard let side = sides[SideID(medium.firstSide.rawValue + number)], side.state == .available else {
                whole = false
                continue
            }
            let candidate = AllocationCandidate(allocateCount: side.allocateCount, side: side.id)
            available(candidate)
            first = min(first ?? candidate, candidate)
        }
        return whole ? first : nil
    }

}
