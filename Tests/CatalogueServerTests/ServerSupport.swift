import AsyncHTTPClient
import CatalogueDomain
import CatalogueEngine
import CatalogueServer
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Prometheus

/// A real server on loopback and on a Unix socket in a temporary directory,
/// over a store of its own: started and stopped by each test.
final class TestServer: Sendable {
    let root: String
    let catalogue: Catalogue
    let tcp: String
    let socket: String
    let registry: PrometheusCollectorRegistry
    private let task: Task<Void, any Error>
    private let shutdown: ServerShutdown
    let client: HTTPClient

    /// A store with a robot holding `media` LTO media, a pool `\Backup` drawing from scratch, and an
    /// administrator session for setting it up.
    static func start(
        _ label: String = #function, media: Int = 4, tls: (certificate: String, key: String)? = nil
    ) async throws -> TestServer {
        let safe = label.filter { $0.isLetter || $0.isNumber }.prefix(24)
        // Unix socket paths are short: keep the directory so.
        let root = "/tmp/mcs-\(safe)-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let registry = PrometheusCollectorRegistry()
        var options = CatalogueOptions()
        options.metricsFactory = CatalogueServer.metricsFactory(registry: registry)
        options.followsOtherProcesses = true
        let catalogue = try await Catalogue.open(at: root + "/store", create: true, options: options)
        let admin = try catalogue.session(application: "setup", principal: OSAccounts.currentPrincipal())
        let type = try await admin.registerMediaType(name: "LTO", sides: 1)
        let robot = try await admin.addLibrary(
            name: "Robot", slots: 16, drives: 2, ports: 1, changer: ChangerAttachment(kind: .simulated, device: ""))
        _ = try await admin.createPool(path: "\\Backup", mediaType: type, policy: PoolPolicy(allocateFromScratch: true))
        for slot in 0..<media {
            _ = try await admin.registerMedium(
                barcode: String(format: "T%05d", slot + 1), mediaType: type, location: .slot(robot, UInt32(slot + 1)))
        }
        var configuration = ServerConfiguration(
            listeners: [.tcp(host: "127.0.0.1", port: 0), .unix(path: root + "/api.sock")],
            tlsCertificate: tls?.certificate, tlsKey: tls?.key)
        configuration.idleTimeout = .seconds(4)
        configuration.bodyTimeout = .seconds(2)
        let (addresses, ready) = AsyncStream<String>.makeStream()
        let shutdown = ServerShutdown()
        let task = Task {
            try await CatalogueServer.run(
                catalogue, configuration: configuration, logger: Logger(label: "test-server"), registry: registry,
                shutdown: shutdown
            ) { ready.yield($0) }
        }
        var tcp = ""
        var socket = ""
        for await address in addresses {
            if address.hasPrefix("unix:") { socket = String(address.dropFirst(5)) } else { tcp = address }
            if !tcp.isEmpty, !socket.isEmpty { break }
        }
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.tlsConfiguration = .makeClientConfiguration()
        clientConfiguration.tlsConfiguration?.certificateVerification = .none
        // Well inside the server's idle timeout: a pooled connection the server is closing is never reused.
        clientConfiguration.connectionPool = .init(idleTimeout: .milliseconds(500))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        return TestServer(
            root: root, catalogue: catalogue, tcp: tcp, socket: socket, registry: registry, task: task,
            shutdown: shutdown, client: client)
    }

    private init(
        root: String, catalogue: Catalogue, tcp: String, socket: String, registry: PrometheusCollectorRegistry,
        task: Task<Void, any Error>, shutdown: ServerShutdown, client: HTTPClient
    ) {
        self.shutdown = shutdown
        self.root = root
        self.catalogue = catalogue
        self.tcp = tcp
        self.socket = socket
        self.registry = registry
        self.task = task
        self.client = client
    }

    /// Asks the server to stop as SIGTERM does, leaving this client open to read the last answers.
    func requestShutdown() async { await shutdown.trigger() }

    /// Stops the server gracefully (as SIGTERM does), closes the store and removes it.
    func stop() async {
        await shutdown.trigger()
        _ = try? await task.value
        try? await client.shutdown()
        catalogue.close()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A token for `user` made by the store's administrator.
    func token(for user: String, groups: [String] = [], expires: Int64? = nil) async throws -> String {
        let admin = try catalogue.session(application: "setup", principal: OSAccounts.currentPrincipal())
        return try await admin.issueToken(for: Principal(user: user, groups: groups), expires: expires).secret
    }

    func grant(_ rights: AccessRights, to trustee: Trustee, on object: SecuredObject) async throws {
        let admin = try catalogue.session(application: "setup", principal: OSAccounts.currentPrincipal())
        try await admin.grantAccess(rights, to: trustee, on: object)
    }

    struct Answer {
        var status: Int
        var body: String
        var headers: HTTPHeaders
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var error: String? { object["error"] as? String }
    }

    enum Via { case tcp(token: String?), unix }

    /// One request, answered in full.
    func call(
        _ method: HTTPMethod, _ path: String, body: String? = nil, via: Via = .unix, headers: [(String, String)] = [],
        scheme: String = "http"
    ) async throws -> Answer {
        var request: HTTPClientRequest
        switch via {
        case .unix:
            request = HTTPClientRequest(url: URL(httpURLWithSocketPath: socket, uri: path)!.absoluteString)
        case .tcp(let token):
            request = HTTPClientRequest(url: "\(scheme)://\(tcp)\(path)")
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        }
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(30))
        } catch let error as IOError where error.errnoCode == ECONNRESET && method == .GET {
            // A pooled keep-alive connection the server closed as the request went out
            // (slow sanitized runs stretch every timer): an idempotent request is sent again.
            response = try await client.execute(request, timeout: .seconds(30))
        }
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return Answer(status: Int(response.status.code), body: String(buffer: bytes), headers: response.headers)
    }
}
