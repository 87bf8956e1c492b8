import CatalogueDomain
import CatalogueStorage

extension Catalogue {
    /// Committed events as they happen, from any process (OpenNtmsNotification's
    /// role). With `from`, events from that sequence number on come first, read
    /// from the log; without it, only events committed after the call. Events
    /// are read from the log a chunk at a time as the consumer asks, so a
    /// slow consumer falls behind without holding more than one chunk. The
    /// sequence ends when the catalogue closes; a consumer that stops
    /// iterating (or is cancelled) ends its subscription. The stream throws
    /// `ERROR_DATABASE_FAILURE` (4313) if a record it reads fails verification.
    public func changes(from start: UInt64? = nil) -> AsyncThrowingStream<LoggedEvent, any Error> {
        // Subscribe before reading the head, so no commit falls between the two.
        let (id, heads) = feed.subscribe()
        let head = snapshot.head.sequence
        let cursor = ChangeCursor(
            catalogue: self, subscription: id, heads: heads, from: start ?? head + 1, knownHead: head)
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

/// One consumer's position in the change stream: the next sequence number it
/// wants and the newest head it knows of. Pulled by the consumer, so nothing
/// runs when nobody iterates; releasing it ends the subscription.
final class ChangeCursor: @unchecked Sendable {
    private let catalogue: Catalogue
    private let subscription: UInt64
    private var heads: AsyncStream<UInt64>.Iterator
    private var nextSequence: UInt64
    private var knownHead: UInt64
    private var buffer: [LoggedEvent] = []
    private var position = 0
    static let chunk: UInt64 = 1024

    init(catalogue: Catalogue, subscription: UInt64, heads: AsyncStream<UInt64>, from: UInt64, knownHead: UInt64) {
        self.catalogue = catalogue
        self.subscription = subscription
        self.heads = heads.makeAsyncIterator()
        nextSequence = max(1, from)
        self.knownHead = knownHead
    }

    deinit { catalogue.feed.unsubscribe(subscription) }

    func next() async throws -> LoggedEvent? {
        while position == buffer.count {
            if nextSequence <= knownHead {
                let end = min(knownHead, nextSequence + Self.chunk - 1)
                buffer = try catalogue.events(from: nextSequence, through: end)
                position = 0
                nextSequence = end + 1
                continue
            }
            guard let head = await heads.next() else { return nil }
            knownHead = max(knownHead, head)
        }
        defer { position += 1 }
        return buffer[position]
    }
}
