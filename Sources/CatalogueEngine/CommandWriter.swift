import Atomics
import CatalogueDomain
import CatalogueStorage
import Dispatch
import Foundation
import HeapModule

/// One unit of work for the writer, with the caller to answer.
struct PendingCommand: Sendable {
    enum Work: Sendable {
        case command(CatalogueCommand, idempotencyKey: String?)
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
    var idempotencyKey: String?
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
    private let queue = Locked<(commands: [PendingCommand], stopping: Bool)>(([], false))
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let publish: @Sendable (CatalogueSnapshot, [LoggedEvent]) -> Void
    private let current: @Sendable () -> CatalogueSnapshot
    private let clock: @Sendable () -> Int64
    private let maximumBatch: Int
    let statistics = WriterStatistics()

    // Touched only on the writer thread.
    private var waiters: [OperatorRequestID: Waiter] = [:]
    private var deadlines = Heap<Deadline>()

    // Read by the timers.
    let waiterCount = ManagedAtomic<Int>(0)
    let lastSeenTransaction = ManagedAtomic<Int>(0)
    private let deadlineTimer: DeadlineTimer

    init(
        log: EventLog, replayedTransaction: Int, maximumBatch: Int, clock: @escaping @Sendable () -> Int64,
        current: @escaping @Sendable () -> CatalogueSnapshot,
        publish: @escaping @Sendable (CatalogueSnapshot, [LoggedEvent]) -> Void
    ) {
        self.log = log
        self.maximumBatch = maximumBatch
        self.clock = clock
        self.current = current
        self.publish = publish
        deadlineTimer = DeadlineTimer(clock: clock)
        deadlineTimer.fire = { [weak self] in self?.submitInternal(.expireDeadlines) }
        lastSeenTransaction.store(replayedTransaction, ordering: .relaxed)
        let thread = Thread { [self] in run() }
        thread.name = "catalogue-writer"
        thread.start()
    }

    /// Queues work; false once the writer is stopping.
    func submit(_ pending: PendingCommand) -> Bool {
        let accepted = queue.withLock { state in
            guard !state.stopping else { return false }
            state.commands.append(pending)
            return true
        }
        if accepted { wakeup.signal() }
        return accepted
    }

    /// Queues housekeeping nobody waits for.
    func submitInternal(_ work: PendingCommand.Work) {
        _ = submit(PendingCommand(work: work, application: "catalogue", user: "engine") { _ in })
    }

    /// Cancels every waiting allocation, finishes what is queued, then stops the thread.
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
        finished.wait()
    }

    private func run() {
        while true {
            wakeup.wait()
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
            if stopping {
                finished.signal()
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
        var events: [LoggedEvent] = []
        /// The LMDB transaction the outcome was read or written in: everything up to it is folded.
        var transaction = 0
    }

    private func process(_ batch: [PendingCommand]) {
        let base = current()
        let writes = !waiters.isEmpty || batch.contains { if case .refresh = $0.work { false } else { true } }
        let outcome: Outcome
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
        if outcome.snapshot.head != base.head { publish(outcome.snapshot, outcome.events) }
        if writes { statistics.recordCommit(commands: batch.count) }
        for (index, request) in outcome.parked {
            let pending = batch[index]
            guard case .waitingAllocation(let allocation) = pending.work else { continue }
            waiters[request] = Waiter(
                allocation: allocation, application: pending.application, user: pending.user, reply: pending.reply)
            if let deadline = allocation.deadline { deadlines.insert(Deadline(time: deadline, request: request)) }
            allocation.onWait(request)
        }
        for (pending, answer) in zip(batch, outcome.answers) {
            if let answer { pending.reply(answer) }
        }
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
            snapshot: snapshot, answers: batch.map { _ in .success(.done) }, closed: closed, events: events,
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
        var head = try fold(writer.reader, into: &state, after: base.head, events: &events, closed: &closed)
        let now = clock()
        var answersByKey: [String: CommandOutcome] = [:]
        var parkedHere: Set<OperatorRequestID> = []
        var outcome = Outcome(snapshot: base, answers: [])
        outcome.answers.reserveCapacity(batch.count)

        /// Appends a decision's events under one caller's name and key.
        func commit(_ decision: Decision, application: String, user: String, key: String?) throws {
            for event in decision.events {
                let header = RecordHeader(
                    sequence: head.sequence + 1, eventType: event.typeCode, schemaVersion: event.schemaVersion,
                    timestamp: now, application: application, user: user, idempotencyKey: key)
                head = try writer.append(header, after: head) { event.encodePayload(appendingTo: &$0) }
                if let request = event.closedRequest { closed.append(request) }
                events.append(LoggedEvent(header: header, event: event))
            }
            state.apply(decision.events)
            // Only final answers are stored: a waiting allocation's key answers once it is allocated.
            if let key, !decision.outcome.isWaiting {
                try writer.storeAnswer(decision.outcome.encoded(), forKey: key)
                answersByKey[key] = decision.outcome
            }
        }

        func storedAnswer(_ key: String?) throws -> Result<CommandOutcome, NtmsError>? {
            guard let key else { return nil }
            if let earlier = answersByKey[key] { return .success(earlier) }
            guard let stored = try writer.reader.storedAnswer(forKey: key) else { return nil }
            return Result { try CommandOutcome.decode(stored) }.mapError {
                NtmsError(.databaseFailure, "the stored answer for key \(key) is corrupt: \($0)")
            }
        }

        for (index, pending) in batch.enumerated() {
            let context = DecisionContext(now: now, application: pending.application, user: pending.user)
            var answer: Result<CommandOutcome, NtmsError>? = .success(.done)
            switch pending.work {
            case .command(let command, let key):
                if let stored = try storedAnswer(key) {
                    answer = stored
                    break
                }
                switch state.decide(command, context: context) {
                case .failure(let error): answer = .failure(error)
                case .success(let decision):
                    try commit(decision, application: pending.application, user: pending.user, key: key)
                    answer = .success(decision.outcome)
                }

            case .waitingAllocation(let allocation):
                if let stored = try storedAnswer(allocation.idempotencyKey) {
                    answer = stored
                    break
                }
                let wait = AllocationWait(
                    deadline: allocation.deadline, waiter: ProcessIdentity.token(session: allocation.session))
                switch state.decide(.allocateOrWait(allocation.request, wait), context: context) {
                case .failure(let error): answer = .failure(error)
                case .success(let decision):
                    try commit(
                        decision, application: pending.application, user: pending.user, key: allocation.idempotencyKey)
                    if case .waiting(let request) = decision.outcome {
                        outcome.parked.append((index, request))
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
                    case .success(let decision) = state.decide(.expireRequests(due.sorted()), context: context)
                {
                    try commit(decision, application: pending.application, user: pending.user, key: nil)
                }

            case .abandonSession(let session):
                let mine = waiters.filter { session == nil || $0.value.allocation.session == session }.map(\.key)
                if !mine.isEmpty,
                    case .success(let decision) = state.decide(
                        .abandonRequests(mine.sorted(), reason: .sessionClosed), context: context)
                {
                    try commit(decision, application: pending.application, user: pending.user, key: nil)
                }

            case .reapOrphans:
                let orphans = state.requests.values.filter { request in
                    guard request.state.isOpen, let token = request.waiter else { return false }
                    guard ProcessIdentity.isThisProcess(token) else { return !ProcessIdentity.mayBeAlive(token) }
                    return waiters[request.id] == nil && !parkedHere.contains(request.id)
                }.map(\.id).sorted()
                if !orphans.isEmpty,
                    case .success(let decision) = state.decide(
                        .abandonRequests(orphans, reason: .waiterGone), context: context)
                {
                    try commit(decision, application: pending.application, user: pending.user, key: nil)
                }
            }
            outcome.answers.append(answer)
        }

        // Beyond RSM: a side that qualifies for a waiting allocation serves the
        // oldest waiter of its pool at once, whoever made it qualify.
        for pool in Set(waiters.values.map(\.allocation.request.pool)) {
            while let oldest = state.oldestWaitingRequest(in: pool), let waiter = waiters[oldest],
                outcome.served[oldest] == nil
            {
                let context = DecisionContext(now: now, application: waiter.application, user: waiter.user)
                guard
                    case .success(let decision) = state.decide(
                        .serveWaitingAllocation(oldest, waiter.allocation.request), context: context),
                    case .allocation(let allocation) = decision.outcome
                else { break }
                try commit(
                    decision, application: waiter.application, user: waiter.user, key: waiter.allocation.idempotencyKey)
                outcome.served[oldest] = allocation
            }
        }

        if head != base.head { try writer.recordHead(head) }
        outcome.snapshot = head == base.head ? base : CatalogueSnapshot(state: state, head: head)
        outcome.closed = closed
        outcome.events = events
        // A write transaction that changed nothing commits as no transaction at all.
        outcome.transaction = head != base.head ? writer.transactionID : writer.transactionID - 1
        return outcome
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

/// Counters for tests and the benchmark: how well group commit batches.
final class WriterStatistics: Sendable {
    private let counters = Locked<(commits: Int, commands: Int, cpuNanoseconds: Int)>((0, 0, 0))

    /// Called on the writer thread, which also reads its own CPU clock here.
    func recordCommit(commands: Int) {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        counters.withLock {
            $0.commits += 1
            $0.commands += commands
            $0.cpuNanoseconds = now.tv_sec * 1_000_000_000 + now.tv_nsec
        }
    }

    var totals: (commits: Int, commands: Int, writerCPUSeconds: Double) {
        counters.withLock { ($0.commits, $0.commands, Double($0.cpuNanoseconds) / 1e9) }
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
