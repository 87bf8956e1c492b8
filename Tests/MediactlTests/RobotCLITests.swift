import Foundation
import Testing

/// The robot commands of the CLI contract, against a simulated library, each
/// command a separate process (so the robot's state crosses processes).
@Suite struct RobotCLITests {
    /// A location object as "LIBRARY KIND N".
    func location(_ output: [String: Any]) -> String? {
        guard let location = output["location"] as? [String: Any], let kind = location["kind"] as? String,
            let library = location["library_name"] as? String, let number = location["number"] as? Int
        else { return nil }
        return "\(library) \(kind) \(number)"
    }

    @Test func mountDismountInjectEjectAndInventoryThroughTheSimulatedRobot() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try cli.json(["init"])
        _ = try cli.json(["media-type", "add", "LTO-8", "--sides", "1"])
        let library = try #require(
            try cli.json([
                "library", "add", "Robot", "--slots", "6", "--drives", "2", "--ports", "1", "--driver", "simulated",
            ])
                as? [String: Any])
        #expect(library["changer"] as? String == "simulated")
        _ = try cli.json(["pool", "create", "\\Backup", "--media-type", "LTO-8", "--from-scratch"])
        for slot in 1...2 {
            _ = try cli.json([
                "media", "add", "--media-type", "LTO-8", "--barcode", "A0000\(slot)L8", "--library", "Robot", "--slot",
                "\(slot)",
            ])
        }
        let allocation = try #require(try cli.json(["allocate", "--pool", "\\Backup"]) as? [String: Any])
        let lmid = try #require(allocation["lmid"] as? String)

        let mounted = try #require(try cli.json(["mount", lmid]) as? [String: Any])
        #expect(mounted["drive"] as? Int == 0 && mounted["robot_moved"] as? Bool == true)
        let drives = try #require(try cli.json(["show", "drives", "Robot"]) as? [[String: Any]])
        #expect(drives.map { $0["state"] as? String } == ["LOADED", "DISMOUNTED"])
        #expect(drives.first?["barcode"] as? String == "A00001L8")

        let deferred = try #require(try cli.json(["dismount", lmid, "--deferred"]) as? [String: Any])
        #expect(location(deferred) == "Robot drive 0")
        let again = try #require(try cli.json(["mount", lmid, "--drive", "0"]) as? [String: Any])
        #expect(again["robot_moved"] as? Bool == false)
        let home = try #require(try cli.json(["dismount", "A00001L8"]) as? [String: Any])
        #expect(location(home) == "Robot slot 1")

        let injected = try #require(
            try cli.json([
                "inject", "Robot", "--port", "1", "--barcode", "NEW001L8", "--media-type", "LTO-8", "--label", "import",
            ])
                as? [String: Any])
        #expect(location(injected) == "Robot slot 3")
        #expect(injected["pool"] as? String == "\\Import\\LTO-8")
        let ejected = try #require(try cli.json(["eject", "NEW001L8"]) as? [String: Any])
        #expect(ejected["port"] as? Int == 1 && ejected["library_name"] as? String == "Robot")
        let full = try cli.run(["eject", "A00002L8", "--json"])
        #expect(full.status == 3)
        #expect(try full.errorJSON()["error"] as? String == "ERROR_BUSY")

        let inventory = try #require(try cli.json(["inventory", "Robot"]) as? [String: Any])
        #expect(inventory["confirmed"] as? Int == 2)
        #expect((inventory["moved"] as? [Any])?.isEmpty == true)
        #expect((inventory["missing"] as? [Any])?.isEmpty == true)
        let slots = try #require(try cli.json(["show", "slots", "Robot"]) as? [[String: Any]])
        #expect(slots.count == 7)
        #expect(slots.last?["element"] as? String == "port")
        #expect((try cli.json(["audit"]) as? [String: Any])?["ok"] as? Bool == true)
    }

    @Test func twoProcessesMountingAtOnceShareTheRobotOneMoveAtATime() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try cli.json(["init"])
        _ = try cli.json(["media-type", "add", "LTO-8", "--sides", "1"])
        _ = try cli.json(["library", "add", "Robot", "--slots", "4", "--drives", "2", "--driver", "simulated"])
        _ = try cli.json(["pool", "create", "\\Backup", "--media-type", "LTO-8", "--from-scratch"])
        var lmids: [String] = []
        for slot in 1...2 {
            _ = try cli.json([
                "media", "add", "--media-type", "LTO-8", "--barcode", "B0000\(slot)L8", "--library", "Robot", "--slot",
                "\(slot)",
            ])
            let allocation = try #require(try cli.json(["allocate", "--pool", "\\Backup"]) as? [String: Any])
            lmids.append(try #require(allocation["lmid"] as? String))
        }
        // Slow enough that the two processes' moves would overlap without the robot's lock.
        _ = try cli.run(["simulate", "timing", "Robot", "demo"])
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var all: [CLI.Result] = []
        }
        let results = Results()
        let names = lmids
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let result =
                (try? cli.run(["mount", names[index], "--json"])) ?? CLI.Result(status: -1, stdout: "", stderr: "")
            results.lock.withLock { results.all.append(result) }
        }
        let both = results.lock.withLock { results.all }
        #expect(both.allSatisfy { $0.status == 0 }, "\(both.map(\.stderr))")
        let drives = try #require(try cli.json(["show", "drives", "Robot"]) as? [[String: Any]])
        #expect(drives.allSatisfy { $0["state"] as? String == "LOADED" })
        #expect(Set(drives.compactMap { $0["barcode"] as? String }) == ["B00001L8", "B00002L8"])
        let inventory = try #require(try cli.json(["inventory", "Robot"]) as? [String: Any])
        #expect(inventory["confirmed"] as? Int == 2, "the catalogue and the robot agree")
        #expect((try cli.json(["audit"]) as? [String: Any])?["ok"] as? Bool == true)
    }

    @Test func robotCommandsOnALibraryWithoutAChangerAreRefusedClearly() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try cli.json(["init"])
        _ = try cli.json(["media-type", "add", "LTO-8", "--sides", "1"])
        _ = try cli.json(["library", "add", "Manual", "--slots", "4", "--drives", "1"])
        let result = try cli.run(["inventory", "Manual", "--json"])
        #expect(result.status == 3)
        #expect(try result.errorJSON()["error"] as? String == "ERROR_DEVICE_NOT_AVAILABLE")
        let usage = try cli.run(["library", "add", "Real", "--slots", "4", "--drives", "1", "--driver", "mtx"])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("--device"))
    }

    /// A fake `mtx` first on the PATH, as a new user would try the driver: it
    /// records its arguments and answers `status` for a changer with 4 drives,
    /// 33 storage elements of which 4 are import/export.
    static func fakeMtx(in directory: String) throws -> (path: String, calls: String, environment: [String: String]) {
        let calls = directory + "/mtx-calls"
        var lines = ["  Storage Changer /dev/fake:4 Drives, 33 Slots ( 4 Import/Export )"]
        lines += (0..<4).map { "Data Transfer Element \($0):Empty" }
        lines += (1...29).map { "      Storage Element \($0):\($0 == 20 ? "Full :VolumeTag=F00020L8" : "Empty")" }
        lines += (30...33).map { "      Storage Element \($0) IMPORT/EXPORT:Empty" }
        let script = """
            #!/bin/sh
            echo "$@" >> '\(calls)'
            if [ "$3" = status ]; then
            cat <<'STATUS'
            \(lines.joined(separator: "\n"))
            STATUS
            fi
            """
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try script.write(toFile: directory + "/mtx", atomically: true, encoding: .utf8)
        // `mt`, for taking a drive offline, records its calls beside mtx's.
        try "#!/bin/sh\necho \"mt $@\" >> '\(calls)'\n".write(
            toFile: directory + "/mt", atomically: true, encoding: .utf8)
        for tool in ["mtx", "mt"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory + "/" + tool)
        }
        let path = directory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return (directory, calls, ["PATH": path])
    }

    @Test func anMtxLibraryTakesTheChangersGeometryAndRefusesAnotherOne() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try cli.json(["init"])
        let fake = try Self.fakeMtx(in: cli.store + "-bin")
        defer { try? FileManager.default.removeItem(atPath: fake.path) }
        let path = fake.environment

        let taken = try cli.run(
            ["library", "add", "Big", "--driver", "mtx", "--device", "/dev/fake", "--json"], environment: path)
        #expect(taken.status == 0, "\(taken.stderr)")
        let library = try #require(try taken.json() as? [String: Any])
        #expect(library["drives"] as? Int == 4)
        #expect(library["slots"] as? Int == 29)
        #expect(library["ports"] as? Int == 4)

        let wrong = try cli.run(
            ["library", "add", "Small", "--slots", "10", "--drives", "1", "--driver", "mtx", "--device", "/dev/fake"],
            environment: path)
        #expect(wrong.status == 3)
        #expect(wrong.stderr.contains("ERROR_INVALID_PARAMETER"))
        #expect(wrong.stderr.contains("has 4 drives, 29 slots and 4 ports"))
        #expect(wrong.stderr.contains("was given 1 drive, 10 slots and 0 ports"))
        let unchecked = try cli.run(
            [
                "library", "add", "Small", "--slots", "10", "--drives", "1", "--driver", "mtx", "--device", "/dev/fake",
                "--no-check",
            ], environment: path)
        #expect(unchecked.status == 0)
        // What mtx was asked: a status for the library taken, one for each checked add, none for --no-check.
        let calls = try String(contentsOfFile: fake.calls, encoding: .utf8).split(separator: "\n")
        #expect(calls == ["-f /dev/fake status", "-f /dev/fake status"])

        // The inventory of the unchecked library names the cartridge beyond its 10 slots instead of cataloguing it.
        _ = try cli.json(["media-type", "add", "LTO-8", "--sides", "1"])
        let inventory = try cli.run(["inventory", "Small", "--json"], environment: path)
        #expect(inventory.status == 0, "\(inventory.stderr)")
        let report = try #require(try inventory.json() as? [String: Any])
        #expect((report["registered"] as? [Any])?.isEmpty == true)
        let unidentified = report["unidentified"] as? [[String: Any]] ?? []
        #expect(unidentified.map { $0["barcode"] as? String } == ["F00020L8"])
        #expect(
            (report["warnings"] as? [String])?.contains { $0.contains("library Small has 1 drive, 10 slots") } == true)
        #expect(!(try cli.run(["show", "media"]).stdout.contains("F00020L8")))
    }

    @Test func showLibrariesShowsTheMtxSettingsAndADismountTakesTheDriveOfflineFirst() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try cli.json(["init"])
        let fake = try Self.fakeMtx(in: cli.store + "-bin")
        defer { try? FileManager.default.removeItem(atPath: fake.path) }
        let path = fake.environment
        for arguments in [
            ["media-type", "add", "LTO-8", "--sides", "1"],
            ["library", "add", "Big", "--driver", "mtx", "--device", "/dev/fake"],
            ["media", "add", "--media-type", "LTO-8", "--barcode", "F00020L8", "--library", "Big", "--slot", "20"],
            ["pool", "create", #"\B"#, "--media-type", "LTO-8", "--from-scratch"],
        ] {
            let result = try cli.run(arguments, environment: path)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let incomplete = try cli.run(["library", "set", "Big", "--offline-before-unload"], environment: path)
        #expect(incomplete.status == 3)
        #expect(incomplete.stderr.contains("give one for drive 0, 1, 2, 3"))

        let devices = (0..<4).flatMap { ["--drive-device", "\($0)=/dev/nst\($0)"] }
        let set = try cli.run(
            [
                "library", "set", "Big", "--offline-before-unload", "--move-timeout", "900", "--mtx-path",
                fake.path + "/mtx",
                "--json",
            ] + devices, environment: path)
        #expect(set.status == 0, "\(set.stderr)")
        let settings = try #require((try set.json() as? [String: Any])?["changer_settings"] as? [String: Any])
        #expect(settings["offline_before_unload"] as? Bool == true)
        #expect(settings["move_timeout_seconds"] as? Int == 900)
        #expect(settings["status_timeout_seconds"] as? Int == 360, "the default in force is shown")
        #expect((settings["drive_devices"] as? [[String: Any]])?.count == 4)
        let shown = try cli.run(["show", "libraries"], environment: path).stdout
        #expect(shown.contains("mtx \(fake.path)/mtx"))
        #expect(shown.contains("offline before unload (drive 0 /dev/nst0, drive 1 /dev/nst1"))
        #expect(shown.contains("timeouts: status 360 s, move 900 s, inventory 1800 s"))

        let lmid = try #require(
            (try cli.json(["allocate", "--pool", #"\B"#], environment: path) as? [String: Any])?["lmid"] as? String)
        #expect(try cli.run(["mount", lmid, "--drive", "0"], environment: path).status == 0)
        let dismount = try cli.run(["dismount", lmid], environment: path)
        #expect(dismount.status == 0, "\(dismount.stderr)")
        let calls = try String(contentsOfFile: fake.calls, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(Array(calls.suffix(2)) == ["mt -f /dev/nst0 offline", "-f /dev/fake unload 20 0"])
    }

    @Test func theMtxPathSetForALibraryIsTheOneItsChecksRun() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try cli.json(["init"])
        // The fake is not on the PATH: only the library's setting finds it.
        let fake = try Self.fakeMtx(in: cli.store + "-bin")
        defer { try? FileManager.default.removeItem(atPath: fake.path) }
        let add = [
            "library", "add", "Big", "--slots", "29", "--drives", "4", "--ports", "4", "--driver", "mtx", "--device",
            "/dev/fake", "--no-check",
        ]
        #expect(try cli.run(add).status == 0)
        #expect(try cli.run(["library", "set", "Big", "--mtx-path", fake.path + "/mtx"]).status == 0)
        // A refused setting given with a new device attaches nothing.
        let refused = try cli.run([
            "library", "set", "Big", "--driver", "mtx", "--device", "/dev/elsewhere", "--offline-before-unload",
        ])
        #expect(refused.status == 3)
        let unchanged = try #require(
            (try cli.json(["show", "libraries"]) as? [[String: Any]])?.first { $0["name"] as? String == "Big" })
        #expect(unchanged["device"] as? String == "/dev/fake")
        let moved = try cli.run(["library", "set", "Big", "--driver", "mtx", "--device", "/dev/fake-renamed"])
        #expect(moved.status == 0, "\(moved.stderr)")
        let calls = try String(contentsOfFile: fake.calls, encoding: .utf8).split(separator: "\n")
        #expect(calls == ["-f /dev/fake-renamed status"])
    }
}
