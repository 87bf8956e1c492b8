import Dispatch

/// Which deadline the timer is set for, and whether a firing is still wanted.
///
/// A value with no locks and no threads, so that tests can drive it input by
/// input; `DeadlineTimer` holds it under a lock and carries out its actions.
struct DeadlineTimerStateMachine {
    enum State: Equatable {
        /// No deadline is set; `generation` numbers the last one that was.
        case unset(generation: Int)
        /// Set for `deadline`; only a firing of this `generation` counts.
        case set(deadline: Int64, generation: Int)
        /// The catalogue is closing: nothing fires again.
        case cancelled
    }

    enum ScheduleAction: Equatable {
        case none
        /// Fire `generation` at `deadline`.
        case arm(deadline: Int64, generation: Int)
    }

    enum FiredAction: Equatable {
        case fire
        /// A deadline replaced or cancelled since it was armed.
        case ignore
    }

    private(set) var state: State = .unset(generation: 0)

    /// Sets the timer for the earliest deadline (nil: none), replacing the one set before.
    mutating func schedule(at deadline: Int64?) -> ScheduleAction {
        let generation: Int
        switch state {
        case .cancelled: return .none
        case .set(let current, _) where current == deadline: return .none
        case .unset where deadline == nil: return .none
        case .unset(let last), .set(_, let last): generation = last + 1
        }
        guard let deadline else {
            state = .unset(generation: generation)
            return .none
        }
        state = .set(deadline: deadline, generation: generation)
        return .arm(deadline: deadline, generation: generation)
    }

    mutating func fired(generation: Int) -> FiredAction {
        guard case .set(_, generation) = state else { return .ignore }
        state = .unset(generation: generation)
        return .fire
    }

    mutating func cancel() { state = .cancelled }
}

/// One timer for the earliest deadline of all waiting allocations.
final class DeadlineTimer: @unchecked Sendable {
    private let clock: @Sendable () -> Int64
    private let queue = DispatchQueue(label: "catalogue-deadlines")
    private let machine = Locked(DeadlineTimerStateMachine())
    private let fire: @Sendable () -> Void

    init(clock: @escaping @Sendable () -> Int64, fire: @escaping @Sendable () -> Void) {
        self.clock = clock
        self.fire = fire
    }

    func schedule(at deadline: Int64?) {
        guard case .arm(let deadline, let generation) = machine.withLock({ $0.schedule(at: deadline) }) else {
            return
        }
        let delay = max(0, deadline - clock())
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(min(delay, Int64(Int32.max) * 1_000_000)))) { [self] in
            if machine.withLock({ $0.fired(generation: generation) }) == .fire { fire() }
        }
    }

    func cancel() { machine.withLock { $0.cancel() } }
}
