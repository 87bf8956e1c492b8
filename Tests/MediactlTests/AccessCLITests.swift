import Foundation
import Testing

@Suite struct AccessCLITests {
    @Test func aclGrantRevokeInheritAndShowChangeAndReportTheRights() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try cli.json(["init"])
        _ = try cli.json(["media-type", "add", "LTO-8", "--sides", "1"])
        _ = try cli.json(["pool", "create", "\\Backup"])
        _ = try cli.json(["pool", "create", "\\Backup\\Daily", "--media-type", "LTO-8"])
        let daily = try #require(try cli.json(["acl", "show", "--pool", "\\Backup\\Daily"]) as? [String: Any])
        #expect(daily["inherits_from"] as? String == "catalogue")
        let granted = try #require(
            try cli.json(["acl", "grant", "--group", "tape", "--rights", "use, control", "--pool", "\\Backup"])
                as? [String: Any])
        #expect(granted["inherits_from"] is NSNull)
        let entries = try #require(granted["entries"] as? [[String: Any]])
        #expect(
            entries.contains {
                $0["trustee"] as? String == "group:tape" && $0["rights"] as? [String] == ["use", "control"]
            })
        let child = try #require(try cli.json(["acl", "show", "--pool", "\\Backup\\Daily"]) as? [String: Any])
        #expect(child["inherits_from"] as? String == granted["object"] as? String)
        let all = try #require(try cli.json(["acl", "show"]) as? [[String: Any]])
        #expect(all.map { $0["name"] as? String } == ["catalogue", "\\Backup"])
        _ = try cli.json(["acl", "inherit", "--pool", "\\Backup"])
        #expect((try cli.json(["acl", "show"]) as? [[String: Any]])?.count == 1)
        // The events say who changed what.
        let history = try cli.run(["watch", "--from", "1", "--to-head"])
        #expect(history.stdout.contains("\"event\":\"AccessListChanged\""))
    }

    @Test func aclRefusesToLockEveryoneOutAndRejectsBadInputWithoutChangingAnything() throws {
        let cli = CLI()
        defer { cli.remove() }
        _ = try cli.json(["init"])
        let head = try #require(try cli.json(["audit"]) as? [String: Any])["head"] as? Int
        let me = try #require(
            (try cli.json(["acl", "show"]) as? [[String: Any]])?.first?["entries"] as? [[String: Any]])
        let trustee = try #require(me.first?["trustee"] as? String)
        let user = String(trustee.dropFirst("user:".count))
        let lockout = try cli.run(["acl", "revoke", "--user", user, "--rights", "control", "--json"])
        #expect(lockout.status == 3)
        #expect(try lockout.errorJSON()["error"] as? String == "ERROR_INVALID_OPERATION")
        #expect(try cli.run(["acl", "grant", "--user", "a", "--rights", "read"]).status == 2)
        #expect(try cli.run(["acl", "grant", "--user", "a", "--group", "b", "--rights", "use"]).status == 2)
        #expect(try cli.run(["acl", "inherit"]).status == 2)
        let missing = try cli.run(["acl", "grant", "--user", "a", "--rights", "use", "--pool", "\\Nowhere", "--json"])
        #expect(missing.status == 3)
        let hostile = try cli.run(["acl", "grant", "--user", "a\u{1B}[2J", "--rights", "use", "--json"])
        #expect(try hostile.errorJSON()["error"] as? String == "ERROR_INVALID_NAME")
        #expect(!hostile.stderr.contains("\u{1B}"))
        #expect((try cli.json(["audit"]) as? [String: Any])?["head"] as? Int == head)
    }
}
