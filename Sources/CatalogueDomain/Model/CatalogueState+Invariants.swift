import HashTreeCollections

extension CatalogueState {
    /// Every rule of the model the state must satisfy, checked the slow way.
    /// Returns a sentence per violation; empty means the state is sound. Used by
    /// the audit, the crash harness and the property tests.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        var mediaPerPool: [PoolID: Int] = [:]
        var sideOwners: [SideID: LogicalMediumID] = [:]

        for medium in media.values {
            mediaPerPool[medium.pool, default: 0] += 1
            guard pools[medium.pool] != nil else {
                problems.append("\(medium.id) is in missing pool \(medium.pool)")
                continue
            }
            if mediumByBarcode[medium.barcode] != medium.id {
                problems.append("bar code \(medium.barcode) does not lead to \(medium.id)")
            }
            let own = sides(of: medium)
            if own.count != Int(medium.sideCount) {
                problems.append("\(medium.id) has \(own.count) of \(medium.sideCount) sides")
            }
            let owners = own.compactMap(\.logicalMedium).compactMap { logicalMedia[$0] }
            let heldWithNew = owners.contains(where: \.exclusive)
            for side in own where side.state == .reserved && !heldWithNew {
                problems.append("\(side.id) is RESERVED but no sibling was allocated with NEW")
            }
            // A medium allocated with NEW belongs to its owner until no side is held.
            for side in own where side.state == .available && heldWithNew {
                problems.append("\(side.id) is AVAILABLE while a sibling is held by a NEW allocation")
            }
        }
        for side in sides.values {
            guard media[side.medium] != nil else {
                problems.append("\(side.id) belongs to missing \(side.medium)")
                continue
            }
            let held = side.state == .allocated || side.state == .complete
            if held != (side.logicalMedium != nil) {
                problems.append(
                    "\(side.id) is \(side.state.name) with logical medium \(side.logicalMedium?.description ?? "none")")
            }
        }
        for logical in logicalMedia.values {
            guard let side = sides[logical.side] else {
                problems.append("\(logical.id) points at missing \(logical.side)")
                continue
            }
            if side.logicalMedium != logical.id { problems.append("\(logical.id) and \(side.id) disagree") }
            if let other = sideOwners.updateValue(logical.id, forKey: logical.side) {
                problems.append("\(logical.side) is allocated twice, to \(other) and \(logical.id)")
            }
        }
        for pool in pools.values where pool.mediumCount != mediaPerPool[pool.id, default: 0] {
            problems.append(
                "\(pool.path) counts \(pool.mediumCount) media but holds \(mediaPerPool[pool.id, default: 0])")
        }
        for pool in pools.keys {
            let indexed = allocationCandidates(in: pool).map(\.side)
            let expected = sides.values.filter { side in
                guard side.state == .available, let medium = media[side.medium] else { return false }
                return medium.pool == pool && isAllocatable(medium)
            }.sorted { ($0.allocateCount, $0.id.rawValue) < ($1.allocateCount, $1.id.rawValue) }.map(\.id)
            if indexed != expected { problems.append("the allocation index of \(pools[pool]?.path ?? "?") is stale") }
            // Copied through an iterator: SortedSet's own `map` walks indexes (see `firstElement`).
            let wholeIndexed = wholeMediumSides[pool].map { Array($0).map(\.side) } ?? []
            // One entry per whole medium: its side that comes first in choice order.
            var mediaSeen = Set<MediumID>()
            let wholeExpected = expected.filter { id in
                guard let medium = sides[id].flatMap({ media[$0.medium] }), medium.sideCount > 1 else { return false }
                return self.sides(of: medium).allSatisfy { $0.state == .available }
                    && mediaSeen.insert(medium.id).inserted
            }
            if wholeIndexed != wholeExpected {
                problems.append("the whole-medium index of \(pools[pool]?.path ?? "?") is stale")
            }
        }
        for (pool, waiting) in waitingRequests {
            for id in waiting where requests[id]?.state.isOpen != true || requests[id]?.firstArgument != pool.rawValue {
                problems.append("\(id) is listed as waiting on \(pool) but is not open there")
            }
        }
        // A medium in a drive and the drive agree; two media never share an element.
        var occupants: [MediumLocation: MediumID] = [:]
        for medium in media.values where medium.location != .shelf {
            if let other = occupants.updateValue(medium.id, forKey: medium.location) {
                problems.append("\(other) and \(medium.id) are both at \(medium.location)")
            }
            if let drive = medium.location.driveAddress, drives[drive]?.medium != medium.id {
                problems.append("\(medium.id) is in \(drive), which does not hold it")
            }
        }
        for drive in drives.values where drive.state == .loaded || drive.state == .dismountable {
            guard let medium = drive.medium, media[medium]?.location.driveAddress == drive.address else {
                problems.append("\(drive.address) is \(drive.state.name) without its medium there")
                continue
            }
        }
        for operation in operations.values where libraries[operation.library] == nil {
            problems.append("\(operation.id) runs in missing \(operation.library)")
        }
        let open = requests.values.filter { $0.state.isOpen }.map(\.id).sorted()
        if Array(openRequestIDs) != open { problems.append("the open request list is stale") }
        problems += workQueueViolations()
        return problems
    }

    /// The library work queue: each pending item is queued once, in its own
    /// library; the active set is exactly the pending and running items; a
    /// library's changer runs one item at a time.
    func workQueueViolations() -> [String] {
        var problems: [String] = []
        var seen = Set<LibraryRequestID>()
        for (library, queue) in libraryQueues {
            for id in queue {
                guard seen.insert(id).inserted else {
                    problems.append("\(id) is queued twice")
                    continue
                }
                guard let request = libraryRequests[id], request.state.isPending, request.library == library else {
                    problems.append("\(id) is in the queue of \(library) but is not pending there")
                    continue
                }
            }
        }
        var running: [LibraryID: Int] = [:]
        for request in libraryRequests.values {
            if request.state.isActive != activeLibraryRequests.contains(request.id) {
                problems.append("\(request.id) is \(request.state.name) but the active set says otherwise")
            }
            if request.state.isPending, !seen.contains(request.id) {
                problems.append("\(request.id) is \(request.state.name) but in no queue")
            }
            if request.state == .inProcess { running[request.library, default: 0] += 1 }
        }
        for (library, count) in running where count > 1 {
            problems.append("\(count) work items of \(library) are INPROCESS at once")
        }
        return problems
    }
}
