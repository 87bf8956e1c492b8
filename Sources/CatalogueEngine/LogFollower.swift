import Dispatch

/// A repeating timer on its own serial queue: the catalogue's way of noticing
/// other processes' commits without a thread per waiter.
final class LogFollower: @unchecked Sendable {
    private let timer: any DispatchSourceTimer
    private let nanoseconds: Int
    // Only touched on the timer's queue.
    private var tick = 0

    init(interval: Duration) {
        let (seconds, attoseconds) = interval.components
        nanoseconds = max(1_000_000, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "catalogue-follower"))
    }

    /// Calls `handler(tick, ticksPerSecond)` every interval until `cancel()`.
    func start(_ handler: @escaping @Sendable (Int, Int) -> Void) {
        let ticksPerSecond = max(1, 1_000_000_000 / nanoseconds)
        timer.schedule(
            deadline: .now() + .nanoseconds(nanoseconds), repeating: .nanoseconds(nanoseconds), leeway: .milliseconds(2)
        )
        timer.setEventHandler { [self] in
            tick += 1
            handler(tick, ticksPerSecond)
        }
        timer.resume()
    }

    func cancel() { timer.cancel() }
}
