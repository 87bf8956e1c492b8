import Atomics
import CatalogueDomain
import CatalogueStorage

/// An immutable view of the catalogue at one point of the log. Readers get one
/// from `Catalogue.snapshot` without locks and may keep it as long as they
/// like: the writer never changes it, it publishes a new one.
public final class CatalogueSnapshot: AtomicReference, Sendable {
    /// The folded state: every object, as the events up to `head` made it.
    public let state: CatalogueState
    /// The last event folded into `state`.
    public let head: LogHead

    init(state: CatalogueState, head: LogHead) {
        self.state = state
        self.head = head
    }
}

extension EventRecord {
    /// The domain event this record carries; a payload that does not decode is corruption.
    func event() throws -> CatalogueEvent {
        try payload.withUnsafeBytes { payload in
            try storedEvent(
                sequence: header.sequence, type: header.eventType, version: header.schemaVersion, payload: payload)
        }
    }
}

extension RecordView {
    /// The domain event this record carries, decoded in place.
    func event() throws -> CatalogueEvent {
        try storedEvent(sequence: sequence, type: eventType, version: schemaVersion, payload: payload)
    }
}

/// Decodes a stored record's event; a payload that does not decode is corruption.
private func storedEvent(sequence: UInt64, type: UInt16, version: UInt16, payload: UnsafeRawBufferPointer) throws
    -> CatalogueEvent
{
    do {
        return try CatalogueEvent.decode(typeCode: type, schemaVersion: version, payload: payload)
    } catch {
        throw StorageError.corruptRecord(sequence: sequence, reason: error.reason)
    }
}

extension LogReader {
    /// Folds every record after `head` (through `last`) into `state`, verifying each;
    /// returns the new head. On a throw `state` is left empty: the caller gives
    /// up the open. A long tail is folded with the allocation indexes built once
    /// at the end (see `Replay`).
    func fold(into state: inout CatalogueState, after head: LogHead, through last: UInt64 = .max) throws -> LogHead {
        let lastFolded = min(last, try recordedHead()?.sequence ?? head.sequence)
        let tail = lastFolded > head.sequence ? lastFolded - head.sequence : 0
        var replay = Replay(
            from: state,
            deferringIndexes: CatalogueState.defersAllocationIndexes(forEvents: tail, media: state.media.count))
        // The caller's copy is let go of, so the fold changes the tables in place instead of copying them.
        state = CatalogueState()
        // A second thread pays off only over a long tail (an open from a recent checkpoint folds a few events).
        let end =
            tail > Self.concurrentReplayThreshold
            ? try forEachEventDecodedConcurrently(after: head, through: last) { replay.evolve($0, $1) }
            : try forEachRecordView(after: head, through: last) { record in
                let event = try record.event()
                replay.evolve(event, record.envelope(for: event))
            }
        state = replay.state
        return end
    }

    /// Events after which decoding on a second thread pays for its hand-over.
    static let concurrentReplayThreshold: UInt64 = 10_000
}

extension CatalogueState {
    /// Whether folding `events` more is cheaper with the allocation indexes built
    /// once at the end: rebuilding costs about as much per medium as keeping
    /// them costs per event.
    static func defersAllocationIndexes(forEvents events: UInt64, media: Int) -> Bool {
        // Events for which keeping the indexes is cheap whatever the store's size.
        let indexUpkeepAllowance: UInt64 = 10_000
        return events > UInt64(media) + indexUpkeepAllowance
    }
}

extension RecordView {
    /// The record's time, and its caller when `evolve` keeps it for `event`
    /// (decoding the names only then keeps replay fast).
    func envelope(for event: CatalogueEvent) -> EventEnvelope {
        guard event.recordsCaller else { return EventEnvelope(time: timestamp) }
        let header = self.header
        return EventEnvelope(time: header.timestamp, application: header.application, user: header.user)
    }
}

extension RecordHeader {
    /// The record's time and caller, as `evolve` takes them.
    var envelope: EventEnvelope { EventEnvelope(time: timestamp, application: application, user: user) }
}
