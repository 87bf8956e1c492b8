import CatalogueDomain
import HeapModule

/// An allocation parked on an open NEWMEDIA request.
struct Waiter {
    var allocation: WaitingAllocation
    var application: String
    var user: String
    var reply: @Sendable (Result<CommandOutcome, NtmsError>) -> Void
}

/// A waiting allocation's deadline, ordered for the timer.
struct Deadline: Comparable {
    var time: Int64
    var request: OperatorRequestID

    static func < (lhs: Self, rhs: Self) -> Bool { (lhs.time, lhs.request) < (rhs.time, rhs.request) }
}

/// This process's waiting allocations, by the request each waits on, with
/// their deadlines in a heap: each costs a dictionary entry, and one timer
/// serves the earliest deadline. Lives on the writer thread.
struct WaitingAllocations {
    private(set) var waiters: [OperatorRequestID: Waiter] = [:]
    private var deadlines = Heap<Deadline>()

    var isEmpty: Bool { waiters.isEmpty }
    var count: Int { waiters.count }

    subscript(request: OperatorRequestID) -> Waiter? { waiters[request] }

    /// The pools some allocation waits in.
    var pools: Set<PoolID> { Set(waiters.values.map(\.allocation.request.pool)) }

    /// The requests whose allocation's deadline is at or before `now`, in order.
    func due(at now: Int64) -> [OperatorRequestID] {
        waiters.filter { $0.value.allocation.deadline.map { $0 <= now } ?? false }.map(\.key).sorted()
    }

    /// The requests waited on by `session` (nil: by every session), in order.
    func waitedOn(by session: UInt64?) -> [OperatorRequestID] {
        waiters.filter { session == nil || $0.value.allocation.session == session }.map(\.key).sorted()
    }

    mutating func park(_ waiter: Waiter, on request: OperatorRequestID) {
        waiters[request] = waiter
        if let deadline = waiter.allocation.deadline { deadlines.insert(Deadline(time: deadline, request: request)) }
        waiter.allocation.onWait(request)
    }

    /// The earliest deadline of a waiter still parked.
    mutating func nextDeadline() -> Int64? {
        while let first = deadlines.min, waiters[first.request] == nil { _ = deadlines.removeMin() }
        return deadlines.min?.time
    }

    /// Answers the waiters whose requests closed. Returns the allocations to
    /// search again, with the time they have left: those whose request an
    /// operator or the engine satisfied without serving them.
    mutating func resolve(
        closed: [OperatorRequestID], served: [OperatorRequestID: Allocation], in state: CatalogueState
    ) -> [PendingCommand] {
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
        return retries
    }
}
