import CatalogueDomain
import Testing

/// ChangeNtmsMediaType, DeleteNtmsMediaType and SwapNtmsMedia.
@Suite struct MediaTypeAndSwapTests {
    /// Two single-sided tape types, a library and a pool of each.
    struct Tapes {
        var h = DomainHarness()
        let lto8: MediaTypeID
        let lto9: MediaTypeID
        let robot: LibraryID
        let pool8: PoolID
        let pool9: PoolID

        init() throws {
            lto8 = try h.mediaType("LTO-8", sides: 1)
            lto9 = try h.mediaType("LTO-9", sides: 1)
            robot = try h.library("Robot")
            pool8 = try h.pool("\\Backup8", type: lto8)
            pool9 = try h.pool("\\Backup9", type: lto9)
        }

        func free(_ type: MediaTypeID) -> PoolID { h.state.mediaTypes[type]!.freePool }
    }

    @Test func aChangedTypeMovesTheMediumIntoAPoolOfItsNewType() throws {
        var t = try Tapes()
        let medium = try t.h.medium("MISLAB", type: t.lto8, at: .slot(t.robot, 1))
        #expect(t.h.expectFailure(.moveMedium(medium.id, to: t.free(t.lto9)), .mediaIncompatible))
        let decision = try t.h.state.decide(.changeMediaType(medium.id, to: t.free(t.lto9))).get()
        guard case .mediumTypeChanged(let changed) = decision.events.first,
            case .mediumMoved(let moved) = decision.events.last
        else {
            Issue.record("no type change and move: \(decision.events)")
            return
        }
        #expect(changed.from == t.lto8 && changed.to == t.lto9 && moved.reason == .typeChange)
        try t.h.run(.changeMediaType(medium.id, to: t.free(t.lto9)))
        #expect(t.h.state.media[medium.id]?.mediaType == t.lto9)
        #expect(t.h.state.media[medium.id]?.pool == t.free(t.lto9))
        #expect(t.h.state.invariantViolations().isEmpty)
        // An LTO-9 allocation from scratch now finds it.
        try t.h.run(.setPoolPolicy(pool: t.pool9, policy: PoolPolicy(allocateFromScratch: true)))
        #expect(try t.h.allocate(AllocationRequest(pool: t.pool9)).medium == medium.id)
    }

    @Test func aTypeChangeNeedsAnOnlineIdleMediumWithNothingHeldAndTheSameSideCount() throws {
        var t = try Tapes()
        let disk = try t.h.mediaType("MO", sides: 2)
        let shelved = try t.h.medium("SHELF1", type: t.lto8, at: .shelf)
        #expect(t.h.expectFailure(.changeMediaType(shelved.id, to: t.free(t.lto9)), .libraryOffline))
        let held = try t.h.medium("HELD01", type: t.lto8, at: .slot(t.robot, 1))
        _ = try t.h.allocate(AllocationRequest(pool: t.pool8, side: held.sides[0]))
        #expect(t.h.expectFailure(.changeMediaType(held.id, to: t.pool9), .busy))
        let tape = try t.h.medium("TAPE01", type: t.lto8, at: .slot(t.robot, 2))
        #expect(
            t.h.expectFailure(.changeMediaType(tape.id, to: t.h.state.mediaTypes[disk]!.freePool), .mediaIncompatible))
        // Free of one type to Import of another is outside the move matrix.
        #expect(
            t.h.expectFailure(
                .changeMediaType(tape.id, to: t.h.state.mediaTypes[t.lto9]!.importPool), .invalidMediaPool))
        // The same type is a plain move.
        try t.h.run(.changeMediaType(tape.id, to: t.pool8))
        #expect(t.h.state.media[tape.id]?.pool == t.pool8 && t.h.state.media[tape.id]?.mediaType == t.lto8)
    }

    @Test func aMediaTypeIsDeletedOnlyWhenNothingUsesItAndTakesItsSystemPools() throws {
        var t = try Tapes()
        let medium = try t.h.medium("OLD001", type: t.lto8, at: .slot(t.robot, 1))
        #expect(t.h.expectFailure(.deleteMediaType(t.lto8), .notEmpty))
        try t.h.run(.deletePool(t.pool8))
        #expect(t.h.expectFailure(.deleteMediaType(t.lto8), .notEmpty))
        try t.h.run(.changeMediaType(medium.id, to: t.free(t.lto9)))
        let type = t.h.state.mediaTypes[t.lto8]!
        try t.h.run(.deleteMediaType(t.lto8))
        #expect(t.h.state.mediaTypes[t.lto8] == nil && t.h.state.mediaType(named: "LTO-8") == nil)
        for pool in [type.freePool, type.importPool, type.unrecognizedPool] { #expect(t.h.state.pools[pool] == nil) }
        #expect(t.h.state.pool(atPath: "\\Free\\LTO-8") == nil)
        #expect(t.h.state.pool(atPath: "\\Free")?.childCount == 1)
        #expect(t.h.state.invariantViolations().isEmpty)
        #expect(t.h.expectFailure(.deleteMediaType(t.lto8), .objectNotFound))
        // The name can be registered again, with new pools.
        let again = try t.h.mediaType("LTO-8", sides: 1)
        #expect(again != t.lto8 && t.h.state.pool(atPath: "\\Free\\LTO-8") != nil)
    }

    @Test func swappedLogicalMediaKeepTheirIdentifiersAndStatesOnEachOthersSides() throws {
        var t = try Tapes()
        let old = try t.h.medium("OLD001", type: t.lto8, at: .slot(t.robot, 1))
        let new = try t.h.medium("NEW001", type: t.lto8, at: .slot(t.robot, 2))
        let data = try t.h.allocate(AllocationRequest(pool: t.pool8, side: old.sides[0]))
        let copy = try t.h.allocate(AllocationRequest(pool: t.pool8, side: new.sides[0]))
        try t.h.run(.complete(data.logicalMedium))
        try t.h.run(.swapLogicalMedia(data.logicalMedium, copy.logicalMedium))
        let s = t.h.state
        #expect(s.logicalMedia[data.logicalMedium]?.side == new.sides[0])
        #expect(s.logicalMedia[copy.logicalMedium]?.side == old.sides[0])
        #expect(s.sides[new.sides[0]]?.logicalMedium == data.logicalMedium)
        #expect(s.sides[new.sides[0]]?.state == .complete && s.sides[old.sides[0]]?.state == .allocated)
        #expect(s.sides[new.sides[0]]?.allocateCount == 1 && s.sides[old.sides[0]]?.allocateCount == 1)
        #expect(s.invariantViolations().isEmpty)
        // The old medium can now be given back and retired; the application's lmid reads from the new one.
        try t.h.run(.deallocate(copy.logicalMedium))
        #expect(t.h.state.sides[old.sides[0]]?.state == .available)
    }

    @Test func swapIsRefusedAcrossPoolsForUnallocatedOrMountedMediaAndForOneLogicalMedium() throws {
        var f = try RobotLibrary()
        let first = try f.allocatedMedium("SWAP01", slot: 1)
        let second = try f.allocatedMedium("SWAP02", slot: 2)
        let other = try f.h.pool("\\Other", type: f.type)
        let elsewhere = try f.h.medium("SWAP03", type: f.type, at: .slot(f.robot, 3))
        let third = try f.h.allocate(AllocationRequest(pool: other, side: elsewhere.sides[0]))
        #expect(f.h.expectFailure(.swapLogicalMedia(first.logicalMedium, first.logicalMedium), .invalidParameter))
        #expect(f.h.expectFailure(.swapLogicalMedia(first.logicalMedium, third.logicalMedium), .invalidMediaPool))
        #expect(f.h.expectFailure(.swapLogicalMedia(first.logicalMedium, LogicalMediumID(9_999)), .invalidMedia))
        try f.mounted(first)
        #expect(f.h.expectFailure(.swapLogicalMedia(first.logicalMedium, second.logicalMedium), .busy))
        try f.dismounted(first)
        try f.h.run(.swapLogicalMedia(first.logicalMedium, second.logicalMedium))
        #expect(f.h.state.logicalMedia[first.logicalMedium]?.side == second.side)
    }

    @Test func aNewAllocationOfATwoSidedMediumKeepsItsSidesTogether() throws {
        var f = try Fixture()
        let a = try f.h.medium("DISK01", type: f.type, at: .slot(f.robot, 1))
        let b = try f.h.medium("DISK02", type: f.type, at: .slot(f.robot, 2))
        let whole = try f.h.allocate(AllocationRequest(pool: f.daily, side: a.sides[0], new: true))
        let plain = try f.h.allocate(AllocationRequest(pool: f.daily, side: b.sides[0]))
        #expect(f.h.expectFailure(.swapLogicalMedia(whole.logicalMedium, plain.logicalMedium), .invalidMedia))
    }
}
