import Foundation
import Testing

/// `mediactl report` and `show`'s filters, sorting and formats, as a reporting engineer uses them.
@Suite struct ReportCLITests {
    func seeded(_ cli: CLI) throws {
        _ = try cli.json(["init"])
        _ = try cli.json(["media-type", "add", "LTO-8", "--sides", "1"])
        _ = try cli.json(["media-type", "add", "MO", "--sides", "2"])
        _ = try cli.json(["library", "add", "Robot", "--slots", "8", "--drives", "1"])
        _ = try cli.json(["pool", "create", "\\Backup", "--media-type", "LTO-8", "--from-scratch"])
        for (slot, type) in [(1, "LTO-8"), (2, "LTO-8"), (3, "MO"), (4, "LTO-8")] {
            _ = try cli.json([
                "media", "add", "--media-type", type, "--barcode", "R\(slot)", "--library", "Robot", "--slot",
                "\(slot)",
            ])
        }
        _ = try cli.json(["allocate", "--pool", "\\Backup", "--application", "nightly"])
    }

    @Test func aReportPrintsTheSameRowsAsCSVJSONAndATable() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let rows = try #require(try cli.json(["report", "scratch"]) as? [[String: Any]])
        let backup = try #require(rows.first { $0["pool"] as? String == "\\Backup" })
        #expect(backup["available"] as? Int == 0)
        #expect(backup["from_scratch"] as? Int == 2)
        let csv = try cli.run(["report", "scratch", "--format", "csv"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first == "pool,pool_id,media_type,media_type_name,available,from_scratch,allocatable")
        #expect(lines.count == rows.count + 1)
        #expect(lines.contains { $0.hasPrefix(#"\Backup,"#) && $0.hasSuffix(",0,2,2") })
        let table = try cli.run(["report", "scratch"]).stdout
        #expect(table.hasPrefix("pool "))
        let usage = try #require(try cli.json(["report", "allocations"]) as? [[String: Any]])
        #expect(usage.first?["application"] as? String == "nightly" && usage.first?["allocations"] as? Int == 1)
    }

    @Test func showFiltersSortsAndRefusesFiltersThatDoNotApply() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let lto = try #require(
            try cli.json(["show", "media", "--media-type", "LTO-8", "--sort", "barcode", "--descending"])
                as? [[String: Any]])
        #expect(lto.compactMap { $0["barcode"] as? String } == ["R4", "R2", "R1"])
        let allocated = try #require(try cli.json(["show", "sides", "--state", "allocated"]) as? [[String: Any]])
        #expect(allocated.compactMap { $0["barcode"] as? String } == ["R1"])
        let inBackup = try #require(try cli.json(["show", "lmids", "--pool", "\\Backup"]) as? [[String: Any]])
        #expect(inBackup.count == 1 && inBackup.first?["application"] as? String == "nightly")
        let csv = try cli.run(["show", "media", "--format", "csv", "--library", "Robot"]).stdout
        #expect(csv.split(separator: "\n").first?.contains("location.library_name") == true)
        #expect(try cli.run(["show", "libraries", "--pool", "\\Backup"]).status == 2)
        let unknown = try cli.run(["show", "media", "--pool", "\\Nowhere", "--json"])
        #expect(unknown.status == 3)
        #expect(try unknown.errorJSON()["error"] as? String == "ERROR_INVALID_MEDIA_POOL")
        #expect(try cli.run(["show", "media", "--sort", "no_such_column"]).status == 2)
    }

    @Test func showAndReportAsOfAnEventOrATimeReadThePastAndRefusePointsOutsideTheLog() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let events = try cli.run(["watch", "--from", "1", "--to-head"]).stdout.split(separator: "\n")
        let head = events.count
        // Before the allocation (the last two events: the move from Free and the allocation) \Backup held nothing.
        let before = try #require(try cli.json(["show", "lmids", "--as-of", "\(head - 2)"]) as? [[String: Any]])
        #expect(before.isEmpty)
        #expect((try cli.json(["show", "lmids"]) as? [[String: Any]])?.count == 1)
        let lastTime = try #require(
            (try JSONSerialization.jsonObject(with: Data(events[head - 1].utf8)) as? [String: Any])?["time"] as? String)
        let atLast = try #require(try cli.json(["show", "lmids", "--as-of", lastTime]) as? [[String: Any]])
        #expect(atLast.count == 1)
        let scratch = try #require(
            try cli.json(["report", "scratch", "--as-of", "\(head - 2)"]) as? [[String: Any]])
        #expect(scratch.first { $0["pool"] as? String == "\\Free\\LTO-8" }?["available"] as? Int == 3)
        for point in ["0", "\(head + 1)", "2001-01-01"] {
            let refused = try cli.run(["show", "media", "--as-of", point, "--json"])
            #expect(refused.status == 3, "\(point)")
            #expect(try refused.errorJSON()["error"] as? String == "ERROR_INVALID_PARAMETER")
        }
        #expect(try cli.run(["show", "media", "--as-of", "yesterday"]).status == 2)
        // Times the nanosecond clock cannot hold, and spans that would overflow it, are usage errors, not crashes.
        #expect(try cli.run(["show", "media", "--as-of", "9999-12-31"]).status == 2)
        #expect(try cli.run(["report", "allocations", "--from", "1000-01-01"]).status == 2)
        #expect(try cli.run(["report", "idle", "--days", "4000000000"]).status == 2)
    }

    @Test func exportWritesEachFormatRefusesAnExistingPathAndReplacesItWithForce() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let target = cli.store + "-catalogue.sqlite"
        defer { try? FileManager.default.removeItem(atPath: target) }
        let first = try #require(try cli.json(["export", "--to", target, "--as-of", "5"]) as? [String: Any])
        #expect(first["sequence"] as? Int == 5)
        let refused = try cli.run(["export", "--to", target, "--json"])
        #expect(refused.status == 3)
        #expect(try refused.errorJSON()["error"] as? String == "ERROR_FILE_EXISTS")
        let replaced = try #require(try cli.json(["export", "--to", target, "--force"]) as? [String: Any])
        #expect((replaced["sequence"] as? Int ?? 0) > 5)
        // The sqlite3 shell (tools/setup installs it) reads the export as any reporting tool would.
        let sqlite = try CLI.runProgram(
            "/usr/bin/env", ["sqlite3", target, "SELECT barcode FROM side_details WHERE lmid IS NOT NULL"])
        #expect(sqlite.stdout == "R1\n", "\(sqlite.stderr)")
        let directory = cli.store + "-csv"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let csv = try #require(try cli.json(["export", "--format", "csv", "--to", directory]) as? [String: Any])
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        let tables = try #require(csv["tables"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        #expect(files == tables.map { $0 + ".csv" }.sorted())
        let text = try cli.run(["export", "--format", "jsonl", "--to", cli.store + "-jsonl"])
        defer { try? FileManager.default.removeItem(atPath: cli.store + "-jsonl") }
        #expect(text.status == 0 && text.stdout.hasPrefix("exported the catalogue as of event"))
    }
}
