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

    public struct ObjectCount: Sendable, Equatable {
        public var kind: String
        public var count: Int
    }
}

extension Catalogue {
    /// Audits the store in `directory` without opening it as a catalogue, so a
    /// damaged log can be examined. The store must not be open in this process.
    public static func audit(at directory: String) throws(NtmsError) -> AuditReport {
        let path = canonicalPath(directory)
        guard OpenStores.claim(path) else {
            throw NtmsError(.busy, "the store \(directory) is open in this process; call audit() on that Catalogue")
        }
        defer { OpenStores.release(path) }
        do {
            let log = try EventLog(directory: directory, create: false)
            defer { log.close() }
            return try audit(log)
        } catch {
            throw ntmsError(from: error)
        }
    }

    /// Audits this open catalogue's log from its first event.
    public func audit() throws(NtmsError) -> AuditReport {
        do { return try Self.audit(log) } catch { throw ntmsError(from: error) }
    }

    /// Checks every record's checksum, sequence continuity, decoding and chain
    /// link, folds the events, compares the end with the recorded head and
    /// checks the model's invariants on the result.
    static func audit(_ log: EventLog) throws -> AuditReport {
        try log.read { reader in
            var state = CatalogueState()
            var head = LogHead.empty
            var problem: StorageError?
            do {
                head = try reader.forEachRecord(after: .empty) { record in
                    state.apply(try record.event())
                    head = LogHead(sequence: record.header.sequence, chainHash: record.chainHash)
                }
                if let recorded = try reader.recordedHead(), recorded != head {
                    problem = .headMismatch(recorded: recorded.sequence, found: head.sequence)
                }
            } catch let error as StorageError {
                problem = error
            }
            let violations = state.invariantViolations()
            let description = problem?.description ?? violations.first.map { "the replayed state breaks a rule: \($0)" }
            return AuditReport(
                events: state.eventCount, head: head.sequence, headHash: head.chainHash.description,
                ok: description == nil, problem: description, firstBadSequence: problem?.sequence,
                objectCounts: counts(state), invariantViolations: violations)
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
