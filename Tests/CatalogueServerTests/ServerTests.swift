import AsyncHTTPClient
import CatalogueClient
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import CatalogueServer
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@Suite(.serialized) struct ServerTests {
    @Test func unixCallersAreTheirOSUserAndTCPCallersNeedAValidToken() async throws {
        let server = try await TestServer.start()
        do {
            // The Unix socket's peer is this process's user: the store's administrator.
            #expect(try await server.call(.GET, "/v1/pools").status == 200)
            let anonymous = try await server.call(.GET, "/v1/pools", via: .tcp(token: nil))
            #expect(anonymous.status == 401)
            #expect(anonymous.error == "ERROR_ACCESS_DENIED")
            #expect(anonymous.headers.first(name: "WWW-Authenticate")?.hasPrefix("Bearer") == true)
            let alice = try await server.token(for: "alice", groups: ["tape"])
            let refused = try await server.call(.GET, "/v1/pools", via: .tcp(token: alice))
            #expect(refused.status == 403)
            #expect((refused.object["message"] as? String)?.contains("needs use on the catalogue") == true)
            try await server.grant(.use, to: .group("tape"), on: .catalogue)
            #expect(try await server.call(.GET, "/v1/pools", via: .tcp(token: alice)).status == 200)
            for forged in [alice + "0", "mct_" + String(repeating: "0", count: 64), "Basic abc", ""] {
                let answer = try await server.call(
                    .GET, "/v1/pools", via: .tcp(token: nil), headers: [("Authorization", "Bearer " + forged)])
                #expect(answer.status == 401)
                #expect(!answer.body.contains(forged.isEmpty ? "\u{0}" : forged))
            }
            // Revoked at once, and the revocation is an event.
            let id = try #require(server.catalogue.snapshot.state.tokens.values.first?.id)
            let admin = try server.catalogue.session(application: "setup", principal: OSAccounts.currentPrincipal())
            try await admin.revokeToken(id)
            #expect(try await server.call(.GET, "/v1/pools", via: .tcp(token: alice)).status == 401)
            // An expired token is refused too (3 s of life: sanitized runs are slow).
            try await server.grant(.use, to: .user("bob"), on: .catalogue)
            let expiry = server.catalogue.now + 3_000_000_000
            let brief = try await server.token(for: "bob", expires: expiry)
            let before = try await server.call(.GET, "/v1/pools", via: .tcp(token: brief)).status
            if server.catalogue.now < expiry { #expect(before == 200) }
            while server.catalogue.now < expiry { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await server.call(.GET, "/v1/pools", via: .tcp(token: brief)).status == 401)
            // Only a hash was stored.
            let issued = try #require(
                server.catalogue.snapshot.state.tokens.values.first { $0.principal.user == "bob" })
            #expect(issued.secretHash.count == 32)
        } catch {
            Issue.record(error)
        }
        await server.stop()
    }

    @Test func commandsActForTheCallerAndRefusalsAreRecorded() async throws {
        let server = try await TestServer.start()
        do {
            let alice = try await server.token(for: "alice")
            let denied = try await server.call(
                .POST, "/v1/allocations", body: #"{"pool":"\\Backup"}"#, via: .tcp(token: alice))
            #expect(denied.status == 403)
            #expect(denied.error == "ERROR_ACCESS_DENIED")
            #expect(denied.object["code"] as? Int == 5)
            let state = server.catalogue.snapshot.state
            #expect(state.accessDenialCount == 1)
            let pool = try #require(state.pool(atPath: "\\Backup")?.id)
            let free = try #require(state.mediaTypes.values.first?.freePool)
            try await server.grant(.control, to: .user("alice"), on: .pool(pool))
            try await server.grant(.use, to: .user("alice"), on: .pool(free))
            let allocated = try await server.call(
                .POST, "/v1/allocations", body: #"{"pool":"\\Backup"}"#, via: .tcp(token: alice),
                headers: [("Idempotency-Key", "job-1"), ("MediaCatalogue-Application", "backup")])
            #expect(allocated.status == 201)
            let lmid = try #require(allocated.object["lmid"] as? String)
            // A retry with the same key answers the same allocation.
            let retried = try await server.call(
                .POST, "/v1/allocations", body: #"{"pool":"\\Backup"}"#, via: .tcp(token: alice),
                headers: [("Idempotency-Key", "job-1"), ("MediaCatalogue-Application", "backup")])
            #expect(retried.object["lmid"] as? String == lmid)
            let events = try server.catalogue.events(from: 1, through: server.catalogue.snapshot.head.sequence)
            let allocation = try #require(events.last { $0.event.type == .sideAllocated })
            #expect(allocation.user == "alice" && allocation.application == "backup")
            #expect(events.contains { $0.event.type == .accessDenied && $0.user == "alice" })
            let deallocated = try await server.call(.POST, "/v1/lmids/\(lmid)/deallocate", via: .tcp(token: alice))
            #expect(deallocated.status == 200)
            #expect(deallocated.object["state"] as? String == "AVAILABLE")
        } catch {
            Issue.record(error)
        }
        await server.stop()
    }

    @Test func hostileRequestsGetAClearErrorChangeNothingAndTheServerServesOn() async throws {
        let server = try await TestServer.start()
        do {
            let head = server.catalogue.snapshot.head.sequence
            let cases: [(String, String, String?, Int)] = [
                ("POST", "/v1/allocations", #"{"pool": "\\Backup""#, 400),
                ("POST", "/v1/allocations", #"["pool"]"#, 400),
                ("POST", "/v1/allocations", #"{"pool":"\\Backup","bogus":true}"#, 400),
                ("POST", "/v1/allocations", #"{"pool":7}"#, 400),
                ("POST", "/v1/allocations", #"{"pool":"\\Backup","timeout_ms":-1}"#, 400),
                ("POST", "/v1/allocations", #"{"pool":"medium-12"}"#, 404),
                ("POST", "/v1/allocations", #"{"pool":"\u001b[2J"}"#, 404),
                ("POST", "/v1/allocations", "{\"pool\":\"\u{1B}[2J\"}", 400),
                ("POST", "/v1/media-types", #"{"name":"X","sides":3}"#, 400),
                ("GET", "/v1/pools/..%2F..%2Fetc%2Fpasswd", nil, 404),
                ("GET", "/v1/pools/medium-12", nil, 404),
                ("GET", "/v1/requests/request-x/wait", nil, 404),
                ("GET", "/v1/nothing-here", nil, 404),
                ("DELETE", "/v1/tokens/token-99999", nil, 404),
                ("GET", "/v1/pools?as_of=yesterday", nil, 400),
                ("GET", "/v1/pools/%ZZ", nil, 404),
                ("GET", "/v1/media?colour=red", nil, 400),
                ("GET", "/v1/reports/idle?days=99999", nil, 400),
                ("GET", "/v1/reports/near-max?within=-1", nil, 400),
                ("GET", "/v1/sides?pool=%5CNowhere", nil, 404),
            ]
            for (method, path, body, status) in cases {
                let answer = try await server.call(HTTPMethod(rawValue: method), path, body: body)
                #expect(answer.status == status, "\(method) \(path) \(body ?? ""): \(answer.body)")
                #expect(answer.object["code"] is Int, "\(method) \(path): \(answer.body)")
                #expect(!answer.body.contains("\u{1B}"))
            }
            let large = "{\"pool\":\"" + String(repeating: "x", count: 70_000) + "\"}"
            let tooLarge = try await server.call(.POST, "/v1/allocations", body: large)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.error == "ERROR_INVALID_PARAMETER")
            #expect(server.catalogue.snapshot.head.sequence == head)
            #expect(try await server.call(.GET, "/v1/pools").status == 200)
        } catch {
            Issue.record(error)
        }
        await server.stop()
    }

    @Test func aClientThatLeavesAWaitingAllocationAbandonsIt() async throws {
        let server = try await TestServer.start(media: 0)
        do {
            let waiter = Task {
                try await server.call(.POST, "/v1/allocations", body: #"{"pool":"\\Backup","timeout_ms":60000}"#)
            }
            var request: OperatorRequest?
            for _ in 0..<200 where request == nil {
                try await Task.sleep(for: .milliseconds(20))
                request = server.catalogue.snapshot.state.requests.values.first { $0.state.isOpen }
            }
            let open = try #require(request)
            waiter.cancel()
            _ = try? await waiter.value
            var closed: OperatorRequest?
            for _ in 0..<200 {
                try await Task.sleep(for: .milliseconds(20))
                if let now = server.catalogue.snapshot.state.requests[open.id], !now.state.isOpen {
                    closed = now
                    break
                }
            }
            #expect(closed?.state == .refused)
            #expect(closed?.closeReason == .sessionClosed)
        } catch {
            Issue.record(error)
        }
        await server.stop()
    }

    @Test func stoppingTheServerAnswersAWaitingAllocationWithCancelled() async throws {
        let server = try await TestServer.start(media: 0)
        let waiter = Task {
            try await server.call(.POST, "/v1/allocations", body: #"{"pool":"\\Backup","timeout_ms":60000}"#)
        }
        for _ in 0..<200 where server.catalogue.snapshot.state.openRequestIDs.isEmpty {
            try await Task.sleep(for: .milliseconds(20))
        }
        // Stopping the client too would cancel the request before its answer is read.
        await server.requestShutdown()
        let answer = try await waiter.value
        #expect(answer.status == 409)
        #expect(answer.error == "ERROR_CANCELLED")
        await server.stop()
    }

    @Test func theEventStreamResumesAfterTheLastEventID() async throws {
        let server = try await TestServer.start()
        do {
            let head = server.catalogue.snapshot.head.sequence
            var request = HTTPClientRequest(
                url: URL(httpURLWithSocketPath: server.socket, uri: "/v1/events")!.absoluteString)
            request.headers.add(name: "Last-Event-ID", value: "\(head - 2)")
            let response = try await server.client.execute(request, timeout: .seconds(10))
            #expect(response.headers.first(name: "Content-Type") == "text/event-stream")
            var text = ""
            var ids: [UInt64] = []
            for try await chunk in response.body {
                text += String(buffer: chunk)
                ids = text.split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap { UInt64($0.dropFirst(4)) }
                if ids.count >= 3 { break }
                if ids.count == 2 {
                    // A new commit arrives as it happens.
                    let admin = try server.catalogue.session(application: "t", principal: OSAccounts.currentPrincipal())
                    _ = try await admin.submitRequest(.message, message: "hello")
                }
            }
            #expect(ids == [head - 1, head, head + 1])
            #expect(text.contains("event: OperatorRequestSubmitted"))
        } catch {
            Issue.record(error)
        }
        await server.stop()
    }

    @Test func metricsAreServedInPrometheusTextForAReader() async throws {
        let server = try await TestServer.start()
        do {
            #expect(try await server.call(.POST, "/v1/allocations", body: #"{"pool":"\\Backup"}"#).status == 201)
            let metrics = try await server.call(.GET, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
            #expect(metrics.body.contains(#"mediacatalogue_allocations_total{pool="\\Backup"} 1"#))
            #expect(metrics.body.contains(#"mediacatalogue_scratch_sides{media_type="LTO"} 3"#))
            #expect(metrics.body.contains("mediacatalogue_commit_duration_seconds_bucket"))
            // The alert rules docs/operations.md offers name metrics a scrape really has.
            let operations = try String(
                contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent("docs/operations.md"), encoding: .utf8)
            let alerted = operations.split(separator: "\n").compactMap { line -> String? in
                guard let expr = line.range(of: "expr: ") else { return nil }
                return line[expr.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }.description
            }
            #expect(alerted.count == 4)
            for name in alerted {
                #expect(metrics.body.contains("\n\(name){") || metrics.body.contains("\n\(name) "), "\(name)")
            }
            let outsider = try await server.token(for: "mallory")
            #expect(try await server.call(.GET, "/metrics", via: .tcp(token: outsider)).status == 403)
        } catch {
            Issue.record(error)
        }
        await server.stop()
    }

    @Test func theOpenAPIDocumentIsTheOneInDocsAndDescribesEveryRoute() async throws {
        let server = try await TestServer.start()
        do {
            let served = try await server.call(.GET, "/v1/openapi.json")
            #expect(served.status == 200)
            let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("docs/openapi.json")
            let committed = try String(contentsOf: docs, encoding: .utf8)
            #expect(served.body == committed, "docs/openapi.json is stale: regenerate it (docs/operations.md says how)")
            let document = try #require(served.json as? [String: Any])
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
            for route in CatalogueServer.routes {
                #expect(paths[route.path]?[route.method.rawValue] != nil, "\(route.path) missing")
                #expect(schemas[route.response] != nil, "\(route.response) has no schema")
                if let body = route.body { #expect(schemas[body] != nil, "\(body) has no schema") }
                // The router knows the route: whatever the handler says, it is not "no such route".
                let path = route.path.replacingOccurrences(
                    of: #"\{[a-z]+\}"#, with: "none", options: .regularExpression)
                let method = HTTPMethod(rawValue: route.method.rawValue.uppercased())
                guard route.path != "/v1/events" else { continue }
                let answer = try await server.call(method, path, body: route.body == nil ? nil : "{}")
                #expect(answer.object["message"] as? String != "no such route", "\(route.method) \(route.path)")
            }
        } catch {
            Issue.record(error)
        }
        await server.stop()
    }

    @Test func aListenerBeyondLoopbackNeedsTLSOrInsecure() throws {
        var configuration = ServerConfiguration(listeners: [.tcp(host: "0.0.0.0", port: 8080)])
        #expect(throws: NtmsError.self) { try CatalogueServer.validate(configuration) }
        configuration.insecure = true
        #expect(throws: Never.self) { try CatalogueServer.validate(configuration) }
        let tls = ServerConfiguration(listeners: [.tcp(host: "0.0.0.0", port: 8080)], tlsCertificate: "c", tlsKey: "k")
        #expect(throws: Never.self) { try CatalogueServer.validate(tls) }
        let half = ServerConfiguration(listeners: [.unix(path: "/tmp/x")], tlsCertificate: "c")
        #expect(throws: NtmsError.self) { try CatalogueServer.validate(half) }
        #expect(throws: NtmsError.self) { try ServerListener(parsing: "example.com") }
        #expect(try ServerListener(parsing: "[::1]:80") == .tcp(host: "::1", port: 80))
        #expect(try ServerListener(parsing: "unix:/run/mc.sock") == .unix(path: "/run/mc.sock"))
    }

    @Test func tlsServesTheAPIOverTCP() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mc-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        #expect(openssl.terminationStatus == 0)
        let server = try await TestServer.start(tls: (certificate, key))
        do {
            let token = try await server.token(for: "root-reader")
            try await server.grant(.use, to: .user("root-reader"), on: .catalogue)
            let answer = try await server.call(.GET, "/v1/version", via: .tcp(token: token), scheme: "https")
            #expect(answer.status == 200)
            #expect(answer.object["schema_version"] as? Int == 1)
            await #expect(throws: (any Error).self) {
                _ = try await server.call(.GET, "/v1/version", via: .tcp(token: token), scheme: "http")
            }
            // `mediactl --server https://… --server-ca cert.pem` trusts the server's own certificate.
            let client = try CatalogueClient(
                endpoint: try ServerEndpoint("https://\(server.tcp)"), token: token, trustedCertificates: certificate,
                application: "tls-test")
            let version: VersionJSON = try await client.get("/v1/version")
            #expect(version.schema_version == 1)
            let untrusting = try CatalogueClient(
                endpoint: try ServerEndpoint("https://\(server.tcp)"), token: token, application: "tls-test")
            await #expect(throws: NtmsError.self) { let _: VersionJSON = try await untrusting.get("/v1/version") }
            await client.shutdown()
            await untrusting.shutdown()
        } catch {
            Issue.record(error)
        }
        await server.stop()
    }
}

@Suite(.serialized) struct ServerLoadTests {
    /// A client process holds 10,000 idle connections and one slow-loris
    /// connection that sends its request head a byte at a time.
    static let idleClients = #"""
        import resource, socket, sys, time
        resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
        host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        idle = [socket.create_connection((host, port)) for _ in range(count)]
        slow = socket.create_connection((host, port))
        slow.sendall(b"GET /v1/ping HTTP/1.1\r\nHost: x\r\n")
        print("open", flush=True)
        cut = False
        for _ in range(16):
            time.sleep(0.5)
            try:
                slow.sendall(b"X")
            except OSError:
                cut = True
                break
        if not cut:
            slow.setblocking(False)
            try:
                cut = slow.recv(1) == b""
            except BlockingIOError:
                cut = False
            except OSError:
                cut = True
        closed = 0
        for s in idle:
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    closed += 1
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
        print("slow-cut" if cut else "slow-open", closed, flush=True)
        """#

    /// A client that sends a complete head and then its body a byte at a time,
    /// printing the status line and body of whatever answer it gets.
    static let tricklingBody = #"""
        import select, socket, sys
        host, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        s = socket.create_connection((host, port))
        s.sendall(("POST /v1/allocations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                   "\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{").encode())
        for _ in range(20):
            if select.select([s], [], [], 0.4)[0]:
                break
            try:
                s.sendall(b" ")
            except OSError:
                break
        s.settimeout(10)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < int(
                    [line.split(b":")[1] for line in answer.split(b"\r\n")
                     if line.lower().startswith(b"content-length:")][0]):
                part = s.recv(4096)
                if not part:
                    break
                answer += part
        except (OSError, IndexError):
            pass
        head, _, body = answer.partition(b"\r\n\r\n")
        print(head.split(b"\r\n")[0].decode() if head else "no answer", flush=True)
        print(body.decode(errors="replace").replace("\n", " "), flush=True)
        """#

    /// One line of a child's output, read off the concurrency pool (the read blocks).
    static func line(from handle: FileHandle) async -> String? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                while true {
                    let byte = handle.readData(ofLength: 1)
                    guard let first = byte.first else { break }
                    if first == UInt8(ascii: "\n") { break }
                    bytes.append(first)
                }
                continuation.resume(returning: bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    @Test func aBodyThatTricklesPastTheBodyTimeoutIsRefusedWithTimeoutAndChangesNothing() async throws {
        let server = try await TestServer.start()
        do {
            let token = try await server.token(for: "allocator")
            try await server.grant([.use, .modify], to: .user("allocator"), on: .catalogue)
            let head = server.catalogue.snapshot.head.sequence
            let port = try #require(server.tcp.split(separator: ":").last.map(String.init))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", Self.tricklingBody, "127.0.0.1", port, token]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let reader = output.fileHandleForReading
            let status = await Self.line(from: reader) ?? ""
            let body = await Self.line(from: reader) ?? ""
            process.waitUntilExit()
            // The body timeout is 2 s here; the client would need 8 s to send its 200 bytes.
            #expect(status.hasPrefix("HTTP/1.1 408"), "\(status)")
            let error = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            #expect(error?["error"] as? String == "ERROR_TIMEOUT", "\(body)")
            #expect(error?["code"] as? Int == 1460)
            #expect(server.catalogue.snapshot.head.sequence == head)
            #expect(try await server.call(.GET, "/v1/ping", via: .tcp(token: token)).status == 200)
        } catch {
            Issue.record(error)
        }
        await server.stop()
    }

    @Test func tenThousandIdleConnectionsAndASlowClientAreClosedWhileOthersAreServed() async throws {
        let server = try await TestServer.start()
        do {
            let token = try await server.token(for: "reader")
            try await server.grant(.use, to: .user("reader"), on: .catalogue)
            let port = try #require(server.tcp.split(separator: ":").last.map(String.init))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", Self.idleClients, "127.0.0.1", port, "10000"]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let reader = output.fileHandleForReading
            #expect(await Self.line(from: reader) == "open")
            // The server still answers while 10,001 connections sit on it.
            let answer = try await server.call(.GET, "/v1/ping", via: .tcp(token: token))
            #expect(answer.status == 200)
            let verdict = await Self.line(from: reader) ?? ""
            process.waitUntilExit()
            // Idle connections and the trickling head are closed after the idle timeout (4 s here).
            #expect(verdict == "slow-cut 10000", "\(verdict)")
            #expect(try await server.call(.GET, "/v1/ping", via: .tcp(token: token)).status == 200)
        } catch {
            Issue.record(error)
        }
        await server.stop()
    }
}
