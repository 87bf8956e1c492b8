import Atomics
import CatalogueDomain

/// Fans committed events out to `Catalogue.changes` subscribers (the
/// OpenNtmsNotification role). The writer publishes after each durable commit
/// and after folding other processes' events.
final class ChangeFeed: Sendable {
    private let subscribers = Locked<[UInt64: AsyncStream<LoggedEvent>.Continuation]>([:])
    private let nextID = ManagedAtomic<UInt64>(0)
    let count = ManagedAtomic<Int>(0)

    func subscribe() -> (id: UInt64, events: AsyncStream<LoggedEvent>) {
        let id = nextID.wrappingIncrementThenLoad(ordering: .relaxed)
        let (stream, continuation) = AsyncStream<LoggedEvent>.makeStream(bufferingPolicy: .unbounded)
        let total = subscribers.withLock { list in
            list[id] = continuation
            return list.count
        }
        count.store(total, ordering: .relaxed)
        return (id, stream)
    }

    func unsubscribe(_ id: UInt64) {
        let (removed, total) = subscribers.withLock { list in (list.removeValue(forKey: id), list.count) }
        count.store(total, ordering: .relaxed)
        removed?.finish()
    }

    /// `events` is only asked for when someone subscribes: building the list
    /// for nobody cost the writer an array and a copy of every event.
    func publish(_ events: () -> [LoggedEvent]) {
        let targets = subscribers.withLock { Array($0.values) }
        guard !targets.isEmpty else { return }
        let events = events()
        for target in targets {
            for event in events { target.yield(event) }
        }
    }

    func finishAll() {
        let all = subscribers.withLock { list in
            defer { list.removeAll() }
            return Array(list.values)
        }
        count.store(0, ordering: .relaxed)
        for continuation in all { continuation.finish() }
    }
}
