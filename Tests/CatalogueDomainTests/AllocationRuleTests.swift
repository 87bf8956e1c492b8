import CatalogueDomain
import Testing

/// A catalogue with a two-sided type, one robot and a pool `\Backup\Daily`.
struct Fixture {
    var h = DomainHarness()
    let type: MediaTypeID
    let robot: LibraryID
    let daily: PoolID

    init(policy: PoolPolicy = PoolPolicy(allocateFromScratch: true)) throws {
        type = try h.mediaType("MO-5.2GB", sides: 2)
        robot = try h.library("Robot")
        _ = try h.pool("\\Backup", type: nil)
        daily = try h.pool("\\Backup\\Daily", type: type, policy: policy)
    }

    var freePool: PoolID { h.state.mediaTypes[type]!.freePool }
}

@Suite struct AllocationRuleTests {
    @Test func theOwnPoolIsSearchedBeforeTheFreePool() throws {
        var f = try Fixture()
        let scratch = try f.h.medium("FREE01", type: f.type, at: .slot(f.robot, 1))
        let own = try f.h.medium("OWN01", type: f.type, at: .slot(f.robot, 2))
        _ = try f.h.run(.allocate(AllocationRequest(pool: f.daily, side: own.sides[0])))
        _ = try f.h.run(.deallocate(f.h.side(own, 0).logicalMedium!))
        // OWN01 now sits in \Backup\Daily with side A available again (allocate count 1).
        let allocation = try f.h.allocate(AllocationRequest(pool: f.daily))
        #expect(allocation.medium == own.id)
        #expect(allocation.allocatedFrom == f.daily)
        #expect(f.h.state.media[scratch.id]!.pool == f.freePool)
    }

    @Test func scratchMediaMoveWholeIntoThePoolAndTheSideIsAllocated() throws {
        var f = try Fixture()
        let medium = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        let allocation = try f.h.allocate(AllocationRequest(pool: f.daily))
        #expect(allocation.allocatedFrom == f.freePool)
        #expect(f.h.state.media[medium.id]!.pool == f.daily)
        #expect(f.h.side(medium, 0).state == .allocated)
        #expect(f.h.side(medium, 0).allocateCount == 1)
        #expect(f.h.side(medium, 1).state == .available)
        #expect(f.h.state.logicalMedia[allocation.logicalMedium]?.side == medium.sides[0])
        let names = f.h.log.suffix(2).map(\.name)
        #expect(names == ["MediumMoved", "SideAllocated"])
    }

    @Test func withoutTheFromScratchPolicyTheFreePoolIsNotTouched() throws {
        var f = try Fixture(policy: PoolPolicy())
        _ = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        #expect(
            f.h.expectFailure(.allocate(AllocationRequest(pool: f.daily, errorIfUnavailable: true)), .mediaUnavailable))
    }

    @Test func offlineMediaAreNeverChosen() throws {
        var f = try Fixture()
        _ = try f.h.medium("SHELF1", type: f.type, at: .shelf)
        #expect(
            f.h.expectFailure(.allocate(AllocationRequest(pool: f.daily, errorIfUnavailable: true)), .mediaUnavailable))
    }

    @Test func withNothingAvailableAndNoWaitTheCallTimesOutAndRecordsNothing() throws {
        let f = try Fixture()
        let events = f.h.log.count
        #expect(f.h.expectFailure(.allocate(AllocationRequest(pool: f.daily)), .timeout))
        #expect(f.h.log.count == events)
    }

    @Test func onlyApplicationPoolsWithMediaCanBeAllocatedFrom() throws {
        let f = try Fixture()
        let folder = f.h.state.pool(atPath: "\\Backup")!.id
        #expect(f.h.expectFailure(.allocate(AllocationRequest(pool: folder)), .invalidMediaPool))
        #expect(f.h.expectFailure(.allocate(AllocationRequest(pool: f.freePool)), .invalidMediaPool))
        #expect(f.h.expectFailure(.allocate(AllocationRequest(pool: PoolID(999_999))), .invalidMediaPool))
    }

    @Test func candidatesAreTakenByAllocateCountThenRegistrationThenSide() throws {
        var f = try Fixture()
        let first = try f.h.medium("A1", type: f.type, at: .slot(f.robot, 1))
        let second = try f.h.medium("A2", type: f.type, at: .slot(f.robot, 2))
        let a = try f.h.allocate(AllocationRequest(pool: f.daily))
        #expect(a.side == first.sides[0])
        // Side B of A1 is now in the pool with count 0 and comes before anything in Free.
        let b = try f.h.allocate(AllocationRequest(pool: f.daily))
        #expect(b.side == first.sides[1])
        try f.h.run(.deallocate(a.logicalMedium))
        // A1:A has count 1 now; A2 (count 0) is drawn from scratch first.
        let c = try f.h.allocate(AllocationRequest(pool: f.daily))
        #expect(c.side == first.sides[0])  // own pool before scratch, even with a higher count
        let d = try f.h.allocate(AllocationRequest(pool: f.daily))
        #expect(d.side == second.sides[0])
    }

    @Test func newReservesEverySiblingSide() throws {
        var f = try Fixture()
        let medium = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        let allocation = try f.h.allocate(AllocationRequest(pool: f.daily, new: true))
        #expect(allocation.side == medium.sides[0])
        #expect(f.h.side(medium, 1).state == .reserved)
        // A reserved side is not available to a plain allocation.
        #expect(
            f.h.expectFailure(.allocate(AllocationRequest(pool: f.daily, errorIfUnavailable: true)), .mediaUnavailable))
    }

    @Test func newSkipsMediaWhoseOtherSidesAreTaken() throws {
        var f = try Fixture()
        let shared = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        let whole = try f.h.medium("MO0002", type: f.type, at: .slot(f.robot, 2))
        _ = try f.h.allocate(AllocationRequest(pool: f.daily))  // MO0001:A
        let exclusive = try f.h.allocate(AllocationRequest(pool: f.daily, new: true))
        #expect(exclusive.medium == whole.id)
        #expect(f.h.side(shared, 1).state == .available)
    }

    @Test func nextAllocatesTheReservedSideAndFailsWhenNoneIsLeft() throws {
        var f = try Fixture()
        let medium = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        let first = try f.h.allocate(AllocationRequest(pool: f.daily, new: true))
        let second = try f.h.allocate(AllocationRequest(pool: f.daily, next: first.logicalMedium))
        #expect(second.side == medium.sides[1])
        #expect(second.logicalMedium != first.logicalMedium)
        #expect(f.h.side(medium, 1).state == .allocated)
        #expect(
            f.h.expectFailure(
                .allocate(AllocationRequest(pool: f.daily, next: second.logicalMedium)), .mediaUnavailable))
    }

    @Test func nextOnAnAllocationMadeWithoutNewIsInvalidMedia() throws {
        var f = try Fixture()
        _ = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        let plain = try f.h.allocate(AllocationRequest(pool: f.daily))
        #expect(
            f.h.expectFailure(.allocate(AllocationRequest(pool: f.daily, next: plain.logicalMedium)), .invalidMedia))
        #expect(
            f.h.expectFailure(
                .allocate(AllocationRequest(pool: f.daily, next: LogicalMediumID(424_242))), .invalidMedia))
    }

    @Test func newWithNextIsAnInvalidParameter() throws {
        var f = try Fixture()
        _ = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        let first = try f.h.allocate(AllocationRequest(pool: f.daily, new: true))
        #expect(
            f.h.expectFailure(
                .allocate(AllocationRequest(pool: f.daily, new: true, next: first.logicalMedium)), .invalidParameter))
    }

    @Test func importingOneSideLeavesTheFlipSideInImport() throws {
        var f = try Fixture()
        let medium = try f.h.medium("IMP001", type: f.type, at: .slot(f.robot, 1), label: .import)
        #expect(f.h.state.media[medium.id]!.pool == f.h.state.mediaTypes[f.type]!.importPool)
        let allocation = try f.h.allocate(AllocationRequest(pool: f.daily, side: medium.sides[0]))
        #expect(allocation.allocatedFrom == f.h.state.mediaTypes[f.type]!.importPool)
        #expect(f.h.state.media[medium.id]!.pool == f.daily)
        #expect(f.h.side(medium, 0).state == .allocated)
        #expect(f.h.side(medium, 1).state == .import)
        // The flip side can be imported by its own call, into the same pool.
        let flip = try f.h.allocate(AllocationRequest(pool: f.daily, side: medium.sides[1]))
        #expect(flip.allocatedFrom == f.daily)
    }

    @Test func aGivenSideMustBeAvailableOrImportOnlineAndOfThePoolsType() throws {
        var f = try Fixture()
        let tape = try f.h.mediaType("LTO-6", sides: 1)
        let foreign = try f.h.medium("FOR001", type: f.type, at: .slot(f.robot, 1), label: .none)
        let offline = try f.h.medium("OFF001", type: f.type, at: .shelf)
        let lto = try f.h.medium("LTO001", type: tape, at: .slot(f.robot, 2))
        #expect(f.h.expectFailure(.allocate(AllocationRequest(pool: f.daily, side: foreign.sides[0])), .invalidState))
        #expect(f.h.expectFailure(.allocate(AllocationRequest(pool: f.daily, side: offline.sides[0])), .mediaOffline))
        #expect(f.h.expectFailure(.allocate(AllocationRequest(pool: f.daily, side: lto.sides[0])), .mediaIncompatible))
        #expect(f.h.expectFailure(.allocate(AllocationRequest(pool: f.daily, side: SideID(987_654))), .invalidMedia))
    }

    @Test func deallocationMakesTheSideAvailableUntilMaxAllocatesThenDecommissions() throws {
        var f = try Fixture(policy: PoolPolicy(allocateFromScratch: true, maxAllocates: 2))
        let medium = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        let first = try f.h.allocate(AllocationRequest(pool: f.daily, side: medium.sides[0]))
        try f.h.run(.deallocate(first.logicalMedium))
        #expect(f.h.side(medium, 0).state == .available)
        #expect(f.h.state.logicalMedia[first.logicalMedium] == nil)
        let second = try f.h.allocate(AllocationRequest(pool: f.daily, side: medium.sides[0]))
        try f.h.run(.deallocate(second.logicalMedium))
        #expect(f.h.side(medium, 0).state == .decommissioned)
        #expect(f.h.expectFailure(.deallocate(second.logicalMedium), .invalidMedia))
    }

    @Test func deallocateToScratchReturnsTheMediumOnceNoSideHoldsIt() throws {
        var f = try Fixture(policy: PoolPolicy(allocateFromScratch: true, deallocateToScratch: true))
        let medium = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        let a = try f.h.allocate(AllocationRequest(pool: f.daily, new: true))
        let b = try f.h.allocate(AllocationRequest(pool: f.daily, next: a.logicalMedium))
        try f.h.run(.deallocate(a.logicalMedium))
        #expect(f.h.state.media[medium.id]!.pool == f.daily)  // side B still allocated
        try f.h.run(.deallocate(b.logicalMedium))
        #expect(f.h.state.media[medium.id]!.pool == f.freePool)
        #expect(f.h.state.sides(of: f.h.state.media[medium.id]!).map(\.state) == [.available, .available])
    }

    @Test func reservedSidesAreReleasedWhenTheNewOwnerGivesItsLastSideBack() throws {
        var f = try Fixture()
        let medium = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        let a = try f.h.allocate(AllocationRequest(pool: f.daily, new: true))
        #expect(f.h.side(medium, 1).state == .reserved)
        try f.h.run(.deallocate(a.logicalMedium))
        #expect(f.h.side(medium, 1).state == .available)
    }
}

@Suite struct CatalogueModelTests {
    @Test func registeringAMediaTypeCreatesItsThreeSystemPools() throws {
        var h = DomainHarness()
        let type = try h.mediaType("LTO-6", sides: 1)
        let info = h.state.mediaTypes[type]!
        #expect(h.state.pools[info.freePool]?.path == "\\Free\\LTO-6")
        #expect(h.state.pools[info.importPool]?.type == .import)
        #expect(h.state.pools[info.unrecognizedPool]?.type == .unrecognized)
        #expect(h.expectFailure(.registerMediaType(name: "LTO-6", sideCount: 1), .alreadyExists))
        #expect(h.expectFailure(.registerMediaType(name: "Odd", sideCount: 3), .invalidParameter))
    }

    @Test func aPoolHoldsPoolsOrMediaNeverBoth() throws {
        var h = DomainHarness()
        let type = try h.mediaType("LTO-6", sides: 1)
        _ = try h.pool("\\Backup", type: type)
        #expect(
            h.expectFailure(.createPool(path: "\\Backup\\Daily", mediaType: type, policy: .init()), .invalidMediaPool))
        #expect(
            h.expectFailure(.createPool(path: "\\Missing\\Daily", mediaType: type, policy: .init()), .objectNotFound))
        #expect(h.expectFailure(.createPool(path: "\\Free\\Mine", mediaType: type, policy: .init()), .invalidMediaPool))
        #expect(h.expectFailure(.createPool(path: "Backup", mediaType: type, policy: .init()), .invalidName))
        #expect(h.expectFailure(.createPool(path: "\\Backup", mediaType: type, policy: .init()), .alreadyExists))
    }

    @Test func labelsClassifyNewMedia() throws {
        var h = DomainHarness()
        let type = try h.mediaType("MO", sides: 2)
        let robot = try h.library("Robot")
        let info = h.state.mediaTypes[type]!
        let free = try h.medium("F1", type: type, at: .slot(robot, 1), label: .free)
        let imported = try h.medium("I1", type: type, at: .slot(robot, 2), label: .import)
        let foreign = try h.medium("N1", type: type, at: .slot(robot, 3), label: .none)
        #expect(free.pool == info.freePool && h.side(free, 1).state == .available)
        #expect(imported.pool == info.importPool && h.side(imported, 0).state == .import)
        #expect(foreign.pool == info.unrecognizedPool && h.side(foreign, 1).state == .foreign)
    }

    @Test func barcodesAndSlotsAreUnique() throws {
        var h = DomainHarness()
        let type = try h.mediaType("LTO-6", sides: 1)
        let robot = try h.library("Robot", slots: 4)
        _ = try h.medium("L00001", type: type, at: .slot(robot, 1))
        #expect(
            h.expectFailure(
                .registerMedium(barcode: "L00001", mediaType: type, location: .shelf, label: .free), .alreadyExists))
        #expect(
            h.expectFailure(
                .registerMedium(barcode: "L00002", mediaType: type, location: .slot(robot, 1), label: .free), .busy))
        #expect(
            h.expectFailure(
                .registerMedium(barcode: "L00003", mediaType: type, location: .slot(robot, 5), label: .free),
                .invalidParameter))
        #expect(
            h.expectFailure(
                .registerMedium(barcode: "has space", mediaType: type, location: .shelf, label: .free),
                .invalidParameter))
    }

    @Test func commandsBeforeInitialisationAreRefused() {
        let state = CatalogueState()
        guard case .failure(let error) = state.decide(.registerMediaType(name: "LTO", sideCount: 1)) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == .databaseFailure)
    }

    @Test func createCatalogueIsIdempotent() throws {
        let h = DomainHarness()
        let decision = try h.state.decide(.createCatalogue()).get()
        #expect(decision.events.isEmpty)
    }
}
