import CatalogueDomain
import CatalogueStorage

/// The result of replaying a whole log from its first event.
public struct AuditReport: Sendable, Equatable {
    /// Records verified before the end of the log or the first problem.
    public var events: UInt64
    /// The sequence number and chain hash of the last verified record.
    public var head: UInt64
    public var headHash: String
    public var ok: Bool
    /// What is wrong, when something is.
    public var problem: String?
    /// The first sequence number that failed, when a record did.
    public var firstBadSequence: UInt64?
    /// Objects in the replayed state, by kind, in a fixed order.
    public var objectCounts: [ObjectCount]
    /// Rules of the model the replayed state breaks (empty when sound).
    public var invariantViolations: [String]
    /// Each stored checkpoint, oldest first, checked against the replayed log.
    public var checkpoints: [CheckpointVerdict]

    /// What audit found about one checkpoint.
    public struct CheckpointVerdict: Sendable, Equatable {
        public var sequence: UInt64
        public var byteCount: Int
        /// `matches`: equal to the state replayed up to it. `unusable`: open skips it
        /// (damaged, other format, not of this log). `mismatch`: open would use it but
        /// it disagrees with the log, so audit fails.
        public var verdict: Verdict
        public var detail: String

        public enum Verdict: String, Sendable, Equatable {
            case matches, unusable, mismatch
        }
    }

    public struct ObjectCount: Sendable, Equatable {
        public var kind: String
        public var count: Int
    }
}

extension Catalogue {
    /// Audits the store in `directory` without opening it as a catalogue, so a
    /// damaged log can be examined. The store must not be open in this process.
    public static func audit(at directory: String) throws(NtmsError) -> AuditReport {
        try withClosedStore(at: directory) { log in try audit(log) }
    }

    /// Audits this open catalogue's log from its first event.
    public func audit() throws(NtmsError) -> AuditReport {
        do { return try Self.audit(log) } catch { throw ntmsError(from: error) }
    }

    /// Checks every record's checksum, sequence continuity, decoding and chain
    /// link, folds the events from the first, compares the end with the recorded
    /// head, checks the model's invariants on the result and compares every
    /// checkpoint with the state replayed up to its event.
    static func audit(_ log: EventLog) throws -> AuditReport {
        try log.read { reader in
            var state = CatalogueState()
            // Audit makes no decisions: the allocation indexes are built once, at the end
            // (and on a copy for each checkpoint compared).
            state.deferAllocationIndexes()
            var head = LogHead.empty
            var problem: StorageError?
            let stored = try reader.checkpointSequences()
            var verdicts: [AuditReport.CheckpointVerdict] = []
            do {
                // Folded on a second thread up to each checkpoint in turn: comparing
                // one reads this transaction, which the decoding thread holds while it runs.
                for boundary in stored + [.max] where boundary > head.sequence {
                    head = try reader.forEachEventDecodedConcurrently(after: head, through: boundary) {
                        state.apply($0)
                    }
                    guard head.sequence == boundary else { break }
                    verdicts.append(try judgeCheckpoint(reader, boundary, against: state))
                }
                if let recorded = try reader.recordedHead(), recorded != head {
                    problem = .headMismatch(recorded: recorded.sequence, found: head.sequence)
                }
            } catch let error as StorageError {
                problem = error
                // The last record folded, from the first.
                let folded = state.eventCount
                head = LogHead(
                    sequence: folded, chainHash: folded == 0 ? .genesis : try reader.chainHash(at: folded) ?? .genesis)
            }
            // Checkpoints of events the replay never reached (the log is shorter than they claim, or sequence 0).
            for sequence in stored where !verdicts.contains(where: { $0.sequence == sequence }) {
                let size = try reader.checkpointByteCount(at: sequence) ?? 0
                verdicts.append(
                    .init(
                        sequence: sequence, byteCount: size, verdict: .unusable,
                        detail: "the replayed log has no event \(sequence)"))
            }
            verdicts.sort { $0.sequence < $1.sequence }
            state.buildDeferredAllocationIndexes()
            let violations = state.invariantViolations()
            let mismatch = verdicts.first { $0.verdict == .mismatch }
            let description =
                problem?.description ?? violations.first.map { "the replayed state breaks a rule: \($0)" }
                ?? mismatch.map { "checkpoint at event \($0.sequence) disagrees with the log: \($0.detail)" }
            return AuditReport(
                events: state.eventCount, head: head.sequence, headHash: head.chainHash.description,
                ok: description == nil, problem: description, firstBadSequence: problem?.sequence,
                objectCounts: counts(state), invariantViolations: violations, checkpoints: verdicts)
        }
    }

    /// Compares the checkpoint at `sequence` with `state`, the log replayed up to that event.
    private static func judgeCheckpoint(_ reader: LogReader, _ sequence: UInt64, against state: CatalogueState) throws
        -> AuditReport.CheckpointVerdict
    {
        let size = try reader.checkpointByteCount(at: sequence) ?? 0
        switch try CheckpointLoader.load(reader, at: sequence) {
        case .failure(let damage):
            return .init(sequence: sequence, byteCount: size, verdict: .unusable, detail: damage.reason)
        case .success(let loaded):
            var replayed = state
            replayed.buildDeferredAllocationIndexes()
            guard loaded.state == replayed else {
                return .init(
                    sequence: sequence, byteCount: size, verdict: .mismatch,
                    detail:
                        "its state differs from the replayed one; drop it with `mediactl checkpoint drop \(sequence)`")
            }
            return .init(sequence: sequence, byteCount: size, verdict: .matches, detail: "equals the replayed state")
        }
    }

    static func counts(_ state: CatalogueState) -> [AuditReport.ObjectCount] {
        [
            .init(kind: "media_types", count: state.mediaTypes.count),
            .init(kind: "libraries", count: state.libraries.count),
            .init(kind: "pools", count: state.pools.count),
            .init(kind: "media", count: state.media.count),
            .init(kind: "sides", count: state.sides.count),
            .init(kind: "logical_media", count: state.logicalMedia.count),
        ]
    }

}
