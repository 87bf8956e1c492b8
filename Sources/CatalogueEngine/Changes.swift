import CatalogueDomain
import CatalogueStorage

extension Catalogue {
    /// Committed events as they happen, from any process (OpenNtmsNotification's
    /// role). With `from`, events from that sequence number on come first, read
    /// from the log; without it, only events committed after the call. The
    /// sequence ends when the catalogue closes or the consumer stops iterating.
    public func changes(from start: UInt64? = nil) -> AsyncThrowingStream<LoggedEvent, any Error> {
        // Subscribe before reading the backlog, so nothing falls between the two.
        let (id, live) = feed.subscribe()
        let feed = self.feed
        let headAtSubscription = snapshot.head.sequence
        return AsyncThrowingStream { continuation in
            let task = Task {
                var last = headAtSubscription
                if let start, start <= headAtSubscription {
                    do {
                        let backlog = try self.events(from: start, through: headAtSubscription)
                        for event in backlog { continuation.yield(event) }
                    } catch {
                        continuation.finish(throwing: error)
                        return
                    }
                } else if let start, start > headAtSubscription {
                    last = start - 1
                }
                for await event in live where event.sequence > last {
                    last = event.sequence
                    continuation.yield(event)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in
                task.cancel()
                feed.unsubscribe(id)
            }
        }
    }

    /// The logged events with sequence numbers in `first...last`, verified.
    public func events(from first: UInt64, through last: UInt64) throws(NtmsError) -> [LoggedEvent] {
        guard first > 0, first <= last else { return [] }
        do {
            return try log.read { reader in
                var found: [LoggedEvent] = []
                try reader.forEachRecord(afterSequence: first - 1, through: last) { record in
                    found.append(LoggedEvent(record: record, event: try record.event()))
                }
                return found
            }
        } catch {
            throw ntmsError(from: error)
        }
    }
}
