import CatalogueDomain
import CatalogueStorage

extension Catalogue {
    /// Committed events as they happen, from any process (OpenNtmsNotification's
    /// role). With `from`, events from that sequence number on come first, read
    /// from the log in chunks; without it, only events committed after the call.
    /// The sequence ends when the catalogue closes; a consumer that stops
    /// iterating (or is cancelled) ends its subscription. The stream throws
    /// `ERROR_DATABASE_FAILURE` (4313) if a record it reads fails verification.
    public func changes(from start: UInt64? = nil) -> AsyncThrowingStream<LoggedEvent, any Error> {
        // Subscribe before reading the backlog, so nothing falls between the two.
        let (id, live) = feed.subscribe()
        let head = snapshot.head.sequence
        let cursor = ChangeCursor(
            catalogue: self, subscription: id, live: live, backlogFrom: start ?? head + 1, backlogThrough: head)
        return AsyncThrowingStream(unfolding: { try await cursor.next() })
    }

    /// The logged events with sequence numbers in `first...last`, verified.
    ///
    /// - Throws: `ERROR_DATABASE_FAILURE` (4313) when a record fails
    ///   verification (checksum, sequence, chain or decoding), naming it.
    public func events(from first: UInt64, through last: UInt64) throws(NtmsError) -> [LoggedEvent] {
        var found: [LoggedEvent] = []
        try forEachEvent(from: first, through: last) { found.append($0) }
        return found
    }

    /// Hands the logged events with sequence numbers in `first...last` to
    /// `body` one at a time, verified, in one read transaction: an export of
    /// the whole log holds one event at a time.
    ///
    /// - Throws: `ERROR_DATABASE_FAILURE` (4313) when a record fails
    ///   verification (checksum, sequence, chain or decoding), naming it;
    ///   whatever `body` throws, which ends the walk.
    public func forEachEvent(
        from first: UInt64, through last: UInt64, _ body: (LoggedEvent) throws(NtmsError) -> Void
    ) throws(NtmsError) {
        guard first > 0, first <= last else { return }
        do {
            _ = try log.read { reader in
                try reader.forEachRecord(afterSequence: first - 1, through: last) { record in
                    try body(LoggedEvent(record: record, event: try record.event()))
                }
            }
        } catch {
            throw ntmsError(from: error)
        }
    }
}

/// One consumer's position in the change stream: the backlog, read a chunk at a
/// time, then live events. Pulled by the consumer, so nothing runs when nobody
/// iterates; releasing it ends the subscription.
final class ChangeCursor: @unchecked Sendable {
    private let catalogue: Catalogue
    private let subscription: UInt64
    private var live: AsyncStream<LoggedEvent>.Iterator
    private var nextBacklog: UInt64
    private let backlogThrough: UInt64
    private var buffer: [LoggedEvent] = []
    private var position = 0
    private var last: UInt64
    static let chunk: UInt64 = 1024

    init(
        catalogue: Catalogue, subscription: UInt64, live: AsyncStream<LoggedEvent>, backlogFrom: UInt64,
        backlogThrough: UInt64
    ) {
        self.catalogue = catalogue
        self.subscription = subscription
        self.live = live.makeAsyncIterator()
        nextBacklog = max(1, backlogFrom)
        self.backlogThrough = backlogThrough
        last = max(backlogThrough, backlogFrom > 0 ? backlogFrom - 1 : 0)
    }

    deinit { catalogue.feed.unsubscribe(subscription) }

    func next() async throws -> LoggedEvent? {
        if position == buffer.count, nextBacklog <= backlogThrough {
            let end = min(backlogThrough, nextBacklog + Self.chunk - 1)
            buffer = try catalogue.events(from: nextBacklog, through: end)
            position = 0
            nextBacklog = end + 1
        }
        if position < buffer.count {
            defer { position += 1 }
            return buffer[position]
        }
        while let event = await live.next() {
            guard event.sequence > last else { continue }
            last = event.sequence
            return event
        }
        return nil
    }
}
