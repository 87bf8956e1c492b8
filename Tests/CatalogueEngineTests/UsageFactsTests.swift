import Atomics
import CatalogueDomain
import Foundation
import Testing

@testable import CatalogueEngine

/// `evolve` keeps the facts reports need, from the records' own times: who
/// allocated what and when, each medium's mounts, each drive's busy time.
@Suite struct UsageFactsTests {
    /// A clock the test moves by hand, in whole seconds from a fixed start.
    final class ManualClock: Sendable {
        static let start: Int64 = 1_764_000_000_000_000_000
        private let seconds = ManagedAtomic<Int64>(0)
        func advance(_ by: Int64) { seconds.wrappingIncrement(by: by, ordering: .relaxed) }
        var now: Int64 { Self.start + seconds.load(ordering: .relaxed) * 1_000_000_000 }
        func at(_ second: Int64) -> Int64 { Self.start + second * 1_000_000_000 }
    }

    @Test func anAllocationRecordsItsTimeApplicationAndUserAndReplayGivesTheSame() async throws {
        let clock = ManualClock()
        let options = CatalogueOptions(
            clock: { clock.now }, checkpoints: CheckpointPolicy(everyEvents: 0, onCloseAfterEvents: 0))
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open(options: options)
        let seeded = try await Seeded.make(try catalogue.session(application: "seed", user: "tester"), media: 2)
        clock.advance(60)
        let backup = try catalogue.session(application: "nightly-backup", user: "svc-backup")
        let allocation = try await backup.allocate(AllocationRequest(pool: seeded.pool))
        let logical = try #require(catalogue.snapshot.state.logicalMedia[allocation.logicalMedium])
        #expect(logical.allocated == clock.at(60))
        #expect(logical.application == "nightly-backup")
        #expect(logical.user == "svc-backup")
        #expect(catalogue.snapshot.state.mediumUsage[allocation.medium]?.lastAllocated == clock.at(60))
        let live = catalogue.snapshot.state
        let covered = try catalogue.saveCheckpoint()
        catalogue.close()

        // The whole log replayed, and the checkpoint loaded, give the same facts.
        let replayed = try await Catalogue.open(
            at: store.path, mode: .readOnly, options: CatalogueOptions(checkpoints: .disabled))
        #expect(replayed.snapshot.state == live)
        replayed.close()
        let loaded = try await Catalogue.open(at: store.path, mode: .readOnly)
        #expect(loaded.openReport.checkpoint == covered)
        #expect(loaded.snapshot.state == live)
        loaded.close()
    }

    @Test func mountsAndDismountsKeepTheMediumsLastTimesAndTheDrivesBusyTime() async throws {
        let clock = ManualClock()
        let f = try await RobotFixture.make(options: CatalogueOptions(clock: { clock.now }))
        defer { f.close() }
        let medium = f.media[0]
        clock.advance(100)
        let mounted = try await f.session.mount(f.sides[0])
        clock.advance(30)
        try await f.session.dismount(medium, deferred: true)
        clock.advance(500)
        _ = try await f.session.mount(f.sides[0])
        clock.advance(15)
        try await f.session.dismount(medium)

        let usage = try #require(f.state.mediumUsage[medium])
        #expect(usage.mountCount == 2)
        #expect(usage.lastMounted == clock.at(630))
        #expect(usage.lastDismounted == clock.at(645))
        let drive = try #require(f.state.drives[mounted.drive])
        // In use 30 s, then idle in the drive 500 s after the deferred dismount, then 15 s again.
        #expect(drive.busyNanoseconds == 45 * 1_000_000_000)
        #expect(drive.busySince == nil)
        #expect(f.state.mediumUsage[f.media[1]]?.mountCount ?? 0 == 0)
        try f.expectConsistent()
    }
}
