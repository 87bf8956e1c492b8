import CatalogueJSON
import Foundation
import Testing

/// Every command's `--json` output matches its definition in
/// docs/schema/v1/mediactl.schema.json, and every definition is exercised.
@Suite struct JSONSchemaTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let schema = packageRoot.appendingPathComponent("docs/schema/v1/mediactl.schema.json")

    /// The outputs collected from real runs, each with the definition it must match.
    final class Outputs {
        let cli: CLI
        var lines: [String] = []
        var definitions: Set<String> = []

        init(_ cli: CLI) { self.cli = cli }

        /// Runs a command that must succeed and records its output.
        @discardableResult
        func expect(_ definition: String, listing: Bool = false, _ arguments: [String]) throws -> Any {
            let output = try cli.json(arguments)
            record(definition, listing: listing, arguments, output)
            return output
        }

        /// Runs a command that must fail and records its error object.
        func expectError(_ arguments: [String]) throws {
            let result = try cli.run(arguments + ["--json"])
            #expect(result.status == 3, "\(arguments)")
            record("error", listing: false, arguments, try JSONSerialization.jsonObject(with: Data(result.stderr.utf8)))
        }

        func record(_ definition: String, listing: Bool, _ arguments: [String], _ output: Any) {
            definitions.insert(definition)
            let entry: [String: Any] = [
                "command": arguments, "definition": definition, "listing": listing, "output": output,
            ]
            let data = try! JSONSerialization.data(withJSONObject: entry, options: [.fragmentsAllowed])
            lines.append(String(decoding: data, as: UTF8.self))
        }
    }

    @Test func theSchemaBundledWithTheBuildIsTheOneInDocs() throws {
        #expect(JSONModel.schemaText == (try String(contentsOf: Self.schema, encoding: .utf8)))
    }

    @Test func everyCommandsJSONMatchesItsSchemaDefinition() throws {
        let cli = CLI()
        defer { cli.remove() }
        let o = Outputs(cli)
        try o.expect("store", ["init"])
        try o.expect("version", ["version"])
        try o.expect("media_type", ["media-type", "add", "LTO-8", "--sides", "1"])
        try o.expect(
            "library",
            ["library", "add", "Robot", "--slots", "6", "--drives", "2", "--ports", "1", "--driver", "simulated"])
        try o.expect("library", ["library", "add", "Spare", "--slots", "2", "--drives", "1"])
        try o.expect("library", ["library", "set", "Spare", "--driver", "simulated"])
        try o.expect("pool", ["pool", "create", "\\Backup", "--media-type", "LTO-8", "--from-scratch"])
        try o.expect("pool", ["pool", "create", "\\Old", "--media-type", "LTO-8"])
        try o.expect("pool", ["pool", "set", "\\Backup", "--max-allocates", "5"])
        for slot in 1...3 {
            try o.expect(
                "medium",
                [
                    "media", "add", "--media-type", "LTO-8", "--barcode", "S0000\(slot)L8", "--library", "Robot",
                    "--slot", "\(slot)",
                ])
        }
        try o.expect("medium", ["media", "add", "--media-type", "LTO-8", "--barcode", "SHELF1L8", "--offline"])
        try o.expect("library", ["cleaner", "reserve", "Robot", "--slot", "4"])
        try o.expect("library", ["cleaner", "inject", "Robot", "--port", "1", "--barcode", "CLN001L8", "--uses", "5"])
        try o.expect("drive", ["clean", "Robot", "1"])
        try o.expect("drive", ["cleaner", "needed", "Robot", "1"])
        try o.expect("library", ["cleaner", "interval", "Robot", "--mounts", "0"])
        let allocation = try #require(try o.expect("allocation", ["allocate", "--pool", "\\Backup"]) as? [String: Any])
        let lmid = try #require(allocation["lmid"] as? String)
        try o.expect("mount", ["mount", lmid])
        try o.expect("drive", listing: true, ["show", "drives", "Robot"])
        try o.expect("slot", listing: true, ["show", "slots", "Robot"])
        try o.expect("medium_moved", ["dismount", lmid, "--deferred"])
        try o.expect("medium_moved", ["dismount", lmid])
        try o.expect("library_request", listing: true, ["queue", "Robot", "--all"])
        try o.expect("side", ["complete", lmid])
        let second = try #require(try o.expect("allocation", ["allocate", "--pool", "\\Backup"]) as? [String: Any])
        try o.expect("side", ["deallocate", try #require(second["lmid"] as? String)])
        try o.expect("side", ["decommission", "S00003L8:A"])
        try o.expect("medium", ["move", "SHELF1L8", "--to", "\\Old"])
        try o.expect("eject", ["eject", "S00002L8"])
        // An operator takes it out of the port and, wrongly, puts it in a slot: inventory finds it there.
        try o.expect("simulation", ["simulate", "hand-move", "Robot", "port:1", "slot:5"])
        try o.expect("medium", ["inject", "Robot", "--port", "1", "--barcode", "NEW001L8", "--media-type", "LTO-8"])
        try o.expect("simulation", ["simulate", "hand-move", "Robot", "slot:1", "slot:6"])
        try o.expect("inventory", ["inventory", "Robot"])
        try o.expect("enablement", ["disable", "drive", "Robot", "1", "--service", "replace the drive"])
        try o.expect("enablement", ["enable", "drive", "Robot", "1"])
        try o.expect("enablement", ["disable", "medium", "SHELF1L8"])
        try o.expect("medium", listing: true, ["show", "media", "--pool", "\\Old"])
        try o.expect("enablement", ["enable", "medium", "SHELF1L8"])
        try o.expect("media_type", ["media-type", "add", "LTO-9", "--sides", "1"])
        try o.expect("medium", ["move", "NEW001L8", "--to", "\\Free\\LTO-9", "--change-type"])
        try o.expect("medium", ["move", "NEW001L8", "--to", "\\Free\\LTO-8", "--change-type"])
        try o.expect("deleted_media_type", ["media-type", "delete", "LTO-9"])
        try o.expect("allocation", ["allocate", "--pool", "\\Backup", "--side", "NEW001L8:A"])
        try o.expect("swap", ["swap", lmid, "NEW001L8:A"])
        try o.expect("side", ["omid", lmid, "--label-type", "MTF", "--label-id", "SCHEMA-1", "--label-info", "LTFS"])
        try o.expect("side", listing: true, ["show", "sides", "--state", "COMPLETE"])
        try o.expect("simulation", ["simulate", "timing", "Robot", "instant"])
        try o.expect("simulation", ["simulate", "fault", "Robot", "clear"])
        for kind in ["pools", "media", "sides", "lmids", "libraries", "media-types"] {
            let definition = [
                "pools": "pool", "media": "medium", "sides": "side", "lmids": "logical_medium", "libraries": "library",
                "media-types": "media_type",
            ][kind]!
            try o.expect(definition, listing: true, ["show", kind])
        }
        let request = try #require(
            try o.expect(
                "request", ["request", "submit", "--type", "NEWMEDIA", "--pool", "\\Backup", "--message", "m"])
                as? [String: Any])
        let id = try #require(request["id"] as? String)
        try o.expect("request", ["request", "display", id])
        try o.expect("request", ["request", "ack", id])
        try o.expect("request", ["request", "satisfy", id])
        try o.expect("request", ["request", "wait", id, "--timeout", "0"])
        let other = try #require(
            try o.expect("request", ["request", "submit", "--type", "CLEANER", "--library", "Robot", "--message", "c"])
                as? [String: Any])
        try o.expect("request", ["request", "cancel", try #require(other["id"] as? String)])
        try o.expect(
            "request", ["request", "submit", "--type", "MOVEMEDIA", "--medium", "SHELF1L8", "--message", "bring it"])
        try o.expect("request", listing: true, ["requests", "--all"])
        try o.expect("event", listing: true, ["history", "S00001L8"])
        try o.expect("checkpoint_change", ["checkpoint", "save"])
        try o.expect("checkpoint", listing: true, ["checkpoint", "list"])
        try o.expect("checkpoint_change", ["checkpoint", "drop", "--all"])
        try o.expect("audit", ["audit", "--at", "3"])
        try o.expect("deleted_medium", ["media", "delete", "SHELF1L8"])
        try o.expect("deleted_pool", ["pool", "delete", "\\Old"])
        try o.expect("deleted_library", ["library", "delete", "Spare"])
        try o.expect(
            "access_list", ["acl", "grant", "--group", "backup", "--rights", "use,control", "--pool", "\\Backup"])
        try o.expect(
            "access_list", ["acl", "revoke", "--group", "backup", "--rights", "control", "--pool", "\\Backup"])
        try o.expect("access_list", ["acl", "grant", "--everyone", "--rights", "use", "--library", "Robot"])
        try o.expect("access_list", ["acl", "inherit", "--library", "Robot"])
        try o.expect("access_list", ["acl", "show", "--pool", "\\Backup"])
        try o.expect("access_list", listing: true, ["acl", "show"])
        let token = try #require(
            try o.expect(
                "issued_token", ["token", "create", "--principal", "svc", "--group", "backup", "--expires", "30"])
                as? [String: Any])
        try o.expect("token", listing: true, ["token", "list"])
        try o.expect("token", ["token", "revoke", try #require(token["id"] as? String)])
        try o.expect("report_scratch", listing: true, ["report", "scratch"])
        try o.expect("report_scratch", listing: true, ["report", "low-water", "--minimum", "100"])
        try o.expect("report_near_max", listing: true, ["report", "near-max", "--within", "5"])
        try o.expect("report_idle", listing: true, ["report", "idle", "--days", "0"])
        try o.expect("report_allocations", listing: true, ["report", "allocations"])
        try o.expect("report_requests", listing: true, ["report", "requests"])
        try o.expect("report_drives", listing: true, ["report", "drives"])
        try o.expect("medium", listing: true, ["show", "media", "--state", "AVAILABLE", "--sort", "barcode"])
        try o.expect("medium", listing: true, ["show", "media", "--as-of", "12"])
        try o.expect("report_scratch", listing: true, ["report", "scratch", "--as-of", "12"])
        let exported = cli.store + "-export"
        defer { try? FileManager.default.removeItem(atPath: exported) }
        try o.expect("export", ["export", "--format", "jsonl", "--to", exported])
        // The events table in JSON lines is the model's event, as `watch` prints it.
        let eventLines = try String(contentsOfFile: exported + "/events.jsonl", encoding: .utf8)
        for line in eventLines.split(separator: "\n") {
            o.record("event", listing: false, ["export"], try JSONSerialization.jsonObject(with: Data(line.utf8)))
        }
        try o.expectError(["show", "media", "--as-of", "100000"])
        try o.expectError(["allocate", "--pool", "\\Nowhere"])
        let dump = try cli.run(["watch", "--from", "1", "--to-head"])
        #expect(dump.status == 0)
        for line in dump.stdout.split(separator: "\n") {
            o.record("event", listing: false, ["watch"], try JSONSerialization.jsonObject(with: Data(line.utf8)))
        }

        let outputs = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mc-json-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: outputs) }
        try (o.lines.joined(separator: "\n") + "\n").write(to: outputs, atomically: true, encoding: .utf8)
        let validator = try CLI.runProgram(
            Self.packageRoot.appendingPathComponent("tools/validate-json").path, [Self.schema.path, outputs.path])
        #expect(validator.status == 0, "\(validator.stdout)\(validator.stderr)")

        // Every definition an output can be is exercised above.
        let schema = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: Self.schema)) as? [String: Any])
        let definitions = try #require(schema["$defs"] as? [String: [String: Any]])
        let outputsDefined = Set(
            definitions.filter { $0.value["description"] != nil && !["field_value", "location"].contains($0.key) }.keys)
        #expect(
            outputsDefined.subtracting(o.definitions).isEmpty,
            "not exercised: \(outputsDefined.subtracting(o.definitions))")
        #expect(o.definitions.subtracting(outputsDefined).isEmpty)
    }

    @Test func absentValuesAreNullAndNumbersAndBooleansKeepTheirTypes() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try cli.json(["init"])
        _ = try cli.json(["media-type", "add", "LTO-8", "--sides", "1"])
        let library = try #require(
            try cli.json(["library", "add", "Robot", "--slots", "2", "--drives", "1"]) as? [String: Any])
        #expect(library.keys.contains("changer") && library["changer"] is NSNull)
        let events = try cli.run(["watch", "--from", "1", "--to-head"]).stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let added = try #require(events.first { $0["event"] as? String == "LibraryAdded" })
        let fields = try #require(added["fields"] as? [String: Any])
        #expect((fields["slots"] as? NSNumber)?.intValue == 2)
        #expect(fields["slots"] is NSNumber && !(fields["slots"] is String))
        #expect(added.keys.contains("idempotency_key") && added["idempotency_key"] is NSNull)
        let time = try #require(added["time"] as? String)
        #expect(
            time.hasSuffix("Z")
                && ISO8601DateFormatter().date(
                    from: time.replacingOccurrences(of: #"\.\d+"#, with: "", options: .regularExpression)) != nil
        )
    }
}
