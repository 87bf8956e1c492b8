import Dispatch

/// A repeating timer on its own serial queue: the catalogue's way of noticing
/// other processes' commits without a thread per waiter.
final class LogFollower: @unchecked Sendable {
    private let timer: any DispatchSourceTimer
    private let queue = DispatchQueue(label: "catalogue-follower")
    private static let onQueue = DispatchSpecificKey<Void>()
    private let nanoseconds: Int
    // Only touched on the timer's queue.
    private var tick = 0

    init(interval: Duration) {
        let (seconds, attoseconds) = interval.components
        nanoseconds = max(1_000_000, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
        queue.setSpecific(key: Self.onQueue, value: ())
        timer = DispatchSource.makeTimerSource(queue: queue)
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

    /// Stops the timer and waits for a tick in progress, which may hold the
    /// catalogue; unless called from a tick (the catalogue's last owner let go there).
    func cancel() {
        timer.cancel()
        if DispatchQueue.getSpecific(key: Self.onQueue) == nil { queue.sync {} }
    }
}
