import Foundation
import Testing

@Suite struct StoreCommandTests {
    @Test func initIsIdempotentAndAuditReportsTheHead() throws {
        let cli = CLI()
        defer { cli.remove() }
        let first = try cli.json(["init"]) as? [String: Any]
        let second = try cli.json(["init"]) as? [String: Any]
        // The catalogue and its creator's access list.
        #expect(first?["head"] as? Int == 2)
        #expect(second?["head"] as? Int == 2)
        let audit = try #require(try cli.json(["audit"]) as? [String: Any])
        #expect(audit["events"] as? Int == 2)
        #expect(audit["head"] as? Int == 2)
        #expect((audit["head_hash"] as? String)?.count == 64)
        #expect(audit["ok"] as? Bool == true)
    }

    @Test func aMissingStoreIsAnNtmsErrorWithExitStatus3() throws {
        let cli = CLI()
        let result = try cli.run(["audit", "--json"])
        #expect(result.status == 3)
        let body = try result.errorJSON()
        #expect(body["error"] as? String == "ERROR_DATABASE_FAILURE")
        #expect(body["code"] as? Int == 4313)
        #expect((body["message"] as? String)?.contains("no catalogue store") == true)
    }

    @Test func usageErrorsExitWithStatus2() throws {
        let cli = CLI()
        defer { cli.remove() }
        #expect(try cli.run(["allocate"]).status == 2)
        #expect(try cli.run(["no-such-command"]).status == 2)
        #expect(try cli.run(["media", "add", "--media-type", "X", "--barcode", "B"]).status == 2)
        #expect(try cli.run(["--help"]).status == 0)
    }

    @Test func theStoreDefaultsToTheEnvironmentVariable() throws {
        let cli = CLI()
        defer { cli.remove() }
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["init", "--json"]
        process.environment = ProcessInfo.processInfo.environment.merging(["MEDIACTL_STORE": cli.store]) { $1 }
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: cli.store + "/data.mdb"))
    }

    @Test func auditNamesTheFirstCorruptEventAndExits3() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try cli.json(["init"])
        _ = try cli.json(["media-type", "add", "LTO-6", "--sides", "1"])
        _ = try cli.json(["media", "add", "--media-type", "LTO-6", "--barcode", "ROTTEN", "--offline"])
        let url = URL(fileURLWithPath: cli.store + "/data.mdb")
        var data = try Data(contentsOf: url)
        var from = data.startIndex
        while let range = data.range(of: Data("ROTTEN".utf8), in: from..<data.endIndex) {
            data[range.lowerBound] ^= 0x20
            from = range.upperBound
        }
        try data.write(to: url)
        let result = try cli.run(["audit", "--json"])
        #expect(result.status == 3)
        let report = try #require(try result.json() as? [String: Any])
        #expect(report["ok"] as? Bool == false)
        #expect(report["first_bad_sequence"] as? Int == 4)
        #expect(report["events"] as? Int == 3)
        // Any other command refuses the damaged store too, naming the event.
        let show = try cli.run(["show", "media"])
        #expect(show.status == 3)
        #expect(show.stderr.contains("event 4 is corrupt"))
    }
}

@Suite struct AllocationCommandTests {
    @Test func theMediaAndAllocateContractsHaveTheirFields() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try cli.json(["init"])
        _ = try cli.json(["media-type", "add", "MO", "--sides", "2"])
        _ = try cli.json(["library", "add", "Robot", "--slots", "4", "--drives", "1"])
        _ = try cli.json(["pool", "create", "\\Backup"])
        _ = try cli.json(["pool", "create", "\\Backup\\Daily", "--media-type", "MO", "--from-scratch"])
        let medium = try #require(
            try cli.json([
                "media", "add", "--media-type", "MO", "--barcode", "MO0001", "--library", "Robot", "--slot", "1",
            ])
                as? [String: Any])
        #expect(medium["barcode"] as? String == "MO0001")
        #expect(medium["pool"] as? String == "\\Free\\MO")
        let sides = try #require(medium["sides"] as? [[String: Any]])
        #expect(sides.map { $0["side_letter"] as? String } == ["A", "B"])
        #expect(sides.allSatisfy { $0["state"] as? String == "AVAILABLE" })
        let allocation = try #require(
            try cli.json(["allocate", "--pool", "\\Backup\\Daily", "--new"]) as? [String: Any])
        #expect(allocation["barcode"] as? String == "MO0001")
        #expect(allocation["side_letter"] as? String == "A")
        #expect(allocation["pool"] as? String == "\\Backup\\Daily")
        #expect(allocation["allocated_from"] as? String == "\\Free\\MO")
        let lmid = try #require(allocation["lmid"] as? String)
        let next = try #require(
            try cli.json(["allocate", "--pool", "\\Backup\\Daily", "--next", lmid]) as? [String: Any])
        #expect(next["side_letter"] as? String == "B")
        let shown = try #require(try cli.json(["show", "sides"]) as? [[String: Any]])
        #expect(shown.map { $0["state"] as? String } == ["ALLOCATED", "ALLOCATED"])
        let failed = try cli.run(["allocate", "--pool", "\\Backup\\Daily", "--error-if-unavailable", "--json"])
        #expect(failed.status == 3)
        #expect(try failed.errorJSON()["error"] as? String == "ERROR_MEDIA_UNAVAILABLE")
        #expect(try failed.errorJSON()["code"] as? Int == 4308)
    }

    @Test func twoProcessesAllocatingFromNSidesHandOutExactlyNDistinctSides() throws {
        let cli = CLI()
        defer { cli.remove() }
        let sides = 12
        _ = try cli.json(["init"])
        _ = try cli.json(["media-type", "add", "LTO-6", "--sides", "1"])
        _ = try cli.json(["library", "add", "Robot", "--slots", "\(sides)", "--drives", "2"])
        _ = try cli.json(["pool", "create", "\\Jobs", "--media-type", "LTO-6", "--from-scratch"])
        for slot in 1...sides {
            _ = try cli.json([
                "media", "add", "--media-type", "LTO-6", "--barcode", "L\(slot)", "--library", "Robot", "--slot",
                "\(slot)",
            ])
        }
        // Two shell loops, each a stream of separate mediactl processes, racing for the same pool.
        let script = """
            for i in $(seq 9); do "$MEDIACTL" allocate --pool '\\Jobs' --error-if-unavailable --json --store "$STORE" 2>&1; echo "status=$?"; done
            """
        let loops = try (0..<2).map { _ -> (Process, Pipe) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", script]
            process.environment = ProcessInfo.processInfo.environment.merging(
                ["MEDIACTL": CLI.executable.path, "STORE": cli.store]) { $1 }
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            return (process, pipe)
        }
        var lines: [String] = []
        for (process, pipe) in loops {
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            lines += String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        let allocations = lines.filter { $0.hasPrefix("{\"allocated_from\"") }
        let refusals = lines.filter { $0.contains("ERROR_MEDIA_UNAVAILABLE") }
        let sidesHandedOut = try allocations.map { line -> String in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["side"] as? String ?? ""
        }
        #expect(allocations.count == sides)
        #expect(Set(sidesHandedOut).count == sides)
        #expect(refusals.count == 18 - sides)
        let audit = try #require(try cli.json(["audit"]) as? [String: Any])
        #expect(audit["ok"] as? Bool == true)
        #expect((audit["objects"] as? [String: Any])?["logical_media"] as? Int == sides)
    }
}

@Suite struct MediaServicesCommandTests {
    /// A store with one two-sided type, a robot, `\Backup\Daily` drawing from scratch and two disks.
    func seeded(_ cli: CLI) throws {
        _ = try cli.json(["init"])
        _ = try cli.json(["media-type", "add", "MO", "--sides", "2"])
        _ = try cli.json(["library", "add", "Robot", "--slots", "8", "--drives", "2", "--ports", "1"])
        _ = try cli.json(["pool", "create", "\\Backup"])
        _ = try cli.json([
            "pool", "create", "\\Backup\\Daily", "--media-type", "MO", "--from-scratch", "--max-allocates", "5",
        ])
        _ = try cli.json([
            "media", "add", "--media-type", "MO", "--barcode", "MO0001", "--library", "Robot", "--slot", "1",
        ])
        _ = try cli.json([
            "media", "add", "--media-type", "MO", "--barcode", "OLD001", "--offline", "--label", "import",
        ])
    }

    @Test func completeDecommissionMoveAndDeleteFollowTheirRules() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let allocation = try #require(
            try cli.json(["allocate", "--pool", "\\Backup\\Daily", "--side", "MO0001:A"]) as? [String: Any])
        let lmid = try #require(allocation["lmid"] as? String)
        let completed = try #require(try cli.json(["complete", lmid]) as? [String: Any])
        #expect(completed["state"] as? String == "COMPLETE")
        let decommissioned = try #require(try cli.json(["decommission", "MO0001:B"]) as? [String: Any])
        #expect(decommissioned["state"] as? String == "DECOMMISSIONED")
        // A held medium cannot go back to Free.
        let busy = try cli.run(["move", "MO0001", "--to", "\\Free\\MO", "--json"])
        #expect(busy.status == 3)
        #expect(try busy.errorJSON()["error"] as? String == "ERROR_BUSY")
        // An Import medium goes to Free and gets a free label.
        let moved = try #require(try cli.json(["move", "OLD001", "--to", "\\Free\\MO"]) as? [String: Any])
        #expect(moved["pool"] as? String == "\\Free\\MO")
        #expect((moved["sides"] as? [[String: Any]])?.allSatisfy { $0["state"] as? String == "AVAILABLE" } == true)
        let online = try cli.run(["media", "delete", "MO0001", "--json"])
        #expect(online.status == 3)
        #expect(try online.errorJSON()["error"] as? String == "ERROR_BUSY")
        let deleted = try #require(try cli.json(["media", "delete", "OLD001"]) as? [String: Any])
        #expect(deleted["barcode"] as? String == "OLD001")
        let media = try #require(try cli.json(["show", "media"]) as? [[String: Any]])
        #expect(media.map { $0["barcode"] as? String } == ["MO0001"])
    }

    @Test func showListsEveryKindAsJSONArrays() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        _ = try cli.json(["allocate", "--pool", "\\Backup\\Daily"])
        let pools = try #require(try cli.json(["show", "pools"]) as? [[String: Any]])
        let daily = try #require(pools.first { $0["path"] as? String == "\\Backup\\Daily" })
        #expect(daily["type"] as? String == "APPLICATION")
        #expect(daily["from_scratch"] as? Bool == true)
        #expect(daily["max_allocates"] as? Int == 5)
        #expect(pools.contains { $0["path"] as? String == "\\Import\\MO" && $0["type"] as? String == "IMPORT" })
        let libraries = try #require(try cli.json(["show", "libraries"]) as? [[String: Any]])
        #expect(Set(libraries.compactMap { $0["type"] as? String }) == ["OFFLINE", "ONLINE"])
        let lmids = try #require(try cli.json(["show", "lmids"]) as? [[String: Any]])
        #expect(lmids.count == 1)
        #expect(lmids.first?["barcode"] as? String == "MO0001")
        let sides = try #require(try cli.json(["show", "sides"]) as? [[String: Any]])
        #expect(sides.compactMap { $0["state"] as? String }.sorted() == ["ALLOCATED", "AVAILABLE", "IMPORT", "IMPORT"])
    }

    @Test func poolSetChangesPolicyAndPoolDeleteNeedsAnEmptyPool() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let changed = try #require(
            try cli.json(["pool", "set", "\\Backup\\Daily", "--no-from-scratch", "--to-scratch"]) as? [String: Any])
        #expect(changed["from_scratch"] as? Bool == false)
        #expect(changed["to_scratch"] as? Bool == true)
        #expect(changed["max_allocates"] as? Int == 5)
        let notEmpty = try cli.run(["pool", "delete", "\\Backup", "--json"])
        #expect(notEmpty.status == 3)
        #expect(try notEmpty.errorJSON()["code"] as? Int == 4307)
        _ = try cli.json(["pool", "delete", "\\Backup\\Daily"])
        _ = try cli.json(["pool", "delete", "\\Backup"])
        let pools = try #require(try cli.json(["show", "pools"]) as? [[String: Any]])
        #expect(!pools.contains { ($0["path"] as? String)?.hasPrefix("\\Backup") == true })
    }

    @Test func historyListsEveryEventOfAMediumWithApplicationAndUser() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let allocation = try #require(
            try cli.json(["allocate", "--pool", "\\Backup\\Daily", "--new", "--idempotency-key", "job-7"])
                as? [String: Any])
        _ = try cli.json(["deallocate", try #require(allocation["lmid"] as? String)])
        let history = try #require(try cli.json(["history", "MO0001"]) as? [[String: Any]])
        #expect(
            history.map { $0["event"] as? String } == [
                "MediumImported", "MediumMoved", "SideAllocated", "SideDeallocated",
            ])
        let sequences = history.compactMap { $0["sequence"] as? Int }
        #expect(sequences == sequences.sorted())
        #expect(
            history.allSatisfy {
                $0["application"] as? String == "mediactl" && ($0["time"] as? String)?.hasSuffix("Z") == true
            })
        #expect(history[2]["idempotency_key"] as? String == "job-7")
        // A deleted medium's history is still there, found by its bar code.
        _ = try cli.json(["media", "delete", "OLD001"])
        let gone = try #require(try cli.json(["history", "OLD001"]) as? [[String: Any]])
        #expect(gone.map { $0["event"] as? String } == ["MediumImported", "MediumDeleted"])
    }

    @Test func unknownNamesAreNtmsErrors() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let pool = try cli.run(["allocate", "--pool", "\\Nope", "--json"])
        #expect(pool.status == 3)
        #expect(try pool.errorJSON()["error"] as? String == "ERROR_INVALID_MEDIA_POOL")
        let side = try cli.run(["decommission", "MO0001:C", "--json"])
        #expect(side.status == 3)
        #expect(try side.errorJSON()["error"] as? String == "ERROR_INVALID_MEDIA")
        let lmid = try cli.run(["deallocate", "lmid-999", "--json"])
        #expect(try lmid.errorJSON()["error"] as? String == "ERROR_INVALID_MEDIA")
    }
}
