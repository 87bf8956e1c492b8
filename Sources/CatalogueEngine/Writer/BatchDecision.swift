import CatalogueDomain
import CatalogueStorage

/// One event a decided batch will append, with the header it is logged under.
struct PreparedRecord {
    var header: RecordHeader
    var event: CatalogueEvent
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

/// What the batch decision reads besides the state: the waiting allocations
/// parked in this process, and whether other processes' waiters live.
struct BatchDecisionContext {
    var now: Int64
    var waiting: WaitingAllocations
    var liveness: WaiterLiveness
}

extension DecidedBatch {
    /// Decides every command of a batch in order, then serves the waiters the
    /// batch made servable; `lookUp` finds the stored answer of an
    /// idempotency key. Every housekeeping input is decided here too:
    /// expiring deadlines, abandoning a session's waiters and reaping waiters
    /// whose process is gone are commands like any other.
    mutating func decide<Failure: Error>(
        _ batch: [PendingCommand], _ context: BatchDecisionContext,
        storedAnswer lookUp: (String) throws(Failure) -> [UInt8]?
    ) throws(Failure) {
        var parkedHere: Set<OperatorRequestID> = []
        answers.reserveCapacity(answers.count + batch.count)
        for pending in batch {
            let decision = DecisionContext(
                now: context.now, application: pending.application, user: pending.user, principal: pending.principal)
            var answer: Result<CommandOutcome, NtmsError>? = .success(.done)
            switch pending.work {
            case .command(let command, let claim):
                if let stored = try storedAnswer(claim, lookUp) {
                    answer = stored
                    break
                }
                if case .queueLibraryRequest = command {
                    // Other processes judge whether the item's owner lives by this lock.
                    do {
                        try context.liveness.holdForThisProcess()
                    } catch {
                        answer = .failure(error)
                        break
                    }
                }
                switch state.decide(command, context: decision) {
                case .failure(let error):
                    recordDenial(of: command, error, decision)
                    answer = .failure(error)
                case .success(let decided):
                    record(decided, application: pending.application, user: pending.user, claim: claim, at: context.now)
                    answer = .success(decided.outcome)
                }

            case .waitingAllocation(let allocation):
                if let stored = try storedAnswer(allocation.idempotency, lookUp) {
                    answer = stored
                    break
                }
                do {
                    try context.liveness.holdForThisProcess()
                } catch {
                    answer = .failure(error)
                    break
                }
                let wait = AllocationWait(
                    deadline: allocation.deadline, waiter: ProcessIdentity.token(session: allocation.session))
                let command = CatalogueCommand.allocateOrWait(allocation.request, wait)
                switch state.decide(command, context: decision) {
                case .failure(let error):
                    recordDenial(of: command, error, decision)
                    answer = .failure(error)
                case .success(let decided):
                    record(
                        decided, application: pending.application, user: pending.user,
                        claim: allocation.idempotency, at: context.now)
                    if case .waiting(let request) = decided.outcome {
                        parked.append((answers.count, request))
                        parkedHere.insert(request)
                        answer = nil
                    } else {
                        answer = .success(decided.outcome)
                    }
                }

            case .refresh:
                break

            case .expireDeadlines:
                let due = context.waiting.due(at: context.now)
                if !due.isEmpty { housekeeping(.expireRequests(due), decision) }

            case .abandonSession(let session):
                let abandoned = context.waiting.waitedOn(by: session)
                if !abandoned.isEmpty { housekeeping(.abandonRequests(abandoned, reason: .sessionClosed), decision) }

            case .reapOrphans:
                let orphans = state.requests.values.filter { request in
                    guard request.state.isOpen, let token = request.waiter else { return false }
                    guard ProcessIdentity.isThisProcess(token) else { return !context.liveness.mayBeAlive(token) }
                    return context.waiting[request.id] == nil && !parkedHere.contains(request.id)
                }.map(\.id).sorted()
                if !orphans.isEmpty { housekeeping(.abandonRequests(orphans, reason: .waiterGone), decision) }
                // Work items of processes that ended; this process's own are finished by their callers.
                let orphanedWork = state.activeLibraryRequests.filter { id in
                    guard let owner = state.libraryRequests[id]?.owner else { return false }
                    return !ProcessIdentity.isThisProcess(owner) && !context.liveness.mayBeAlive(owner)
                }
                if !orphanedWork.isEmpty { housekeeping(.abandonLibraryRequests(orphanedWork.sorted()), decision) }

            case .adoptOwner(let owner):
                if state.accessLists[.catalogue] == nil {
                    housekeeping(.grantAccess(.catalogue, .user(owner), .all), decision)
                }
            }
            answers.append(answer)
        }
        serveWaiters(context)
    }

    /// Beyond RSM: a side that qualifies for a waiting allocation serves the
    /// oldest waiter of its pool at once, whoever made it qualify.
    private mutating func serveWaiters(_ context: BatchDecisionContext) {
        for pool in context.waiting.pools {
            while let oldest = state.oldestWaitingRequest(in: pool), let waiter = context.waiting[oldest],
                served[oldest] == nil
            {
                let decision = DecisionContext(now: context.now, application: waiter.application, user: waiter.user)
                guard
                    case .success(let decided) = state.decide(
                        .serveWaitingAllocation(oldest, waiter.allocation.request), context: decision),
                    case .allocation(let allocation) = decided.outcome
                else { break }
                record(
                    decided, application: waiter.application, user: waiter.user,
                    claim: waiter.allocation.idempotency, at: context.now)
                served[oldest] = allocation
            }
        }
    }

    /// A command refused for want of a right is recorded, so auditors see refusals too.
    private mutating func recordDenial(of command: CatalogueCommand, _ error: NtmsError, _ decision: DecisionContext) {
        guard error.code == .accessDenied, let denial = state.accessDenial(for: command, context: decision) else {
            return
        }
        record(
            Decision(events: [.accessDenied(denial)], outcome: .done), application: decision.application,
            user: decision.user, claim: nil, at: decision.now)
    }

    /// Decides a command the engine gives itself; nobody waits for its answer.
    private mutating func housekeeping(_ command: CatalogueCommand, _ decision: DecisionContext) {
        var decision = decision
        decision.principal = nil
        if case .success(let decided) = state.decide(command, context: decision) {
            record(decided, application: decision.application, user: decision.user, claim: nil, at: decision.now)
        }
    }

    /// A retry's answer: the first one if the arguments match, a refusal if not.
    private func storedAnswer<Failure: Error>(
        _ claim: IdempotencyClaim?, _ lookUp: (String) throws(Failure) -> [UInt8]?
    ) throws(Failure) -> Result<CommandOutcome, NtmsError>? {
        guard let claim else { return nil }
        if let earlier = answersByKey[claim.storageKey] { return claim.answer(fromEarlier: earlier) }
        guard let stored = try lookUp(claim.storageKey) else { return nil }
        return claim.answer(fromStored: stored)
    }

    /// Records a decision's events under one caller's name and key, and folds them.
    private mutating func record(
        _ decision: Decision, application: String, user: String, claim: IdempotencyClaim?, at now: Int64
    ) {
        for event in decision.events {
            sequence += 1
            let header = RecordHeader(
                sequence: sequence, eventType: event.typeCode, schemaVersion: event.schemaVersion,
                timestamp: now, application: application, user: user, idempotencyKey: claim?.key)
            records.append(PreparedRecord(header: header, event: event))
            if let request = event.closedRequest { closed.append(request) }
        }
        state.evolve(decision.events, EventEnvelope(time: now, application: application, user: user))
        // Only final answers are stored: a waiting allocation's key answers once it is allocated.
        if let claim, !decision.outcome.isWaiting {
            storedAnswers.append((claim.storageKey, claim.storedAnswer(decision.outcome)))
            answersByKey[claim.storageKey] = (claim.digest, decision.outcome)
        }
    }
}

extension CatalogueEvent {
    /// The request an event closes, if it closes one.
    var closedRequest: OperatorRequestID? {
        switch self {
        case .operatorRequestSatisfied(let e): e.request
        case .operatorRequestCancelled(let e): e.request
        case .operatorRequestTimedOut(let e): e.request
        default: nil
        }
    }
}

extension CommandOutcome {
    var isWaiting: Bool { if case .waiting = self { true } else { false } }
}
