import Atomics
import CatalogueDomain
import CatalogueStorage
import Dispatch

/// The single writer of a catalogue, and the thread that decides.
///
/// It runs on its own thread because an LMDB write transaction must begin and
/// commit on one thread, and a durable commit blocks for an fsync, which must
/// not occupy the cooperative threads. The pipeline, in the words used
/// throughout (see `WriterTuning` and docs/architecture.md):
///
/// 1. Callers submit to the `SubmissionQueue`; the writer wakes and takes a *batch*.
/// 2. It chooses a path (`WritePath`): plain commands are decided ahead of
///    the durable state and offered to the `Committer` as *chunks*; anything
///    that touches waiting allocations, and small batches on an idle
///    pipeline, are decided and written in a transaction of the writer's own.
/// 3. The committer writes every chunk offered so far as one *job*, publishes
///    the state, and hands the job to the `Answerer`, which answers callers.
///
/// Waiting allocations are parked here (`WaitingAllocations`), with one timer
/// for the earliest deadline and one poll of the log's transaction id for news
/// from other processes.
final class CommandWriter: @unchecked Sendable {
    private let log: EventLog
    private let tuning: WriterTuning
    private let submissions: SubmissionQueue
    private let stopped = DispatchSemaphore(value: 0)
    private let publish: @Sendable (CatalogueSnapshot) -> CatalogueSnapshot
    private let current: @Sendable () -> CatalogueSnapshot
    private let clock: @Sendable () -> Int64
    let statistics: WriterStatistics
    private let committer: Committer
    /// This process's waiter lock and the check of other processes' (see `WaiterLiveness`).
    private let liveness: WaiterLiveness

    // Touched only on the writer thread.
    private var waiting = WaitingAllocations()
    /// The state everything offered to the committer leaves; nil when that is
    /// the published state.
    private var ahead: AheadState?
    /// Answers stored by keyed commands offered to the committer, by key, with
    /// the sequence number of their chunk: not in the log until it commits.
    private var pendingKeys: [String: (answer: [UInt8], sequence: UInt64)] = [:]
    private var prunePendingKeysAt = CommandWriter.pendingKeysKeptBeforePruning

    /// Answers of durable chunks kept before those already in the log are dropped.
    private static let pendingKeysKeptBeforePruning = 4096

    // Read by the timers.
    let waiterCount = ManagedAtomic<Int>(0)
    let lastSeenTransaction = ManagedAtomic<Int>(0)
    private let deadlineTimer: DeadlineTimer

    init(
        log: EventLog, replayedTransaction: Int, tuning: WriterTuning, metrics: CatalogueMetrics,
        clock: @escaping @Sendable () -> Int64, current: @escaping @Sendable () -> CatalogueSnapshot,
        publish: @escaping @Sendable (CatalogueSnapshot) -> CatalogueSnapshot
    ) {
        self.log = log
        self.tuning = tuning
        statistics = WriterStatistics(metrics: metrics)
        liveness = WaiterLiveness(storeDirectory: log.directory)
        self.clock = clock
        self.current = current
        self.publish = publish
        let submissions = SubmissionQueue(tuning: tuning)
        self.submissions = submissions
        deadlineTimer = DeadlineTimer(clock: clock) { _ = submissions.submit(.housekeeping(.expireDeadlines)) }
        let lastSeenTransaction = lastSeenTransaction
        committer = Committer(
            log: log, tuning: tuning, submissions: submissions, statistics: statistics, current: current
        ) { chunks, head, transaction in
            lastSeenTransaction.store(transaction, ordering: .relaxed)
            return publish(CatalogueSnapshot(state: chunks[chunks.count - 1].decided.state, head: head))
        }
        lastSeenTransaction.store(replayedTransaction, ordering: .relaxed)
        startEngineThread(named: "catalog-writer", owner: self, stopped: stopped) { $0.run() }
    }

    /// Queues work; false once the writer is stopping.
    func submit(_ pending: PendingCommand) -> Bool { submissions.submit(pending) }

    /// Queues housekeeping nobody waits for.
    func submitInternal(_ work: PendingCommand.Work) { _ = submissions.submit(.housekeeping(work)) }

    /// Commands submitted and not yet taken by the writer thread.
    var queuedCommands: Int { submissions.count }

    /// Cancels every waiting allocation, finishes what is queued, then stops
    /// the three threads and waits until they have let go of everything.
    func stop() {
        guard submissions.stop(last: .housekeeping(.abandonSession(nil))) else { return }
        deadlineTimer.cancel()
        stopped.wait()
    }

    private func run() {
        while true {
            submissions.waitForWork()
            if let redo = committer.takeHalted() { decideAgain(redo) }
            let batch = submissions.takeBatch()
            if !batch.commands.isEmpty { process(batch.commands) }
            statistics.noteCPU(of: .writer)
            if batch.isLast {
                drain()
                committer.stop()
                return
            }
        }
    }

    // MARK: Choosing a path

    /// How the writer handles one batch.
    enum WritePath: Equatable {
        /// Decide and write it in a transaction of the writer's own: a small
        /// batch meeting an idle pipeline, where a thread hand-over would
        /// cost more than deciding a few commands beside an fsync.
        case ownTransaction
        /// Decide it ahead of the durable state and offer it in chunks.
        case offerInChunks
        /// It touches waiting allocations, which are parked and served in
        /// order with their commits: let everything offered become durable
        /// first, then use a transaction of the writer's own.
        case drainThenOwnTransaction
    }

    /// Plain commands while no allocation waits in this process need nothing
    /// the write transaction holds, so they can be decided while the batch
    /// before them commits. Once callers outpace commits, batches go to the
    /// committer so that the writer decides the next while it commits.
    static func path(
        for batch: [PendingCommand], tuning: WriterTuning, waitersParked: Bool,
        pipelineIdle: @autoclosure () -> Bool, callersOutpaceCommits: @autoclosure () -> Bool
    ) -> WritePath {
        guard !waitersParked, batch.allSatisfy(\.isPlainCommand) else { return .drainThenOwnTransaction }
        if batch.count < tuning.smallestHandedOffBatch, pipelineIdle(), !callersOutpaceCommits() {
            return .ownTransaction
        }
        return .offerInChunks
    }

    private func process(_ batch: [PendingCommand]) {
        let path = Self.path(
            for: batch, tuning: tuning, waitersParked: !waiting.isEmpty, pipelineIdle: committer.isIdle,
            callersOutpaceCommits: submissions.callersOutpaceCommits)
        switch path {
        case .ownTransaction:
            processInTransaction(batch)
        case .offerInChunks:
            // An idle committer starts on the first chunk while the rest are
            // decided; a busy one finds most of them decided when its job ends.
            var start = batch.startIndex
            while start < batch.endIndex {
                let end = min(start + tuning.commandsPerChunk, batch.endIndex)
                decideAhead(start == batch.startIndex && end == batch.endIndex ? batch : Array(batch[start..<end]))
                start = end
            }
        case .drainThenOwnTransaction:
            drain()
            processInTransaction(batch)
        }
    }

    // MARK: Deciding ahead

    /// The state after the chunks offered to the committer. A class: passing a
    /// whole state around by value cost the writer a retain and a release of
    /// every table each time.
    private final class AheadState {
        let state: CatalogueState
        let sequence: UInt64

        init(state: CatalogueState, sequence: UInt64) {
            self.state = state
            self.sequence = sequence
        }
    }

    /// Decides the commands on the state everything offered before them leaves,
    /// and offers them to the committer as one chunk.
    private func decideAhead(_ batch: [PendingCommand]) {
        let base =
            ahead
            ?? {
                let newest = current()
                return AheadState(state: newest.state, sequence: newest.head.sequence)
            }()
        // Stored answers are read before deciding, so that a failed read leaves
        // nothing half decided. A key offered earlier is not in the log yet; the
        // committer's head check catches one another process stored.
        guard let stored = try? storedAnswers(for: batch) else {
            drain()
            processInTransaction(batch)
            return
        }
        var decided = DecidedBatch(state: base.state, sequence: base.sequence)
        decided.decide(batch, BatchDecisionContext(now: clock(), waiting: waiting, liveness: liveness)) { stored[$0] }
        if !decided.storedAnswers.isEmpty { rememberPendingKeys(decided) }
        ahead = AheadState(state: decided.state, sequence: decided.sequence)
        if let redo = committer.offer(Chunk(batch: batch, decided: decided)) { decideAgain(redo) }
    }

    /// The stored answers of the batch's idempotency keys, offered or durable:
    /// one read transaction for every key of the batch, none for a batch without keys.
    private func storedAnswers(for batch: [PendingCommand]) throws -> [String: [UInt8]] {
        var stored: [String: [UInt8]] = [:]
        var unseen: [String] = []
        for case .command(_, let claim?) in batch.lazy.map(\.work) {
            if let answer = pendingKeys[claim.storageKey]?.answer {
                stored[claim.storageKey] = answer
            } else {
                unseen.append(claim.storageKey)
            }
        }
        if !unseen.isEmpty {
            try log.read { reader in
                for key in unseen { if let answer = try reader.storedAnswer(forKey: key) { stored[key] = answer } }
            }
        }
        return stored
    }

    /// Keeps the keyed answers of an offered chunk until they are in the log;
    /// those already durable are dropped once there are many.
    private func rememberPendingKeys(_ decided: DecidedBatch) {
        if pendingKeys.count >= prunePendingKeysAt {
            let durable = current().head.sequence
            pendingKeys = pendingKeys.filter { $0.value.sequence > durable }
            // Many callers may hold keys in flight at once: prune less often then.
            prunePendingKeysAt = max(Self.pendingKeysKeptBeforePruning, 2 * pendingKeys.count)
        }
        for stored in decided.storedAnswers {
            pendingKeys[stored.key] = (stored.answer, decided.sequence)
        }
    }

    /// After the committer halted: decides every command it did not make
    /// durable again, in a transaction, on the durable state.
    private func decideAgain(_ commands: [PendingCommand]) {
        if commands.isEmpty {
            forgetAhead()
        } else {
            processInTransaction(commands)
        }
    }

    /// Nothing offered is pending: the next decision starts from the published state.
    private func forgetAhead() {
        ahead = nil
        pendingKeys.removeAll(keepingCapacity: true)
    }

    /// Waits until everything offered is durable, deciding again whatever a halt returned.
    private func drain() {
        while let redo = committer.waitUntilIdle() { decideAgain(redo) }
        forgetAhead()
    }

    // MARK: The writer's own transaction

    /// What one transaction of the writer's own produced, applied only once it is durable.
    private struct Outcome {
        var snapshot: CatalogueSnapshot
        var answers: [Result<CommandOutcome, NtmsError>?]
        /// Allocations that now wait, by the batch index of their caller.
        var parked: [(index: Int, request: OperatorRequestID)] = []
        /// Waiters served by the engine in this transaction.
        var served: [OperatorRequestID: Allocation] = [:]
        /// Requests closed by any event folded in this transaction.
        var closed: [OperatorRequestID] = []
        /// The LMDB transaction the outcome was read or written in: everything up to it is folded.
        var transaction = 0
    }

    /// Decides, appends and commits in one write transaction, folding other
    /// processes' records first; then parks, answers and serves waiters.
    private func processInTransaction(_ batch: [PendingCommand]) {
        assert(committer.isIdle, "a transaction of the writer's own while the committer has work")
        forgetAhead()
        let base = current()
        let writes = !waiting.isEmpty || batch.contains { if case .refresh = $0.work { false } else { true } }
        let outcome: Outcome
        let begin = DispatchTime.now().uptimeNanoseconds
        do {
            outcome =
                writes
                ? try log.write { writer in try decideAndAppend(batch, base: base, writer: writer) }
                : try log.read { reader in try catchUp(batch, base: base, reader: reader) }
        } catch {
            // Nothing of this batch is in the log and nothing was published.
            let failure = ntmsError(from: error)
            for pending in batch { pending.reply(.failure(failure)) }
            return
        }
        // Not the store's last id now: another process may have committed since, unseen.
        lastSeenTransaction.store(outcome.transaction, ordering: .relaxed)
        if outcome.snapshot.head != base.head {
            _ = publish(outcome.snapshot)
        }
        if writes {
            statistics.recordJob(commands: batch.count, begun: begin, byCommitter: false)
            submissions.writerJobEnded()
        }
        for (index, request) in outcome.parked {
            let pending = batch[index]
            guard case .waitingAllocation(let allocation) = pending.work else { continue }
            waiting.park(
                Waiter(
                    allocation: allocation, application: pending.application, user: pending.user,
                    reply: pending.reply),
                on: request)
        }
        PendingCommand.answer(batch, outcome.answers)
        submissions.putFirst(
            waiting.resolve(closed: outcome.closed, served: outcome.served, in: outcome.snapshot.state))
        waiterCount.store(waiting.count, ordering: .relaxed)
        deadlineTimer.schedule(at: waiting.nextDeadline())
    }

    private func catchUp(_ batch: [PendingCommand], base: CatalogueSnapshot, reader: LogReader) throws -> Outcome {
        var state = base.state
        var closed: [OperatorRequestID] = []
        let head = try fold(reader, into: &state, after: base.head, closed: &closed)
        let snapshot = head == base.head ? base : CatalogueSnapshot(state: state, head: head)
        return Outcome(
            snapshot: snapshot, answers: batch.map { _ in .success(.done) }, closed: closed,
            transaction: reader.transactionID)
    }

    /// Folds other processes' events, noting the requests they closed, which waiters need.
    private func fold(
        _ reader: LogReader, into state: inout CatalogueState, after head: LogHead, closed: inout [OperatorRequestID]
    ) throws -> LogHead {
        try reader.forEachRecord(after: head) { record in
            let event = try record.event()
            state.evolve(event, record.header.envelope)
            if let request = event.closedRequest { closed.append(request) }
        }
    }

    /// Runs inside the write transaction: LMDB's writer lock excludes every other
    /// process, so after folding their events the decisions below see everything.
    private func decideAndAppend(_ batch: [PendingCommand], base: CatalogueSnapshot, writer: LogWriter) throws
        -> Outcome
    {
        var state = base.state
        var closed: [OperatorRequestID] = []
        let start = try fold(writer.reader, into: &state, after: base.head, closed: &closed)
        var decided = DecidedBatch(state: state, sequence: start.sequence)
        let context = BatchDecisionContext(now: clock(), waiting: waiting, liveness: liveness)
        try decided.decide(batch, context) { key in try writer.reader.storedAnswer(forKey: key) }
        let head = try decided.append(after: start, to: writer)
        if head != base.head { try writer.recordHead(head) }
        return Outcome(
            snapshot: head == base.head ? base : CatalogueSnapshot(state: decided.state, head: head),
            answers: decided.answers, parked: decided.parked, served: decided.served, closed: closed + decided.closed,
            // A write transaction that changed nothing commits as no transaction at all.
            transaction: head != base.head ? writer.transactionID : writer.transactionID - 1)
    }
}
