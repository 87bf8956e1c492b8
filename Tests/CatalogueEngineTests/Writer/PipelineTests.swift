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
        let f = try await PipelineFixture(media: 4)
        defer { f.close() }
        let request = AllocationRequest(pool: f.seeded.pool)
        let allocate: @Sendable () async throws -> Allocation = { try await f.session.allocate(request) }
        let (a, b) = try await f.overlapping(allocate, then: allocate)

        // The second saw the first's allocation although it was not durable yet.
        let (first, second) = (try a.get(), try b.get())
        #expect(first.side != second.side)
        let logged = try f.catalogue.history(of: [first.side.rawValue, second.side.rawValue])
            .filter { $0.event.name == "SideAllocated" }
        #expect(logged.count == 2)
        #expect(logged.first.map { $0.sequence < logged[1].sequence } == true)
        #expect(try f.catalogue.audit().ok)
        let published = f.catalogue.snapshot.state
        f.catalogue.close()
        let reopened = try await f.store.open(options: CatalogueOptions(checkpoints: .disabled))
        defer { reopened.close() }
        #expect(reopened.snapshot.state == published)
    }

    /// The second batch was refused on the first's state (the only side was
    /// taken); when the first fails to commit, that refusal is never sent: the
    /// second is decided again on the durable state and gets the side.
    @Test func aBatchDecidedOnOneThatFailsToCommitIsDecidedAgainOnTheDurableState() async throws {
        let f = try await PipelineFixture(media: 1, sides: 1)
        defer { f.close() }
        let request = AllocationRequest(pool: f.seeded.pool, errorIfUnavailable: true)
        let allocate: @Sendable () async throws -> Allocation = { try await f.session.allocate(request) }
        let (a, b) = try await f.overlapping(allocate, then: allocate) {
            f.catalogue.log.faults.failCommits(errno: EIO, after: 0)
        }

        #expect(a.error?.code == .databaseFailure)
        let allocation = try #require(try? b.get())
        #expect(Array(f.catalogue.snapshot.state.logicalMedia.keys) == [allocation.logicalMedium])
        #expect(try f.catalogue.audit().ok)
    }

    /// While a batch commits, the writer is woken once per sixteen commands;
    /// fewer are taken when the commit ends, which wakes it too.
    @Test func commandsThatCameDuringACommitAreTakenWhenItEnds() async throws {
        let f = try await PipelineFixture(media: 8, tuning: WriterTuning(smallestHandedOffBatch: 1))
        defer { f.close() }
        let request = AllocationRequest(pool: f.seeded.pool)
        let session = f.session
        let gate = WriteGate(f.catalogue)
        async let first = session.allocate(request)
        try await eventually { gate.isHeld }
        let overlapped = f.catalogue.writer.statistics.overlappedChunks
        let rest = f.allocate(3, request)
        try await Task.sleep(for: .milliseconds(200))
        #expect(f.catalogue.writer.statistics.overlappedChunks == overlapped)
        gate.release()
        let allocations = try await [first] + rest.value
        #expect(Set(allocations.map(\.side)).count == 4)
        #expect(try f.catalogue.audit().ok)
    }

    @Test func aKeyTheBatchInFlightAnsweredAnswersItsRetryWithoutWriting() async throws {
        let f = try await PipelineFixture(media: 4)
        defer { f.close() }
        let request = AllocationRequest(pool: f.seeded.pool)
        let headBefore = f.catalogue.snapshot.head.sequence
        let allocate: @Sendable () async throws -> Allocation = {
            try await f.session.allocate(request, idempotencyKey: "job-7")
        }
        let (a, b) = try await f.overlapping(allocate, then: allocate)

        #expect(try a.get() == b.get())
        #expect(f.catalogue.snapshot.state.logicalMedia.count == 1)
        // Only the first allocation's events were written (the medium leaves
        // scratch, then a side is allocated).
        #expect(f.catalogue.snapshot.head.sequence - headBefore == 2)
    }

    /// Each command offered while the first commits is a chunk of its own; once
    /// the first is durable the committer writes every chunk offered meanwhile
    /// in one transaction, up to the batch limit.
    @Test(arguments: [(4096, 1), (2, 2)])
    func aCommitTakesEveryChunkOfferedDuringTheOneBeforeUpToTheBatchLimit(_ limit: Int, _ commits: Int)
        async throws
    {
        let f = try await PipelineFixture(media: 8, tuning: .handEverythingOver(maximumBatch: limit))
        defer { f.close() }
        let request = AllocationRequest(pool: f.seeded.pool)
        let session = f.session
        let gate = WriteGate(f.catalogue)
        let before = f.catalogue.commitStatistics
        async let first = session.allocate(request)
        try await eventually { gate.isHeld }
        var rest: [Task<Allocation, any Error>] = []
        for _ in 0..<3 {
            let overlapped = f.catalogue.writer.statistics.overlappedChunks
            rest.append(Task { try await session.allocate(request) })
            try await eventually { f.catalogue.writer.statistics.overlappedChunks == overlapped + 1 }
        }
        gate.release()
        var allocations = [try await first]
        for task in rest { allocations.append(try await task.value) }
        #expect(Set(allocations.map(\.side)).count == 4)
        let after = f.catalogue.commitStatistics
        #expect(after.commands - before.commands == 4)
        #expect(after.jobs - before.jobs == 1 + commits)
        #expect(try f.catalogue.audit().ok)
    }
}

@Suite struct ChunkTests {
    /// 150 commands queue while a commit is held; when it ends the writer takes
    /// them as one batch and offers them in slices, so that the committer can
    /// start on the first while the rest are decided. The held commit is the
    /// writer's own: were it the committer's, a wake-up left over from seeding
    /// could let the writer take part of the queue early (a flaky count).
    @Test(arguments: [(64, 3), (128, 2), (4096, 1)])
    func aLargeBatchIsOfferedToTheCommitterASliceAtATime(_ slice: Int, _ chunks: Int) async throws {
        // A lone command into an idle engine: the writer commits it itself.
        let tuning = WriterTuning(commandsPerChunk: slice, smallestHandedOffBatch: 2, commandsPerWakeWhileCommitting: 1)
        let f = try await PipelineFixture(media: 100, tuning: tuning)
        defer { f.close() }
        let request = AllocationRequest(pool: f.seeded.pool)
        let session = f.session
        let gate = WriteGate(f.catalogue)
        let offered = f.catalogue.writer.statistics.chunksOffered
        async let first = session.allocate(request)
        try await eventually { gate.isHeld }
        #expect(f.catalogue.writer.statistics.chunksOffered == offered, "the held commit is the writer's own")
        let rest = f.allocate(150, request)
        try await eventually { f.catalogue.writer.queuedCommands == 150 }
        gate.release()
        let allocations = try await [first] + rest.value
        #expect(Set(allocations.map(\.side)).count == 151)
        // The writer counts a chunk just after offering it, and the committer
        // may have answered the chunk's callers by then.
        try await eventually { f.catalogue.writer.statistics.chunksOffered - offered >= chunks }
        #expect(f.catalogue.writer.statistics.chunksOffered - offered == chunks)
        #expect(try f.catalogue.audit().ok)
    }
}

@Suite struct CommitStatisticsTests {
    @Test func aCommitsTimeRunsFromAskingForTheTransactionToItsDurableEnd() async throws {
        let f = try await PipelineFixture(media: 4)
        defer { f.close() }
        let gate = WriteGate(f.catalogue)
        let before = f.catalogue.commitStatistics
        let session = f.session
        let pool = f.seeded.pool
        let allocation = Task { try await session.allocate(AllocationRequest(pool: pool)) }
        try await eventually { gate.isHeld }
        try await Task.sleep(for: .milliseconds(100))
        gate.release()
        _ = try await allocation.value
        let after = f.catalogue.commitStatistics
        #expect(after.jobs - before.jobs == 1)
        #expect(after.commands - before.commands == 1)
        #expect(after.jobSeconds - before.jobSeconds >= 0.1)
    }
}

@Suite struct SmallBatchTests {
    @Test func aLoneCallerIsCommittedByTheWriterAndCallersArrivingDuringACommitByTheCommitter() async throws {
        let f = try await PipelineFixture(media: 8, tuning: WriterTuning(commandsPerWakeWhileCommitting: 1))
        defer { f.close() }
        let writer = f.catalogue.writer
        let session = f.session
        let request = AllocationRequest(pool: f.seeded.pool)
        // Alone: the writer commits it itself, sparing a thread hand-over.
        _ = try await session.allocate(request)
        let before = writer.statistics.committerJobs
        _ = try await session.allocate(request)
        #expect(writer.statistics.committerJobs == before)
        // A second caller arrives while the writer's own commit is held.
        let gate = WriteGate(f.catalogue)
        let first = Task { try await session.allocate(request) }
        try await eventually { gate.isHeld }
        let second = Task { try await session.allocate(request) }
        try await eventually { writer.queuedCommands == 1 }
        gate.release()
        _ = try await first.value
        _ = try await second.value
        #expect(writer.statistics.committerJobs == before + 1, "the arrival goes to the committer")
        // Alone again, nothing arriving during the committer's job: the writer's own again.
        _ = try await session.allocate(request)
        #expect(writer.statistics.committerJobs == before + 1)
        #expect(try f.catalogue.audit().ok)
    }
}

/// A seeded catalogue whose writes a test can hold.
struct PipelineFixture {
    let store: TestStore
    let catalogue: Catalogue
    let session: Session
    let seeded: Seeded

    /// Unless told otherwise, every batch is handed to the committer and
    /// every command is decided ahead as it comes.
    init(
        media: Int, sides: Int = 2, tuning: WriterTuning = .handEverythingOver(), label: String = #function
    ) async throws {
        store = TestStore(label)
        catalogue = try await store.open(options: CatalogueOptions(writer: tuning, checkpoints: .disabled))
        session = try catalogue.session(application: "test", user: "tester")
        seeded = try await Seeded.make(session, media: media, sides: sides)
    }

    func close() {
        catalogue.close()
        store.remove()
    }

    /// `count` allocations made at once, from as many tasks.
    func allocate(_ count: Int, _ request: AllocationRequest) -> Task<[Allocation], any Error> {
        let session = session
        return Task {
            try await withThrowingTaskGroup(of: Allocation.self) { group in
                for _ in 0..<count { group.addTask { try await session.allocate(request) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
    }

    /// Runs `first` and holds its write just before the transaction; runs
    /// `second` until the writer has decided it on the state `first` leaves;
    /// then runs `beforeRelease` and lets `first` go.
    func overlapping<T: Sendable>(
        _ first: @escaping @Sendable () async throws -> T, then second: @escaping @Sendable () async throws -> T,
        beforeRelease: () -> Void = {}
    ) async throws -> (Result<T, NtmsError>, Result<T, NtmsError>) {
        let gate = WriteGate(catalogue)
        let statistics = catalogue.writer.statistics
        async let a = outcome(first)
        try await eventually { gate.isHeld }
        let overlapped = statistics.overlappedChunks
        async let b = outcome(second)
        try await eventually { statistics.overlappedChunks == overlapped + 1 }
        #expect(gate.isHeld && statistics.overlappedChunks == overlapped + 1)
        beforeRelease()
        gate.release()
        return await (a, b)
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

extension WriterTuning {
    /// Every batch is handed to the committer and every command is decided ahead as it comes.
    static func handEverythingOver(maximumBatch: Int = 4096) -> WriterTuning {
        WriterTuning(
            maximumBatch: maximumBatch, commandsPerChunk: min(128, maximumBatch), smallestHandedOffBatch: 1,
            commandsPerWakeWhileCommitting: 1)
    }
}
