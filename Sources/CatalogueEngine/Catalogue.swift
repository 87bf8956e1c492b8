import Atomics
import CatalogueDomain
import CatalogueHardware
import CatalogueStorage
import CoreMetrics
import Foundation
import Logging

/// How to open a catalogue.
public struct CatalogueOptions: Sendable {
    /// The LMDB map's first size and growth, and fault injection for tests.
    public var store: StoreConfiguration
    /// How the writer groups commands into transactions; fixed while the catalogue is open.
    public var writer: WriterTuning
    /// Wall-clock time in nanoseconds since 1970, stamped on every record and used
    /// for operator-request deadlines. Tests inject their own.
    public var clock: @Sendable () -> Int64
    /// How often the engine looks for commits of other processes while someone
    /// waits on them (waiting allocations, change-stream subscribers).
    public var followInterval: Duration
    /// How long finished operator requests stay in `requests()` listings (RSM's default: 72 hours).
    public var finishedRequestRetention: Duration
    /// When checkpoints are saved and whether open uses them.
    public var checkpoints: CheckpointPolicy
    /// Where the engine reports what it works around (ignored checkpoints, failed background saves).
    public var logger: Logger
    /// Timeouts around each robot command.
    public var changerTimeouts: ChangerTimeouts = .init()
    /// Runs `mtx` for mtx changers; tests stand in for the binary (nil: the real one).
    public var mtxRunner: (any CommandRunner)? = nil
    /// Runs `mt` to take a drive's tape offline before an unload, for changers
    /// set so; tests stand in for it (nil: the real one).
    public var tapeRunner: (any CommandRunner)? = nil
    /// Rights a new store grants besides its creator's (who administers it):
    /// for example USE on the catalogue to a group of reporting users.
    public var initialAccess: [AccessEntry] = []
    /// Where the catalogue's metrics go (see `CatalogueMetricName`); nil:
    /// swift-metrics' global `MetricsSystem.factory`, a no-op until an
    /// embedder bootstraps a backend.
    public var metricsFactory: (any MetricsFactory)? = nil
    /// How often, at most, the metrics read from the state are brought up to
    /// date while the catalogue changes (`Catalogue.updateMetrics()` also does it at once).
    public var metricsInterval: Duration = .seconds(1)
    /// Fold what other processes commit within `followInterval` even when
    /// nobody here waits for it: a long-running service wants its reads (and
    /// tokens made by `mediactl token create`) current. Off, the catalogue
    /// catches up when it next writes or someone here waits on the log.
    public var followsOtherProcesses = false

    /// Options with the defaults an appliance wants; override what differs.
    public init(
        store: StoreConfiguration = .init(), writer: WriterTuning = .init(),
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000_000_000) },
        followInterval: Duration = .milliseconds(20), finishedRequestRetention: Duration = .seconds(72 * 3600),
        checkpoints: CheckpointPolicy = .init(), logger: Logger = Logger(label: "MediaCatalogue")
    ) {
        self.store = store
        self.writer = writer
        self.clock = clock
        self.followInterval = followInterval
        self.finishedRequestRetention = finishedRequestRetention
        self.checkpoints = checkpoints
        self.logger = logger
    }
}

/// Whether a catalogue may change its store.
public enum OpenMode: Sendable, Equatable {
    /// The normal open: commands, robot work, checkpoints and housekeeping.
    case readWrite
    /// For reporting tools and auditors: LMDB's read-only environment, no
    /// write transaction ever, no checkpoint saved, no request reaped or
    /// marked. It works for a user who may only read the store's files, on a
    /// copy made with `mdb_copy` or a file-system snapshot, and on a read-only
    /// mount. Every command gets `ERROR_ACCESS_DENIED`; `refresh()` and
    /// `changes()` still see what the store's writers commit.
    case readOnly
}

/// One open catalogue store: the replayed state, its writer and its readers.
///
/// Reads (`snapshot`) never lock and never wait for the writer. Commands go
/// through a `Session` to the single writer, which decides them against the
/// newest state, appends their events durably and only then publishes the new
/// state and answers.
public final class Catalogue: Sendable {
    /// The store's directory, with symbolic links resolved.
    public let directory: String
    let log: EventLog
    @usableFromInline let readers: SnapshotReaders
    let writer: CommandWriter
    private let isClosed = ManagedAtomic<Bool>(false)
    let feed = ChangeFeed()
    let options: CatalogueOptions
    private let follower: LogFollower
    private let nextSession = ManagedAtomic<UInt64>(0)
    private let checkpointWriter: CheckpointWriter
    let changers: ChangerRegistry
    let metrics: CatalogueMetrics
    /// Where replay started on open and which checkpoints were skipped.
    public let openReport: OpenReport
    /// Whether this catalogue may change the store.
    public let mode: OpenMode
    /// False when this read-only catalogue has no LMDB reader slot (it may
    /// not write `lock.mdb`): its reads are repeated when a writer commits
    /// during them, and fail with `ERROR_BUSY` when the writer never pauses.
    public var hasReaderSlots: Bool { log.hasReaderSlots }

    /// Opens (or, with `create`, creates and initialises) the store in `directory`:
    /// loads the newest sound checkpoint and folds the events after it, verifying
    /// each (without a usable checkpoint, the whole log). Refuses a damaged log,
    /// naming the first bad sequence number. `mode: .readOnly` opens it for
    /// queries only (see `OpenMode`).
    ///
    /// - Throws: `ERROR_DATABASE_FAILURE` (4313) for no store (without
    ///   `create`), a damaged log or head, a checkpoint beyond the log's end,
    ///   or a file that is not a store; `ERROR_ACCESS_DENIED` (5) for a store
    ///   this process may not read (or, read-write, write), or one others
    ///   could tamper with; `ERROR_BUSY` (170) when this process has the store
    ///   open already, or when a reader without a reader slot never finds the
    ///   writer pausing; `ERROR_INVALID_PARAMETER` (87) for `create` with `.readOnly`.
    public static func open(
        at directory: String, mode: OpenMode = .readWrite, create: Bool = false, options: CatalogueOptions = .init()
    ) async throws(NtmsError) -> Catalogue {
        guard !(create && mode == .readOnly) else {
            throw NtmsError(.invalidParameter, "a read-only open cannot create the store at \(directory)")
        }
        let catalogue = try Catalogue(directory: directory, mode: mode, create: create, options: options)
        guard mode == .readWrite else { return catalogue }
        if create, catalogue.newestSnapshot.state.creation == nil {
            do {
                _ = try await catalogue.session(application: "mediactl", principal: OSAccounts.currentPrincipal())
                    .execute(.createCatalogue(initialAccess: options.initialAccess))
            } catch {
                catalogue.close()
                throw error
            }
        }
        // A store from before access rights: its owner becomes its administrator.
        if catalogue.newestSnapshot.state.accessLists[.catalogue] == nil {
            do {
                _ = try await catalogue.submit(
                    .adoptOwner(OSAccounts.ownerName(of: catalogue.directory)), application: "catalogue", user: "engine"
                )
            } catch {
                catalogue.close()
                throw error
            }
        }
        // Requests and work items whose process died while no writer was looking are closed now.
        if !catalogue.newestSnapshot.state.waitingRequests.isEmpty
            || !catalogue.newestSnapshot.state.activeLibraryRequests.isEmpty
        {
            _ = try? await catalogue.submit(.reapOrphans, application: "catalogue", user: "engine")
        }
        return catalogue
    }

    private init(directory: String, mode: OpenMode, create: Bool, options: CatalogueOptions) throws(NtmsError) {
        let canonical = Self.canonicalPath(directory)
        guard OpenStores.claim(canonical) else {
            throw NtmsError(.busy, "the store \(directory) is already open in this process; share that Catalogue")
        }
        do {
            log = try EventLog(
                directory: directory, create: create, access: mode == .readOnly ? .readOnly : .readWrite,
                configuration: options.store)
            var policy = options.checkpoints
            if mode == .readOnly {
                // A reader uses the owner's checkpoints but never saves one.
                policy.everyEvents = 0
                policy.onCloseAfterEvents = 0
            }
            let (state, head, transaction, report, newestCheckpoint) = try log.read {
                reader -> (CatalogueState, LogHead, Int, OpenReport, UInt64) in
                var (state, start, warnings) = try CheckpointLoader.start(reader, policy: policy)
                let head = try reader.fold(into: &state, after: start)
                try reader.verifyRecordedHead(head)
                let newest = try reader.checkpointSequences().last ?? 0
                if newest > head.sequence {
                    throw StorageError.checkpointBeyondLog(checkpoint: newest, last: head.sequence)
                }
                let report = OpenReport(
                    checkpoint: start.sequence > 0 ? start.sequence : nil,
                    foldedEvents: head.sequence - start.sequence, warnings: warnings)
                return (state, head, reader.transactionID, report, newest)
            }
            for warning in report.warnings { options.logger.warning("\(directory): \(warning)") }
            openReport = report
            if !create, state.creation == nil {
                throw NtmsError(
                    .databaseFailure, "the store at \(directory) was never initialised; run `mediactl init`")
            }
            let readers = SnapshotReaders(CatalogueSnapshot(state: state, head: head))
            self.readers = readers
            let feed = self.feed
            let metrics = CatalogueMetrics(factory: options.metricsFactory ?? MetricsSystem.factory)
            self.metrics = metrics
            metrics.recordCheckpoint(newestCheckpoint)
            let checkpointWriter = CheckpointWriter(
                log: log, policy: policy, logger: options.logger, newest: newestCheckpoint,
                saved: { [metrics] in metrics.recordCheckpoint($0) })
            self.checkpointWriter = checkpointWriter
            writer = CommandWriter(
                log: log, replayedTransaction: transaction, tuning: options.writer, metrics: metrics,
                clock: options.clock,
                current: { readers.loadDirect() },
                publish: { snapshot in
                    let displaced = readers.publish(snapshot)
                    feed.publish(head: snapshot.head.sequence)
                    checkpointWriter.consider(snapshot)
                    return displaced
                })
        } catch {
            OpenStores.release(canonical)
            throw ntmsError(from: error)
        }
        self.directory = canonical
        self.mode = mode
        self.options = options
        let readers = self.readers
        changers = ChangerRegistry(
            directory: canonical, timeouts: options.changerTimeouts, mtxRunner: options.mtxRunner,
            tapeRunner: options.tapeRunner,
            queueOrder: { library in readers.loadDirect().state.libraryQueues[library]?.map(\.rawValue) ?? [] })
        follower = LogFollower(interval: options.followInterval)
        let interval = options.metricsInterval.components
        let metricsMilliseconds = max(
            1, Int(interval.seconds) * 1000 + Int(interval.attoseconds / 1_000_000_000_000_000))
        follower.start { [weak self] tick, ticksPerSecond in
            guard let self, !self.isClosed.load(ordering: .acquiring) else { return }
            if tick % max(1, metricsMilliseconds * ticksPerSecond / 1000) == 0 { self.updateMetrics() }
            let waiting =
                self.options.followsOtherProcesses || self.writer.waiterCount.load(ordering: .relaxed) > 0
                || self.feed.count.load(ordering: .relaxed) > 0
            if waiting, self.log.lastTransactionID != self.writer.lastSeenTransaction.load(ordering: .relaxed) {
                self.writer.submitInternal(.refresh)
            }
            // About once a second: requests whose waiting process has died.
            if self.mode == .readWrite, tick % ticksPerSecond == 0,
                !self.newestSnapshot.state.waitingRequests.isEmpty
                    || !self.newestSnapshot.state.activeLibraryRequests.isEmpty
            {
                self.writer.submitInternal(.reapOrphans)
            }
        }
    }

    /// Answers every allocation waiting in this process with ERROR_CANCELLED
    /// and closes its request, as closing the catalogue does, but leaves the
    /// catalogue open: what a service does when it starts shutting down.
    public func cancelWaitingAllocations() {
        post(.abandonSession(nil))
    }

    /// The writer's clock now (nanoseconds since 1970): what it stamps on
    /// records, checks deadlines and token expiry against.
    public var now: Int64 { options.clock() }

    /// Brings the metrics read from the state (available sides, open requests,
    /// drives, allocation counts, the head) up to the newest state now; a
    /// Prometheus endpoint calls it before each scrape. The catalogue also
    /// does it every `CatalogueOptions.metricsInterval`. Its cost depends on
    /// the number of pools, drives and open requests, not of media.
    public func updateMetrics() {
        metrics.update(from: newestSnapshot, now: options.clock())
    }

    /// The newest published state (inside a `read` closure on the same thread: the
    /// snapshot that read sees). Lock-free; keep the returned snapshot for a whole
    /// request so every answer comes from one consistent state.
    public var snapshot: CatalogueSnapshot { readers.read { $0 } }

    /// The newest state without the calling thread's cache: for the engine's own
    /// occasional reads (robot operations, housekeeping threads), which should
    /// not leave an older state pinned on a thread that may not read again.
    var newestSnapshot: CatalogueSnapshot { readers.loadDirect() }

    /// Runs `body` on the newest published state: the fastest way to answer a
    /// request. Lock-free, and on the common path free of any locked instruction
    /// (the snapshot is lent, not retained). Keep the snapshot beyond `body` only
    /// by copying what you need out of it, or use `snapshot`. A read nested inside
    /// another on the same thread sees the same snapshot.
    ///
    /// - Throws: only what `body` throws; reading itself cannot fail.
    @inlinable
    public func read<Value, Failure: Error>(_ body: (CatalogueSnapshot) throws(Failure) -> Value) throws(Failure)
        -> Value
    {
        try readers.read(body)
    }

    /// A session stamps every event it causes with the application and user
    /// (RSM's OpenNtmsSession), and its commands are checked against the
    /// rights of `user` and its `groups`. The catalogue trusts what it is
    /// told: an embedder names its own principal.
    ///
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) for a name longer than 64
    ///   bytes or one that is not displayable text.
    public func session(application: String, user: String, groups: [String] = []) throws(NtmsError) -> Session {
        try Session(
            catalogue: self, application: application, user: user, groups: groups,
            id: nextSession.wrappingIncrementThenLoad(ordering: .relaxed))
    }

    /// A session acting for `principal`.
    ///
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) as `session(application:user:groups:)`.
    public func session(application: String, principal: Principal) throws(NtmsError) -> Session {
        try session(application: application, user: principal.user, groups: principal.groups)
    }

    /// Folds events other processes have appended since this process last
    /// looked, and publishes the result.
    ///
    /// - Throws: `ERROR_INVALID_HANDLE` (6) once the catalogue is closed;
    ///   `ERROR_DATABASE_FAILURE` (4313) when a new record fails verification.
    public func refresh() async throws(NtmsError) {
        _ = try await submit(.refresh, application: "", user: "")
    }

    /// How many jobs (LMDB write transactions) the writer made, how many
    /// commands they carried, how long they took and the CPU time the writer's
    /// threads used: what limits throughput under load.
    public var commitStatistics: CommitStatistics { writer.statistics.totals }

    /// Saves a checkpoint of the current state now (whatever the policy) and
    /// returns the event it covers.
    ///
    /// - Throws: `ERROR_INVALID_HANDLE` (6) once the catalogue is closed;
    ///   `ERROR_ACCESS_DENIED` (5) when it is open read-only;
    ///   `ERROR_DATABASE_FULL` (4314) or `ERROR_DATABASE_FAILURE` (4313) when
    ///   the store cannot take it.
    @discardableResult
    public func saveCheckpoint() throws(NtmsError) -> UInt64 {
        guard !isClosed.load(ordering: .acquiring) else {
            throw NtmsError(.invalidHandle, "the catalogue at \(directory) is closed")
        }
        try requireWritable("saving a checkpoint")
        let current = snapshot
        do { try checkpointWriter.save(current) } catch { throw ntmsError(from: error) }
        return current.head.sequence
    }

    /// The current LMDB map size in bytes (it grows by doubling when full).
    public var mapSize: Int { log.mapSize }

    /// Finishes queued commands, then closes the store. Later calls fail with
    /// ERROR_INVALID_HANDLE.
    public func close() {
        guard isClosed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        follower.cancel()
        writer.stop()
        feed.finishAll()
        checkpointWriter.finish(with: readers.loadDirect())
        log.close()
        readers.close()
        OpenStores.release(directory)
    }

    deinit { close() }

    /// Queues housekeeping that nobody waits for.
    func post(_ work: PendingCommand.Work) {
        // A read-only catalogue has no housekeeping: it parks no waiter and reaps nothing.
        guard mode == .readWrite, !isClosed.load(ordering: .acquiring) else { return }
        writer.submitInternal(work)
    }

    /// Refuses `action` on a read-only catalogue, before anything is queued or moved.
    func requireWritable(_ action: @autoclosure () -> String) throws(NtmsError) {
        guard mode == .readOnly else { return }
        throw NtmsError(
            .accessDenied,
            "the catalogue at \(directory) is open read-only, so \(action()) is refused; "
                + "open it read-write (as its owner) to change it")
    }

    func submit(_ work: PendingCommand.Work, application: String, user: String, groups: [String] = [])
        async throws(NtmsError) -> CommandOutcome
    {
        if case .refresh = work {
        } else {
            try requireWritable(work.summary)
        }
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<CommandOutcome, NtmsError>, Never>) in
            let pending = PendingCommand(work: work, application: application, user: user, groups: groups) {
                continuation.resume(returning: $0)
            }
            if isClosed.load(ordering: .acquiring) || !writer.submit(pending) {
                continuation.resume(
                    returning: .failure(NtmsError(.invalidHandle, "the catalogue at \(directory) is closed")))
            }
        }
        return try result.get()
    }

    static func canonicalPath(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}

/// LMDB forbids opening one environment twice in a process (closing either
/// breaks the other's file locks), so the process keeps a list.
enum OpenStores {
    private static let paths = Locked<Set<String>>([])

    static func claim(_ path: String) -> Bool { paths.withLock { $0.insert(path).inserted } }
    static func release(_ path: String) { _ = paths.withLock { $0.remove(path) } }
}

/// The login name of this process's effective user, for event records. It
/// comes from the kernel's credentials, not from `$USER`, which any caller
/// can set; a user id without a usable password-database name is `uid-N`.
public func currentUserName() -> String { OSAccounts.userName(uid: geteuid()) }

/// A user's entry in the password database (`getpwuid_r`): what the kernel's
/// user id stands for, which no environment variable can change.
public struct UserAccount: Sendable {
    /// The login name.
    public var name: String
    /// The home directory; empty when the entry has none.
    public var home: String

    /// Nil when the database has no entry for `uid`, or its name is not UTF-8.
    public init?(uid: uid_t) {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        // Enough for any passwd entry glibc returns; getpwuid_r fails cleanly otherwise.
        let bufferSize = 4096
        var buffer = [CChar](repeating: 0, count: bufferSize)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name,
            let text = String(validatingCString: name)
        else { return nil }
        self.name = text
        home = entry.pw_dir.flatMap { String(validatingCString: $0) } ?? ""
    }
}
