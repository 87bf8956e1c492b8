import CatalogueDomain
import Testing

@Suite struct MoveMatrixTests {
    /// One medium of each kind, plus a second application pool.
    struct Setup {
        var f: Fixture
        let other: PoolID
        let free: Medium
        let imported: Medium
        let foreign: Medium

        init() throws {
            f = try Fixture()
            other = try f.h.pool("\\Backup\\Weekly", type: f.type)
            free = try f.h.medium("FREE01", type: f.type, at: .slot(f.robot, 1))
            imported = try f.h.medium("IMP001", type: f.type, at: .slot(f.robot, 2), label: .import)
            foreign = try f.h.medium("FOR001", type: f.type, at: .slot(f.robot, 3), label: .none)
        }

        var importPool: PoolID { f.h.state.mediaTypes[f.type]!.importPool }
        var unrecognizedPool: PoolID { f.h.state.mediaTypes[f.type]!.unrecognizedPool }
    }

    @Test func freeMediaMoveToApplicationPoolsOnly() throws {
        var s = try Setup()
        #expect(s.f.h.expectFailure(.moveMedium(s.free.id, to: s.importPool), .invalidMediaPool))
        #expect(s.f.h.expectFailure(.moveMedium(s.free.id, to: s.unrecognizedPool), .invalidMediaPool))
        try s.f.h.run(.moveMedium(s.free.id, to: s.f.daily))
        #expect(s.f.h.state.media[s.free.id]!.pool == s.f.daily)
        #expect(s.f.h.state.sides(of: s.f.h.state.media[s.free.id]!).allSatisfy { $0.state == .available })
    }

    @Test func importAndUnrecognizedMediaMoveOnlyToFreeWhereTheyBecomeAvailable() throws {
        var s = try Setup()
        #expect(s.f.h.expectFailure(.moveMedium(s.imported.id, to: s.f.daily), .invalidMediaPool))
        #expect(s.f.h.expectFailure(.moveMedium(s.foreign.id, to: s.f.daily), .invalidMediaPool))
        #expect(s.f.h.expectFailure(.moveMedium(s.foreign.id, to: s.importPool), .invalidMediaPool))
        try s.f.h.run(.moveMedium(s.imported.id, to: s.f.freePool))
        try s.f.h.run(.moveMedium(s.foreign.id, to: s.f.freePool))
        for id in [s.imported.id, s.foreign.id] {
            let medium = s.f.h.state.media[id]!
            #expect(medium.pool == s.f.freePool)
            #expect(s.f.h.state.sides(of: medium).allSatisfy { $0.state == .available })
        }
        // Now they are allocatable from scratch.
        #expect(try s.f.h.allocate(AllocationRequest(pool: s.f.daily)).medium == s.free.id)
    }

    @Test func applicationMediaHeldBySideAreBusy() throws {
        var s = try Setup()
        let allocation = try s.f.h.allocate(AllocationRequest(pool: s.f.daily, side: s.free.sides[0]))
        #expect(s.f.h.expectFailure(.moveMedium(s.free.id, to: s.f.freePool), .busy))
        #expect(s.f.h.expectFailure(.moveMedium(s.free.id, to: s.other), .busy))
        try s.f.h.run(.deallocate(allocation.logicalMedium))
        try s.f.h.run(.moveMedium(s.free.id, to: s.other))
        #expect(s.f.h.state.media[s.free.id]!.pool == s.other)
        try s.f.h.run(.moveMedium(s.free.id, to: s.f.freePool))
        #expect(s.f.h.state.media[s.free.id]!.pool == s.f.freePool)
    }

    @Test func applicationMediaGoToImportOnlyWhenEverySideIsImport() throws {
        var s = try Setup()
        _ = try s.f.h.allocate(AllocationRequest(pool: s.f.daily, side: s.imported.sides[0]))
        // Side A allocated, side B still Import: it is held, and not all Import.
        #expect(s.f.h.expectFailure(.moveMedium(s.imported.id, to: s.importPool), .invalidMediaPool))
        try s.f.h.run(.moveMedium(s.free.id, to: s.f.daily))
        #expect(s.f.h.expectFailure(.moveMedium(s.free.id, to: s.importPool), .invalidMediaPool))
        #expect(s.f.h.expectFailure(.moveMedium(s.free.id, to: s.unrecognizedPool), .invalidMediaPool))
    }

    @Test func aMediumOfAnotherTypeIsIncompatibleAndFoldersHoldNoMedia() throws {
        var s = try Setup()
        let tape = try s.f.h.mediaType("LTO-6", sides: 1)
        let lto = try s.f.h.medium("LTO001", type: tape, at: .slot(s.f.robot, 4))
        #expect(s.f.h.expectFailure(.moveMedium(lto.id, to: s.f.daily), .mediaIncompatible))
        let folder = s.f.h.state.pool(atPath: "\\Backup")!.id
        #expect(s.f.h.expectFailure(.moveMedium(s.free.id, to: folder), .invalidMediaPool))
        #expect(s.f.h.expectFailure(.moveMedium(MediumID(777_777), to: s.f.daily), .invalidMedia))
    }
}

@Suite struct MediaServicesTests {
    @Test func completeMarksOnlyAllocatedSidesAndDeallocationStillWorks() throws {
        var f = try Fixture()
        let medium = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        let allocation = try f.h.allocate(AllocationRequest(pool: f.daily, side: medium.sides[0]))
        try f.h.run(.complete(allocation.logicalMedium))
        #expect(f.h.side(medium, 0).state == .complete)
        #expect(f.h.expectFailure(.complete(allocation.logicalMedium), .invalidState))
        try f.h.run(.deallocate(allocation.logicalMedium))
        #expect(f.h.side(medium, 0).state == .available)
    }

    @Test func decommissionTakesOnlyAvailableSidesAndTheyAreNeverAllocatedAgain() throws {
        var f = try Fixture()
        let medium = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        try f.h.run(.decommission(medium.sides[0]))
        #expect(f.h.side(medium, 0).state == .decommissioned)
        #expect(f.h.expectFailure(.decommission(medium.sides[0]), .invalidState))
        let allocation = try f.h.allocate(AllocationRequest(pool: f.daily))
        #expect(allocation.side == medium.sides[1])
        #expect(
            f.h.expectFailure(.allocate(AllocationRequest(pool: f.daily, errorIfUnavailable: true)), .mediaUnavailable))
    }

    @Test func onlyOfflineMediaWithNothingHeldCanBeDeleted() throws {
        var f = try Fixture()
        let online = try f.h.medium("ON0001", type: f.type, at: .slot(f.robot, 1))
        let offline = try f.h.medium("OFF001", type: f.type, at: .shelf, label: .import)
        #expect(f.h.expectFailure(.deleteMedium(online.id), .invalidState))
        try f.h.run(.deleteMedium(offline.id))
        #expect(f.h.state.media[offline.id] == nil)
        #expect(f.h.state.medium(withBarcode: "OFF001") == nil)
        #expect(f.h.state.sides[offline.sides[0]] == nil)
        #expect(f.h.state.pools[f.h.state.mediaTypes[f.type]!.importPool]!.mediumCount == 0)
        // The bar code can be registered again afterwards.
        _ = try f.h.medium("OFF001", type: f.type, at: .shelf)
    }

    @Test func onlyEmptyApplicationPoolsCanBeDeleted() throws {
        var f = try Fixture()
        let folder = f.h.state.pool(atPath: "\\Backup")!.id
        #expect(f.h.expectFailure(.deletePool(folder), .notEmpty))
        #expect(f.h.expectFailure(.deletePool(f.freePool), .invalidMediaPool))
        let medium = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        _ = try f.h.allocate(AllocationRequest(pool: f.daily, side: medium.sides[0]))
        #expect(f.h.expectFailure(.deletePool(f.daily), .notEmpty))
        let empty = try f.h.pool("\\Backup\\Spare", type: f.type)
        try f.h.run(.deletePool(empty))
        #expect(f.h.state.pool(atPath: "\\Backup\\Spare") == nil)
        // The path is free again.
        _ = try f.h.pool("\\Backup\\Spare", type: nil)
    }

    @Test func systemPoolPoliciesCannotBeChanged() throws {
        var f = try Fixture()
        #expect(
            f.h.expectFailure(.setPoolPolicy(pool: f.freePool, policy: PoolPolicy(maxAllocates: 3)), .invalidMediaPool))
        try f.h.run(.setPoolPolicy(pool: f.daily, policy: PoolPolicy(maxAllocates: 3)))
        #expect(f.h.state.pools[f.daily]!.policy.maxAllocates == 3)
    }

    @Test func deallocateToScratchWritesAFreeLabelOverAHalfImportedDisk() throws {
        var f = try Fixture(policy: PoolPolicy(deallocateToScratch: true))
        let medium = try f.h.medium("IMP001", type: f.type, at: .slot(f.robot, 1), label: .import)
        let allocation = try f.h.allocate(AllocationRequest(pool: f.daily, side: medium.sides[0]))
        try f.h.run(.deallocate(allocation.logicalMedium))
        #expect(f.h.state.media[medium.id]!.pool == f.freePool)
        #expect(f.h.state.sides(of: f.h.state.media[medium.id]!).map(\.state) == [.available, .available])
    }

    @Test func newTakesAWholeMediumEvenWhenHalfUsedOnesComeFirst() throws {
        var f = try Fixture()
        // 40 media with side A allocated: their B sides lead the pool's candidate order.
        for n in 1...40 {
            let medium = try f.h.medium("HALF\(n)", type: f.type, at: .slot(f.robot, UInt32(n)))
            _ = try f.h.allocate(AllocationRequest(pool: f.daily, side: medium.sides[0]))
        }
        #expect(f.h.state.allocationCandidates(in: f.daily).count == 40)
        let shelved = try f.h.medium("SHELF", type: f.type, at: .shelf)
        try f.h.run(.moveMedium(shelved.id, to: f.daily))
        // Offline, so NEW cannot take it either.
        #expect(
            f.h.expectFailure(
                .allocate(AllocationRequest(pool: f.daily, new: true, errorIfUnavailable: true)), .mediaUnavailable))
        let whole = try f.h.medium("WHOLE", type: f.type, at: .slot(f.robot, 41))
        let allocation = try f.h.allocate(AllocationRequest(pool: f.daily, new: true))
        #expect(allocation.medium == whole.id)
        #expect(allocation.allocatedFrom == f.freePool)
        #expect(f.h.side(whole, 1).state == .reserved)
    }
}
