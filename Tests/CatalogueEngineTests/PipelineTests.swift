import CatalogueDomain
import Dispatch
import Foundation
import Testing

@testable import CatalogueEngine
@testable import CatalogueStorage

/// The writer decides a batch while the batch before it commits. Each test
/// holds the first batch just before its write transaction (`WriteGate`), waits
/// until the second has been decided on a state that is not durable yet, then
/// lets the first go.
@Suite struct PipelineTests {
    @Test func whileOneBatchCommitsTheNextIsDecidedOnTheStateItLeaves() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open(options: CatalogueOptions(checkpoints: .disabled))
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 4)
        let gate = WriteGate(catalogue)

        async let first = session.allocate(AllocationRequest(pool: seeded.pool))
        try await eventually { gate.isHeld }
        let overlapped = catalogue.writer.statistics.overlappedBatches
        async let second = session.allocate(AllocationRequest(pool: seeded.pool))
        try await eventually { catalogue.writer.statistics.overlappedBatches == overlapped + 1 }
        #expect(gate.isHeld && catalogue.writer.statistics.overlappedBatches == overlapped + 1)
        gate.release()
        let (a, b) = try await (first, second)

        // The second saw the first's allocation although it was not durable yet.
        #expect(a.side != b.side)
        let logged = try catalogue.history(of: [a.side.rawValue, b.side.rawValue])
            .filter { $0.event.name == "SideAllocated" }
        #expect(logged.count == 2)
        #expect(logged.first.map { $0.sequence < logged[1].sequence } == true)
        #expect(try catalogue.audit().ok)
        let published = catalogue.snapshot.state
        catalogue.close()
        let reopened = try await store.open(options: CatalogueOptions(checkpoints: .disabled))
        defer { reopened.close() }
        #expect(reopened.snapshot.state == published)
    }

    /// The second batch was refused on the first's state (the only side was
    /// taken); when the first fails to commit, that refusal is never sent: the
    /// second is decided again on the durable state and gets the side.
    @Test func aBatchDecidedOnOneThatFailsToCommitIsDecidedAgainOnTheDurableState() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open(options: CatalogueOptions(checkpoints: .disabled))
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 1, sides: 1)
        let request = AllocationRequest(pool: seeded.pool, errorIfUnavailable: true)
        let gate = WriteGate(catalogue)

        async let first = outcome { try await session.allocate(request) }
        try await eventually { gate.isHeld }
        let overlapped = catalogue.writer.statistics.overlappedBatches
        async let second = outcome { try await session.allocate(request) }
        try await eventually { catalogue.writer.statistics.overlappedBatches == overlapped + 1 }
        #expect(gate.isHeld && catalogue.writer.statistics.overlappedBatches == overlapped + 1)
        catalogue.log.faults.failCommits(errno: EIO, after: 0)
        gate.release()
        let (a, b) = await (first, second)

        #expect(a.error?.code == .databaseFailure)
        let allocation = try #require(try? b.get())
        #expect(Array(catalogue.snapshot.state.logicalMedia.keys) == [allocation.logicalMedium])
        #expect(try catalogue.audit().ok)
    }

    @Test func aKeyTheBatchInFlightAnsweredAnswersItsRetryWithoutWriting() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open(options: CatalogueOptions(checkpoints: .disabled))
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 4)
        let gate = WriteGate(catalogue)
        let headBefore = catalogue.snapshot.head.sequence

        async let first = session.allocate(AllocationRequest(pool: seeded.pool), idempotencyKey: "job-7")
        try await eventually { gate.isHeld }
        let overlapped = catalogue.writer.statistics.overlappedBatches
        async let retry = session.allocate(AllocationRequest(pool: seeded.pool), idempotencyKey: "job-7")
        try await eventually { catalogue.writer.statistics.overlappedBatches == overlapped + 1 }
        #expect(gate.isHeld && catalogue.writer.statistics.overlappedBatches == overlapped + 1)
        gate.release()
        let (a, b) = try await (first, retry)

        #expect(a == b)
        #expect(catalogue.snapshot.state.logicalMedia.count == 1)
        // Only the first allocation's events were written (the medium leaves
        // scratch, then a side is allocated).
        #expect(catalogue.snapshot.head.sequence - headBefore == 2)
    }
}

/// Holds the first write transaction that begins after it is made, until released.
final class WriteGate: @unchecked Sendable {
    private let state = NSLock()
    private var used = false
    private var held = false
    private let released = DispatchSemaphore(value: 0)

    init(_ catalogue: Catalogue, then action: (@Sendable () -> Void)? = nil) {
        catalogue.log.faults.beforeWrite = { [self] in
            let first = state.withLock {
                defer { used = true }
                return !used
            }
            guard first else { return }
            if let action {
                action()
                return
            }
            state.withLock { held = true }
            released.wait()
        }
    }

    var isHeld: Bool { state.withLock { held } }

    func release() { released.signal() }
}

/// What `body` returned or threw, as a value.
func outcome<T>(_ body: () async throws -> T) async -> Result<T, NtmsError> {
    do { return .success(try await body()) } catch let error as NtmsError { return .failure(error) } catch {
        return .failure(NtmsError(.notEnoughMemory, "unexpected \(error)"))
    }
}

extension Result where Failure == NtmsError {
    var error: NtmsError? { if case .failure(let error) = self { error } else { nil } }
}
