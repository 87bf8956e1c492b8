import CatalogueDomain
import PropertyBased
import Testing

/// Random command sequences against a reference model of who holds which side.
@Suite struct AllocationPropertyTests {
    /// What the reference model believes: live allocations and registered sides.
    struct Reference {
        var owner: [LogicalMediumID: SideID] = [:]
        var sides: Set<SideID> = []
    }

    @Test
    func
        randomCommandSequencesNeverDoubleAllocateNeverLoseASideAndReplayExactlyOneByOneFromAnyCheckpointWithOrWithoutIndexes()
        async
    {
        await propertyCheck(count: 150, input: Gen.int(in: 0...9_999).array(of: 1...120)) { program in
            do {
                try run(program)
            } catch {
                Issue.record("setup failed: \(error)")
            }
        }
    }

    private func run(_ program: [Int]) throws {
        var f = try Fixture(policy: PoolPolicy(allocateFromScratch: true, deallocateToScratch: false, maxAllocates: 4))
        let weekly = try f.h.pool(
            "\\Backup\\Weekly", type: f.type, policy: PoolPolicy(allocateFromScratch: true, deallocateToScratch: true))
        let pools = [f.daily, weekly]
        var reference = Reference()
        var registered = 0
        for word in program {
            let op = word % 10
            let arg = word / 10
            let lmids = f.h.state.logicalMedia.keys.sorted()
            let sideIDs = f.h.state.sides.keys.sorted()
            let mediumIDs = f.h.state.media.keys.sorted()
            func pick<T>(_ list: [T]) -> T? { list.isEmpty ? nil : list[arg % list.count] }
            let pool = pools[arg % 2]
            let command: CatalogueCommand
            switch op {
            case 0, 1:
                registered += 1
                let location: MediumLocation = arg % 5 == 0 ? .shelf : .slot(f.robot, UInt32(registered))
                guard registered <= 50 else { continue }
                command = .registerMedium(
                    barcode: "P\(registered)", mediaType: f.type, location: location,
                    label: arg % 7 == 0 ? .import : .free)
            case 2, 3:
                command = .allocate(AllocationRequest(pool: pool, new: arg % 3 == 0, errorIfUnavailable: true))
            case 4:
                guard let lmid = pick(lmids) else { continue }
                command = .allocate(
                    AllocationRequest(pool: f.h.state.logicalMedia[lmid]!.pool, next: lmid, errorIfUnavailable: true))
            case 5:
                guard let side = pick(sideIDs) else { continue }
                command = .allocate(
                    AllocationRequest(pool: pool, side: side, new: arg % 2 == 0, errorIfUnavailable: true))
            case 6, 7:
                guard let lmid = pick(lmids) else { continue }
                command = arg % 4 == 0 ? .complete(lmid) : .deallocate(lmid)
            case 8:
                guard let side = pick(sideIDs) else { continue }
                command = .decommission(side)
            default:
                guard let medium = pick(mediumIDs) else { continue }
                let targets = pools + [f.freePool, f.h.state.mediaTypes[f.type]!.importPool]
                command = arg % 11 == 0 ? .deleteMedium(medium) : .moveMedium(medium, to: targets[arg % targets.count])
            }
            let before = f.h.state
            let expectedChoice = command.plainSearchPool.map { bruteForceChoice(before, pool: $0) }
            switch before.decide(command) {
            case .failure:
                continue
            case .success(let decision):
                // Folded together, as the writer folds a decision; the replays below fold one by one.
                f.h.state.evolve(decision.events)
                f.h.log.append(contentsOf: decision.events)
                track(decision, command: command, before: before, reference: &reference)
                if case .allocation(let allocation) = decision.outcome, let expectedChoice {
                    #expect(
                        allocation.side == expectedChoice,
                        "allocation chose \(allocation.side), order says \(String(describing: expectedChoice))")
                }
            }
            try checkInvariants(f.h.state, reference: reference)
        }
        var replayed = CatalogueState()
        for event in f.h.log { replayed.evolve(event) }
        #expect(replayed == f.h.state)

        // A checkpoint taken anywhere, loaded and followed by the rest of the log, gives the same state.
        let cut = f.h.log.count / 2
        var prefix = CatalogueState()
        for event in f.h.log[..<cut] { prefix.evolve(event) }
        var resumed = try CatalogueState(checkpointPayload: prefix.checkpointPayload())
        #expect(resumed == prefix)
        for event in f.h.log[cut...] { resumed.evolve(event) }
        #expect(resumed == f.h.state)

        // Long replays fold with the allocation indexes deferred and build them at the
        // end: the same state, from the first event or from a checkpoint.
        var replay = Replay()
        for event in f.h.log { replay.evolve(event) }
        #expect(replay.state == f.h.state)
        var resumedReplay = Replay(from: try CatalogueState(checkpointPayload: prefix.checkpointPayload()))
        for event in f.h.log[cut...] { resumedReplay.evolve(event) }
        let resumedDeferred = resumedReplay.state
        #expect(resumedDeferred == f.h.state)
        #expect(resumedDeferred.invariantViolations().isEmpty)
    }

    private func track(
        _ decision: Decision, command: CatalogueCommand, before: CatalogueState, reference: inout Reference
    ) {
        for event in decision.events {
            switch event {
            case .mediumImported(let e):
                for n in 0..<UInt64(e.sideCount) { reference.sides.insert(SideID(e.firstSide.rawValue + n)) }
            case .mediumDeleted(let e):
                for side in before.media[e.medium]!.sides { reference.sides.remove(side) }
            case .sideAllocated(let e):
                #expect(!reference.owner.values.contains(e.side), "\(e.side) allocated twice")
                reference.owner[e.logicalMedium] = e.side
            case .sideAllocatedNext(let e):
                #expect(!reference.owner.values.contains(e.side), "\(e.side) allocated twice")
                reference.owner[e.logicalMedium] = e.side
            case .sideDeallocated(let e):
                reference.owner[e.logicalMedium] = nil
            default:
                break
            }
        }
    }

    /// The documented order, computed the slow way: online Available sides of
    /// the pool, else of its Free pool when the policy allows; lowest allocate
    /// count, then lowest side id.
    private func bruteForceChoice(_ state: CatalogueState, pool: PoolID) -> SideID? {
        func candidates(_ pool: PoolID) -> [Side] {
            state.sides.values.filter { side in
                guard side.state == .available, let medium = state.media[side.medium] else { return false }
                return medium.pool == pool && state.isOnline(medium)
            }.sorted { ($0.allocateCount, $0.id.rawValue) < ($1.allocateCount, $1.id.rawValue) }
        }
        if let own = candidates(pool).first { return own.id }
        guard let info = state.pools[pool], info.policy.allocateFromScratch,
            let type = info.mediaType.flatMap({ state.mediaTypes[$0] })
        else { return nil }
        return candidates(type.freePool).first?.id
    }

    private func checkInvariants(_ state: CatalogueState, reference: Reference) throws {
        #expect(state.invariantViolations() == [])
        // No side lost, none invented.
        #expect(Set(state.sides.keys) == reference.sides)
        // LMIDs are exactly the reference's live allocations, each on its own side.
        #expect(Dictionary(uniqueKeysWithValues: state.logicalMedia.map { ($0.key, $0.value.side) }) == reference.owner)
        for side in state.sides.values {
            let medium = try #require(state.media[side.medium])
            // LMID exists iff the side is Allocated or Complete, and points back.
            let held = side.state == .allocated || side.state == .complete
            #expect((side.logicalMedium != nil) == held)
            if let lmid = side.logicalMedium { #expect(state.logicalMedia[lmid]?.side == side.id) }
            // A Reserved side has a sibling owned by a NEW allocation.
            if side.state == .reserved {
                let owners = state.sides(of: medium).compactMap(\.logicalMedium).compactMap { state.logicalMedia[$0] }
                #expect(owners.contains { $0.exclusive })
            }
        }
        // The allocation index is exactly the online Available sides of each pool.
        for pool in state.pools.keys {
            let indexed = state.allocationCandidates(in: pool).map(\.side)
            let expected = state.sides.values.filter { side in
                guard side.state == .available, let medium = state.media[side.medium] else { return false }
                return medium.pool == pool && state.isOnline(medium)
            }.sorted { ($0.allocateCount, $0.id.rawValue) < ($1.allocateCount, $1.id.rawValue) }.map(\.id)
            #expect(indexed == expected)
        }
    }
}

extension CatalogueCommand {
    /// The pool a plain search allocation (no side, no NEW, no NEXT) looks in.
    var plainSearchPool: PoolID? {
        guard case .allocate(let request) = self, request.side == nil, request.next == nil, !request.new else {
            return nil
        }
        return request.pool
    }
}
