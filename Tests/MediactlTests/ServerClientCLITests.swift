import Foundation
import Testing

/// A `mediactl serve` of its own store, started as a real process on a Unix
/// socket and a loopback port, and stopped by the test.
final class ServedStore {
    let cli: CLI
    let socket: String
    private(set) var tcp = ""
    private let process = Process()

    init(_ label: String = #function) throws {
        cli = CLI(label)
        _ = try cli.json(["init"])
        // Unix socket paths are short: keep this one so.
        socket = "/tmp/mcc-\(UUID().uuidString.prefix(8)).sock"
        process.executableURL = CLI.executable
        process.arguments = [
            "serve", "--store", cli.store, "--listen", "unix:\(socket)", "--listen", "127.0.0.1:0",
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The server prints one line per listener once it is bound.
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, text.components(separatedBy: " on ").count < 3 {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        for line in text.split(separator: "\n") {
            if let range = line.range(of: " on 127.0.0.1:") {
                tcp = "http://" + line[line.index(range.lowerBound, offsetBy: 4)...]
            }
        }
        guard !tcp.isEmpty, FileManager.default.fileExists(atPath: socket) else {
            stop()
            throw CLI.CLIFailure(
                arguments: ["serve"], result: CLI.Result(status: -1, stdout: text, stderr: "the server did not start"))
        }
    }

    var unixURL: String { "unix:\(socket)" }

    /// `mediactl ARGUMENTS --server URL`, with no store named.
    func run(_ arguments: [String], server: String? = nil, environment: [String: String] = [:]) throws -> CLI.Result {
        try CLI.runProgram(
            CLI.executable.path, arguments + ["--server", server ?? unixURL],
            environment: environment.merging(["MEDIACTL_STORE": "", "MEDIACTL_SERVER": ""]) { first, _ in first })
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: socket)
        cli.remove()
    }
}

/// `mediactl --server`: every command that works on the files works against
/// a server with the same output and exit status.
@Suite(.serialized) struct ServerClientCLITests {
    /// Times and durations differ between two runs; everything else must not.
    static func masked(_ text: String) -> String {
        var text = text
        for (pattern, replacement) in [
            (#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#, "TIME"),
            (#"\d+\.\d s"#, "N s"),
            (#"mct_[0-9a-f]{64}"#, "SECRET"),
            // A work item's owner is the process that queued it: each CLI run, or the one server.
            (#""pid":\d+,"session":\d+"#, #""pid":N,"session":N"#),
            (#"pid=\d+ session=\d+"#, "pid=N session=N"),
        ] {
            text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return text
    }

    /// The commands of an appliance's day, in order: set-up, allocation, robot
    /// work, operator requests, queries, reports, rights, tokens, mistakes.
    static let script: [[String]] = [
        ["media-type", "add", "LTO-6", "--sides", "1"],
        ["library", "add", "Robot", "--slots", "8", "--drives", "2", "--ports", "1", "--driver", "simulated"],
        ["pool", "create", #"\Backup"#, "--media-type", "LTO-6", "--from-scratch"],
        ["pool", "set", #"\Backup"#, "--max-allocates", "5"],
        ["media", "add", "--media-type", "LTO-6", "--barcode", "T00001", "--library", "Robot", "--slot", "1"],
        ["media", "add", "--media-type", "LTO-6", "--barcode", "T00002", "--library", "Robot", "--slot", "2"],
        ["media", "add", "--media-type", "LTO-6", "--barcode", "T00003", "--offline", "--json"],
        ["allocate", "--pool", #"\Backup"#],
        ["allocate", "--pool", #"\Backup"#, "--json", "--idempotency-key", "k-1"],
        ["allocate", "--pool", #"\Backup"#, "--json", "--idempotency-key", "k-1"],
        ["show", "sides"],
        ["show", "media", "--json"],
        ["show", "pools", "--format", "csv"],
        ["show", "lmids", "--pool", #"\Backup"#],
        ["show", "libraries"],
        ["show", "media-types"],
        ["show", "drives", "Robot"],
        ["show", "slots", "Robot", "--state", "EMPTY"],
        ["show", "sides", "--sort", "allocate_count", "--descending", "--format", "table"],
        ["show", "media", "--as-of", "6"],
        ["mount", "T00001:A"],
        ["dismount", "T00001"],
        ["mount", "T00001:A", "--json"],
        ["dismount", "T00001", "--deferred"],
        ["complete", "T00001:A"],
        ["deallocate", "T00002:A"],
        ["decommission", "T00002:A"],
        ["move", "T00003", "--to", #"\Backup"#],
        ["inject", "Robot", "--port", "1", "--barcode", "T00009", "--media-type", "LTO-6"],
        ["eject", "T00009", "--json"],
        ["inventory", "Robot"],
        ["request", "submit", "--message", "load tapes", "--json"],
        ["requests"],
        ["requests", "--console"],
        ["request", "ack", "request-33"],
        ["request", "satisfy", "request-33"],
        ["request", "wait", "request-33", "--timeout", "0"],
        ["requests", "--all", "--json"],
        ["history", "T00001"],
        ["history", #"\Backup"#, "--json"],
        ["report", "scratch"],
        ["report", "low-water", "--minimum", "5"],
        ["report", "near-max", "--within", "5", "--format", "csv"],
        ["report", "idle", "--days", "1"],
        ["report", "requests"],
        ["report", "allocations", "--json"],
        ["acl", "grant", "--user", "backup", "--rights", "use,control", "--pool", #"\Backup"#],
        ["acl", "show"],
        ["acl", "show", "--pool", #"\Backup"#, "--json"],
        ["acl", "revoke", "--user", "backup", "--rights", "control", "--pool", #"\Backup"#],
        ["acl", "inherit", "--pool", #"\Backup"#],
        ["token", "create", "--principal", "monitor", "--expires", "2030-01-01T00:00:00Z"],
        ["token", "list"],
        ["token", "revoke", "token-34"],
        ["disable", "drive", "Robot", "1", "--service", "replace the drive"],
        ["disable", "medium", "T00001", "--json"],
        ["disable", "library", "Robot"],
        ["show", "drives", "Robot"],
        ["show", "libraries", "--json"],
        ["mount", "T00001:A"],
        ["enable", "library", "Robot"],
        ["enable", "medium", "T00001"],
        ["enable", "drive", "Robot", "1", "--json"],
        ["media-type", "add", "LTO-7", "--sides", "1"],
        ["media", "add", "--media-type", "LTO-6", "--barcode", "T00011", "--library", "Robot", "--slot", "6"],
        ["media", "add", "--media-type", "LTO-6", "--barcode", "T00012", "--library", "Robot", "--slot", "7"],
        ["move", "T00011", "--to", #"\Free\LTO-7"#, "--change-type", "--json"],
        ["media-type", "delete", "LTO-7"],
        ["move", "T00011", "--to", #"\Free\LTO-6"#, "--change-type"],
        ["media-type", "delete", "LTO-7", "--json"],
        ["allocate", "--pool", #"\Backup"#, "--side", "T00011:A"],
        ["allocate", "--pool", #"\Backup"#, "--side", "T00012:A"],
        ["swap", "T00011:A", "T00012:A"],
        ["swap", "T00011:A", "T00012:A", "--json"],
        ["omid", "T00012:A", "--label-type", "MTF", "--label-id", "SET-9", "--label-info", "LTFS"],
        ["omid", "T00011:A", "--label-type", "MTF", "--label-id", "SET-9", "--json"],
        ["omid", "T00011:A", "--label-type", "MTF"],
        ["show", "sides", "--state", "ALLOCATED", "--json"],
        ["cleaner", "reserve", "Robot", "--slot", "8"],
        ["cleaner", "inject", "Robot", "--port", "1", "--barcode", "CLN001", "--uses", "2"],
        ["cleaner", "interval", "Robot", "--mounts", "10", "--json"],
        ["cleaner", "needed", "Robot", "1"],
        ["clean", "Robot", "1", "--json"],
        ["clean", "Robot", "1"],
        ["cleaner", "inject", "Robot", "--port", "1", "--barcode", "CLN002"],
        ["cleaner", "release", "Robot"],
        ["cleaner", "eject", "Robot", "--port", "1"],
        ["clean", "Robot", "1"],
        ["show", "drives", "Robot"],
        ["door", "open", "Robot"],
        ["mount", "T00011:A"],
        ["door", "close", "Robot", "--json"],
        ["door", "close", "Robot"],
        ["checkpoint", "save"],
        ["media", "delete", "T00009"],
        [
            "library", "add", "Tape", "--slots", "4", "--drives", "1", "--driver", "mtx", "--device",
            "/dev/mediacatalogue-no-changer", "--no-check",
        ],
        ["library", "set", "Tape", "--move-timeout", "900", "--inventory-before-status", "--json"],
        ["library", "set", "Tape", "--offline-before-unload"],
        // Refused settings given with a new changer attach nothing: the device stays as it was.
        [
            "library", "set", "Tape", "--driver", "mtx", "--device", "/dev/other-changer", "--no-check",
            "--offline-before-unload",
        ],
        ["show", "libraries"],
        ["library", "delete", "Tape"],
        ["queue", "Robot"],
        ["queue", "Robot", "--all"],
        ["queue", "Robot", "--all", "--json"],
        ["watch", "--from", "1", "--to-head"],
        // Mistakes: the same NTMS error and exit status.
        ["allocate", "--pool", #"\Nowhere"#],
        ["allocate", "--pool", #"\Backup"#, "--error-if-unavailable", "--json"],
        ["deallocate", "lmid-999"],
        ["show", "drives", "Nowhere"],
        ["history", "nothing-here"],
        ["pool", "delete", #"\Backup"#],
        ["library", "delete", "Robot", "--json"],
        ["request", "cancel", "request-999"],
        ["mount", "lmid-999"],
        ["enable", "drive", "Robot", "1"],
        ["disable", "drive", "Robot", "9"],
        ["disable", "library", "Offline", "--json"],
        ["disable", "medium", "NOSUCH"],
        ["move", "T00003", "--to", #"\Free\LTO-6"#, "--change-type"],
        ["swap", "T00011:A", "T00011:A"],
        ["media-type", "delete", "LTO-6"],
        ["queue", "cancel", "work-999"],
        ["queue", "order", "work-999", "--first", "--json"],
        ["queue", "Nowhere"],
        ["mount", "T00011:A", "--priority", "16"],
    ]

    @Test func everyCommandPrintsTheSameOnTheFilesAndOverTheServer() throws {
        let files = CLI()
        defer { files.remove() }
        _ = try files.json(["init"])
        let served = try ServedStore()
        defer { served.stop() }
        for arguments in Self.script {
            let local = try files.run(arguments)
            let remote = try served.run(arguments)
            #expect(remote.status == local.status, "exit status of \(arguments): \(remote.stderr)")
            #expect(Self.masked(remote.stdout) == Self.masked(local.stdout), "stdout of \(arguments)")
            if local.status != 0 {
                // The error is the last line; progress lines before it may name the target differently.
                #expect(
                    remote.stderr.split(separator: "\n").last == local.stderr.split(separator: "\n").last,
                    "stderr of \(arguments)")
            }
        }
        // Both stores hold the same history, event for event.
        let localLog = try files.run(["watch", "--from", "1", "--to-head"]).stdout
        let remoteLog = try served.cli.run(["watch", "--from", "1", "--to-head"]).stdout
        #expect(Self.masked(remoteLog) == Self.masked(localLog))
        // The script's commands succeeded on both, to its end.
        for event in ["SideCompleted", "InventoryTaken", "OperatorRequestSatisfied", "TokenRevoked", "MediumDeleted"] {
            #expect(remoteLog.contains("\"event\":\"\(event)\""), "\(event)")
        }
    }

    @Test func commandsThatNeedTheStoreFilesAreRefusedWithAUsageError() throws {
        let served = try ServedStore()
        defer { served.stop() }
        for arguments in [
            ["init"], ["audit"], ["export", "--to", "/tmp/never"], ["serve"], ["checkpoint", "drop", "--all"],
            ["simulate", "timing", "Robot", "demo"],
        ] {
            let result = try served.run(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains("does not run against a server"), "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never"))
    }

    @Test func serverAndStoreTogetherIsAUsageError() throws {
        let cli = CLI()
        defer { cli.remove() }
        let result = try cli.run(["show", "pools", "--server", "unix:/tmp/nothing.sock"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--server and --store cannot be combined"))
    }

    @Test func theEnvironmentNamesTheServerAndAnExplicitStoreWins() throws {
        let served = try ServedStore()
        defer { served.stop() }
        _ = try served.run(["media-type", "add", "LTO-7", "--sides", "1"])
        let environment = ["MEDIACTL_SERVER": served.unixURL, "MEDIACTL_STORE": ""]
        let viaEnvironment = try CLI.runProgram(
            CLI.executable.path, ["show", "media-types"], environment: environment)
        #expect(viaEnvironment.stdout.contains("LTO-7"))
        let other = CLI()
        defer { other.remove() }
        _ = try other.json(["init"])
        let onFiles = try other.run(["show", "media-types"], environment: environment)
        #expect(onFiles.status == 0)
        #expect(!onFiles.stdout.contains("LTO-7"))
    }

    @Test func anUnreachableServerIsErrorNotReady() throws {
        let result = try CLI.runProgram(
            CLI.executable.path,
            ["show", "pools", "--json", "--server", "unix:/tmp/no-server-\(UUID().uuidString.prefix(6)).sock"],
            environment: ["MEDIACTL_STORE": "", "MEDIACTL_SERVER": ""])
        #expect(result.status == 3)
        let body = try result.errorJSON()
        #expect(body["error"] as? String == "ERROR_NOT_READY")
        #expect((body["message"] as? String)?.contains("cannot reach the server") == true)
        let malformed = try CLI.runProgram(
            CLI.executable.path, ["show", "pools", "--server", "ftp://example.com"],
            environment: ["MEDIACTL_STORE": ""])
        #expect(malformed.status == 3)
        #expect(malformed.stderr.contains("ERROR_INVALID_PARAMETER"))
    }

    @Test func overTCPTheTokenFileAuthenticatesAndARevokedTokenIsDenied() throws {
        let served = try ServedStore()
        defer { served.stop() }
        let anonymous = try served.run(["show", "pools", "--json"], server: served.tcp)
        #expect(anonymous.status == 3)
        #expect(try anonymous.errorJSON()["error"] as? String == "ERROR_ACCESS_DENIED")

        let issued = try #require(
            try served.run(["token", "create", "--principal", "reporter", "--json"]).json() as? [String: Any])
        let secret = try #require(issued["token"] as? String)
        let tokenFile = served.cli.store + "/../mcc-token-\(UUID().uuidString.prefix(6))"
        try secret.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        _ = try served.run(["acl", "grant", "--user", "reporter", "--rights", "use"])

        let allowed = try served.run(["show", "pools", "--token-file", tokenFile], server: served.tcp)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout.contains(#"\Free"#))
        let viaEnvironment = try served.run(
            ["show", "libraries"], server: served.tcp, environment: ["MEDIACTL_TOKEN": secret])
        #expect(viaEnvironment.status == 0)
        // USE reads, but creating a pool needs CONTROL on the catalogue: refused, and the refusal is logged.
        let denied = try served.run(
            ["pool", "create", #"\Reports"#, "--token-file", tokenFile, "--json"], server: served.tcp)
        #expect(denied.status == 3)
        #expect(try denied.errorJSON()["error"] as? String == "ERROR_ACCESS_DENIED")
        let log = try served.run(["watch", "--from", "1", "--to-head"]).stdout
        #expect(log.contains(#""event":"AccessDenied""#))

        _ = try served.run(["token", "revoke", try #require(issued["id"] as? String)])
        let revoked = try served.run(["show", "pools", "--token-file", tokenFile, "--json"], server: served.tcp)
        #expect(revoked.status == 3)
        #expect(try revoked.errorJSON()["error"] as? String == "ERROR_ACCESS_DENIED")
    }

    @Test func aWaitingAllocationOverTheServerIsAnsweredByAnOperator() throws {
        let served = try ServedStore()
        defer { served.stop() }
        for arguments in [
            ["media-type", "add", "LTO-6", "--sides", "1"],
            ["pool", "create", #"\Backup"#, "--media-type", "LTO-6"],
        ] {
            #expect(try served.run(arguments).status == 0)
        }
        // The allocation waits for media; an operator cancels the request it raised.
        let waiter = Process()
        waiter.executableURL = CLI.executable
        waiter.arguments = [
            "allocate", "--pool", #"\Backup"#, "--timeout", "infinite", "--json", "--server", served.unixURL,
        ]
        waiter.environment = ProcessInfo.processInfo.environment.merging(["MEDIACTL_STORE": ""]) { $1 }
        let err = Pipe()
        waiter.standardError = err
        waiter.standardOutput = FileHandle.nullDevice
        try waiter.run()
        var requestID: String?
        for _ in 0..<100 where requestID == nil {
            Thread.sleep(forTimeInterval: 0.1)
            let open = try served.run(["requests", "--json"]).json() as? [[String: Any]] ?? []
            requestID = open.first { $0["type"] as? String == "NEWMEDIA" }?["id"] as? String
        }
        let id = try #require(requestID)
        #expect(try served.run(["request", "cancel", id]).status == 0)
        waiter.waitUntilExit()
        #expect(waiter.terminationStatus == 3)
        let body = try JSONSerialization.jsonObject(with: err.fileHandleForReading.readDataToEndOfFile())
        #expect((body as? [String: Any])?["error"] as? String == "ERROR_CANCELLED")
    }
}
