import CatalogueDomain
import Foundation
import Testing

@testable import CatalogueEngine
@testable import CatalogueStorage

/// The state as of any event: the nearest checkpoint at or before it plus the
/// events between, equal to folding the log's first events from nothing.
@Suite struct AsOfTests {
    typealias Clock = UsageFactsTests.ManualClock
    static let manual = CheckpointPolicy(everyEvents: 0, onCloseAfterEvents: 0, keep: 10)

    /// A store whose events are ten seconds apart, with checkpoints saved
    /// after the seeding and after the third allocation.
    func historyStore() async throws -> (TestStore, clock: Clock, checkpoints: [UInt64]) {
        let clock = Clock()
        let store = TestStore()
        let catalogue = try await store.open(options: CatalogueOptions(clock: { clock.now }, checkpoints: Self.manual))
        defer { catalogue.close() }
        let session = try catalogue.session(application: "backup", user: "svc")
        let seeded = try await Seeded.make(session, media: 4, sides: 1)
        var checkpoints = [try catalogue.saveCheckpoint()]
        var allocations: [Allocation] = []
        for round in 0..<6 {
            clock.advance(10)
            allocations.append(try await session.allocate(AllocationRequest(pool: seeded.pool)))
            if round == 2 { checkpoints.append(try catalogue.saveCheckpoint()) }
            if round >= 3 {
                clock.advance(10)
                try await session.deallocate(allocations[round - 3].logicalMedium)
            }
        }
        return (store, clock, checkpoints)
    }

    @Test func theStateAsOfEveryEventEqualsFoldingTheLogUpToItFromNothing() async throws {
        let (store, _, checkpoints) = try await historyStore()
        defer { store.remove() }
        let catalogue = try await Catalogue.open(
            at: store.path, mode: .readOnly, options: .init(checkpoints: Self.manual))
        let head = catalogue.snapshot.head.sequence
        let pasts = try (1...head).map { try catalogue.state(asOf: .sequence($0)) }
        #expect(pasts.last?.snapshot.state == catalogue.snapshot.state)
        catalogue.close()
        for (past, sequence) in zip(pasts, 1...head) {
            #expect(past.snapshot.state == (try Self.fold(store.path, through: sequence)), "event \(sequence)")
            #expect(past.snapshot.head.sequence == sequence)
            #expect(past.checkpoint == checkpoints.last { $0 <= sequence })
            #expect(past.foldedEvents == sequence - (past.checkpoint ?? 0))
        }
    }

    @Test func aTimeGivesTheStateAfterTheLastEventCommittedAtOrBeforeIt() async throws {
        let (store, clock, _) = try await historyStore()
        defer { store.remove() }
        let catalogue = try await Catalogue.open(at: store.path, mode: .readOnly)
        defer { catalogue.close() }
        // Between two commits, the earlier one's state; at a commit's own time, that commit's.
        let between = try catalogue.state(asOf: .time(clock.at(15)))
        let lastAtTen = try catalogue.sequence(atOrBefore: clock.at(10))
        #expect(between.snapshot.head.sequence == lastAtTen)
        #expect(between.committed == clock.at(10))
        #expect(between.snapshot.state.logicalMedia.count == 1)
        let atTwenty = try catalogue.state(asOf: .time(clock.at(20)))
        #expect(atTwenty.snapshot.state.logicalMedia.count == 2)
        // The static form reads the same without opening the present state.
        catalogue.close()
        let closed = try Catalogue.state(at: store.path, asOf: .time(clock.at(15)))
        #expect(closed.snapshot.state == between.snapshot.state)
    }

    @Test func eventZeroAnEventBeyondTheHeadAndATimeBeforeTheFirstEventAreRefused() async throws {
        let (store, clock, _) = try await historyStore()
        defer { store.remove() }
        let catalogue = try await Catalogue.open(at: store.path, mode: .readOnly)
        defer { catalogue.close() }
        let head = catalogue.snapshot.head.sequence
        for point in [LogPoint.sequence(0), .sequence(head + 1), .time(clock.at(0) - 1)] {
            let error = #expect(throws: NtmsError.self) { try catalogue.state(asOf: point) }
            #expect(error?.code == .invalidParameter, "\(point)")
        }
        let beyond = #expect(throws: NtmsError.self) { try catalogue.state(asOf: .sequence(head + 1)) }
        #expect(beyond?.message.contains("event \(head)") == true)
    }

    @Test func aDamagedCheckpointBeforeThePointIsSkippedForAnOlderOne() async throws {
        let (store, _, checkpoints) = try await historyStore()
        defer { store.remove() }
        let log = try EventLog(directory: store.path, create: false)
        try log.write { writer in try writer.replaceCheckpointBytes(sequence: checkpoints[1], with: [9, 9, 9]) }
        log.close()
        let past = try Catalogue.state(at: store.path, asOf: .sequence(checkpoints[1] + 2), checkpoints: Self.manual)
        #expect(past.checkpoint == checkpoints[0])
        #expect(past.warnings.count == 1)
        #expect(past.snapshot.state == (try Self.fold(store.path, through: checkpoints[1] + 2)))
    }

    /// The first `through` events folded from the empty state, no checkpoint involved.
    static func fold(_ path: String, through sequence: UInt64) throws -> CatalogueState {
        try Catalogue.state(at: path, asOf: .sequence(sequence), checkpoints: .disabled).snapshot.state
    }
}
