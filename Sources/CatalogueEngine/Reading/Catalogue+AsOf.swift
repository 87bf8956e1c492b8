import CatalogueDomain
import CatalogueStorage
import Foundation

/// A point of the log: one event, or the last event committed at or before a time.
public enum LogPoint: Sendable, Equatable {
    /// Right after this event (1 is the first).
    case sequence(UInt64)
    /// Right after the last event committed at or before this time (nanoseconds since 1970).
    case time(Int64)
}

/// The catalogue as it stood right after one event of its log.
public struct PastState: Sendable {
    /// The state and the event it ends with.
    public let snapshot: CatalogueSnapshot
    /// When that event was committed (nanoseconds since 1970): the "now" of
    /// ages and idle times computed from this state.
    public let committed: Int64
    /// The checkpoint replay started from, or nil when it started from the first event.
    public let checkpoint: UInt64?
    /// Events folded after the checkpoint.
    public let foldedEvents: UInt64
    /// Checkpoints at or before the point that were skipped, and why.
    public let warnings: [String]
}

extension Catalogue {
    /// The state right after the event at `point`, built from the newest sound
    /// checkpoint at or before it plus a replay of the events between. A time
    /// is turned into its event by a binary search over the records' times, so
    /// neither costs a scan of the log.
    ///
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) for event 0, an event beyond
    ///   the log's head, or a time before the first event;
    ///   `ERROR_DATABASE_FAILURE` (4313) when a record on the way fails verification.
    public func state(asOf point: LogPoint) throws(NtmsError) -> PastState {
        let policy = options.checkpoints
        do {
            return try log.read { reader in try PastStateBuilder.build(reader, at: point, policy: policy) }
        } catch {
            throw ntmsError(from: error)
        }
    }

    /// `state(asOf:)` for the store at `directory`, opened read-only for this
    /// call only: it loads no other state, so it costs the checkpoint before
    /// the point and the replay after it. The store must not be open in this process.
    ///
    /// - Throws: what `state(asOf:)` throws; `ERROR_DATABASE_FAILURE` (4313) for
    ///   no store; `ERROR_ACCESS_DENIED` (5) for a store this process may not
    ///   read; `ERROR_BUSY` (170) when this process has it open.
    public static func state(
        at directory: String, asOf point: LogPoint, checkpoints: CheckpointPolicy = .init()
    ) throws(NtmsError) -> PastState {
        try withClosedStore(at: directory, access: .readOnly) { log in
            try log.read { reader in try PastStateBuilder.build(reader, at: point, policy: checkpoints) }
        }
    }
}

/// Finds a point's event and folds the state up to it.
enum PastStateBuilder {
    static func build(_ reader: LogReader, at point: LogPoint, policy: CheckpointPolicy) throws -> PastState {
        let head = try reader.recordedHead()?.sequence ?? 0
        let target = try event(at: point, in: reader, head: head)
        let (loaded, start, warnings) = try CheckpointLoader.start(reader, policy: policy, through: target)
        var state = loaded
        let end = try reader.fold(into: &state, after: start, through: target)
        guard end.sequence == target, let committed = try reader.timestamp(at: target) else {
            throw StorageError.sequenceGap(expected: target, found: end.sequence)
        }
        return PastState(
            snapshot: CatalogueSnapshot(state: state, head: end), committed: committed,
            checkpoint: start.sequence > 0 ? start.sequence : nil, foldedEvents: end.sequence - start.sequence,
            warnings: warnings)
    }

    private static func event(at point: LogPoint, in reader: LogReader, head: UInt64) throws -> UInt64 {
        switch point {
        case .sequence(let sequence):
            guard sequence >= 1 else {
                throw NtmsError(.invalidParameter, "there is no event 0; the log starts at event 1")
            }
            guard sequence <= head else {
                throw NtmsError(
                    .invalidParameter,
                    head == 0
                        ? "the log holds no events yet" : "event \(sequence) is beyond the log's head, event \(head)")
            }
            return sequence
        case .time(let time):
            let sequence = try reader.lastSequence(atOrBefore: time, head: head)
            guard sequence > 0 else {
                let first = try head > 0 ? reader.timestamp(at: 1) : nil
                throw NtmsError(
                    .invalidParameter,
                    "\(iso8601(time)) is before the first event"
                        + (first.map { ", committed at \(iso8601($0))" } ?? " (the log holds none yet)"))
            }
            return sequence
        }
    }

    private static func iso8601(_ nanoseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(nanoseconds) / 1e9).formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
