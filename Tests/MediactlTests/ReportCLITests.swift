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
}
