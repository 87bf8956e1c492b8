import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation
import NIOCore
import Testing

@testable import CatalogueClient

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ClientAddressTests {
    @Test func serverAddressesAreUnixSocketsOrHTTPOriginsAndNothingElse() throws {
        #expect(try ServerEndpoint("unix:/run/mediacatalogue/api.sock") == .unix(path: "/run/mediacatalogue/api.sock"))
        #expect(try ServerEndpoint("http://127.0.0.1:8080") == .tcp(base: "http://127.0.0.1:8080"))
        #expect(try ServerEndpoint("HTTPS://appliance.example:8443/") == .tcp(base: "https://appliance.example:8443"))
        #expect(try ServerEndpoint("http://[::1]:80") == .tcp(base: "http://[::1]:80"))
        #expect(try ServerEndpoint("https://appliance.example:8443").isTLS)
        for refused in [
            "", "unix:", "ftp://host", "http://", "http://user:pw@host", "http://host/v1", "http://host?x=1", "host:80",
        ] {
            #expect(throws: NtmsError.self, "\(refused)") { try ServerEndpoint(refused) }
        }
    }

    @Test func eachPathSegmentIsEncodedOnItsOwn() {
        #expect((APIPath("/v1/pools") + #"\Backup\Daily"#).encoded == "/v1/pools/%5CBackup%5CDaily")
        #expect((APIPath("/v1/libraries") + "a/b" + "drives").encoded == "/v1/libraries/a%2Fb/drives")
        #expect((APIPath("/v1/media") + "../etc").encoded == "/v1/media/..%2Fetc")
        #expect((APIPath("/v1/sides") + "T1:A").encoded == "/v1/sides/T1%3AA")
        #expect(APIPath("/v1/media").with(query: [("pool", #"\A B"#)]) == "/v1/media?pool=%5CA%20B")
        #expect(
            ServerEndpoint.unix(path: "/tmp/a b.sock").url("/v1/ping") == "http+unix://%2Ftmp%2Fa%20b%2Esock/v1/ping")
    }

    @Test func theEventStreamIsSplitIntoEventsWhereverTheBuffersEnd() {
        var parser = EventStreamParser()
        let body =
            "id: 1\nevent: SideAllocated\ndata: {\"sequence\":1}\n\n: alive\n\n"
            + "id: 2\nevent: SideDeallocated\ndata: {\"sequence\":2}\n\nevent: end\ndata: {\"reason\":\"the catalogue closed\"}\n\n"
        var items: [EventStreamParser.Item] = []
        let bytes = Array(body.utf8)
        // Three bytes at a time: lines and events cross every buffer boundary.
        for start in stride(from: 0, to: bytes.count, by: 3) {
            items += parser.feed(ByteBuffer(bytes: bytes[start..<min(start + 3, bytes.count)]))
        }
        #expect(items == [.event(#"{"sequence":1}"#), .event(#"{"sequence":2}"#), .end("the catalogue closed")])
    }
}

@Suite struct ClientPatienceTests {
    @Test func aServerThatNeverAnswersIsATimeoutNotAHang() async throws {
        // A socket that listens but never accepts: the kernel completes the connection, nobody answers.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(listener, generic, length) == 0 && listen(listener, 8) == 0
                    && getsockname(listener, generic, &length) == 0
            }
        }
        #expect(bound)
        let port = UInt16(bigEndian: address.sin_port)
        let client = try CatalogueClient(
            endpoint: try ServerEndpoint("http://127.0.0.1:\(port)"), token: "mct_x", application: "patience-test")
        do {
            let _: [PoolJSON] = try await client.get("/v1/pools", patience: .seconds(1))
            Issue.record("nothing answered")
        } catch {
            #expect(error.code == .timeout)
            #expect(error.message.contains("did not answer within"))
        }
        await client.shutdown()
    }
}

@Suite(.serialized) struct ClientAgainstServerTests {
    @Test func listingsAndCommandsRoundTripWithNamesThatNeedEncoding() async throws {
        let server = try await TestServer.start(media: 3)
        let client = try CatalogueClient(endpoint: .unix(path: server.socket), token: nil, application: "client-test")
        do {
            let pool: PoolJSON = try await client.get(APIPath("/v1/pools") + #"\Backup"#)
            #expect(pool.path == #"\Backup"#)
            let allocation: AllocationJSON = try await client.send(
                .POST, "/v1/allocations", body: AllocationBody(pool: #"\Backup"#), idempotencyKey: "once")
            let again: AllocationJSON = try await client.send(
                .POST, "/v1/allocations", body: AllocationBody(pool: #"\Backup"#), idempotencyKey: "once")
            #expect(again.lmid == allocation.lmid)
            let allocated: [SideJSON] = try await client.get(
                "/v1/sides", query: [("pool", #"\Backup"#), ("state", "allocated")])
            #expect(allocated.map(\.id) == [allocation.side])
            let slots: [SlotJSON] = try await client.get(APIPath("/v1/libraries") + "Robot" + "slots")
            #expect(slots.filter { $0.medium != nil }.count == 3)
            // The log's application is the client's.
            let history: [EventJSON] = try await client.get(APIPath("/v1/history") + allocation.lmid)
            #expect(history.last?.application == "client-test")
            #expect(history.last?.idempotency_key == "once")
            // A server's refusal arrives as the same NTMS error.
            await #expect(throws: NtmsError(.invalidMediaPool, #"no pool \Nowhere"#)) {
                let _: AllocationJSON = try await client.send(
                    .POST, "/v1/allocations", body: AllocationBody(pool: #"\Nowhere"#))
            }
        } catch {
            Issue.record(error)
        }
        await client.shutdown()
        await server.stop()
    }

    @Test func theEventDumpEndsAtTheHeadTheServerHadWhenAsked() async throws {
        let server = try await TestServer.start(media: 2)
        let client = try CatalogueClient(endpoint: .unix(path: server.socket), token: nil, application: "client-test")
        do {
            let head = server.catalogue.snapshot.head.sequence
            var sequences: [UInt64] = []
            for try await line in client.events(from: nil, toHead: true) {
                let event = try JSONDecoder().decode(EventJSON.self, from: Data(line.utf8))
                sequences.append(event.sequence)
            }
            #expect(sequences == Array(1...head))
            var tail: [UInt64] = []
            for try await line in client.events(from: head - 1, toHead: true) {
                tail.append(try JSONDecoder().decode(EventJSON.self, from: Data(line.utf8)).sequence)
            }
            #expect(tail == [head - 1, head])
        } catch {
            Issue.record(error)
        }
        await client.shutdown()
        await server.stop()
    }
}
