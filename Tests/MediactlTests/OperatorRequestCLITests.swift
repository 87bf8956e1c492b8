import Foundation
import Testing

/// A `mediactl` process left running, whose output is read as it comes.
final class RunningCLI: @unchecked Sendable {
    let process = Process()
    private let out = Pipe()
    private let err = Pipe()
    private var errBuffer = ""
    private var outBuffer = ""

    /// `launcher` runs mediactl through another program (its path first, then its arguments).
    init(_ arguments: [String], store: String, launcher: [String] = [], watchdog seconds: Double = 60) throws {
        if let program = launcher.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = launcher.dropFirst() + [CLI.executable.path] + arguments + ["--store", store]
        } else {
            process.executableURL = CLI.executable
            process.arguments = arguments + ["--store", store]
        }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // A test that waits for output that never comes fails instead of hanging the suite.
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [process] in
            if process.isRunning { _ = Foundation.kill(pid, SIGKILL) }
        }
    }

    /// Reads stderr until a line contains `text` (or the process ends).
    func waitForStderrLine(containing text: String) -> String? {
        while true {
            if let line = errBuffer.split(separator: "\n").first(where: { $0.contains(text) }) {
                errBuffer = errBuffer.replacingOccurrences(of: String(line), with: "")
                return String(line)
            }
            let data = err.fileHandleForReading.availableData
            if data.isEmpty { return nil }
            errBuffer += String(decoding: data, as: UTF8.self)
        }
    }

    /// Reads stdout until `count` lines have arrived.
    func stdoutLines(_ count: Int) -> [String] {
        while outBuffer.split(separator: "\n").count < count {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { break }
            outBuffer += String(decoding: data, as: UTF8.self)
        }
        return outBuffer.split(separator: "\n").prefix(count).map(String.init)
    }

    /// Waits for the process to end; returns its status and the rest of its output.
    func finish() -> (status: Int32, stdout: String, stderr: String) {
        let stdout = outBuffer + String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = errBuffer + String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    func kill(_ signal: Int32) { _ = Foundation.kill(process.processIdentifier, signal) }
}

@Suite struct OperatorRequestCLITests {
    func seeded(_ cli: CLI) throws {
        _ = try cli.json(["init"])
        _ = try cli.json(["media-type", "add", "LTO-6", "--sides", "1"])
        _ = try cli.json(["library", "add", "Robot", "--slots", "4", "--drives", "1"])
        _ = try cli.json(["pool", "create", "\\Jobs", "--media-type", "LTO-6", "--from-scratch"])
    }

    /// The request id named on a waiting allocation's stderr line.
    func requestID(in line: String?) throws -> String {
        let line = try #require(line)
        let word = try #require(line.split(separator: " ").first { $0.hasPrefix("request-") })
        return String(word)
    }

    @Test func aWaitingAllocationGetsMediaAnotherProcessAdds() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let waiter = try RunningCLI(["allocate", "--pool", "\\Jobs", "--timeout", "60000", "--json"], store: cli.store)
        _ = try requestID(in: waiter.waitForStderrLine(containing: "waiting on"))
        _ = try cli.json([
            "media", "add", "--media-type", "LTO-6", "--barcode", "NEW001", "--library", "Robot", "--slot", "1",
        ])
        let result = waiter.finish()
        #expect(result.status == 0)
        #expect(result.stdout.contains("\"barcode\":\"NEW001\""))
        let requests = try #require(try cli.json(["requests"]) as? [[String: Any]])
        #expect(requests.first?["state"] as? String == "COMPLETE")
        #expect(requests.first?["pool"] as? String == "\\Jobs")
        #expect(requests.first?["type"] as? String == "NEWMEDIA")
    }

    @Test func anOperatorSatisfyingFromAnotherProcessMakesTheWaiterSearchAgain() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let waiter = try RunningCLI(["allocate", "--pool", "\\Jobs", "--timeout", "60000", "--json"], store: cli.store)
        let first = try requestID(in: waiter.waitForStderrLine(containing: "waiting on"))
        _ = try cli.json(["request", "satisfy", first])
        // Still nothing qualifies: a fresh request for the time that is left.
        let second = try requestID(in: waiter.waitForStderrLine(containing: "waiting on"))
        #expect(second != first)
        let cancelled = try cli.json(["request", "cancel", second]) as? [String: Any]
        #expect(cancelled?["state"] as? String == "REFUSED")
        let result = waiter.finish()
        #expect(result.status == 3)
        #expect(result.stderr.contains("ERROR_CANCELLED"))
    }

    @Test func aWaiterKilledWithSigkillHasItsRequestClosedOnTheNextWritingOpen() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let waiter = try RunningCLI(["allocate", "--pool", "\\Jobs", "--timeout", "infinite"], store: cli.store)
        let request = try requestID(in: waiter.waitForStderrLine(containing: "waiting on"))
        waiter.kill(SIGKILL)
        _ = waiter.finish()
        // A plain listing only reads; a console's listing opens the store for writing, which reaps.
        let listed = try #require(try cli.json(["requests", "--all"]) as? [[String: Any]])
        #expect(listed.first { $0["id"] as? String == request }?["state"] as? String == "SUBMITTED")
        let requests = try #require(try cli.json(["requests", "--all", "--console"]) as? [[String: Any]])
        let closed = try #require(requests.first { $0["id"] as? String == request })
        #expect(closed["state"] as? String == "REFUSED")
        #expect(closed["close_reason"] as? String == "waiter-gone")
    }

    @Test func aWaiterInAnotherPidNamespaceIsAliveWhileItWaitsAndGoneWhenKilled() throws {
        // A container's pid namespace: only root may make one here; CI runs as root.
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return }
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let waiter = try RunningCLI(
            ["allocate", "--pool", "\\Jobs", "--timeout", "infinite"], store: cli.store,
            launcher: ["/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL"])
        let request = try requestID(in: waiter.waitForStderrLine(containing: "waiting on"))
        func state() throws -> (String?, String?) {
            let requests = try #require(try cli.json(["requests", "--all", "--console"]) as? [[String: Any]])
            let found = requests.first { $0["id"] as? String == request }
            return (found?["state"] as? String, found?["close_reason"] as? String)
        }
        // Every writing open on the host reaps dead waiters: this one is not dead.
        for _ in 0..<3 { #expect(try state().1 == nil) }
        #expect(try state().0 != "REFUSED")
        waiter.kill(SIGKILL)
        _ = waiter.finish()
        let (closedState, reason) = try state()
        #expect(closedState == "REFUSED")
        #expect(reason == "waiter-gone")
    }

    @Test func requestWaitReturnsWhenAnotherProcessSatisfies() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let submitted = try #require(
            try cli.json(["request", "submit", "--message", "Open the mail slot"]) as? [String: Any])
        let id = try #require(submitted["id"] as? String)
        #expect(submitted["type"] as? String == "MESSAGE")
        #expect(submitted["state"] as? String == "SUBMITTED")
        let timedOut = try cli.run(["request", "wait", id, "--timeout", "0", "--json"])
        #expect(timedOut.status == 3)
        #expect(try timedOut.errorJSON()["error"] as? String == "ERROR_TIMEOUT")
        // Generous: under AddressSanitizer each of the processes below takes seconds to start.
        let waiter = try RunningCLI(["request", "wait", id, "--timeout", "120000", "--json"], store: cli.store)
        _ = try cli.json(["request", "ack", id])
        _ = try cli.json(["request", "satisfy", id])
        let result = waiter.finish()
        #expect(result.status == 0)
        #expect(result.stdout.contains("\"state\":\"COMPLETE\""))
        let again = try cli.run(["request", "satisfy", id, "--json"])
        #expect(try again.errorJSON()["error"] as? String == "ERROR_INVALID_STATE")
    }

    @Test func watchPrintsCommittedEventsAsJSONLines() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let watcher = try RunningCLI(["watch", "--from", "1"], store: cli.store)
        _ = try cli.json(["media", "add", "--media-type", "LTO-6", "--barcode", "W0001", "--offline"])
        let lines = watcher.stdoutLines(6)
        watcher.kill(SIGTERM)
        _ = watcher.finish()
        let events = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(events.map { $0?["sequence"] as? Int } == [1, 2, 3, 4, 5, 6])
        #expect(events.first??["event"] as? String == "CatalogueCreated")
        #expect(events.last??["event"] as? String == "MediumImported")
        #expect((events.last??["fields"] as? [String: Any])?["barcode"] as? String == "W0001")
    }
}
