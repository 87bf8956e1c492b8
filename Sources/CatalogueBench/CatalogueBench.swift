import ArgumentParser
import CatalogueDomain
import CatalogueEngine
import Foundation
import GRDB

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

    struct Report: Encodable {
        var machine: String
        var quick: Bool
        var fsync_limit_allocations_per_second: Double
        var allocations: [AllocationBench.Run]
        var one_caller_ratio_to_fsync_limit: Double
        var reads: ReadBench.Result
        var memory_bytes_per_medium: Double
        var memory_media: Int
        var replay: ReplayBench.Result
        var robots: RobotBench.Result
    }

    func run() async throws {
        let allocationMedia = media ?? (quick ? 5_000 : 100_000)
        let readCount = readMedia ?? (quick ? 50_000 : 1_000_000)
        let eventTarget = UInt64(events ?? (quick ? 100_000 : 10_000_000))
        let runSeconds = seconds ?? (quick ? 0.5 : 5)
        let root = directory ?? (NSTemporaryDirectory() + "mediactl-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: root) } }
        func progress(_ text: String) { FileHandle.standardError.write(Data("mediactl-bench: \(text)\n".utf8)) }

        // 1. Durable allocations.
        let bench = AllocationBench(media: allocationMedia, seconds: runSeconds, directory: root)
        progress("fsync-bound limit")
        let limit = try bench.fsyncLimit()
        progress("registering \(allocationMedia) two-sided media")
        let engineStore = root + "/engine"
        let catalogue = try await Catalogue.open(at: engineStore, create: true)
        let pool = try await bench.prepareEngine(catalogue)
        let sqlite = try bench.prepareSQLite()
        var runs: [AllocationBench.Run] = []
        for callers in [1, 16, 64, 256] {
            progress("allocations with \(callers) callers")
            let (rate, latency, commits) = try await bench.engineRun(callers: callers, catalogue: catalogue, pool: pool)
            let (baseline, baselineLatency) = try await bench.sqliteRun(callers: callers, queue: sqlite)
            runs.append(
                .init(
                    callers: callers, engine_allocations_per_second: rate, engine_latency_ms: latency,
                    sqlite_allocations_per_second: baseline, sqlite_latency_ms: baselineLatency, ratio: rate / baseline,
                    commits_per_allocation: commits))
        }

        // 3. Replay: grow the allocation store's log to the target with more cycles, then reopen it.
        if catalogue.snapshot.head.sequence < eventTarget {
            progress("growing the log to \(eventTarget) events")
            let session = try catalogue.session(application: "bench", user: "replay")
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
        progress("replaying \(eventTarget) events")
        let replay = try await ReplayBench().run(directory: engineStore)

        // 2 and 4. Reads and memory on a large catalogue.
        progress("registering \(readCount) media for reads")
        let before = ResidentMemory.anonymous
        let readBench = AllocationBench(media: readCount, seconds: runSeconds, directory: root + "/reads")
        try FileManager.default.createDirectory(atPath: root + "/reads", withIntermediateDirectories: true)
        let reads = try await Catalogue.open(at: root + "/reads/engine", create: true)
        let readPool = try await readBench.prepareEngine(reads)
        let session = try reads.session(application: "bench", user: "reads")
        for _ in 0..<min(10_000, readCount / 10) {
            _ = try await session.allocate(AllocationRequest(pool: readPool, errorIfUnavailable: true))
        }
        let perMedium = Double(ResidentMemory.anonymous - before) / Double(readCount)
        let readSQLite = try readBench.prepareSQLite()
        progress("point lookups")
        let readResult = try await ReadBench(lookups: quick ? 200_000 : 2_000_000).run(
            catalogue: reads, sqlite: readSQLite, pool: readPool)
        reads.close()

        progress("robot operations (simulated changer, instant)")
        let robots = try await RobotBench(seconds: runSeconds, directory: root).run(fsyncLimitPerTwoCommits: limit)

        let report = Report(
            machine: Self.machine, quick: quick, fsync_limit_allocations_per_second: limit, allocations: runs,
            one_caller_ratio_to_fsync_limit: (runs.first?.engine_allocations_per_second ?? 0) / limit,
            reads: readResult,
            memory_bytes_per_medium: perMedium, memory_media: readCount, replay: replay, robots: robots)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(Self.table(report))
        }
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
        var lines = [
            "machine: \(r.machine)\(r.quick ? "  (quick run)" : "")",
            "",
            "durable allocations/s (allocate + deallocate to scratch)   fsync-bound limit: \(n(r.fsync_limit_allocations_per_second))/s",
            "callers  engine/s   p50 ms  p99 ms  commits/alloc   sqlite/s  p50 ms  p99 ms   ratio",
        ]
        for run in r.allocations {
            lines.append(
                [
                    String(run.callers).padding(7), n(run.engine_allocations_per_second).padding(10),
                    n(run.engine_latency_ms.p50).padding(7), n(run.engine_latency_ms.p99).padding(7),
                    n(run.commits_per_allocation).padding(14), n(run.sqlite_allocations_per_second).padding(10),
                    n(run.sqlite_latency_ms.p50).padding(7), n(run.sqlite_latency_ms.p99).padding(8),
                    n(run.ratio) + "x",
                ].joined(separator: " "))
        }
        lines.append("one caller vs the fsync-bound limit: \(n(r.one_caller_ratio_to_fsync_limit))x")
        let reads = r.reads
        lines += [
            "",
            "point lookups/s on \(reads.media) media (each a whole request: load snapshot, look up)",
            "  side by id, 1 thread:              \(n(reads.engine_side_1_thread))   plain Dictionary: \(n(reads.dictionary_1_thread))  (\(n(reads.ratio_to_dictionary))x)",
            "  side by id, 2 threads:             \(n(reads.engine_side_2_threads))   Mutex Dictionary 1/2 threads: \(n(reads.mutex_dictionary_1_thread)) / \(n(reads.mutex_dictionary_2_threads))",
            "  with a writer committing, 1/2 thr: \(n(reads.engine_side_1_thread_with_writer)) / \(n(reads.engine_side_2_threads_with_writer))  (1 thread \(n(reads.writer_slowdown * 100))% slower)",
            "  medium by bar code / LMID, 1 thr:  \(n(reads.engine_barcode_1_thread)) / \(n(reads.engine_lmid_1_thread))",
            "  SQLite point reads, 1 thread:      \(n(reads.sqlite_1_thread))  (engine \(n(reads.ratio_to_sqlite))x)",
            "",
            "memory: \(n(r.memory_bytes_per_medium)) resident (anonymous) bytes per two-sided medium at \(r.memory_media) media",
            "",
            "replay: \(r.replay.events) events opened in \(n(r.replay.open_seconds)) s without a checkpoint = \(n(r.replay.events_per_second)) events/s;"
                + " raw LMDB scan \(n(r.replay.raw_scan_seconds)) s (\(n(r.replay.raw_scan_records_per_second)) records/s)",
            "  from its checkpoint (\(n(Double(r.replay.checkpoint_bytes))) bytes, saved in \(n(r.replay.checkpoint_save_seconds)) s):"
                + " opened in \(n(r.replay.checkpoint_open_seconds)) s, \(r.replay.checkpoint_tail_events) events folded after it"
                + " (\(n(r.replay.checkpoint_speedup))x faster than the full replay)",
        ]
        let robots = r.robots
        lines += [
            "",
            "robot mount + dismount cycles/s (simulated changer, instant; 4 commits per cycle)",
            "  one library: \(n(robots.one_library_cycles_per_second))   four libraries: \(n(robots.four_libraries_cycles_per_second)) (\(n(robots.ratio_four_to_one))x)   fsync limit: \(n(robots.fsync_limit_cycles_per_second)) (one library \(n(robots.one_library_ratio_to_fsync_limit))x of it)",
        ]
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
