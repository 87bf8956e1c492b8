import CatalogueDomain
import CatalogueStorage
import Foundation

/// One event a decided batch will append, with the header it is logged under.
struct PreparedRecord {
    var header: RecordHeader
    var event: CatalogueEvent
}

extension LoggedEvent {
    init(_ record: PreparedRecord) { self.init(header: record.header, event: record.event) }
}

/// A batch decided against a state, with everything it will write; nothing is
/// written yet.
struct DecidedBatch {
    /// The state after every decision of the batch.
    var state: CatalogueState
    /// The sequence number of the last event before the batch.
    let baseSequence: UInt64
    /// The sequence number of the batch's last record (of the state's last event).
    var sequence: UInt64
    var records: [PreparedRecord] = []
    /// Final answers of commands that carried an idempotency key, to store.
    var storedAnswers: [(key: String, answer: [UInt8])] = []
    /// The same answers with their argument digests, for a key repeated within the batch.
    var answersByKey: [String: (digest: [UInt8], outcome: CommandOutcome)] = [:]
    /// One per command of the batch; nil for an allocation that now waits.
    var answers: [Result<CommandOutcome, NtmsError>?] = []
    /// Allocations that now wait, by the batch index of their caller.
    var parked: [(index: Int, request: OperatorRequestID)] = []
    /// Waiters served by the engine in this batch.
    var served: [OperatorRequestID: Allocation] = [:]
    /// Requests closed by the batch's events.
    var closed: [OperatorRequestID] = []

    init(state: CatalogueState, sequence: UInt64) {
        self.state = state
        self.baseSequence = sequence
        self.sequence = sequence
    }

    var events: [LoggedEvent] { records.map(LoggedEvent.init) }

    /// Appends the records after `head` and stores the keyed answers; returns the new head.
    func append(after head: LogHead, to writer: LogWriter) throws -> LogHead {
        var head = head
        for record in records {
            head = try writer.append(record.header, after: head) { record.event.encodePayload(appendingTo: &$0) }
        }
        for stored in storedAnswers { try writer.storeAnswer(stored.answer, forKey: stored.key) }
        return head
    }
}

/// Makes decided commands durable on a thread of its own, so that the writer
/// decides more while a commit waits for its fsync: with one thread doing both,
/// every commit left the processor idle for the length of an fsync.
///
/// The writer offers each group of commands it decides as a chunk, decided on
/// the state the chunk before it leaves. The committer takes every chunk
/// offered so far as one job, in one transaction, the moment the previous job
/// is durable: it does not wait for the writer, which at 256 callers waited for
/// a core behind the callers' tasks while nothing committed.
///
/// Chunks were decided outside the write transaction, so inside it the
/// committer first checks that the log still ends where the decisions assumed.
/// If another process appended meanwhile, or a commit failed, the committer
/// halts: it writes nothing more, and the writer takes every chunk not yet
/// durable and decides it again inside a transaction of its own.
final class BatchCommitter: @unchecked Sendable {
    /// Commands and what was decided for them.
    struct Chunk: Sendable {
        var batch: [PendingCommand]
        var decided: DecidedBatch
    }

    /// What the committer does once a job is durable, before anything else:
    /// publish the state its last chunk leaves. (Callers are answered after.)
    /// Returns the snapshot it replaced, which the answerer lets go of:
    /// freeing the tables only it held took the committer about 5 % of its time.
    typealias Completion = @Sendable (_ chunks: [Chunk], _ head: LogHead, _ transaction: Int) -> CatalogueSnapshot

    private struct Conflict: Error {}

    private struct Queue {
        var chunks: [Chunk] = []
        /// A job is being written.
        var committing = false
        /// Set when a commit failed or met a log that had moved: the commands to
        /// decide again (offered chunks join them when the writer takes them).
        var halted: [PendingCommand]?
        var stopping = false
        var committerWaits = false
        var writerWaits = false
    }

    private let log: EventLog
    private let maximumBatch: Int
    private let current: @Sendable () -> CatalogueSnapshot
    private let completion: Completion
    private let committing: @Sendable (_ committing: Bool, _ halted: Bool, _ moreOffered: Bool) -> Bool
    private let statistics: WriterStatistics
    private let queue = Locked(Queue())
    private let chunkReady = DispatchSemaphore(value: 0)
    private let jobDone = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let answerer: Answerer

    /// `committing` is told when a job starts and when it ends (whether the
    /// committer halted, and whether chunks were waiting); `current` is the
    /// newest published state.
    init(
        log: EventLog, maximumBatch: Int, statistics: WriterStatistics,
        current: @escaping @Sendable () -> CatalogueSnapshot,
        committing: @escaping @Sendable (_ committing: Bool, _ halted: Bool, _ moreOffered: Bool) -> Bool,
        completion: @escaping Completion
    ) {
        self.log = log
        self.maximumBatch = maximumBatch
        self.statistics = statistics
        self.current = current
        self.committing = committing
        self.completion = completion
        answerer = Answerer(statistics: statistics)
        startEngineThread(named: "catalog-commit", owner: self, stopped: stopped) { $0.run() }
    }

    /// Queues a chunk decided on the state of everything offered before it.
    /// Returns whether a job was committing or waiting (the chunk overlapped
    /// a commit) and whether the committer has halted (take `takeHalt()`).
    func offer(_ chunk: Chunk) -> (overlapped: Bool, halted: Bool) {
        let (overlapped, halted, wake) = queue.withLock { queue in
            let overlapped = queue.committing || !queue.chunks.isEmpty
            queue.chunks.append(chunk)
            let wake = queue.committerWaits
            queue.committerWaits = false
            return (overlapped, queue.halted != nil, wake)
        }
        if wake { chunkReady.signal() }
        return (overlapped, halted)
    }

    /// Nothing offered is waiting or being written, and the committer has not halted.
    var isIdle: Bool {
        queue.withLock { $0.chunks.isEmpty && !$0.committing && $0.halted == nil }
    }

    /// After a halt: every command offered and not durable, in order, for the
    /// writer to decide again; the committer then takes chunks again.
    func takeHalt() -> [PendingCommand]? {
        queue.withLock { queue in
            guard var commands = queue.halted else { return nil }
            for chunk in queue.chunks { commands.append(contentsOf: chunk.batch) }
            queue.chunks = []
            queue.halted = nil
            return commands
        }
    }

    /// Blocks until everything offered is durable, or the committer halts (then
    /// returns what `takeHalt()` would).
    func waitUntilIdle() -> [PendingCommand]? {
        while true {
            let idle = queue.withLock { queue -> Bool in
                guard queue.halted == nil, !queue.chunks.isEmpty || queue.committing else { return true }
                queue.writerWaits = true
                return false
            }
            if idle { return takeHalt() }
            jobDone.wait()
        }
    }

    /// Ends the thread once every caller is answered, and waits until it has let
    /// go of everything; the writer has waited until idle first.
    func stop() {
        let wake = queue.withLock { queue in
            queue.stopping = true
            defer { queue.committerWaits = false }
            return queue.committerWaits
        }
        if wake { chunkReady.signal() }
        stopped.wait()
        answerer.stop()
    }

    private enum Step {
        case commit([Chunk])
        case wait
        case stop
    }

    private func run() {
        var awaitWriter = false
        while true {
            // Commands still queued for the writer when a job ended are about to
            // be offered: without waiting for them (at most 0.2 ms), up to 15 of
            // every job's commands went to the job after, a quarter of them at 64
            // callers. Not when chunks are already waiting: the committer has work
            // then, and waiting left it idle 5 % of the time at 256 callers.
            if awaitWriter {
                awaitWriter = false
                let waits = queue.withLock { queue in
                    queue.committerWaits = queue.halted == nil
                    return queue.committerWaits
                }
                if waits, chunkReady.wait(timeout: .now() + .microseconds(200)) == .timedOut {
                    queue.withLock { $0.committerWaits = false }
                }
            }
            let step = queue.withLock { queue -> Step in
                if queue.halted == nil, !queue.chunks.isEmpty {
                    queue.committing = true
                    return .commit(Self.take(&queue.chunks, upTo: maximumBatch))
                }
                if queue.stopping { return .stop }
                queue.committerWaits = true
                return .wait
            }
            switch step {
            case .stop: return
            case .wait: chunkReady.wait()
            case .commit(let chunks):
                _ = committing(true, false, false)
                var displaced: CatalogueSnapshot?
                let redo = commit(chunks, displaced: &displaced)
                let (wakeWriter, moreOffered) = queue.withLock { queue in
                    queue.committing = false
                    queue.halted = redo
                    defer { queue.writerWaits = false }
                    return (queue.writerWaits, !queue.chunks.isEmpty)
                }
                awaitWriter = committing(false, redo != nil, moreOffered) && redo == nil && !moreOffered
                if wakeWriter { jobDone.signal() }
                if redo == nil { answerer.answer(chunks, releasing: displaced) }
                statistics.noteCPU(of: .committer)
            }
        }
    }

    /// The oldest chunks, at least one, holding at most `limit` commands.
    private static func take(_ chunks: inout [Chunk], upTo limit: Int) -> [Chunk] {
        var count = 0
        var end = 0
        while end < chunks.count, end == 0 || count + chunks[end].batch.count <= limit {
            count += chunks[end].batch.count
            end += 1
        }
        if end == chunks.count {
            defer { chunks = [] }
            return chunks
        }
        defer { chunks.removeFirst(end) }
        return Array(chunks[..<end])
    }

    /// Writes the chunks in one transaction and publishes them. Otherwise
    /// returns the commands to decide again (none after a failed commit, whose
    /// callers were told why), and the committer halts.
    private func commit(_ chunks: [Chunk], displaced: inout CatalogueSnapshot?) -> [PendingCommand]? {
        let newest = current()
        guard chunks[0].decided.baseSequence == newest.head.sequence else {
            // Decided on a state that never became durable.
            return chunks.flatMap(\.batch)
        }
        guard chunks.contains(where: { !$0.decided.records.isEmpty }) else {
            // Every command was refused or answered from a stored answer: nothing to write.
            return nil
        }
        let begin = DispatchTime.now().uptimeNanoseconds
        do {
            let (head, transaction) = try log.write { writer in
                guard try writer.reader.head() == newest.head else { throw Conflict() }
                var head = newest.head
                for chunk in chunks { head = try chunk.decided.append(after: head, to: writer) }
                try writer.recordHead(head)
                return (head, writer.transactionID)
            }
            statistics.recordCommit(
                commands: chunks.reduce(0) { $0 + $1.batch.count }, begun: begin, byCommitter: true)
            displaced = completion(chunks, head, transaction)
            return nil
        } catch is Conflict {
            return chunks.flatMap(\.batch)
        } catch {
            // Nothing of these chunks is in the log and nothing was published.
            let failure = ntmsError(from: error)
            for chunk in chunks { for pending in chunk.batch { pending.reply(.failure(failure)) } }
            return []
        }
    }
}

/// Answers the callers of durable chunks on a thread of its own, in the order
/// they committed. Resuming a job's callers took the committer about 0.17 ms
/// at 256 callers, during which nothing was committing; freeing the job's
/// records, and the snapshot its publication replaced, goes with it.
final class Answerer: @unchecked Sendable {
    private struct Job {
        var chunks: [BatchCommitter.Chunk]
        var displaced: CatalogueSnapshot?
    }

    private let queue = Locked<(jobs: [Job], waits: Bool, stopping: Bool)>(([], false, false))
    private let ready = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    private let statistics: WriterStatistics

    init(statistics: WriterStatistics) {
        self.statistics = statistics
        startEngineThread(named: "catalog-answer", owner: self, stopped: stopped) { $0.run() }
    }

    /// Answers the callers of `chunks`, then lets go of them and of `displaced`.
    func answer(_ chunks: [BatchCommitter.Chunk], releasing displaced: CatalogueSnapshot?) {
        let wake = queue.withLock { queue in
            queue.jobs.append(Job(chunks: chunks, displaced: displaced))
            defer { queue.waits = false }
            return queue.waits
        }
        if wake { ready.signal() }
    }

    /// Returns once everything queued is answered and the thread has ended.
    func stop() {
        let wake = queue.withLock { queue in
            queue.stopping = true
            defer { queue.waits = false }
            return queue.waits
        }
        if wake { ready.signal() }
        stopped.wait()
    }

    private func run() {
        while true {
            let (jobs, stopping) = queue.withLock { queue in
                var jobs: [Job] = []
                swap(&jobs, &queue.jobs)
                if jobs.isEmpty && !queue.stopping { queue.waits = true }
                return (jobs, queue.stopping)
            }
            if jobs.isEmpty {
                if stopping { return }
                ready.wait()
                continue
            }
            for job in jobs {
                for chunk in job.chunks { CommandWriter.answer(chunk.batch, chunk.decided.answers) }
            }
            statistics.noteCPU(of: .answerer)
        }
    }
}
