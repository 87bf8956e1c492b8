import CatalogueDomain
import PropertyBased
import Testing

/// A medium allocated with NEW stays its owner's until no side of it is held:
/// no side of it is AVAILABLE meanwhile, so a plain allocation never takes one.
@Suite struct NewMediumOwnershipTests {
    @Test func aNextSideGivenBackWhileItsNewSiblingIsHeldIsReservedAgain() throws {
        var f = try Fixture()
        let disk = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        let owner = try f.h.allocate(AllocationRequest(pool: f.daily, new: true))
        let next = try f.h.allocate(AllocationRequest(pool: f.daily, next: owner.logicalMedium))
        #expect(next.medium == disk.id)
        _ = try f.h.run(.deallocate(next.logicalMedium))
        #expect(f.h.state.sides[next.side]?.state == .reserved)
        // A plain allocation finds nothing; the owner's NEXT gets the side again.
        #expect(
            f.h.expectFailure(.allocate(AllocationRequest(pool: f.daily, errorIfUnavailable: true)), .mediaUnavailable))
        let again = try f.h.allocate(AllocationRequest(pool: f.daily, next: owner.logicalMedium))
        #expect(again.side == next.side)
        #expect(f.h.state.invariantViolations() == [])
    }

    @Test func theNewSideGivenBackWhileItsNextSiblingIsHeldIsReservedAgain() throws {
        var f = try Fixture()
        _ = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        let owner = try f.h.allocate(AllocationRequest(pool: f.daily, new: true))
        let next = try f.h.allocate(AllocationRequest(pool: f.daily, next: owner.logicalMedium))
        _ = try f.h.run(.deallocate(owner.logicalMedium))
        #expect(f.h.state.sides[owner.side]?.state == .reserved)
        // Giving back the last held side frees the whole medium.
        _ = try f.h.run(.deallocate(next.logicalMedium))
        #expect(f.h.state.sides[owner.side]?.state == .available)
        #expect(f.h.state.sides[next.side]?.state == .available)
        #expect(f.h.state.invariantViolations() == [])
    }

    @Test func randomNewNextAndDeallocateSequencesNeverLetAPlainAllocationTakeAHeldMedium() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...9_999).array(of: 1...80)) { program in
            do {
                try run(program)
            } catch {
                Issue.record("setup failed: \(error)")
            }
        }
    }

    private func run(_ program: [Int]) throws {
        var f = try Fixture()
        let weekly = try f.h.pool(
            "\\Backup\\Weekly", type: f.type, policy: PoolPolicy(allocateFromScratch: true))
        for n in 1...5 { _ = try f.h.medium("MO\(n)", type: f.type, at: .slot(f.robot, UInt32(n))) }
        for word in program {
            let arg = word / 4
            let pool = arg % 2 == 0 ? f.daily : weekly
            let lmids = f.h.state.logicalMedia.keys.sorted()
            let command: CatalogueCommand
            switch word % 4 {
            case 0:
                command = .allocate(AllocationRequest(pool: pool, new: true, errorIfUnavailable: true))
            case 1:
                guard !lmids.isEmpty else { continue }
                let lmid = lmids[arg % lmids.count]
                command = .allocate(
                    AllocationRequest(pool: f.h.state.logicalMedia[lmid]!.pool, next: lmid, errorIfUnavailable: true))
            case 2:
                guard !lmids.isEmpty else { continue }
                command = .deallocate(lmids[arg % lmids.count])
            default:
                command = .allocate(AllocationRequest(pool: pool, errorIfUnavailable: true))
            }
            let before = f.h.state
            guard case .success(let decision) = before.decide(command) else { continue }
            f.h.state.evolve(decision.events)
            if case .allocate(let request) = command, !request.new, request.next == nil,
                case .allocation(let allocation) = decision.outcome
            {
                // The medium a plain allocation took had no side held with NEW.
                let medium = before.media[allocation.medium]!
                let heldWithNew = before.sides(of: medium).contains { side in
                    side.logicalMedium.flatMap { before.logicalMedia[$0] }?.exclusive == true
                }
                #expect(!heldWithNew, "a plain allocation took \(allocation.side) of a medium held with NEW")
            }
            #expect(f.h.state.invariantViolations() == [])
        }
    }
}

/// Libraries are added with their changer in one decision and deleted only when empty.
@Suite struct LibraryDecisionTests {
    @Test func addingALibraryWithAChangerIsOneDecisionAndARefusedChangerRecordsNothing() throws {
        var f = try Fixture()
        let count = f.h.log.count
        let refused = f.h.expectFailure(
            .addLibrary(name: "Real", slots: 4, drives: 1, ports: 0, changer: .init(kind: .mtx, device: "sg3")),
            .invalidParameter)
        #expect(refused)
        #expect(f.h.log.count == count)
        guard
            case .library(let id) = try f.h.run(
                .addLibrary(name: "Real", slots: 4, drives: 1, ports: 0, changer: .init(kind: .mtx, device: "/dev/sg3"))
            )
        else { throw NtmsError(.invalidParameter, "no library answered") }
        #expect(f.h.log.suffix(2).map(\.name) == ["LibraryAdded", "ChangerAttached"])
        #expect(f.h.state.libraries[id]?.changer == .mtx)
    }

    @Test func deletingAnEmptyLibraryRemovesItsDrivesAndSurvivesACheckpoint() throws {
        var f = try Fixture()
        let spare = try f.h.library("Spare")
        _ = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        #expect(f.h.expectFailure(.deleteLibrary(f.robot), .notEmpty))
        _ = try f.h.run(.deleteLibrary(spare))
        #expect(f.h.state.libraries[spare] == nil)
        #expect(f.h.state.library(named: "Spare") == nil)
        #expect(!f.h.state.drives.keys.contains { $0.library == spare })
        #expect(f.h.expectFailure(.deleteLibrary(spare), .invalidLibrary))
        #expect(f.h.state.invariantViolations() == [])
        let restored = try CatalogueState(checkpointPayload: f.h.state.checkpointPayload())
        #expect(restored == f.h.state)
        var replayed = CatalogueState()
        for event in f.h.log { replayed.evolve(event) }
        #expect(replayed == f.h.state)
    }
}
