import CatalogueDomain
import Foundation
import Testing

@testable import CatalogueEngine

/// The report questions, answered from the state's counters and facts and,
/// for activity over a period, from the log's events of that period alone.
@Suite struct ReportTests {
    typealias Clock = UsageFactsTests.ManualClock

    /// Two applications allocate and give back at known times.
    func activityStore() async throws -> (TestStore, Catalogue, Clock, Seeded) {
        let clock = Clock()
        let store = TestStore()
        let catalogue = try await store.open(options: CatalogueOptions(clock: { clock.now }))
        let seeded = try await Seeded.make(
            try catalogue.session(application: "setup", user: "admin"), media: 6, sides: 1,
            policy: PoolPolicy(allocateFromScratch: true, maxAllocates: 3))
        let backup = try catalogue.session(application: "backup", user: "svc")
        let archive = try catalogue.session(application: "archive", user: "ops")
        clock.advance(100)  // t = 100: backup allocates two
        let first = try await backup.allocate(AllocationRequest(pool: seeded.pool))
        _ = try await backup.allocate(AllocationRequest(pool: seeded.pool))
        clock.advance(100)  // t = 200: archive allocates one, backup gives one back
        _ = try await archive.allocate(AllocationRequest(pool: seeded.pool))
        try await backup.deallocate(first.logicalMedium)
        clock.advance(100)  // t = 300: backup allocates again
        _ = try await backup.allocate(AllocationRequest(pool: seeded.pool))
        return (store, catalogue, clock, seeded)
    }

    @Test func theEventAtATimeIsFoundWithoutAScanAndBeforeTheFirstEventIsZero() async throws {
        let (store, catalogue, clock, _) = try await activityStore()
        defer { store.remove() }
        defer { catalogue.close() }
        let head = catalogue.snapshot.head.sequence
        #expect(try catalogue.sequence(atOrBefore: clock.at(300)) == head)
        #expect(try catalogue.sequence(atOrBefore: clock.at(0) - 1) == 0)
        let beforeLast = try catalogue.sequence(atOrBefore: clock.at(299))
        let lastEvents = try catalogue.events(from: beforeLast + 1, through: head)
        #expect(lastEvents.allSatisfy { $0.timestamp == clock.at(300) })
        #expect(try catalogue.events(from: beforeLast, through: beforeLast).first?.timestamp == clock.at(200))
    }

    @Test func activityOverAPeriodCountsOnlyThatPeriodsEventsPerCaller() async throws {
        let (store, catalogue, clock, _) = try await activityStore()
        defer { store.remove() }
        defer { catalogue.close() }
        let all = try catalogue.activity(from: clock.at(0), to: clock.at(1000))
        #expect(
            all == [
                CallerActivity(application: "backup", user: "svc", allocations: 3, deallocations: 1),
                CallerActivity(application: "archive", user: "ops", allocations: 1, deallocations: 0),
            ])
        let middle = try catalogue.activity(from: clock.at(150), to: clock.at(300))
        #expect(
            middle == [
                CallerActivity(application: "archive", user: "ops", allocations: 1, deallocations: 0),
                CallerActivity(application: "backup", user: "svc", allocations: 0, deallocations: 1),
            ])
        #expect(try catalogue.activity(from: clock.at(301), to: clock.at(400)).isEmpty)
        #expect(throws: NtmsError.self) { try catalogue.activity(from: clock.at(5), to: clock.at(5)) }
    }

    @Test func scratchLowWaterAndNearMaxComeFromTheCounters() async throws {
        let (store, catalogue, _, seeded) = try await activityStore()
        defer { store.remove() }
        defer { catalogue.close() }
        let state = catalogue.snapshot.state
        let free = try #require(state.mediaTypes[seeded.type]?.freePool)
        let scratch = try #require(state.scratchCounts().first { $0.pool == seeded.pool })
        // Six media: three drawn from Free and allocated now (the side given back
        // was allocated again: a pool's own sides come before scratch), three in Free.
        #expect(scratch.available == 0)
        #expect(scratch.fromScratch == 3)
        #expect(state.availableSideCount(in: free) == 3)
        #expect(state.poolsBelow(minimum: 3).map(\.pool) == [])
        #expect(state.poolsBelow(minimum: 4).map(\.pool) == [seeded.pool])
        // Max 3 allocates: the side allocated twice has 1 left, the two others 2.
        #expect(state.sidesNearMaxAllocates(within: 2).map(\.remaining) == [1, 2, 2])
        #expect(state.sidesNearMaxAllocates(within: 1).map(\.allocateCount) == [2])
        #expect(state.sidesNearMaxAllocates(within: 0).isEmpty)
    }

    @Test func openRequestsAreOldestFirstAndIdleMediaNeverMountedComeFirst() async throws {
        let (store, catalogue, clock, seeded) = try await activityStore()
        defer { store.remove() }
        defer { catalogue.close() }
        let session = try catalogue.session(application: "ops", user: "operator")
        let older = try await session.submitRequest(.message, message: "first")
        clock.advance(10)
        let newer = try await session.submitRequest(.message, message: "second")
        try await session.cancelRequest(older)
        let third = try await session.submitRequest(.message, message: "third")
        #expect(catalogue.snapshot.state.openRequests().map(\.id) == [newer, third])
        let idle = catalogue.snapshot.state.mediaIdle(since: clock.now)
        #expect(Set(idle.map(\.id)) == Set(seeded.media))
    }
}
