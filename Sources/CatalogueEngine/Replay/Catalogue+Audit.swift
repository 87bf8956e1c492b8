import CatalogueDomain
import CatalogueStorage

/// The result of replaying a whole log from its first event.
public struct AuditReport: Sendable, Equatable {
    /// Records verified before the end of the log or the first problem.
    public var events: UInt64
    /// The sequence number of the last verified record.
    public var head: UInt64
    /// The chain hash of the last verified record, in hex.
    public var headHash: String
    /// Nothing is wrong: every record, checkpoint, anchor and rule checked out.
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
    /// The verified chain hash at each event asked for, in the order asked.
    public var chainHashes: [ChainAnchor] = []
    /// Each anchor the audit was given, and whether the log still holds it.
    public var anchors: [AnchorVerdict] = []

    /// What audit found about one kept anchor.
    public struct AnchorVerdict: Sendable, Equatable {
        /// The anchor as given.
        public var anchor: ChainAnchor
        /// The verified chain hash at the anchor's event; nil when the replay did not reach it.
        public var found: String?
        /// The log still has the anchor's hash at its event.
        public var holds: Bool { found == anchor.hash }
    }

    /// What audit found about one checkpoint.
    public struct CheckpointVerdict: Sendable, Equatable {
        /// The event the checkpoint covers.
        public var sequence: UInt64
        /// Its size in the store.
        public var byteCount: Int
        /// `matches`: equal to the state replayed up to it. `unusable`: open skips it
        /// (damaged, other format, not of this log). `mismatch`: open would use it but
        /// it disagrees with the log, so audit fails.
        public var verdict: Verdict
        /// Why, in a sentence for the operator.
        public var detail: String

        /// How a checkpoint compares with the replayed log.
        public enum Verdict: String, Sendable, Equatable {
            /// `beyond-log`: it covers events the log no longer has, so records were
            /// removed from the log's end and audit fails.
            case matches, unusable, mismatch, beyondLog = "beyond-log"
        }
    }

    /// How many objects of one kind the replayed state holds.
    public struct ObjectCount: Sendable, Equatable {
        /// The kind, as the CLI names it (media, sides, pools, ...).
        public var kind: String
        /// How many there are.
        public var count: Int
    }
}

extension Catalogue {
    /// Audits the store in `directory` without opening it as a catalogue, so a
    /// damaged log can be examined. It opens the store read-only and writes
    /// nothing. `hashesAt` asks for the verified chain hash at those events;
    /// each of `anchors` (kept outside the store) must still hold. The store
    /// must not be open in this process.
    ///
    /// Problems in the log are reported, not thrown.
    ///
    /// - Throws: `ERROR_DATABASE_FAILURE` (4313) for no store or a file that
    ///   is not one; `ERROR_ACCESS_DENIED` (5) for a store this process may
    ///   not read; `ERROR_BUSY` (170) when this process has it open.
    public static func audit(at directory: String, hashesAt: [UInt64] = [], anchors: [ChainAnchor] = [])
        throws(NtmsError) -> AuditReport
    {
        try withClosedStore(at: directory, access: .readOnly) { log in
            try audit(log, hashesAt: hashesAt, anchors: anchors)
        }
    }

    /// Audits this open catalogue's log from its first event. Problems in the
    /// log are reported, not thrown.
    ///
    /// - Throws: `ERROR_DATABASE_FAILURE` (4313) when the store cannot be read at all.
    public func audit() throws(NtmsError) -> AuditReport {
        do { return try Self.audit(log) } catch { throw ntmsError(from: error) }
    }

    /// Checks every record's checksum, sequence continuity, decoding and chain
    /// link, folds the events from the first, compares the end with the recorded
    /// head, checks the model's invariants on the result, compares every
    /// checkpoint with the state replayed up to its event and every anchor with
    /// the chain hash at its event.
    static func audit(_ log: EventLog, hashesAt: [UInt64] = [], anchors: [ChainAnchor] = []) throws -> AuditReport {
        try log.read { reader in
            // Audit makes no decisions: the allocation indexes are built once, at the end
            // (and on a copy for each checkpoint compared).
            var replay = Replay()
            var head = LogHead.empty
            var problem: StorageError?
            let stored = try reader.checkpointSequences()
            var verdicts: [AuditReport.CheckpointVerdict] = []
            let wanted = Set(hashesAt + anchors.map(\.sequence))
            var hashes: [UInt64: ChainHash] = [0: .genesis]
            do {
                // Folded on a second thread up to each boundary in turn: comparing a
                // checkpoint reads this transaction, which the decoding thread holds while it runs.
                let boundaries = Set(stored).union(wanted).filter { $0 > 0 }.sorted() + [.max]
                for boundary in boundaries {
                    head = try reader.forEachEventDecodedConcurrently(after: head, through: boundary) {
                        replay.evolve($0, $1)
                    }
                    guard head.sequence == boundary else { break }
                    if wanted.contains(boundary) { hashes[boundary] = head.chainHash }
                    if stored.contains(boundary) {
                        verdicts.append(try judgeCheckpoint(reader, boundary, against: replay.state))
                    }
                }
                try reader.verifyRecordedHead(head)
            } catch let error as StorageError {
                problem = error
                // The last record folded, from the first.
                let folded = replay.eventCount
                head = LogHead(
                    sequence: folded, chainHash: folded == 0 ? .genesis : try reader.chainHash(at: folded) ?? .genesis)
            }
            // Checkpoints of events the replay never reached.
            for sequence in stored where !verdicts.contains(where: { $0.sequence == sequence }) {
                let size = try reader.checkpointByteCount(at: sequence) ?? 0
                if problem == nil, sequence > head.sequence {
                    // A sound log that ends before a checkpoint was cut short after it was saved.
                    problem = .checkpointBeyondLog(checkpoint: sequence, last: head.sequence)
                    verdicts.append(
                        .init(
                            sequence: sequence, byteCount: size, verdict: .beyondLog,
                            detail: "the log ends at event \(head.sequence): records after it were removed"))
                } else {
                    verdicts.append(
                        .init(
                            sequence: sequence, byteCount: size, verdict: .unusable,
                            detail: "the replayed log has no event \(sequence)"))
                }
            }
            verdicts.sort { $0.sequence < $1.sequence }
            let state = replay.state
            let violations = state.invariantViolations()
            let mismatch = verdicts.first { $0.verdict == .mismatch }
            let anchorVerdicts = anchors.map {
                AuditReport.AnchorVerdict(anchor: $0, found: hashes[$0.sequence]?.description)
            }
            let brokenAnchor = anchorVerdicts.first { !$0.holds }.map { verdict in
                verdict.found.map {
                    "the chain hash at event \(verdict.anchor.sequence) is \($0), not the kept anchor's "
                        + "\(verdict.anchor.hash): the log was rewritten at or before that event"
                }
                    ?? "the log ends at event \(head.sequence), before the kept anchor's event \(verdict.anchor.sequence): "
                    + "records were removed"
            }
            let noCreation =
                problem == nil && state.creation == nil
                ? "the log holds no creation event: a catalogue store's first event creates it" : nil
            let description =
                problem?.description ?? brokenAnchor ?? noCreation
                ?? violations.first.map { "the replayed state breaks a rule: \($0)" }
                ?? mismatch.map { "checkpoint at event \($0.sequence) disagrees with the log: \($0.detail)" }
            return AuditReport(
                events: state.eventCount, head: head.sequence, headHash: head.chainHash.description,
                ok: description == nil, problem: description,
                firstBadSequence: problem?.sequence ?? (noCreation != nil ? 1 : nil),
                objectCounts: counts(state), invariantViolations: violations, checkpoints: verdicts,
                chainHashes: hashesAt.compactMap { sequence in
                    hashes[sequence].map { ChainAnchor(sequence: sequence, hash: $0.description) }
                },
                anchors: anchorVerdicts)
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
            guard loaded.state == state else {
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

/// The chain hash at one event, written `HASH@SEQUENCE`. Kept outside the
/// store (printed by `audit --at`, or saved by an operator), it lets a later
/// audit prove the log up to that event was not rewritten: the chain alone
/// can be recomputed by anyone who can write the store.
public struct ChainAnchor: Sendable, Equatable, CustomStringConvertible {
    /// The event the hash is taken at.
    public var sequence: UInt64
    /// 64 lowercase hexadecimal digits.
    public var hash: String

    /// An anchor from its parts; `hash` is not checked (see `init?(_:)`).
    public init(sequence: UInt64, hash: String) {
        self.sequence = sequence
        self.hash = hash
    }

    /// Parses `HASH@SEQUENCE`; nil unless the hash is 64 hexadecimal digits.
    public init?(_ text: String) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let sequence = UInt64(parts[1]), parts[0].utf8.count == 2 * ChainHash.byteCount,
            parts[0].unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit })
        else { return nil }
        self.init(sequence: sequence, hash: parts[0].lowercased())
    }

    /// `HASH@SEQUENCE`, as `init?(_:)` reads it.
    public var description: String { "\(hash)@\(sequence)" }
}
