import CatalogueDomain
import CatalogueStorage
import Dispatch

/// Makes decided chunks durable on a thread of its own, so that the writer
/// decides more while a job waits for its fsync: with one thread doing both,
/// every commit left the processor idle for the length of an fsync.
///
/// The committer takes every chunk offered so far as one job the moment the
/// previous job is durable; it does not wait for the writer, which may be
/// waiting for a core behind the callers' tasks.
///
/// Chunks were decided outside the write transaction, so inside it the
/// committer first checks that the log still ends where the decisions assumed.
/// If another process appended meanwhile, or a commit failed, the committer
/// halts (see `CommitterStateMachine`).
final class Committer: @unchecked Sendable {
    /// Publishes the state a durable job's last chunk leaves, before anything
    /// else; returns the snapshot it replaced, which the answerer lets go of,
    /// so that freeing the tables only it held costs the committer nothing.
    typealias Publish = @Sendable (_ chunks: [Chunk], _ head: LogHead, _ transaction: Int) -> CatalogueSnapshot

    private struct Conflict: Error {}

    private let log: EventLog
    private let machine: Locked<CommitterStateMachine>
    private let submissions: SubmissionQueue
    private let current: @Sendable () -> CatalogueSnapshot
    private let publish: Publish
    private let statistics: WriterStatistics
    private let patience: Duration
    private let chunkReady = DispatchSemaphore(value: 0)
    private let jobDone = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let answerer: Answerer

    /// `current` is the newest published state; `submissions` is told when
    /// each job starts and ends.
    init(
        log: EventLog, tuning: WriterTuning, submissions: SubmissionQueue, statistics: WriterStatistics,
        current: @escaping @Sendable () -> CatalogueSnapshot, publish: @escaping Publish
    ) {
        self.log = log
        machine = Locked(CommitterStateMachine(tuning: tuning))
        self.submissions = submissions
        self.statistics = statistics
        self.current = current
        self.publish = publish
        patience = tuning.committerPatience
        answerer = Answerer(statistics: statistics)
        startEngineThread(named: "catalog-commit", owner: self, stopped: stopped) { $0.run() }
    }

    /// Queues a chunk decided on the state of everything offered before it.
    /// Returns the commands to decide again if the committer has halted.
    func offer(_ chunk: Chunk) -> [PendingCommand]? {
        switch machine.withLock({ $0.offer(chunk) }) {
        case .queued:
            statistics.recordOffer(overlapped: false)
        case .queuedBehindJob:
            statistics.recordOffer(overlapped: true)
        case .queuedAndWakeCommitter:
            statistics.recordOffer(overlapped: false)
            chunkReady.signal()
        case .decideAgain(let redo):
            return redo
        }
        return nil
    }

    var isIdle: Bool { machine.withLock { $0.isIdle } }

    /// After a halt: every command offered and not durable, to decide again.
    func takeHalted() -> [PendingCommand]? { machine.withLock { $0.takeHalted() } }

    /// Blocks until everything offered is durable, or the committer halts
    /// (then returns the commands to decide again).
    func waitUntilIdle() -> [PendingCommand]? {
        while true {
            switch machine.withLock({ $0.waitUntilIdle() }) {
            case .idle: return nil
            case .decideAgain(let redo): return redo
            case .waitForJob: jobDone.wait()
            }
        }
    }

    /// Ends the thread once every caller is answered, and waits until it has
    /// let go of everything; the writer has waited until idle first.
    func stop() {
        if machine.withLock({ $0.stop() }) == .wakeCommitter { chunkReady.signal() }
        stopped.wait()
        answerer.stop()
    }

    private func run() {
        while true {
            switch machine.withLock({ $0.look() }) {
            case .exit: return
            case .sleep: chunkReady.wait()
            case .commit(let chunks): write(chunks)
            }
        }
    }

    private func write(_ chunks: [Chunk]) {
        submissions.jobStarted()
        var displaced: CatalogueSnapshot?
        let redo = commit(chunks, displaced: &displaced)
        let chunksWaiting: Bool
        switch machine.withLock({ $0.jobEnded(redo: redo) }) {
        case .lookAgain(let waiting):
            chunksWaiting = waiting
        case .wakeWriterAndLookAgain(let waiting):
            chunksWaiting = waiting
            jobDone.signal()
        }
        let expectsChunk = submissions.jobEnded(halted: redo != nil, chunksWaiting: chunksWaiting)
        if redo == nil { answerer.answer(chunks, releasing: displaced) }
        statistics.noteCPU(of: .committer)
        if expectsChunk, !chunksWaiting, machine.withLock({ $0.expectChunk() }) == .sleepBriefly {
            _ = chunkReady.wait(timeout: .now() + .nanoseconds(Int(patience.nanoseconds)))
            machine.withLock { $0.expectationEnded() }
        }
    }

    /// Writes the chunks in one transaction and publishes them. Otherwise
    /// returns the commands to decide again (none after a failed commit, whose
    /// callers were told why).
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
            statistics.recordJob(commands: chunks.reduce(0) { $0 + $1.batch.count }, begun: begin, byCommitter: true)
            displaced = publish(chunks, head, transaction)
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

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
