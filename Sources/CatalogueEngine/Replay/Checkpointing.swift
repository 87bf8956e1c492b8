import Atomics
import CatalogueDomain
import CatalogueStorage
import Dispatch
import Logging

/// When the engine saves checkpoints of its state and whether it uses them.
public struct CheckpointPolicy: Sendable {
    /// Start from the newest valid checkpoint on open (false: replay the whole log).
    public var loadOnOpen: Bool
    /// While running, save one in the background whenever this many events were
    /// folded since the newest; 0 = never while running.
    public var everyEvents: UInt64
    /// On close, save one when at least this many events are not covered yet
    /// (so short CLI runs do not rewrite a large state each time); 0 = never.
    public var onCloseAfterEvents: UInt64
    /// The newest checkpoints kept in the store when a new one is saved.
    public var keep: Int
    /// Older checkpoints kept besides, spaced wider the older they are (see
    /// `CheckpointRetention`), so that a question about the state at a past
    /// event (`Catalogue.state(asOf:)`) replays at most about twice as many
    /// events as that event is old rather than the whole log; 0 keeps only
    /// the newest `keep`. The default 6 reaches back about 32 times
    /// `everyEvents`.
    public var history: Int

    /// A policy; `keep` is at least 1.
    public init(
        loadOnOpen: Bool = true, everyEvents: UInt64 = 1_000_000, onCloseAfterEvents: UInt64 = 10_000, keep: Int = 2,
        history: Int = 6
    ) {
        self.loadOnOpen = loadOnOpen
        self.everyEvents = everyEvents
        self.onCloseAfterEvents = onCloseAfterEvents
        self.keep = max(1, keep)
        self.history = max(0, history)
    }

    /// Neither loads nor writes checkpoints.
    public static let disabled = CheckpointPolicy(loadOnOpen: false, everyEvents: 0, onCloseAfterEvents: 0)
}

/// How an open went: where replay started and what was ignored on the way.
public struct OpenReport: Sendable, Equatable {
    /// The event the loaded checkpoint covers, or nil when the whole log was replayed.
    public var checkpoint: UInt64?
    /// Events folded after the checkpoint (all of them without one).
    public var foldedEvents: UInt64
    /// Checkpoints that were skipped, and why.
    public var warnings: [String]
}

/// Where replay starts: the newest checkpoint at or before `last` that is
/// sound and belongs to this log, or the empty state.
enum CheckpointLoader {
    static func start(_ reader: LogReader, policy: CheckpointPolicy, through last: UInt64 = .max) throws -> (
        state: CatalogueState, head: LogHead, warnings: [String]
    ) {
        var warnings: [String] = []
        guard policy.loadOnOpen else { return (CatalogueState(), .empty, warnings) }
        for sequence in try reader.checkpointSequences().reversed() where sequence <= last {
            switch try load(reader, at: sequence) {
            case .success(let loaded): return (loaded.state, loaded.head, warnings)
            case .failure(let damage):
                warnings.append("checkpoint at event \(sequence) ignored: \(damage.reason)")
            }
        }
        return (CatalogueState(), .empty, warnings)
    }

    /// The state in the checkpoint at `sequence`, after every check open makes.
    static func load(_ reader: LogReader, at sequence: UInt64) throws -> Result<
        (state: CatalogueState, head: LogHead), CheckpointDamage
    > {
        guard let stored = try reader.checkpoint(at: sequence) else {
            return .failure(CheckpointDamage("it is gone"))
        }
        let checkpoint: Checkpoint
        switch stored {
        case .failure(let damage): return .failure(damage)
        case .success(let decoded): checkpoint = decoded
        }
        guard checkpoint.stateVersion == CatalogueState.checkpointVersion else {
            return .failure(
                CheckpointDamage(
                    "it holds state version \(checkpoint.stateVersion); this version reads \(CatalogueState.checkpointVersion)"
                ))
        }
        let linked: ChainHash?
        do {
            linked = try reader.chainHash(at: sequence)
        } catch {
            return .failure(CheckpointDamage("event \(sequence) of the log cannot be read: \(error)"))
        }
        guard let linked else { return .failure(CheckpointDamage("the log has no event \(sequence)")) }
        guard linked == checkpoint.head.chainHash else {
            return .failure(CheckpointDamage("it was made from a different history (event \(sequence) differs)"))
        }
        do {
            let state = try CatalogueState(checkpointPayload: checkpoint.payload)
            guard state.eventCount == sequence else {
                return .failure(CheckpointDamage("it counts \(state.eventCount) events but claims \(sequence)"))
            }
            return .success((state, checkpoint.head))
        } catch {
            return .failure(CheckpointDamage("its state does not decode: \(error.reason)"))
        }
    }
}

/// Saves checkpoints off the writer thread: the writer hands over a published
/// snapshot (immutable, so encoding it races with nothing) and goes on; the
/// save is its own small LMDB transaction.
final class CheckpointWriter: Sendable {
    private let log: EventLog
    private let policy: CheckpointPolicy
    private let logger: Logger
    private let queue = DispatchQueue(label: "catalogue-checkpoints", qos: .utility)
    private let group = DispatchGroup()
    /// The newest event a stored checkpoint covers (any process's, as of open, or ours since).
    let newest: ManagedAtomic<UInt64>
    private let inFlight = ManagedAtomic<Bool>(false)
    /// Told the sequence each save covers.
    private let saved: @Sendable (UInt64) -> Void

    init(
        log: EventLog, policy: CheckpointPolicy, logger: Logger, newest: UInt64,
        saved: @escaping @Sendable (UInt64) -> Void = { _ in }
    ) {
        self.log = log
        self.policy = policy
        self.logger = logger
        self.newest = ManagedAtomic(newest)
        self.saved = saved
    }

    /// Called after each publish; starts a background save when enough events accumulated.
    func consider(_ snapshot: CatalogueSnapshot) {
        guard policy.everyEvents > 0,
            snapshot.head.sequence >= newest.load(ordering: .relaxed) &+ policy.everyEvents,
            inFlight.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else { return }
        queue.async(group: group) { [self] in
            defer { inFlight.store(false, ordering: .releasing) }
            do { try save(snapshot) } catch {
                logger.warning("could not save a checkpoint at event \(snapshot.head.sequence): \(error)")
            }
        }
    }

    /// Waits for a background save, then saves the final state if the policy asks.
    func finish(with snapshot: CatalogueSnapshot) {
        group.wait()
        let uncovered = snapshot.head.sequence &- min(snapshot.head.sequence, newest.load(ordering: .relaxed))
        guard policy.onCloseAfterEvents > 0, uncovered >= policy.onCloseAfterEvents else { return }
        do { try save(snapshot) } catch {
            logger.warning("could not save a checkpoint at event \(snapshot.head.sequence) on close: \(error)")
        }
    }

    /// Saves the state of `snapshot` now.
    func save(_ snapshot: CatalogueSnapshot) throws {
        guard snapshot.head.sequence > 0 else { return }
        let checkpoint = Checkpoint(
            head: snapshot.head, stateVersion: CatalogueState.checkpointVersion,
            payload: snapshot.state.checkpointPayload())
        let (keep, history) = (policy.keep, policy.history)
        // Ages are counted in saves at the running cadence, so close-time saves share one band.
        let unit = max(1, policy.everyEvents > 0 ? policy.everyEvents : policy.onCloseAfterEvents)
        try log.write { writer in
            try writer.storeCheckpoint(checkpoint, keep: keep, history: history, unit: unit)
        }
        saved(snapshot.head.sequence)
        var current = newest.load(ordering: .relaxed)
        while current < snapshot.head.sequence {
            let (exchanged, original) = newest.compareExchange(
                expected: current, desired: snapshot.head.sequence, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
    }
}

/// One stored checkpoint as `listCheckpoints` reports it.
public struct CheckpointListing: Sendable, Equatable {
    /// The event the checkpoint covers.
    public var sequence: UInt64
    /// Its size in the store.
    public var byteCount: Int
    /// Whether open would use it, going by its own checks (audit also compares it with the log).
    public var usable: Bool
    /// What it holds, or why open would skip it.
    public var detail: String
}

extension Catalogue {
    /// The checkpoints stored in the store at `directory`, newest first, with
    /// the checks open makes. The store must not be open in this process.
    ///
    /// - Throws: `ERROR_DATABASE_FAILURE` (4313) for no store or a file that
    ///   is not one; `ERROR_ACCESS_DENIED` (5) for a store this process may
    ///   not read; `ERROR_BUSY` (170) when this process has it open.
    public static func listCheckpoints(at directory: String) throws(NtmsError) -> [CheckpointListing] {
        try withClosedStore(at: directory, access: .readOnly) { log in try checkpointListing(log) }
    }

    /// The checkpoints of this open catalogue's store, newest first, with the checks open makes.
    ///
    /// - Throws: `ERROR_DATABASE_FAILURE` (4313) when the store cannot be read.
    public func checkpoints() throws(NtmsError) -> [CheckpointListing] {
        do {
            return try Self.checkpointListing(log)
        } catch {
            throw ntmsError(from: error)
        }
    }

    private static func checkpointListing(_ log: EventLog) throws -> [CheckpointListing] {
        try log.read { reader in
            try reader.checkpointSequences().reversed().map { sequence in
                let size = try reader.checkpointByteCount(at: sequence) ?? 0
                switch try CheckpointLoader.load(reader, at: sequence) {
                case .success(let loaded):
                    return CheckpointListing(
                        sequence: sequence, byteCount: size, usable: true,
                        detail: "\(loaded.state.media.count) media, state version \(CatalogueState.checkpointVersion)")
                case .failure(let damage):
                    return CheckpointListing(sequence: sequence, byteCount: size, usable: false, detail: damage.reason)
                }
            }
        }
    }

    /// Removes the checkpoint covering `sequence` (nil: every checkpoint) from the
    /// store at `directory`; returns how many were removed. The log is untouched.
    ///
    /// - Throws: `ERROR_DATABASE_FAILURE` (4313) for no store or a file that
    ///   is not one; `ERROR_ACCESS_DENIED` (5) for a store this process may
    ///   not write; `ERROR_BUSY` (170) when this process has it open.
    @discardableResult
    public static func dropCheckpoints(at directory: String, sequence: UInt64?) throws(NtmsError) -> Int {
        try withClosedStore(at: directory) { log in
            try log.write { writer in
                let targets = try sequence.map { [$0] } ?? writer.reader.checkpointSequences()
                return try targets.reduce(0) { count, target in
                    count + (try writer.removeCheckpoint(sequence: target) ? 1 : 0)
                }
            }
        }
    }

    /// Runs `body` on the raw log of a store this process has not opened as a catalogue.
    static func withClosedStore<T>(
        at directory: String, access: StoreAccess = .readWrite, _ body: (EventLog) throws -> T
    ) throws(NtmsError) -> T {
        let path = canonicalPath(directory)
        guard OpenStores.claim(path) else {
            throw NtmsError(.busy, "the store \(directory) is open in this process; close that Catalogue first")
        }
        defer { OpenStores.release(path) }
        do {
            let log = try EventLog(directory: directory, create: false, access: access)
            defer { log.close() }
            return try body(log)
        } catch {
            throw ntmsError(from: error)
        }
    }
}
