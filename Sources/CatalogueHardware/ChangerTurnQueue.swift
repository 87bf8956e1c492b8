/// Who holds a changer's turn and who waits for it: the changer's scheduling
/// as a state machine. A command arriving at an idle changer proceeds; one
/// arriving at a busy changer waits. When the turn passes, the next holder is
/// the waiter whose ticket comes first in the library's work queue at that
/// moment (it may have been reordered meanwhile); waiters without a ticket,
/// or whose ticket is not in the queue, follow in arrival order.
struct ChangerTurnQueue<Waiter> {
    struct Waiting {
        var ticket: UInt64?
        var arrival: UInt64
        var waiter: Waiter
    }

    enum State {
        case idle
        /// Someone holds the turn; these wait, in arrival order.
        case held(waiting: [Waiting])
    }

    enum ArrivalAction: Equatable {
        case proceed
        case wait
    }

    private(set) var state = State.idle
    private var arrivals: UInt64 = 0

    /// A command arrives: it proceeds at once when nobody holds the turn, or
    /// must wait (then `enqueue` records it).
    mutating func arrive() -> ArrivalAction {
        switch state {
        case .idle:
            state = .held(waiting: [])
            return .proceed
        case .held:
            return .wait
        }
    }

    /// Records a waiter after `arrive()` said `.wait`.
    mutating func enqueue(_ waiter: Waiter, ticket: UInt64?) {
        guard case .held(var waiting) = state else {
            preconditionFailure("a waiter was queued at an idle changer")
        }
        arrivals += 1
        waiting.append(Waiting(ticket: ticket, arrival: arrivals, waiter: waiter))
        state = .held(waiting: waiting)
    }

    /// The holder is done: the waiter to resume next, chosen by `order` (the
    /// tickets of the library's queue, first to last), or nil when nobody waits.
    mutating func pass(order: [UInt64]) -> Waiter? {
        guard case .held(var waiting) = state else { preconditionFailure("the turn passed at an idle changer") }
        guard !waiting.isEmpty else {
            state = .idle
            return nil
        }
        var rank: [UInt64: Int] = [:]
        for (index, ticket) in order.enumerated() where rank[ticket] == nil { rank[ticket] = index }
        let chosen = waiting.indices.min { a, b in
            let left = waiting[a].ticket.flatMap { rank[$0] } ?? Int.max
            let right = waiting[b].ticket.flatMap { rank[$0] } ?? Int.max
            return (left, waiting[a].arrival) < (right, waiting[b].arrival)
        }!
        let next = waiting.remove(at: chosen)
        state = .held(waiting: waiting)
        return next.waiter
    }

    /// How many commands wait for the turn.
    var waitingCount: Int {
        if case .held(let waiting) = state { waiting.count } else { 0 }
    }
}
