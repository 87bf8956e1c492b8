import Foundation
import Testing

/// The benchmark runs once in quick mode so it cannot rot. No timing is asserted:
/// figures on a shared 2-core machine say nothing in a test.
@Suite struct BenchmarkSmokeTests {
    @Test func theQuickBenchmarkRunsAndReportsEveryFigure() throws {
        let bench = CLI.executable.deletingLastPathComponent().appendingPathComponent("mediactl-bench")
        try #require(FileManager.default.isExecutableFile(atPath: bench.path), "build mediactl-bench first")
        let process = Process()
        process.executableURL = bench
        let history = FileManager.default.temporaryDirectory.appendingPathComponent(
            "bench-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: history) }
        try Data("{\"earlier\":true}\n".utf8).write(to: history)
        process.arguments = [
            "--quick", "--json", "--media", "500", "--read-media", "2000", "--events", "5000", "--seconds", "0.2",
            "--record", history.path,
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let runs = try #require(report["allocations"] as? [[String: Any]])
        #expect(runs.compactMap { $0["callers"] as? Int } == [1, 16, 64, 256])
        #expect(
            runs.allSatisfy {
                ($0["engine_allocations_per_second"] as? Double ?? 0) > 0
                    && ($0["sqlite_allocations_per_second"] as? Double ?? 0) > 0
                    && ($0["commands_per_job"] as? Double ?? 0) >= 1
                    && ($0["job_milliseconds"] as? Double ?? 0) > 0
            })
        let reads = try #require(report["reads"] as? [String: Any])
        #expect(reads["media"] as? Int == 2000)
        let replay = try #require(report["replay"] as? [String: Any])
        #expect((replay["events"] as? Int ?? 0) >= 5000)
        #expect(report["memory_bytes_per_medium"] is Double)
        #expect((replay["checkpoint_open_seconds"] as? Double ?? 0) > 0)
        let asOf = try #require(report["as_of"] as? [String: Any])
        #expect((asOf["query_seconds"] as? Double ?? 0) > 0 && (asOf["baseline_seconds"] as? Double ?? 0) > 0)
        let reporting = try #require(report["reporting"] as? [String: Any])
        #expect(reporting["media"] as? Int == 2000)
        #expect((reporting["export_rows"] as? Int ?? 0) > 2000)
        #expect((reporting["export_ratio"] as? Double ?? 0) > 0)
        #expect((reporting["scratch_report_ratio"] as? Double ?? 0) > 0)
        let robots = try #require(report["robots"] as? [String: Any])
        #expect((robots["one_library_cycles_per_second"] as? Double ?? 0) > 0)
        #expect((robots["four_libraries_cycles_per_second"] as? Double ?? 0) > 0)

        // --record appends the run as one more line, after what the file held.
        let lines = try String(contentsOf: history, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2 && lines[0] == "{\"earlier\":true}")
        let last = try #require(lines.last)
        let recorded = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(recorded["finished"] is String)
        #expect((recorded["arguments"] as? [String])?.contains("--quick") == true)
        #expect((recorded["allocations"] as? [[String: Any]])?.count == 4)
    }
}
