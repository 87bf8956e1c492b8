import CatalogueJSON
import Foundation
import Testing

@testable import CatalogueDomain
@testable import CatalogueEngine
@testable import mediactl

/// Bad input of any kind gets a clear error, changes nothing, and no text
/// reaches a terminal raw.
@Suite struct HostileInputCLITests {
    /// A store with a media type, a robot with two drives and two ports, a pool and one allocated cartridge.
    private func seeded(_ cli: CLI) throws {
        try cli.run(["init"])
        try cli.run(["media-type", "add", "LTO", "--sides", "1"])
        try cli.run(["library", "add", "R", "--slots", "4", "--drives", "2", "--ports", "2", "--driver", "simulated"])
        try cli.run(["pool", "create", "\\Backup", "--media-type", "LTO", "--from-scratch"])
        try cli.run(["media", "add", "--media-type", "LTO", "--barcode", "A00001", "--library", "R", "--slot", "1"])
        try cli.run(["allocate", "--pool", "\\Backup"])
    }

    private func head(_ cli: CLI) throws -> Int? {
        (try cli.json(["audit"]) as? [String: Any])?["head"] as? Int
    }

    @Test func anArgumentThatIsNotUTF8IsAUsageErrorAndChangesNothing() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let before = try head(cli)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", #"exec "$0" media-type add "$(printf 'X\377')" --sides 1 --store "$1" 2>/dev/null"#,
            CLI.executable.path, cli.store,
        ]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(try head(cli) == before)
    }

    @Test func terminalControlsInARequestMessageAreRefused() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        for message in ["clear\u{1B}[2J", "a\rforged", "bell\u{07}", "c1\u{9B}31m", "rtl\u{202E}txt", "two\nlines"] {
            let result = try cli.run(["request", "submit", "--type", "MESSAGE", "--message", message, "--json"])
            #expect(result.status == 3, "\(message.debugDescription)")
            #expect(try result.errorJSON()["error"] as? String == "ERROR_INVALID_PARAMETER")
        }
        let listed = try cli.json(["requests"]) as? [Any]
        #expect(listed?.isEmpty == true)
    }

    @Test func aMessageLimitCountsBytesNotCharacters() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let zalgo = "a" + String(repeating: "\u{301}", count: 60_000)
        let result = try cli.run(["request", "submit", "--type", "MESSAGE", "--message", zalgo, "--json"])
        #expect(result.status == 3)
        #expect(try result.errorJSON()["error"] as? String == "ERROR_MESSAGE_EXCEEDS_MAX_SIZE")
        #expect(result.stderr.utf8.count < 1_000)
    }

    @Test func barCodesArePrintableASCII() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let before = try head(cli)
        for barcode in ["A\u{A0}1", "A\u{85}1", "A\u{2028}1", "A\u{200B}1", "A\u{202E}1", "Ä1", "A 1"] {
            let result = try cli.run([
                "media", "add", "--media-type", "LTO", "--barcode", barcode, "--library", "R", "--slot", "2", "--json",
            ])
            #expect(result.status == 3, "\(barcode.debugDescription)")
            #expect(try result.errorJSON()["error"] as? String == "ERROR_INVALID_PARAMETER")
        }
        #expect(try head(cli) == before)
    }

    @Test func namesRefuseInvisibleCharactersAndCountBytes() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        for name in ["LTO\u{200B}", "LTO\u{FFFD}", " LTO", "L\u{2066}TO", String(repeating: "é", count: 33)] {
            let result = try cli.run(["media-type", "add", name, "--sides", "1", "--json"])
            #expect(result.status == 3, "\(name.debugDescription)")
            #expect(try result.errorJSON()["error"] as? String == "ERROR_INVALID_NAME")
        }
    }

    @Test func poolPathsCompareIgnoringCase() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let result = try cli.run(["pool", "create", "\\free", "--json"])
        #expect(result.status == 3)
        #expect(try result.errorJSON()["error"] as? String == "ERROR_ALREADY_EXISTS")
        #expect(try cli.run(["pool", "create", "\\BACKUP", "--media-type", "LTO"]).status == 3)
        // A path in another case names the same pool.
        let history = try #require(try cli.json(["history", "\\backup"]) as? [[String: Any]])
        #expect(history.first?["event"] as? String == "PoolCreated")
        let pools = try #require(try cli.json(["show", "pools"]) as? [[String: Any]])
        #expect(pools.filter { ($0["path"] as? String)?.lowercased() == "\\backup" }.count == 1)
    }

    @Test func theRecordedUserIsTheKernelsAndTheApplicationIsDeclared() throws {
        let cli = CLI()
        defer { cli.remove() }
        try cli.run(["init"])
        try cli.run(
            ["media-type", "add", "LTO", "--sides", "1", "--application", "backup"], environment: ["USER": "mallory"])
        let history = try #require(try cli.json(["history", "LTO"]) as? [[String: Any]])
        let entry = try #require(history.last)
        #expect(entry["application"] as? String == "backup")
        #expect(entry["user"] as? String == currentUserName())
        #expect(entry["user"] as? String != "mallory")
    }

    @Test func misleadingErrorsNameTheRealProblem() throws {
        let cli = CLI()
        defer { cli.remove() }
        try seeded(cli)
        let port = try cli.run(["eject", "A00001", "--port", "99", "--json"])
        #expect(try port.errorJSON()["error"] as? String == "ERROR_INVALID_PARAMETER")
        #expect(try port.errorJSON()["message"] as? String == "library R has ports 1 to 2, not 99")
        let mount = try cli.run(["mount", "lmid-999", "--json"])
        #expect(try mount.errorJSON()["error"] as? String == "ERROR_INVALID_MEDIA")
        #expect(try mount.errorJSON()["message"] as? String == "no logical medium lmid-999")
        let fault = try cli.run(["simulate", "fault", "R", "stuck-in-drive", "99999", "--json"])
        #expect(fault.status == 3)
        #expect(try fault.errorJSON()["message"] as? String == "library R has drives 0 to 1, not 99999")
    }

    @Test func aNonOwnerIsToldPermissionDeniedNotInit() throws {
        // Only root can act as another user here; CI runs as root.
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
        let cli = CLI()
        defer { cli.remove() }
        try cli.run(["init"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--reuid=65534", "--regid=65534", "--clear-groups", CLI.executable.path, "show", "pools", "--store",
            cli.store, "--json",
        ]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        try process.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 3)
        let body = try JSONSerialization.jsonObject(with: stderr) as? [String: Any]
        #expect(body?["error"] as? String == "ERROR_ACCESS_DENIED")
        #expect((body?["message"] as? String)?.contains("permission denied") == true)
        #expect((body?["message"] as? String)?.contains("init") == false)
    }

    // MARK: Output of text already in a log (written before these rules, or damaged)

    @Test func historyTextEscapesEveryStoredControlAndBidiCharacter() {
        let hostile = "LTO\u{1B}[2J\r\nforged\u{202E}\u{9B}"
        let logged = LoggedEvent(
            sequence: 7, timestamp: 0, application: "app\u{07}", user: "u\u{2028}", idempotencyKey: nil,
            event: .mediaTypeRegistered(
                MediaTypeRegistered(
                    mediaType: MediaTypeID(5), name: hostile, sideCount: 1, freePool: PoolID(6), importPool: PoolID(7),
                    unrecognizedPool: PoolID(8))))
        let text = Output.terminalText(EventView(EventJSON(logged)).text)
        #expect(!text.contains("\n"))
        #expect(text.unicodeScalars.allSatisfy { TextRules.isDisplayable($0) })
        #expect(text.contains(#"LTO\u{1b}[2J\u{d}\u{a}forged\u{202e}\u{9b}"#))
        #expect(text.contains(#"app\u{7}/u\u{2028}"#))
    }

    @Test func jsonOutputEscapesWhatTheEncoderLeavesRaw() throws {
        let value = ["m": "a\u{202E}b\u{9B}c\u{2028}d\u{E0001}e"]
        let line = Output.json(value)
        #expect(line.unicodeScalars.allSatisfy { TextRules.isDisplayable($0) })
        #expect(line.contains(#"\u202e"#))
        #expect(line.contains(#"\udb40\udc01"#))
        let decoded = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
        #expect(decoded == value)
    }
}

/// A library is added whole or not at all, and an empty one can be deleted.
@Suite struct LibraryLifecycleCLITests {
    private func libraryNames(_ cli: CLI) throws -> [String] {
        let rows = try #require(try cli.json(["show", "libraries"]) as? [[String: Any]])
        return rows.compactMap { $0["name"] as? String }
    }

    @Test func aRefusedChangerLeavesNoLibraryAndTheNameFree() throws {
        let cli = CLI()
        defer { cli.remove() }
        try cli.run(["init"])
        let refused = try cli.run([
            "library", "add", "Lib", "--slots", "4", "--drives", "1", "--driver", "mtx", "--device", "sg3", "--json",
        ])
        #expect(refused.status == 3)
        #expect(try refused.errorJSON()["error"] as? String == "ERROR_INVALID_PARAMETER")
        #expect(try !libraryNames(cli).contains("Lib"))
        #expect(try cli.run(["library", "add", "Lib", "--slots", "4", "--drives", "1"]).status == 0)
        // The changer can be given afterwards.
        let set = try #require(try cli.json(["library", "set", "Lib", "--driver", "simulated"]) as? [String: Any])
        #expect(set["changer"] as? String == "simulated")
    }

    @Test func anEmptyLibraryIsDeletedAndOneHoldingMediaIsNot() throws {
        let cli = CLI()
        defer { cli.remove() }
        try cli.run(["init"])
        try cli.run(["media-type", "add", "LTO", "--sides", "1"])
        try cli.run(["library", "add", "Full", "--slots", "4", "--drives", "1"])
        try cli.run(["library", "add", "Empty", "--slots", "4", "--drives", "2"])
        try cli.run(["media", "add", "--media-type", "LTO", "--barcode", "A00001", "--library", "Full", "--slot", "1"])
        let refused = try cli.run(["library", "delete", "Full", "--json"])
        #expect(refused.status == 3)
        #expect(try refused.errorJSON()["error"] as? String == "ERROR_NOT_EMPTY")
        #expect(try cli.run(["library", "delete", "Empty"]).status == 0)
        #expect(try libraryNames(cli).contains("Full"))
        #expect(try !libraryNames(cli).contains("Empty"))
        // Its name is free again, and the log still audits.
        #expect(try cli.run(["library", "add", "Empty", "--slots", "2", "--drives", "1"]).status == 0)
        #expect((try cli.json(["audit"]) as? [String: Any])?["ok"] as? Bool == true)
    }
}

/// Where a store lives when no command names one.
@Suite struct DefaultStoreTests {
    @Test func theDefaultStoreDoesNotDependOnTheWorkingDirectory() {
        #expect(StoreOptions.defaultStore(uid: 0) == "/var/lib/mediacatalogue")
        // nobody's home comes from the password database, whatever $HOME says.
        let home = FileManager.default.homeDirectory(forUser: "nobody")?.path ?? "?"
        #expect(StoreOptions.defaultStore(uid: 65534) == home + "/.local/share/mediacatalogue")
    }
}
