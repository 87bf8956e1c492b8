import Atomics
import CatalogueDomain
import CatalogueStorage
import Dispatch
import Foundation
import HeapModule

/// One unit of work for the writer, with the caller to answer.
struct PendingCommand: Sendable {
    enum Work: Sendable {
        case command(CatalogueCommand, idempotency: IdempotencyClaim?)
        /// AllocateNtmsMedia with a timeout: answered when allocated, cancelled or timed out.
        case waitingAllocation(WaitingAllocation)
        /// Fold what other processes appended (and serve waiters it unblocks).
        case refresh
        /// Time out waiting allocations whose deadline passed.
        case expireDeadlines
        /// Cancel the waiting allocations of a closed session (nil: of every session).
        case abandonSession(UInt64?)
        /// Close requests whose waiting process is gone.
        case reapOrphans
    }

    var work: Work
    var application: String
    var user: String
    var reply: @Sendable (Result<CommandOutcome, NtmsError>) -> Void
}

/// What a waiting allocation asks for.
struct WaitingAllocation: Sendable {
    var request: AllocationRequest
    /// Nanoseconds since 1970; nil waits forever.
    var deadline: Int64?
    var session: UInt64
    var idempotency: IdempotencyClaim?
    /// Told the id of each NEWMEDIA request the allocation waits on.
    var onWait: @Sendable (OperatorRequestID) -> Void
}

/// An allocation parked on an open NEWMEDIA request. Lives on the writer thread.
struct Waiter {
    var allocation: WaitingAllocation
    var application: String
    var user: String
    var reply: @Sendable (Result<CommandOutcome, NtmsError>) -> Void
}

/// Commands submitted and not yet taken by the writer thread.
struct SubmissionQueue {
    var commands: [PendingCommand] = []
    var stopping = false
    /// The committer is writing a job.
    var committing = false
    /// Commands were submitted, or chunks offered, while the last commit ran:
    /// callers are arriving faster than one commit at a time.
    var commandsCameDuringLastCommit = false
}

/// The single writer of a catalogue. It runs on its own thread because an LMDB
/// write transaction must begin and commit on one thread, and a durable commit
/// blocks for an fsync, which must not occupy the two cooperative threads.
///
/// Group commit: every command queued while a commit is in flight goes into the
/// next transaction, so many callers share one fsync. Waiting allocations are
/// parked here too, costing a dictionary entry each, with one timer for the
/// earliest deadline and one poll of the log's transaction id for news from
/// other processes.
final class CommandWriter: @unchecked Sendable {
    private let log: EventLog
    private let queue = Locked(SubmissionQueue())
    private let wakeup = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let publish: @Sendable (CatalogueSnapshot, () -> [LoggedEvent]) -> CatalogueSnapshot
    private let current: @Sendable () -> CatalogueSnapshot
    private let clock: @Sendable () -> Int64
    private let maximumBatch: Int
    let statistics = WriterStatistics()

    // Touched only on the writer thread.
    private var waiters: [OperatorRequestID: Waiter] = [:]
    private var deadlines = Heap<Deadline>()
    /// The state everything offered to the committer leaves; nil when that is
    /// the published state.
    private var ahead: AheadState?
    /// Answers stored by keyed commands offered to the committer, by key, with
    /// the sequence number of their chunk: not in the log until it commits.
    private var pendingKeys: [String: (answer: [UInt8], sequence: UInt64)] = [:]
    private var prunePendingKeysAt = 4096
    private let committer: BatchCommitter
    /// This process's waiter lock and the check of other processes' (see `WaiterLiveness`).
    private let liveness: WaiterLiveness

    // Read by the timers.
    let waiterCount = ManagedAtomic<Int>(0)
    let lastSeenTransaction = ManagedAtomic<Int>(0)
    private let deadlineTimer: DeadlineTimer

    init(
        log: EventLog, replayedTransaction: Int, maximumBatch: Int, clock: @escaping @Sendable () -> Int64,
        current: @escaping @Sendable () -> CatalogueSnapshot,
        publish: @escaping @Sendable (CatalogueSnapshot, () -> [LoggedEvent]) -> CatalogueSnapshot
    ) {
        self.log = log
        liveness = WaiterLiveness(storeDirectory: log.directory)
        self.maximumBatch = maximumBatch
        self.clock = clock
        self.current = current
        self.publish = publish
        deadlineTimer = DeadlineTimer(clock: clock)
        let statistics = statistics
        let lastSeenTransaction = lastSeenTransaction
        let (queue, wakeup) = (queue, wakeup)
        committer = BatchCommitter(
            log: log, maximumBatch: maximumBatch, statistics: statistics, current: current,
            committing: { committing, halted, moreOffered in
                Self.setCommitting(committing, halted: halted, moreOffered: moreOffered, queue: queue, wakeup: wakeup)
            },
            completion: Self.completion(
                statistics: statistics, lastSeenTransaction: lastSeenTransaction, publish: publish))
        deadlineTimer.fire = { [weak self] in self?.submitInternal(.expireDeadlines) }
        lastSeenTransaction.store(replayedTransaction, ordering: .relaxed)
        startEngineThread(named: "catalog-writer", owner: self, stopped: stopped) { $0.run() }
    }

    /// Queues work; false once the writer is stopping.
    func submit(_ pending: PendingCommand) -> Bool {
        let (accepted, wake) = queue.withLock { state in
            guard !state.stopping else { return (false, false) }
            state.commands.append(pending)
            // The writer takes the whole queue when it wakes, so one wake-up per
            // batch is enough: the first command into an empty queue. While a
            // batch commits, every `commandsPerWakeWhileCommitting`th: those are
            // decided ahead, the rest when the commit ends (which wakes it too).
            let count = state.commands.count
            return (true, state.committing ? count % commandsPerWakeWhileCommitting == 0 : count == 1)
        }
        if wake { wakeup.signal() }
        return accepted
    }

    /// (Tests set 1, to have each command decided ahead as it comes.)
    var commandsPerWakeWhileCommitting = 16

    /// Commands submitted and not yet taken by the writer thread.
    var queuedCommands: Int { queue.withLock { $0.commands.count } }

    /// Whether the committer is writing; when that ends with commands queued,
    /// the writer is woken for them, since their submitters may not have; and
    /// when the committer halted, for it to decide its commands again. Returns
    /// whether commands were queued. `moreOffered`: chunks were waiting when
    /// the job ended.
    private static func setCommitting(
        _ committing: Bool, halted: Bool, moreOffered: Bool, queue: Locked<SubmissionQueue>, wakeup: DispatchSemaphore
    ) -> Bool {
        let queued = queue.withLock { state in
            state.committing = committing
            if !committing { state.commandsCameDuringLastCommit = moreOffered || !state.commands.isEmpty }
            return !state.commands.isEmpty
        }
        if halted || (!committing && queued) { wakeup.signal() }
        return queued
    }

    /// Queues housekeeping nobody waits for.
    func submitInternal(_ work: PendingCommand.Work) {
        _ = submit(PendingCommand(work: work, application: "catalogue", user: "engine") { _ in })
    }

    /// Cancels every waiting allocation, finishes what is queued, then stops both
    /// threads and waits until they have let go of everything.
    func stop() {
        let first = queue.withLock { state in
            guard !state.stopping else { return false }
            state.commands.append(
                PendingCommand(work: .abandonSession(nil), application: "catalogue", user: "engine") { _ in })
            state.stopping = true
            return true
        }
        guard first else { return }
        deadlineTimer.cancel()
        wakeup.signal()
        stopped.wait()
    }

    private func run() {
        while true {
            wakeup.wait()
            if let redo = committer.takeHalt() { decideAgain(redo) }
            let (batch, stopping) = queue.withLock { state in
                // Taking the whole queue moves the array instead of copying it.
                var batch: [PendingCommand] = []
                if state.commands.count <= maximumBatch {
                    swap(&batch, &state.commands)
                } else {
                    batch = Array(state.commands.prefix(maximumBatch))
                    state.commands.removeFirst(maximumBatch)
                }
                if !state.commands.isEmpty { wakeup.signal() }
                return (batch, state.stopping && state.commands.isEmpty)
            }
            if !batch.isEmpty { process(batch) }
            statistics.noteCPU(of: .writer)
            if stopping {
                drain()
                committer.stop()
                return
            }
        }
    }

    // MARK: Batches

    /// What one transaction produced, applied only once it is durable.
    private struct Outcome {
        var snapshot: CatalogueSnapshot
        var answers: [Result<CommandOutcome, NtmsError>?]
        /// Allocations that now wait, by the batch index of their caller.
        var parked: [(index: Int, request: OperatorRequestID)] = []
        /// Waiters served by the engine in this transaction.
        var served: [OperatorRequestID: Allocation] = [:]
        /// Requests closed by any event folded in this transaction.
        var closed: [OperatorRequestID] = []
        /// Other processes' events folded first, then this transaction's own records.
        var folded: [LoggedEvent] = []
        var records: [PreparedRecord] = []
        /// The LMDB transaction the outcome was read or written in: everything up to it is folded.
        var transaction = 0
    }

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

    /// Below this many commands, with nothing committing and nothing having
    /// come in during the last commit, the writer commits a batch itself:
    /// handing it to the committer costs a thread wake-up (on this VM one
    /// caller alone fell from 0.8x to 0.6x of the fsync limit), and deciding a
    /// few commands is short beside an fsync. Once commands come in while a
    /// commit runs, they go to the committer, so that the writer decides the
    /// next ones while it commits: committing them itself, the writer left 16
    /// and 64 callers without that overlap. (Tests set 1, to hand every batch over.)
    var smallestHandedOffBatch = 32

    /// The most commands the writer decides before offering them to the
    /// committer. Offered whole, a batch of 256 commands took the writer about
    /// 0.7 ms to decide while the committer sat idle, and the callers of every
    /// job came back as one batch again. Smaller slices cost the writer more:
    /// each chunk boundary makes the next decision copy afresh the tables it
    /// touches (writer CPU per allocation about a fifth higher at 32 than at
    /// 64), and at 256 callers the two cores are the limit: in 14 runs each,
    /// 128 gave a median of 88.5 k allocations/s against 83.6 k at 64, with
    /// larger jobs and less writer CPU; 96 did no better than 64.
    var commandsPerChunk = 128

    private func process(_ batch: [PendingCommand]) {
        if canPipeline(batch) {
            if batch.count < smallestHandedOffBatch, committer.isIdle,
                !queue.withLock({ $0.commandsCameDuringLastCommit })
            {
                processInTransaction(batch)
                return
            }
            // Offered a slice at a time: an idle committer starts on the first
            // while the rest are decided, and a busy one finds most of them
            // decided when its job ends.
            var start = batch.startIndex
            while start < batch.endIndex {
                let end = min(start + commandsPerChunk, batch.endIndex)
                decideAhead(start == batch.startIndex && end == batch.endIndex ? batch : Array(batch[start..<end]))
                start = end
            }
        } else {
            drain()
            processInTransaction(batch)
        }
    }

    /// Plain commands while no allocation waits in this process: deciding them
    /// needs nothing the write transaction holds, so they can be decided while
    /// the batch before them commits. Waiters stay on the transaction path,
    /// where parking and serving them is ordered with their commits.
    private func canPipeline(_ batch: [PendingCommand]) -> Bool {
        waiters.isEmpty && batch.allSatisfy { if case .command = $0.work { true } else { false } }
    }

    /// Decides the commands on the state everything offered before them leaves,
    /// and offers them to the committer, which writes them with whatever else
    /// it finds offered once the job it is writing is durable.
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
        var stored: [String: [UInt8]] = [:]
        do {
            // One read transaction for every key of the batch, and none for a batch without keys.
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
        } catch {
            drain()
            processInTransaction(batch)
            return
        }
        var decided = DecidedBatch(state: base.state, sequence: base.sequence)
        decide(batch, into: &decided, now: clock()) { stored[$0] }
        if !decided.storedAnswers.isEmpty { rememberPendingKeys(decided) }
        ahead = AheadState(state: decided.state, sequence: decided.sequence)
        let (overlapped, halted) = committer.offer(BatchCommitter.Chunk(batch: batch, decided: decided))
        statistics.recordOffer(overlapped: overlapped)
        if halted, let redo = committer.takeHalt() { decideAgain(redo) }
    }

    /// Keeps the keyed answers of an offered chunk until they are in the log;
    /// those already durable are dropped once there are many.
    private func rememberPendingKeys(_ decided: DecidedBatch) {
        if pendingKeys.count >= prunePendingKeysAt {
            let durable = current().head.sequence
            pendingKeys = pendingKeys.filter { $0.value.sequence > durable }
            // Many callers may hold keys in flight at once: prune less often then.
            prunePendingKeysAt = max(4096, 2 * pendingKeys.count)
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

    /// Publishes chunks the committer made durable; runs on the committer's
    /// thread. Returns the snapshot the new one replaced.
    private static func completion(
        statistics: WriterStatistics, lastSeenTransaction: ManagedAtomic<Int>,
        publish: @escaping @Sendable (CatalogueSnapshot, () -> [LoggedEvent]) -> CatalogueSnapshot
    ) -> BatchCommitter.Completion {
        { chunks, head, transaction in
            lastSeenTransaction.store(transaction, ordering: .relaxed)
            return publish(CatalogueSnapshot(state: chunks[chunks.count - 1].decided.state, head: head)) {
                chunks.flatMap(\.decided.events)
            }
        }
    }

    /// Tells each caller its answer; nil for an allocation that now waits.
    static func answer(_ batch: [PendingCommand], _ answers: [Result<CommandOutcome, NtmsError>?]) {
        for (pending, answer) in zip(batch, answers) { if let answer { pending.reply(answer) } }
    }

    /// Decides, appends and commits in one write transaction, folding other
    /// processes' records first; then parks, answers and serves waiters.
    private func processInTransaction(_ batch: [PendingCommand]) {
        assert(committer.isIdle, "a transaction of the writer's own while the committer has work")
        forgetAhead()
        let base = current()
        let writes = !waiters.isEmpty || batch.contains { if case .refresh = $0.work { false } else { true } }
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
            _ = publish(outcome.snapshot) { outcome.folded + outcome.records.map(LoggedEvent.init) }
        }
        if writes {
            statistics.recordCommit(commands: batch.count, begun: begin, byCommitter: false)
            queue.withLock { $0.commandsCameDuringLastCommit = !$0.commands.isEmpty }
        }
        for (index, request) in outcome.parked {
            let pending = batch[index]
            guard case .waitingAllocation(let allocation) = pending.work else { continue }
            waiters[request] = Waiter(
                allocation: allocation, application: pending.application, user: pending.user, reply: pending.reply)
            if let deadline = allocation.deadline { deadlines.insert(Deadline(time: deadline, request: request)) }
            allocation.onWait(request)
        }
        Self.answer(batch, outcome.answers)
        resolveClosed(outcome.closed, served: outcome.served, in: outcome.snapshot.state)
        waiterCount.store(waiters.count, ordering: .relaxed)
        deadlineTimer.schedule(at: nextDeadline())
    }

    private func catchUp(_ batch: [PendingCommand], base: CatalogueSnapshot, reader: LogReader) throws -> Outcome {
        var state = base.state
        var events: [LoggedEvent] = []
        var closed: [OperatorRequestID] = []
        let head = try fold(reader, into: &state, after: base.head, events: &events, closed: &closed)
        let snapshot = head == base.head ? base : CatalogueSnapshot(state: state, head: head)
        return Outcome(
            snapshot: snapshot, answers: batch.map { _ in .success(.done) }, closed: closed, folded: events,
            transaction: reader.transactionID)
    }

    /// Folds other processes' events, noting what the waiters and the change feed need.
    private func fold(
        _ reader: LogReader, into state: inout CatalogueState, after head: LogHead, events: inout [LoggedEvent],
        closed: inout [OperatorRequestID]
    ) throws -> LogHead {
        try reader.forEachRecord(after: head) { record in
            let event = try record.event()
            state.apply(event)
            if let request = event.closedRequest { closed.append(request) }
            events.append(LoggedEvent(record: record, event: event))
        }
    }

    /// Runs inside the write transaction: LMDB's writer lock excludes every other
    /// process, so after folding their events the decisions below see everything.
    private func decideAndAppend(_ batch: [PendingCommand], base: CatalogueSnapshot, writer: LogWriter) throws
        -> Outcome
    {
        var state = base.state
        var events: [LoggedEvent] = []
        var closed: [OperatorRequestID] = []
        let start = try fold(writer.reader, into: &state, after: base.head, events: &events, closed: &closed)
        var decided = DecidedBatch(state: state, sequence: start.sequence)
        try decide(batch, into: &decided, now: clock()) { key in try writer.reader.storedAnswer(forKey: key) }
        let head = try decided.append(after: start, to: writer)
        if head != base.head { try writer.recordHead(head) }
        return Outcome(
            snapshot: head == base.head ? base : CatalogueSnapshot(state: decided.state, head: head),
            answers: decided.answers, parked: decided.parked, served: decided.served, closed: closed + decided.closed,
            folded: events, records: decided.records,
            // A write transaction that changed nothing commits as no transaction at all.
            transaction: head != base.head ? writer.transactionID : writer.transactionID - 1)
    }

    /// Decides every command of a batch in order, adding to `decided`;
    /// `lookUp` finds the stored answer of an idempotency key.
    private func decide<Failure: Error>(
        _ batch: [PendingCommand], into decided: inout DecidedBatch, now: Int64,
        storedAnswer lookUp: (String) throws(Failure) -> [UInt8]?
    ) throws(Failure) {
        var parkedHere: Set<OperatorRequestID> = []
        decided.answers.reserveCapacity(decided.answers.count + batch.count)

        /// Records a decision's events under one caller's name and key.
        func commit(_ decision: Decision, application: String, user: String, claim: IdempotencyClaim?) {
            for event in decision.events {
                decided.sequence += 1
                let header = RecordHeader(
                    sequence: decided.sequence, eventType: event.typeCode, schemaVersion: event.schemaVersion,
                    timestamp: now, application: application, user: user, idempotencyKey: claim?.key)
                decided.records.append(PreparedRecord(header: header, event: event))
                if let request = event.closedRequest { decided.closed.append(request) }
            }
            decided.state.apply(decision.events)
            // Only final answers are stored: a waiting allocation's key answers once it is allocated.
            if let claim, !decision.outcome.isWaiting {
                decided.storedAnswers.append((claim.storageKey, claim.storedAnswer(decision.outcome)))
                decided.answersByKey[claim.storageKey] = (claim.digest, decision.outcome)
            }
        }

        /// A retry's answer: the first one if the arguments match, a refusal if not.
        func storedAnswer(_ claim: IdempotencyClaim?) throws(Failure) -> Result<CommandOutcome, NtmsError>? {
            guard let claim else { return nil }
            if let earlier = decided.answersByKey[claim.storageKey] { return claim.answer(fromEarlier: earlier) }
            guard let stored = try lookUp(claim.storageKey) else { return nil }
            return claim.answer(fromStored: stored)
        }

        for pending in batch {
            let context = DecisionContext(now: now, application: pending.application, user: pending.user)
            var answer: Result<CommandOutcome, NtmsError>? = .success(.done)
            switch pending.work {
            case .command(let command, let claim):
                if let stored = try storedAnswer(claim) {
                    answer = stored
                    break
                }
                switch decided.state.decide(command, context: context) {
                case .failure(let error): answer = .failure(error)
                case .success(let decision):
                    commit(decision, application: pending.application, user: pending.user, claim: claim)
                    answer = .success(decision.outcome)
                }

            case .waitingAllocation(let allocation):
                if let stored = try storedAnswer(allocation.idempotency) {
                    answer = stored
                    break
                }
                do {
                    try liveness.holdForThisProcess()
                } catch {
                    answer = .failure(error)
                    break
                }
                let wait = AllocationWait(
                    deadline: allocation.deadline, waiter: ProcessIdentity.token(session: allocation.session))
                switch decided.state.decide(.allocateOrWait(allocation.request, wait), context: context) {
                case .failure(let error): answer = .failure(error)
                case .success(let decision):
                    commit(
                        decision, application: pending.application, user: pending.user,
                        claim: allocation.idempotency)
                    if case .waiting(let request) = decision.outcome {
                        decided.parked.append((decided.answers.count, request))
                        parkedHere.insert(request)
                        answer = nil
                    } else {
                        answer = .success(decision.outcome)
                    }
                }

            case .refresh:
                break

            case .expireDeadlines:
                let due = waiters.filter { $0.value.allocation.deadline.map { $0 <= now } ?? false }.map(\.key)
                if !due.isEmpty,
                    case .success(let decision) = decided.state.decide(.expireRequests(due.sorted()), context: context)
                {
                    commit(decision, application: pending.application, user: pending.user, claim: nil)
                }

            case .abandonSession(let session):
                let mine = waiters.filter { session == nil || $0.value.allocation.session == session }.map(\.key)
                if !mine.isEmpty,
                    case .success(let decision) = decided.state.decide(
                        .abandonRequests(mine.sorted(), reason: .sessionClosed), context: context)
                {
                    commit(decision, application: pending.application, user: pending.user, claim: nil)
                }

            case .reapOrphans:
                let orphans = decided.state.requests.values.filter { request in
                    guard request.state.isOpen, let token = request.waiter else { return false }
                    guard ProcessIdentity.isThisProcess(token) else { return !liveness.mayBeAlive(token) }
                    return waiters[request.id] == nil && !parkedHere.contains(request.id)
                }.map(\.id).sorted()
                if !orphans.isEmpty,
                    case .success(let decision) = decided.state.decide(
                        .abandonRequests(orphans, reason: .waiterGone), context: context)
                {
                    commit(decision, application: pending.application, user: pending.user, claim: nil)
                }
            }
            decided.answers.append(answer)
        }

        // Beyond RSM: a side that qualifies for a waiting allocation serves the
        // oldest waiter of its pool at once, whoever made it qualify.
        for pool in Set(waiters.values.map(\.allocation.request.pool)) {
            while let oldest = decided.state.oldestWaitingRequest(in: pool), let waiter = waiters[oldest],
                decided.served[oldest] == nil
            {
                let context = DecisionContext(now: now, application: waiter.application, user: waiter.user)
                guard
                    case .success(let decision) = decided.state.decide(
                        .serveWaitingAllocation(oldest, waiter.allocation.request), context: context),
                    case .allocation(let allocation) = decision.outcome
                else { break }
                commit(
                    decision, application: waiter.application, user: waiter.user,
                    claim: waiter.allocation.idempotency)
                decided.served[oldest] = allocation
            }
        }
    }

    // MARK: Waiters

    /// Answers the waiters whose requests closed; one whose request an operator
    /// satisfied searches again, with the time it has left.
    private func resolveClosed(
        _ closed: [OperatorRequestID], served: [OperatorRequestID: Allocation], in state: CatalogueState
    ) {
        var retries: [PendingCommand] = []
        for id in closed {
            guard let waiter = waiters.removeValue(forKey: id), let request = state.requests[id] else { continue }
            if let allocation = served[id] {
                waiter.reply(.success(.allocation(allocation)))
                continue
            }
            switch request.closeReason {
            case .satisfiedByOperator, .satisfiedByEngine:
                retries.append(
                    PendingCommand(
                        work: .waitingAllocation(waiter.allocation), application: waiter.application, user: waiter.user,
                        reply: waiter.reply))
            case .timedOut:
                waiter.reply(
                    .failure(NtmsError(.timeout, "no media arrived for \(id) before the allocation's timeout")))
            case .cancelledByOperator:
                waiter.reply(.failure(NtmsError(.cancelled, "an operator cancelled \(id)")))
            case .sessionClosed, .waiterGone, nil:
                waiter.reply(.failure(NtmsError(.cancelled, "the session waiting on \(id) was closed")))
            }
        }
        if !retries.isEmpty {
            queue.withLock { $0.commands.insert(contentsOf: retries, at: 0) }
            wakeup.signal()
        }
    }

    private func nextDeadline() -> Int64? {
        while let first = deadlines.min, waiters[first.request] == nil { _ = deadlines.removeMin() }
        return deadlines.min?.time
    }
}

/// A waiting allocation's deadline, ordered for the timer.
struct Deadline: Comparable {
    var time: Int64
    var request: OperatorRequestID

    static func < (lhs: Self, rhs: Self) -> Bool { (lhs.time, lhs.request) < (rhs.time, rhs.request) }
}

/// One timer for the earliest deadline of all waiting allocations.
final class DeadlineTimer: @unchecked Sendable {
    private let clock: @Sendable () -> Int64
    private let queue = DispatchQueue(label: "catalogue-deadlines")
    private let state = Locked<(generation: Int, scheduled: Int64?, cancelled: Bool)>((0, nil, false))
    var fire: @Sendable () -> Void = {}

    init(clock: @escaping @Sendable () -> Int64) { self.clock = clock }

    func schedule(at deadline: Int64?) {
        let generation: Int? = state.withLock { state in
            guard !state.cancelled, state.scheduled != deadline else { return nil }
            state.generation += 1
            state.scheduled = deadline
            return deadline == nil ? nil : state.generation
        }
        guard let generation, let deadline else { return }
        let delay = max(0, deadline - clock())
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(min(delay, Int64(Int32.max) * 1_000_000)))) { [self] in
            let current = state.withLock { state -> Bool in
                guard state.generation == generation, !state.cancelled else { return false }
                state.scheduled = nil
                return true
            }
            if current { fire() }
        }
    }

    func cancel() { state.withLock { $0.cancelled = true } }
}

/// Totals since the catalogue opened; subtract two readings for a period.
public struct CommitStatistics: Sendable {
    /// Write transactions this process committed.
    public var commits: Int
    /// Commands they carried.
    public var commands: Int
    /// Wall time spent in them, from asking for the write transaction (waiting
    /// for another process's to end included) to its durable commit.
    public var commitSeconds: Double
    /// CPU time of the writer's threads: deciding, committing, answering.
    public var writerCPUSeconds: Double
}

/// Counters for tests and the benchmark: how well group commit batches, and
/// the processor time the writer's three threads used.
final class WriterStatistics: Sendable {
    enum WriterThread { case writer, committer, answerer }

    private let counters = Locked<
        (
            commits: Int, committerCommits: Int, commands: Int, commitNanoseconds: UInt64, offered: Int,
            overlapped: Int,
            writerCPU: Int, committerCPU: Int, answererCPU: Int
        )
    >((0, 0, 0, 0, 0, 0, 0, 0, 0))

    /// A write transaction that committed `commands`, begun at `begin` (`DispatchTime`
    /// nanoseconds), by the committer thread or the writer's own.
    func recordCommit(commands: Int, begun begin: UInt64, byCommitter: Bool) {
        let elapsed = DispatchTime.now().uptimeNanoseconds &- begin
        counters.withLock {
            $0.commits += 1
            if byCommitter { $0.committerCommits += 1 }
            $0.commands += commands
            $0.commitNanoseconds &+= elapsed
        }
    }

    /// Commits the committer thread made (the rest the writer made itself).
    var committerCommits: Int { counters.withLock { $0.committerCommits } }

    /// A chunk was offered; `overlapped`: while the one before it was being committed.
    func recordOffer(overlapped: Bool) {
        counters.withLock {
            $0.offered += 1
            if overlapped { $0.overlapped += 1 }
        }
    }

    /// Chunks the writer offered to the committer.
    var chunksOffered: Int { counters.withLock { $0.offered } }

    /// Batches decided while the one before them was being committed.
    var overlappedBatches: Int { counters.withLock { $0.overlapped } }

    /// Called on `thread` itself, which reads its own CPU clock here.
    func noteCPU(of thread: WriterThread) {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        let nanoseconds = now.tv_sec * 1_000_000_000 + now.tv_nsec
        counters.withLock {
            switch thread {
            case .writer: $0.writerCPU = nanoseconds
            case .committer: $0.committerCPU = nanoseconds
            case .answerer: $0.answererCPU = nanoseconds
            }
        }
    }

    var totals: CommitStatistics {
        counters.withLock {
            CommitStatistics(
                commits: $0.commits, commands: $0.commands, commitSeconds: Double($0.commitNanoseconds) / 1e9,
                writerCPUSeconds: Double($0.writerCPU + $0.committerCPU + $0.answererCPU) / 1e9)
        }
    }
}

extension CatalogueEvent {
    /// The request an event closes, if it closes one.
    var closedRequest: OperatorRequestID? {
        switch self {
        case .requestSatisfied(let e): e.request
        case .requestCancelled(let e): e.request
        case .requestTimedOut(let e): e.request
        default: nil
        }
    }
}

extension CommandOutcome {
    var isWaiting: Bool { if case .waiting = self { true } else { false } }
}

extension LoggedEvent {
    init(record: EventRecord, event: CatalogueEvent) {
        self.init(header: record.header, event: event)
    }

    init(header: RecordHeader, event: CatalogueEvent) {
        self.init(
            sequence: header.sequence, timestamp: header.timestamp, application: header.application, user: header.user,
            idempotencyKey: header.idempotencyKey, event: event)
    }
}
