import Atomics
import CatalogueDomain

/// Tells `Catalogue.changes` subscribers how far the log has grown (the
/// OpenNtmsNotification role). The writer publishes the new head after each
/// durable commit and after folding other processes' events. Subscribers
/// read the events themselves from the log, so a slow one costs a position
/// and one chunk of events, never a queue of everything it has not read.
final class ChangeFeed: Sendable {
    private let subscribers = Locked<[UInt64: AsyncStream<UInt64>.Continuation]>([:])
    private let nextID = ManagedAtomic<UInt64>(0)
    let count = ManagedAtomic<Int>(0)

    /// Each subscriber keeps only the newest head it has not seen.
    func subscribe() -> (id: UInt64, heads: AsyncStream<UInt64>) {
        let id = nextID.wrappingIncrementThenLoad(ordering: .relaxed)
        let (stream, continuation) = AsyncStream<UInt64>.makeStream(bufferingPolicy: .bufferingNewest(1))
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

    func publish(head: UInt64) {
        let targets = subscribers.withLock { Array($0.values) }
        for target in targets { target.yield(head) }
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
