import Foundation
import Testing

/// Query commands open the store read-only: they work for whoever may read
/// its files, on copies and on read-only mounts, and never change it.
@Suite struct ReadOnlyCLITests {
    func seeded(_ cli: CLI) throws -> String {
        _ = try cli.json(["init"])
        _ = try cli.json(["media-type", "add", "LTO-6", "--sides", "1"])
        _ = try cli.json(["library", "add", "Robot", "--slots", "4", "--drives", "1"])
        _ = try cli.json([
            "media", "add", "--media-type", "LTO-6", "--barcode", "RO0001", "--library", "Robot", "--slot", "1",
        ])
        let request = try #require(try cli.json(["request", "submit", "--message", "load tapes"]) as? [String: Any])
        return try #require(request["id"] as? String)
    }

    func requestStates(_ cli: CLI) throws -> [String] {
        try #require(try cli.json(["requests"]) as? [[String: Any]]).compactMap { $0["state"] as? String }
    }

    @Test func listingRequestsMarksNothingButAConsoleListingMarksThemActive() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try seeded(cli)
        #expect(try requestStates(cli) == ["SUBMITTED"])
        #expect(try requestStates(cli) == ["SUBMITTED"])
        let console = try #require(try cli.json(["requests", "--console"]) as? [[String: Any]])
        #expect(console.compactMap { $0["state"] as? String } == ["ACTIVE"])
        #expect(try requestStates(cli) == ["ACTIVE"])
    }

    @Test func requestDisplayMarksOneRequestAndRefusesAnUnknownOne() throws {
        let cli = CLI()
        defer { cli.remove() }
        let id = try seeded(cli)
        let shown = try #require(try cli.json(["request", "display", id]) as? [String: Any])
        #expect(shown["state"] as? String == "ACTIVE")
        let unknown = try cli.run(["request", "display", "request-999", "--json"])
        #expect(unknown.status == 3)
        #expect(try unknown.errorJSON()["error"] as? String == "ERROR_OBJECT_NOT_FOUND")
    }

    @Test func watchToHeadPrintsTheLogUpToItsHeadAndExits() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try seeded(cli)
        let head = try #require(try cli.json(["audit"]) as? [String: Any])["head"] as? Int
        let all = try cli.run(["watch", "--from", "1", "--to-head"])
        #expect(all.status == 0)
        let sequences = try all.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["sequence"] as? Int
        }
        #expect(sequences == Array(1...(head ?? 0)))
        let tail = try cli.run(["watch", "--from", "3", "--to-head"])
        #expect(tail.stdout.split(separator: "\n").count == (head ?? 0) - 2)
        let beyond = try cli.run(["watch", "--from", "1000", "--to-head"])
        #expect(beyond.status == 0)
        #expect(beyond.stdout.isEmpty)
    }

    @Test(.enabled(if: ReadOnlyMount.possible, "needs root and a read-only bind mount"))
    func queriesWorkOnAReadOnlyMountAndChangesGetAClearError() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try seeded(cli)
        let mount = try ReadOnlyMount(of: cli.store)
        defer { mount.remove() }
        let view = CLI(store: mount.path)
        let media = try #require(try view.json(["show", "media"]) as? [[String: Any]])
        #expect(media.compactMap { $0["barcode"] as? String } == ["RO0001"])
        #expect((try view.json(["audit"]) as? [String: Any])?["ok"] as? Bool == true)
        #expect(try view.run(["watch", "--from", "1", "--to-head"]).status == 0)
        let change = try view.run(["pool", "create", "\\X", "--media-type", "LTO-6", "--json"])
        #expect(change.status == 3)
        #expect(try change.errorJSON()["error"] as? String == "ERROR_ACCESS_DENIED")
        #expect((try change.errorJSON()["message"] as? String ?? "").contains("read-only file system"))
    }

    @Test(.enabled(if: AnotherUser.available, "needs root, setpriv and the nobody user"))
    func anotherUserIsToldPermissionDeniedNamingTheFileOfAPrivateStore() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try seeded(cli)
        let other = try AnotherUser()
        defer { other.remove() }
        let refused = try other.run(cli, ["show", "media", "--json"])
        #expect(refused.status == 3)
        #expect(try refused.errorJSON()["error"] as? String == "ERROR_ACCESS_DENIED")
        #expect(try refused.errorJSON()["message"] as? String == "permission denied: \(cli.store)/data.mdb")
    }

    @Test(.enabled(if: AnotherUser.available, "needs root, setpriv and the nobody user"))
    func aGroupSharedStoreAnswersTheGroupsQueriesButRefusesItsChanges() throws {
        let cli = CLI()
        defer { cli.remove() }
        let request = try seeded(cli)
        let shared = try #require(try cli.json(["init", "--group", AnotherUser.group]) as? [String: Any])
        #expect(shared["group"] as? String == AnotherUser.group)
        let before = try Data(contentsOf: URL(fileURLWithPath: cli.store + "/data.mdb"))
        let other = try AnotherUser()
        defer { other.remove() }
        for query in [
            ["show", "media"], ["history", "RO0001"], ["requests"], ["audit"], ["watch", "--from", "1", "--to-head"],
            ["checkpoint", "list"],
        ] {
            let result = try other.run(cli, query + ["--json"])
            #expect(result.status == 0, "\(query): \(result.stderr)")
        }
        for change in [
            ["pool", "create", "\\X", "--media-type", "LTO-6"], ["requests", "--console"],
            ["request", "display", request],
        ] {
            let result = try other.run(cli, change + ["--json"])
            #expect(result.status == 3, "\(change)")
            #expect(try result.errorJSON()["error"] as? String == "ERROR_ACCESS_DENIED", "\(change)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.store + "/data.mdb")) == before)
        #expect(try requestStates(cli) == ["SUBMITTED"])
    }

    @Test(.enabled(if: AnotherUser.available, "needs root, setpriv, mdb_copy and the nobody user"))
    func anotherUserReadsAnMdbCopyWithoutWritingBesideIt() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try seeded(cli)
        let copy = CLI(store: cli.store + "-copy")
        defer { copy.remove() }
        try FileManager.default.createDirectory(
            atPath: copy.store, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        try ReadOnlyMount.shell(["/usr/bin/mdb_copy", cli.store, copy.store])
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: copy.store + "/data.mdb")
        let other = try AnotherUser()
        defer { other.remove() }
        let media = try other.run(copy, ["show", "media", "--json"])
        #expect(media.status == 0, "\(media.stderr)")
        #expect(media.stdout.contains("RO0001"))
        #expect(try other.run(copy, ["audit", "--json"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: copy.store + "/lock.mdb"))
    }
}

extension CLI {
    init(store: String) { self.store = store }
}

/// Runs mediactl as the unprivileged `nobody` user (root only): a copy of the
/// binary sits where that user may run it.
struct AnotherUser {
    static let group = "nogroup"
    static let available: Bool =
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/mdb_copy") && getpwnam("nobody") != nil
        && getgrnam(group) != nil

    let directory: String
    var executable: URL { URL(fileURLWithPath: directory + "/mediactl") }

    init() throws {
        directory = NSTemporaryDirectory() + "mc-other-user-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        try FileManager.default.copyItem(atPath: CLI.executable.path, toPath: executable.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: executable.path)
    }

    func run(_ cli: CLI, _ arguments: [String]) throws -> CLI.Result {
        let user = getpwnam("nobody")!.pointee
        return try cli.run(
            arguments, environment: ["HOME": "/nonexistent"],
            launcher: [
                "/usr/bin/setpriv", "--reuid=\(user.pw_uid)", "--regid=\(getgrnam(Self.group)!.pointee.gr_gid)",
                "--clear-groups",
            ],
            executable: executable)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// A read-only bind mount of a directory (root only).
struct ReadOnlyMount {
    let path: String

    static let possible: Bool = {
        guard geteuid() == 0 else { return false }
        let probe = NSTemporaryDirectory() + "mc-mount-probe-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard let mount = try? ReadOnlyMount(of: NSTemporaryDirectory(), at: probe) else { return false }
        mount.remove()
        return true
    }()

    init(of source: String, at target: String? = nil) throws {
        path = target ?? source + "-ro"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.shell(["/bin/mount", "--bind", "-o", "ro", source, path])
    }

    func remove() {
        try? Self.shell(["/bin/umount", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    static func shell(_ command: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteNoPermission) }
    }
}
