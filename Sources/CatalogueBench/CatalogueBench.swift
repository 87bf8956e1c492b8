import ArgumentParser
import CatalogueDomain
import CatalogueEngine
import CatalogueServer
import Foundation
import GRDB
import Prometheus

@main
struct CatalogueBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mediactl-bench",
        abstract: "Measure MediaCatalogue against its baselines, in one run: allocations, reads, replay, memory.",
        discussion:
            "Builds its own data in a temporary directory. Every figure is printed beside its baseline as a ratio.")

    @Flag(help: "A small run that finishes in under a minute.") var quick = false
    @Flag(help: "Print one JSON object instead of the table.") var json = false
    @Option(help: "Two-sided media for the allocation runs (default 100000; quick 5000).") var media: Int?
    @Option(help: "Media for the read and memory runs (default 1000000; quick 50000).") var readMedia: Int?
    @Option(help: "Events for the replay run (default 10000000; quick 100000).") var events: Int?
    @Option(help: "Seconds per allocation run (default 5; quick 0.5).") var seconds: Double?
    @Option(help: "Where to build the data (default: a new temporary directory, removed afterwards).") var directory:
        String?
    @Option(
        name: .customLong("only"),
        help: ArgumentHelp(
            "Run only these parts (repeatable; default: all). Useful for profiling one part.",
            valueName: "allocations|replay|reads|robots|reporting|server"))
    var parts: [Part] = []
    @Option(help: "Callers for the allocation runs (repeatable; default: 1, 16, 64, 256).") var callers: [Int] = []
    @Flag(help: "Give every allocation and deallocation its own idempotency key (the cost of retry-safe calls).")
    var idempotencyKeys = false
    @Option(
        help: ArgumentHelp(
            "Also append the run to this file as one JSON line, with its time and options, to keep a history of runs.",
            valueName: "file"))
    var record: String?

    enum Part: String, ExpressibleByArgument, CaseIterable {
        case allocations, replay, reads, robots, reporting, server
    }

    struct Report: Encodable {
        var machine: String
        var quick: Bool
        /// Every allocation and deallocation carried its own idempotency key.
        var idempotency_keys: Bool
        /// Measured on a log as long as the engine's (up to 2,000,000 records): the limit the ratio uses.
        var fsync_limit_allocations_per_second: Double?
        var fsync_limit_log_records: UInt64?
        /// The same on a near-empty log, for comparison (earlier runs used this one).
        var fsync_limit_on_small_log_allocations_per_second: Double?
        var allocations: [AllocationBench.Run]
        var one_caller_ratio_to_fsync_limit: Double?
        var reads: ReadBench.Result?
        var memory_bytes_per_medium: Double?
        var memory_media: Int?
        var replay: ReplayBench.Result?
        var as_of: AsOfBench.Result?
        var robots: RobotBench.Result?
        var reporting: ReportingBench.Result?
        var server: ServerBench.Result?
        /// When the run ended (ISO 8601, UTC) and the arguments it was given: set in recorded lines.
        var finished: String?
        var arguments: [String]?
    }

    func run() async throws {
        let selected = Set(parts.isEmpty ? Part.allCases : parts)
        let allocationMedia = media ?? (quick ? 5_000 : 100_000)
        let readCount = readMedia ?? (quick ? 50_000 : 1_000_000)
        let eventTarget = UInt64(events ?? (quick ? 100_000 : 10_000_000))
        let runSeconds = seconds ?? (quick ? 0.5 : 5)
        let root = directory ?? (NSTemporaryDirectory() + "mediactl-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: root) } }
        func progress(_ text: String) { FileHandle.standardError.write(Data("mediactl-bench: \(text)\n".utf8)) }
        var report = Report(machine: Self.machine, quick: quick, idempotency_keys: idempotencyKeys, allocations: [])

        // 1. Durable allocations.
        let bench = AllocationBench(
            media: allocationMedia, seconds: runSeconds, directory: root, keyed: idempotencyKeys)
        var limit = 0.0
        if !selected.contains(.allocations), selected.contains(.robots) {
            progress("fsync-bound limit")
            limit = try bench.fsyncLimit()
        }
        if selected.contains(.allocations) || selected.contains(.replay) || selected.contains(.server) {
            progress("registering \(allocationMedia) two-sided media")
            let engineStore = root + "/engine"
            // Checkpoints every million events, all kept, so as-of queries have one before any event.
            let catalogue = try await Catalogue.open(
                at: engineStore, create: true,
                options: CatalogueOptions(checkpoints: CheckpointPolicy(everyEvents: 1_000_000, keep: 100)))
            let pool: PoolID
            if let existing = catalogue.snapshot.state.pools.values.first(where: { $0.path == "\\Bench" }) {
                pool = existing.id
            } else {
                pool = try await bench.prepareEngine(catalogue)
            }
            if selected.contains(.allocations) {
                progress("one caller against the fsync-bound limit, alternating rounds")
                let paired = try await bench.oneCallerAgainstLimit(catalogue: catalogue, pool: pool)
                limit = paired.limit
                report.fsync_limit_allocations_per_second = limit
                report.fsync_limit_log_records = paired.logRecords
                report.fsync_limit_on_small_log_allocations_per_second = paired.limitOnSmallLog
                report.one_caller_ratio_to_fsync_limit = paired.ratio
                let sqlite = try bench.prepareSQLite()
                for callers in callers.isEmpty ? [1, 16, 64, 256] : callers {
                    progress("allocations with \(callers) callers")
                    let run = try await bench.engineRun(callers: callers, catalogue: catalogue, pool: pool)
                    let (baseline, baselineLatency) = try await bench.sqliteRun(callers: callers, queue: sqlite)
                    report.allocations.append(
                        .init(
                            callers: callers, engine_allocations_per_second: run.allocationsPerSecond,
                            engine_latency_ms: run.latency, sqlite_allocations_per_second: baseline,
                            sqlite_latency_ms: baselineLatency, ratio: run.allocationsPerSecond / baseline,
                            jobs_per_allocation: run.jobsPerAllocation,
                            commands_per_job: run.commandsPerJob, job_milliseconds: run.jobMilliseconds,
                            writer_cpu_microseconds_per_allocation: run.writerCPUMicrosecondsPerAllocation))
                }
            }

            if selected.contains(.server) {
                report.server = try await serverRun(
                    catalogue: catalogue, pool: pool, bench: bench, root: root, readCount: readCount,
                    seconds: runSeconds, progress)
            }

            // 3. Replay: grow the allocation store's log to the target with more cycles, then reopen it.
            if selected.contains(.replay), catalogue.snapshot.head.sequence < eventTarget {
                progress("growing the log to \(eventTarget) events")
                let session = try catalogue.session(application: "bench", principal: OSAccounts.currentPrincipal())
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<256 {
                        group.addTask {
                            while catalogue.snapshot.head.sequence < eventTarget {
                                let allocation = try await session.allocate(
                                    AllocationRequest(pool: pool, errorIfUnavailable: true))
                                try await session.deallocate(allocation.logicalMedium)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            catalogue.close()
            if selected.contains(.replay) {
                progress("replaying \(eventTarget) events")
                report.replay = try await ReplayBench().run(directory: engineStore)
                progress("state as of random events")
                report.as_of = try AsOfBench(queries: quick ? 3 : 7).run(directory: engineStore)
            }
        }

        // 2 and 4. Reads and memory on a large catalogue.
        if selected.contains(.reads) {
            progress("registering \(readCount) media for reads")
            let before = ResidentMemory.anonymousLive
            let readBench = AllocationBench(media: readCount, seconds: runSeconds, directory: root + "/reads")
            try FileManager.default.createDirectory(atPath: root + "/reads", withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: root + "/reads/engine")
            // No background checkpoint saves: one landing during a read run (registering a
            // million media crosses the default 1,000,000-event cadence three times) halves it.
            let reads = try await Catalogue.open(
                at: root + "/reads/engine", create: true,
                options: CatalogueOptions(checkpoints: CheckpointPolicy(everyEvents: 0)))
            let readPool = try await readBench.prepareEngine(reads)
            let session = try reads.session(application: "bench", principal: OSAccounts.currentPrincipal())
            for _ in 0..<min(10_000, readCount / 10) {
                _ = try await session.allocate(AllocationRequest(pool: readPool, errorIfUnavailable: true))
            }
            report.memory_bytes_per_medium = Double(ResidentMemory.anonymousLive - before) / Double(readCount)
            report.memory_media = readCount
            let readSQLite = try readBench.prepareSQLite()
            progress("point lookups")
            report.reads = try await ReadBench(lookups: quick ? 200_000 : 2_000_000).run(
                catalogue: reads, sqlite: readSQLite, pool: readPool)
            if selected.contains(.reporting) {
                report.reporting = try await reportingRun(large: reads, root: root, quick: quick, progress)
            }
            reads.close()
        } else if selected.contains(.reporting) {
            progress("registering \(readCount) media for reporting")
            let large = try await Self.reportingStore(root + "/reporting-large", media: readCount, seconds: runSeconds)
            report.reporting = try await reportingRun(large: large, root: root, quick: quick, progress)
            large.close()
        }

        if selected.contains(.robots) {
            progress("robot operations (simulated changer, instant)")
            report.robots = try await RobotBench(seconds: runSeconds, directory: root).run(
                fsyncLimitPerTwoCommits: limit)
        }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if json {
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(Self.table(report))
        }
        if let record {
            report.finished = ISO8601DateFormatter().string(from: Date())
            report.arguments = Array(CommandLine.arguments.dropFirst())
            try Self.append(try encoder.encode(report) + [UInt8(ascii: "\n")], to: record)
        }
    }

    /// The server part: HTTP against the allocation store, then scrapes of a small and a large store.
    func serverRun(
        catalogue: Catalogue, pool: PoolID, bench: AllocationBench, root: String, readCount: Int, seconds: Double,
        _ progress: (String) -> Void
    ) async throws -> ServerBench.Result {
        let smallMedia = quick ? 1_000 : 10_000
        progress("registering \(smallMedia) and \(readCount) media for the scrape stores")
        let smallRegistry = PrometheusCollectorRegistry()
        // The same libraries and drives in both: only the number of media differs.
        let libraries = (readCount + 99_999) / 100_000
        let small = try await Self.reportingStore(
            root + "/scrape-small", media: smallMedia, seconds: 1, metrics: smallRegistry, libraries: libraries)
        defer { small.close() }
        let largeRegistry = PrometheusCollectorRegistry()
        let large = try await Self.reportingStore(
            root + "/scrape-large", media: readCount, seconds: 1, metrics: largeRegistry, libraries: libraries)
        defer { large.close() }
        return try await ServerBench(seconds: seconds, rounds: quick ? 1 : 3, directory: root).run(
            catalogue: catalogue, pool: pool, allocations: bench, registry: PrometheusCollectorRegistry(),
            small: (small, smallRegistry), large: (large, largeRegistry), progress)
    }

    /// A catalogue of `media` media with some allocations and open operator requests.
    static func reportingStore(
        _ directory: String, media: Int, seconds: Double, metrics: PrometheusCollectorRegistry? = nil,
        libraries: Int = 1
    ) async throws -> Catalogue {
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var bench = AllocationBench(media: media, seconds: seconds, directory: directory)
        bench.minimumLibraries = libraries
        var options = CatalogueOptions(checkpoints: .disabled)
        options.metricsFactory = metrics.map { CatalogueServer.metricsFactory(registry: $0) }
        let catalogue = try await Catalogue.open(at: directory + "/engine", create: true, options: options)
        let pool = try await bench.prepareEngine(catalogue)
        let session = try catalogue.session(application: "bench", principal: OSAccounts.currentPrincipal())
        for _ in 0..<min(10_000, media / 10) {
            _ = try await session.allocate(AllocationRequest(pool: pool, errorIfUnavailable: true))
        }
        return catalogue
    }

    /// The reporting part: 100 open operator requests in each store, then the export and the reports.
    func reportingRun(large: Catalogue, root: String, quick: Bool, _ progress: (String) -> Void) async throws
        -> ReportingBench.Result
    {
        let smallMedia = quick ? 500 : 10_000
        progress("registering \(smallMedia) media for the small reporting store")
        let small = try await Self.reportingStore(root + "/reporting-small", media: smallMedia, seconds: 1)
        defer { small.close() }
        for catalogue in [large, small] {
            let session = try catalogue.session(application: "bench", principal: OSAccounts.currentPrincipal())
            for number in 0..<100 { _ = try await session.submitRequest(.message, message: "request \(number)") }
        }
        progress("SQLite export against GRDB prepared inserts, alternating rounds")
        let exports = root + "/exports"
        try FileManager.default.createDirectory(atPath: exports, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: exports) }
        return try ReportingBench(rounds: quick ? 1 : 3).run(large: large, small: small, directory: exports)
    }

    /// Appends one line, creating the file if it is missing.
    static func append(_ line: Data, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw ValidationError("cannot create \(path)")
            }
        }
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? file.close() }
        try file.seekToEnd()
        try file.write(contentsOf: line)
    }

    static var machine: String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }.map {
                String($0.split(separator: ":").last ?? "").trimmingCharacters(in: .whitespaces)
            }
        return
            "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(cpu ?? "unknown CPU"), \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"
    }

    static func table(_ r: Report) -> String {
        func n(_ x: Double) -> String { x >= 100 ? String(Int(x.rounded())) : String(format: "%.2f", x) }
        var lines = ["machine: \(r.machine)\(r.quick ? "  (quick run)" : "")"]
        if let limit = r.fsync_limit_allocations_per_second, !r.allocations.isEmpty {
            lines += [
                "",
                "durable allocations/s (allocate + deallocate to scratch)   fsync-bound limit: \(n(limit))/s",
                "callers  engine/s   p50 ms  p99 ms   cmds/job     job ms    writer CPU µs/alloc   sqlite/s  p50 ms  p99 ms   ratio",
            ]
            for run in r.allocations {
                lines.append(
                    [
                        String(run.callers).padding(7), n(run.engine_allocations_per_second).padding(10),
                        n(run.engine_latency_ms.p50).padding(7), n(run.engine_latency_ms.p99).padding(7),
                        n(run.commands_per_job).padding(12), n(run.job_milliseconds).padding(10),
                        n(run.writer_cpu_microseconds_per_allocation).padding(20),
                        n(run.sqlite_allocations_per_second).padding(10),
                        n(run.sqlite_latency_ms.p50).padding(7), n(run.sqlite_latency_ms.p99).padding(8),
                        n(run.ratio) + "x",
                    ].joined(separator: " "))
            }
            if let ratio = r.one_caller_ratio_to_fsync_limit {
                lines.append(
                    "one caller vs the fsync-bound limit: \(n(ratio))x (median of five alternating rounds; limit on a log"
                        + " of \(r.fsync_limit_log_records ?? 0) records, as deep as the engine's; on a near-empty log:"
                        + " \(n(r.fsync_limit_on_small_log_allocations_per_second ?? 0))/s)")
            }
        }
        if let reads = r.reads {
            lines += [
                "",
                "point lookups/s on \(reads.media) media (each a whole request: catalogue.read { newest snapshot, look up })",
                "  side by id, 1 thread:              \(n(reads.engine_side_1_thread))   plain Dictionary: \(n(reads.dictionary_1_thread))  (\(n(reads.ratio_to_dictionary))x)",
                "  side by id, 1 thread, through catalogue.snapshot (retained) / one snapshot for all lookups: \(n(reads.engine_side_1_thread_snapshot_property)) / \(n(reads.engine_side_1_thread_one_snapshot))",
                "  side by id, 2 threads:             \(n(reads.engine_side_2_threads))   Mutex Dictionary 1/2 threads: \(n(reads.mutex_dictionary_1_thread)) / \(n(reads.mutex_dictionary_2_threads))",
                "  with a writer committing, 1/2 thr: \(n(reads.engine_side_1_thread_with_writer)) / \(n(reads.engine_side_2_threads_with_writer))  (1 thread \(n(abs(reads.writer_slowdown) * 100))% \(reads.writer_slowdown < 0 ? "faster" : "slower"), median of five pairs of rounds with and without it)",
                "  medium by bar code / LMID, 1 thr:  \(n(reads.engine_barcode_1_thread)) / \(n(reads.engine_lmid_1_thread))",
                "  SQLite point reads, 1 thread:      \(n(reads.sqlite_1_thread))  (engine \(n(reads.ratio_to_sqlite))x)",
            ]
        }
        if let perMedium = r.memory_bytes_per_medium, let media = r.memory_media {
            lines += ["", "memory: \(n(perMedium)) resident (anonymous) bytes per two-sided medium at \(media) media"]
        }
        if let replay = r.replay {
            lines += [
                "",
                "replay: \(replay.events) events opened in \(n(replay.open_seconds)) s without a checkpoint (median of 3) = \(n(replay.events_per_second)) events/s;"
                    + " raw LMDB scan \(n(replay.raw_scan_seconds)) s (\(n(replay.raw_scan_records_per_second)) records/s)",
                "  from its checkpoint (\(n(Double(replay.checkpoint_bytes))) bytes, saved in \(n(replay.checkpoint_save_seconds)) s):"
                    + " opened in \(n(replay.checkpoint_open_seconds)) s, \(replay.checkpoint_tail_events) events folded after it"
                    + " (\(n(replay.checkpoint_speedup))x faster than the full replay)",
            ]
        }
        if let asOf = r.as_of {
            lines += [
                "",
                "as-of: \(asOf.queries) random events of \(asOf.events) (\(asOf.checkpoints) checkpoints kept): state built in"
                    + " \(n(asOf.query_seconds)) s against \(n(asOf.baseline_seconds)) s to load the checkpoint before and fold"
                    + " the gap on one thread (median gap \(n(asOf.gap_events)) events); ratio \(n(asOf.ratio))x (target ≤ 1.5)",
            ]
        }
        if let reporting = r.reporting {
            lines += [
                "",
                "export of \(reporting.media) media to SQLite (\(reporting.export_rows) rows, \(n(Double(reporting.export_bytes))) bytes):"
                    + " \(n(reporting.export_seconds)) s against \(n(reporting.grdb_insert_seconds)) s inserting the same rows"
                    + " with GRDB prepared statements; ratio \(n(reporting.export_ratio))x (target ≤ 1.5; median of \(reporting.rounds))",
                "reports at \(reporting.media) against \(reporting.small_media) media (µs per call):"
                    + " scratch \(n(reporting.scratch_report_microseconds)) / \(n(reporting.scratch_report_small_microseconds))"
                    + " = \(n(reporting.scratch_report_ratio))x; requests \(n(reporting.requests_report_microseconds))"
                    + " / \(n(reporting.requests_report_small_microseconds)) = \(n(reporting.requests_report_ratio))x (target ≤ 2)",
            ]
        }
        if let server = r.server {
            lines += [
                "",
                "HTTP service (wrk on loopback, medians of alternating rounds)",
                "  point GET of a side: \(n(server.point_get_requests_per_second))/s against /v1/ping \(n(server.ping_requests_per_second))/s"
                    + " at \(server.point_connections) connections: \(n(server.point_ratio))x (target ≥ 0.7)",
                "  allocations: \(n(server.http_allocations_per_second))/s over HTTP against \(n(server.in_process_allocations_per_second))/s"
                    + " in process at \(server.allocation_connections): \(n(server.allocation_ratio))x (target ≥ 0.5;"
                    + " /v1/ping's \(n(server.ping_requests_per_second_at_allocation_connections))/s at"
                    + " \(server.allocation_connections) connections, two requests per allocation, caps it at"
                    + " \(n(server.allocation_ratio_ceiling))x)",
                "  /metrics scrape: \(n(server.scrape_large_microseconds)) µs at \(server.scrape_large_media) media against"
                    + " \(n(server.scrape_small_microseconds)) µs at \(server.scrape_small_media): \(n(server.scrape_ratio))x (target ≤ 2)",
            ]
        }
        if let robots = r.robots {
            lines += [
                "",
                "robot mount + dismount cycles/s (simulated changer, instant; 8 commits per cycle: each operation queues its work item, records its intent, its outcome and the item's end)",
                "  one library: \(n(robots.one_library_cycles_per_second))   four libraries: \(n(robots.four_libraries_cycles_per_second)) (\(n(robots.ratio_four_to_one))x)   fsync limit: \(n(robots.fsync_limit_cycles_per_second)) (one library \(n(robots.one_library_ratio_to_fsync_limit))x of it)",
            ]
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
