import Atomics
import CatalogueDomain
import CatalogueStorage

/// An immutable view of the catalogue at one point of the log. Readers get one
/// from `Catalogue.snapshot` without locks and may keep it as long as they
/// like: the writer never changes it, it publishes a new one.
public final class CatalogueSnapshot: AtomicReference, Sendable {
    public let state: CatalogueState
    /// The last event folded into `state`.
    public let head: LogHead

    init(state: CatalogueState, head: LogHead) {
        self.state = state
        self.head = head
    }
}

extension StorageError {
    /// The NTMS error a caller sees for a storage failure.
    var ntmsError: NtmsError {
        switch self {
        case .diskFull, .mapFull:
            return NtmsError(.databaseFull, "the catalogue store is full: \(self)")
        case .storeMissing(let path):
            return NtmsError(.databaseFailure, "no catalogue store at \(path); create one with `mediactl init`")
        case .permissionDenied, .untrustedStore:
            return NtmsError(.accessDenied, self.description)
        case .readOnly:
            return NtmsError(.accessDenied, "the catalogue is open read-only; this command needs a writable open")
        default:
            return NtmsError(.databaseFailure, "the catalogue store failed: \(self)")
        }
    }
}

/// Any error from the storage path, as the NTMS error callers get.
func ntmsError(from error: any Error) -> NtmsError {
    switch error {
    case let error as NtmsError: return error
    case let error as StorageError: return error.ntmsError
    default: return NtmsError(.databaseFailure, "the catalogue store failed: \(error)")
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
    /// Folds every record after `head` into `state`, verifying each; returns the new head.
    /// A long tail is folded with the allocation indexes deferred and built once at the end.
    func fold(into state: inout CatalogueState, after head: LogHead) throws -> LogHead {
        let tail = (try recordedHead()?.sequence ?? head.sequence) &- head.sequence
        if CatalogueState.defersAllocationIndexes(forEvents: tail, media: state.media.count) {
            state.deferAllocationIndexes()
        }
        // A second thread pays off only over a long tail (an open from a recent checkpoint folds a few events).
        let end =
            tail > 10_000
            ? try forEachEventDecodedConcurrently(after: head) { state.apply($0) }
            : try forEachRecordView(after: head) { record in state.apply(try record.event()) }
        state.buildDeferredAllocationIndexes()
        return end
    }
}

extension CatalogueState {
    /// Whether folding `events` more is cheaper with the allocation indexes built
    /// once at the end: rebuilding costs about as much per medium as keeping
    /// them costs per event.
    static func defersAllocationIndexes(forEvents events: UInt64, media: Int) -> Bool {
        events > UInt64(media) + 10_000
    }
}
