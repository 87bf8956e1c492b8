import CatalogueDomain
import CatalogueEngine
import CatalogueStorage
import Foundation
import GRDB
import Synchronization

/// Durable allocations per second (allocate, then deallocate back to scratch)
/// with many concurrent callers, against the same workload on SQLite.
struct AllocationBench {
    let media: Int
    let seconds: Double
    let directory: String
    /// Every allocation and deallocation carries its own idempotency key, as an
    /// appliance's retry-safe calls do: the key is bound, hashed and stored.
    var keyed = false
    /// At least this many libraries (media are spread over them): stores compared
    /// by media count then have the same libraries and drives.
    var minimumLibraries = 1

    struct Run: Encodable {
        var callers: Int
        var engine_allocations_per_second: Double
        var engine_latency_ms: Percentiles
        var sqlite_allocations_per_second: Double
        var sqlite_latency_ms: Percentiles
        var ratio: Double
        /// Jobs (write transactions) per allocation (allocate + deallocate).
        var jobs_per_allocation: Double
        /// Commands per job, and the mean wall time of a job (its write
        /// transaction, begin to durable): under load, what bounds throughput is
        /// how many commands a job carries over how long it takes.
        var commands_per_job: Double
        var job_milliseconds: Double
        /// CPU time of the writer's threads per allocation (allocate + deallocate):
        /// steadier than throughput on a noisy machine.
        var writer_cpu_microseconds_per_allocation: Double
    }

    /// The engine's side of one run.
    struct EngineRun {
        var allocationsPerSecond: Double
        var latency: Percentiles
        var jobsPerAllocation: Double
        var commandsPerJob: Double
        var jobMilliseconds: Double
        var writerCPUMicrosecondsPerAllocation: Double
    }

    /// One LMDB commit per allocation and deallocation: what an fsync-bound engine
    /// reaches. With `logRecords`, the log is first filled to that many records so
    /// that its B-tree is as deep as the engine's: a commit to a deeper tree writes
    /// more pages (about 22 KB against 10 KB here), so a near-empty log flatters the limit.
    func fsyncLimit(seconds: Double? = nil, logRecords: UInt64 = 0) throws -> Double {
        let log = try EventLog(
            directory: directory + (logRecords == 0 ? "/fsync" : "/fsync-sized"), create: true)
        defer { log.close() }
        func record(after head: LogHead, _ writer: LogWriter) throws -> LogHead {
            let header = RecordHeader(
                sequence: head.sequence + 1, eventType: EventType.sideAllocated.rawValue, schemaVersion: 1,
                timestamp: 0, application: "bench",
                user: "bench")
            return try writer.append(header, payload: Array(repeating: 7, count: 24), after: head)
        }
        while try log.read({ try $0.head() }).sequence < logRecords {
            try log.write { writer in
                var head = try writer.reader.head()
                for _ in 0..<min(50_000, logRecords - head.sequence) { head = try record(after: head, writer) }
                try writer.recordHead(head)
            }
        }
        let end = monotonicNanoseconds() + UInt64((seconds ?? self.seconds) * 1e9)
        var commits = 0
        let begin = monotonicNanoseconds()
        while monotonicNanoseconds() < end {
            try log.write { writer in try writer.recordHead(try record(after: try writer.reader.head(), writer)) }
            commits += 1
        }
        let perSecond = Double(commits) / (Double(monotonicNanoseconds() - begin) / 1e9)
        return perSecond / 2  // an allocation cycle is two commands
    }

    /// One caller against the fsync-bound limit, measured in alternating short
    /// rounds: the disk's speed drifts over a run by more than the margin the
    /// target leaves. The limit is measured on a log as long as the engine's (at
    /// most 2,000,000 records, already as deep) and, for comparison, on a
    /// near-empty one. Returns the medians and the median of the per-round ratios.
    func oneCallerAgainstLimit(catalogue: Catalogue, pool: PoolID, rounds: Int = 5) async throws -> (
        limit: Double, ratio: Double, limitOnSmallLog: Double, logRecords: UInt64
    ) {
        let logRecords = min(catalogue.snapshot.head.sequence, 2_000_000)
        var limits: [Double] = []
        var smallLogLimits: [Double] = []
        var ratios: [Double] = []
        let round = seconds / Double(rounds)
        for _ in 0..<rounds {
            let limit = try fsyncLimit(seconds: round, logRecords: logRecords)
            smallLogLimits.append(try fsyncLimit(seconds: round))
            let run = try await engineRun(callers: 1, catalogue: catalogue, pool: pool, seconds: round)
            limits.append(limit)
            ratios.append(run.allocationsPerSecond / limit)
        }
        return (median(limits), median(ratios), median(smallLogLimits), logRecords)
    }

    /// Runs the engine's allocate/deallocate cycles from `callers` tasks, with the
    /// writer's own figures for the run.
    func engineRun(callers: Int, catalogue: Catalogue, pool: PoolID, seconds: Double? = nil) async throws
        -> EngineRun
    {
        let session = try catalogue.session(application: "bench", user: "bench")
        let before = catalogue.commitStatistics
        let keys = Mutex(0)
        let keyed = self.keyed
        // Keys are kept for the life of the store: each run needs its own, or it measures retries.
        let run = UUID().uuidString.prefix(8)
        /// A new key per command, or none.
        @Sendable func nextKey() -> String? {
            guard keyed else { return nil }
            let number = keys.withLock { key in
                key += 1
                return key
            }
            return "\(run)-\(number)"
        }
        let (rate, latency, operations) = try await cycles(callers: callers, seconds: seconds ?? self.seconds) {
            try await session.allocate(
                AllocationRequest(pool: pool, errorIfUnavailable: true), idempotencyKey: nextKey()
            ).logicalMedium
        } release: { lmid in
            try await session.deallocate(lmid, idempotencyKey: nextKey())
        }
        let after = catalogue.commitStatistics
        let count = Double(max(operations, 1))
        let jobs = Double(max(after.jobs - before.jobs, 1))
        return EngineRun(
            allocationsPerSecond: rate, latency: latency,
            jobsPerAllocation: Double(after.jobs - before.jobs) / count,
            commandsPerJob: Double(after.commands - before.commands) / jobs,
            jobMilliseconds: (after.jobSeconds - before.jobSeconds) * 1e3 / jobs,
            writerCPUMicrosecondsPerAllocation: (after.writerCPUSeconds - before.writerCPUSeconds) * 1e6 / count)
    }

    /// Runs allocate/release cycles from `callers` concurrent tasks for the run's
    /// duration; returns allocations per second, allocation latency and the count.
    private func cycles<Handle: Sendable>(
        callers: Int, seconds: Double? = nil, allocate: @escaping @Sendable () async throws -> Handle,
        release: @escaping @Sendable (Handle) async throws -> Void
    ) async throws -> (Double, Percentiles, Int) {
        let sink = SampleSink()
        let end = monotonicNanoseconds() + UInt64((seconds ?? self.seconds) * 1e9)
        let begin = monotonicNanoseconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    var samples: [UInt64] = []
                    while monotonicNanoseconds() < end {
                        let start = monotonicNanoseconds()
                        let handle = try await allocate()
                        samples.append(monotonicNanoseconds() - start)
                        try await release(handle)
                    }
                    sink.add(samples, operations: samples.count)
                }
            }
            try await group.waitForAll()
        }
        let elapsed = Double(monotonicNanoseconds() - begin) / 1e9
        let (samples, operations) = sink.result
        return (Double(operations) / elapsed, Percentiles(samples), operations)
    }

    /// Registers `media` two-sided media in the Free pool and a pool drawing from and returning to scratch.
    func prepareEngine(_ catalogue: Catalogue) async throws -> PoolID {
        let session = try catalogue.session(application: "bench", principal: OSAccounts.currentPrincipal())
        let type = try await session.registerMediaType(name: "MO", sides: 2)
        // Libraries hold at most 100,000 slots: as many robots as the media need.
        let slotsPerLibrary = 100_000
        var libraries: [LibraryID] = []
        for index in 0..<max(minimumLibraries, (media + slotsPerLibrary - 1) / slotsPerLibrary) {
            libraries.append(try await session.addLibrary(name: "Robot\(index)", slots: slotsPerLibrary, drives: 8))
        }
        let pool = try await session.createPool(
            path: "\\Bench", mediaType: type, policy: PoolPolicy(allocateFromScratch: true, deallocateToScratch: true))
        let media = self.media
        let robots = libraries
        try await withThrowingTaskGroup(of: Void.self) { group in
            let workers = 64
            for worker in 0..<workers {
                group.addTask {
                    for n in stride(from: worker, to: media, by: workers) {
                        let location = MediumLocation.slot(robots[n / slotsPerLibrary], UInt32(n % slotsPerLibrary + 1))
                        try await session.registerMedium(
                            barcode: String(format: "B%07d", n), mediaType: type, location: location)
                    }
                }
            }
            try await group.waitForAll()
        }
        // The measured caller is no administrator: its rights are checked as an application's would be.
        try await session.grantAccess(.control, to: .user("bench"), on: .pool(pool))
        if let free = catalogue.snapshot.state.mediaTypes[type]?.freePool {
            try await session.grantAccess(.use, to: .user("bench"), on: .pool(free))
        }
        return pool
    }

    // MARK: SQLite baseline

    func prepareSQLite() throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let path = directory + "/baseline.sqlite"
        // A reused --directory holds the last run's files.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE pools (id INTEGER PRIMARY KEY, path TEXT UNIQUE, free_pool INTEGER, from_scratch INTEGER, to_scratch INTEGER);
                    CREATE TABLE media (id INTEGER PRIMARY KEY, barcode TEXT UNIQUE, pool INTEGER NOT NULL);
                    CREATE TABLE sides (id INTEGER PRIMARY KEY, medium INTEGER NOT NULL, number INTEGER, pool INTEGER NOT NULL,
                                        state INTEGER NOT NULL, allocate_count INTEGER NOT NULL, lmid INTEGER);
                    CREATE INDEX sides_by_pool_state ON sides (pool, state, allocate_count, id);
                    CREATE INDEX sides_by_medium ON sides (medium);
                    CREATE TABLE lmids (id INTEGER PRIMARY KEY AUTOINCREMENT, side INTEGER NOT NULL, pool INTEGER NOT NULL);
                    INSERT INTO pools VALUES (1, '\\Free\\MO', NULL, 0, 0), (2, '\\Bench', 1, 1, 1);
                    """)
            let medium = try db.makeStatement(sql: "INSERT INTO media VALUES (?, ?, 1)")
            let side = try db.makeStatement(sql: "INSERT INTO sides VALUES (?, ?, ?, 1, 4, 0, NULL)")
            for n in 0..<media {
                try medium.execute(arguments: [n + 1, String(format: "B%07d", n)])
                try side.execute(arguments: [2 * n + 1, n + 1, 0])
                try side.execute(arguments: [2 * n + 2, n + 1, 1])
            }
        }
        return queue
    }

    /// AllocateNtmsMedia in one SQLite transaction: own pool first, then scratch (moving the whole medium).
    static func sqliteAllocate(_ db: Database, pool: Int64) throws -> Int64 {
        let pick = "SELECT id, medium FROM sides WHERE pool = ? AND state = 4 ORDER BY allocate_count, id LIMIT 1"
        var row = try Row.fetchOne(db, sql: pick, arguments: [pool])
        if row == nil,
            let free = try Int64.fetchOne(
                db, sql: "SELECT free_pool FROM pools WHERE id = ? AND from_scratch = 1", arguments: [pool]),
            let candidate = try Row.fetchOne(db, sql: pick, arguments: [free])
        {
            let medium: Int64 = candidate["medium"]
            try db.execute(sql: "UPDATE media SET pool = ? WHERE id = ?", arguments: [pool, medium])
            try db.execute(sql: "UPDATE sides SET pool = ? WHERE medium = ?", arguments: [pool, medium])
            row = candidate
        }
        guard let row else { throw DatabaseError(message: "no media available") }
        let side: Int64 = row["id"]
        try db.execute(sql: "INSERT INTO lmids (side, pool) VALUES (?, ?)", arguments: [side, pool])
        let lmid = db.lastInsertedRowID
        try db.execute(
            sql: "UPDATE sides SET state = 5, allocate_count = allocate_count + 1, lmid = ? WHERE id = ?",
            arguments: [lmid, side])
        return lmid
    }

    /// DeallocateNtmsMedia, returning the medium to scratch once nothing holds it.
    static func sqliteDeallocate(_ db: Database, lmid: Int64) throws {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT l.side, s.medium, l.pool FROM lmids l JOIN sides s ON s.id = l.side WHERE l.id = ?",
                arguments: [lmid])
        else { throw DatabaseError(message: "no lmid") }
        let side: Int64 = row["side"]
        let medium: Int64 = row["medium"]
        let pool: Int64 = row["pool"]
        try db.execute(sql: "UPDATE sides SET state = 4, lmid = NULL WHERE id = ?", arguments: [side])
        try db.execute(sql: "DELETE FROM lmids WHERE id = ?", arguments: [lmid])
        let held =
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM sides WHERE medium = ? AND state IN (5, 6, 9)", arguments: [medium]) ?? 0
        if held == 0,
            let free = try Int64.fetchOne(
                db, sql: "SELECT free_pool FROM pools WHERE id = ? AND to_scratch = 1", arguments: [pool])
        {
            try db.execute(sql: "UPDATE media SET pool = ? WHERE id = ?", arguments: [free, medium])
            try db.execute(sql: "UPDATE sides SET pool = ? WHERE medium = ?", arguments: [free, medium])
        }
    }

    func sqliteRun(callers: Int, queue: DatabaseQueue) async throws -> (Double, Percentiles) {
        let (rate, latency, _) = try await cycles(callers: callers) {
            try await queue.write { db in try Self.sqliteAllocate(db, pool: 2) }
        } release: { lmid in
            try await queue.write { db in try Self.sqliteDeallocate(db, lmid: lmid) }
        }
        return (rate, latency)
    }
}
