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
    /// The same answers, for a key repeated within the batch.
    var answersByKey: [String: CommandOutcome] = [:]
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

/// Makes decided batches durable on a thread of its own, so that the writer
/// decides the next batch while this one waits for its fsync: with one thread
/// doing both, every commit left the processor idle for the length of an fsync.
///
/// One batch at a time. A batch was decided outside the write transaction, on
/// the state the previous batch left, so inside the transaction the committer
/// first checks that the log still ends where the decisions assumed; if another
/// process appended meanwhile, it writes nothing and reports a conflict, and the
/// writer decides the batch again inside a transaction of its own.
final class BatchCommitter: @unchecked Sendable {
    struct Job: Sendable {
        var batch: [PendingCommand]
        var decided: DecidedBatch
        /// Where the log must end for the decisions to stand.
        var after: LogHead
    }

    enum CommitResult {
        /// Durable and published; its callers are answered right after.
        case committed
        /// Not written; its callers were told why.
        case failed
        /// Not written and not answered: the log moved since the batch was decided.
        case conflict
    }

    /// What the committer does once a job is durable, before the writer hears of
    /// it: publish it. (Its callers are answered after.)
    typealias Completion = @Sendable (_ job: Job, _ head: LogHead, _ transaction: Int) -> Void

    private struct Conflict: Error {}

    private let log: EventLog
    private let completion: Completion
    private let finished: @Sendable () -> Void
    private let statistics: WriterStatistics
    private let slot = Locked<(job: Job?, result: CommitResult?, stopping: Bool)>((nil, nil, false))
    private let jobReady = DispatchSemaphore(value: 0)
    private let resultReady = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    /// `finished` is told whenever a job has finished, before `wait` returns it.
    init(
        log: EventLog, statistics: WriterStatistics, finished: @escaping @Sendable () -> Void,
        completion: @escaping Completion
    ) {
        self.log = log
        self.statistics = statistics
        self.finished = finished
        self.completion = completion
        // Weak, so that once `run` returns the thread holds nothing of the catalogue
        // and `stop` can promise that.
        let thread = Thread { [weak self, stopped] in
            self?.run()
            stopped.signal()
        }
        thread.name = "catalogue-committer"
        thread.start()
    }

    /// Hands a job over; the previous one must have been waited for.
    func start(_ job: Job) {
        slot.withLock { slot in
            precondition(slot.job == nil && slot.result == nil, "one batch commits at a time")
            slot.job = job
        }
        jobReady.signal()
    }

    /// Blocks until the job handed over last has finished.
    func wait() -> CommitResult {
        resultReady.wait()
        return slot.withLock { slot in
            defer { slot.result = nil }
            return slot.result!
        }
    }

    /// Whether the job handed over last has finished, so `wait` returns at once.
    var hasFinished: Bool { slot.withLock { $0.result != nil } }

    /// Ends the thread and waits until it has let go of everything; no job may be in flight.
    func stop() {
        slot.withLock { $0.stopping = true }
        jobReady.signal()
        stopped.wait()
    }

    private func run() {
        while true {
            jobReady.wait()
            let (job, stopping) = slot.withLock { slot in
                defer { slot.job = nil }
                return (slot.job, slot.stopping)
            }
            guard let job else {
                if stopping { return }
                continue
            }
            let result = commit(job)
            slot.withLock { $0.result = result }
            resultReady.signal()
            finished()
            // Answering wakes every caller, and their tasks fill both cores: a
            // writer woken after that waited for a core, with nothing committing
            // meanwhile (about 0.55 ms a batch at 256 callers). Told first, it
            // hands the next batch over while this thread answers.
            if case .committed = result { CommandWriter.answer(job.batch, job.decided.answers) }
            statistics.noteCPU(of: .committer)
        }
    }

    private func commit(_ job: Job) -> CommitResult {
        do {
            let (head, transaction) = try log.write { writer in
                guard try writer.reader.head() == job.after else { throw Conflict() }
                let head = try job.decided.append(after: job.after, to: writer)
                try writer.recordHead(head)
                return (head, writer.transactionID)
            }
            completion(job, head, transaction)
            return .committed
        } catch is Conflict {
            return .conflict
        } catch {
            // Nothing of this batch is in the log and nothing was published.
            let failure = ntmsError(from: error)
            for pending in job.batch { pending.reply(.failure(failure)) }
            return .failed
        }
    }
}
