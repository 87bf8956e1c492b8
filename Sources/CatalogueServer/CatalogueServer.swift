import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Prometheus
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Where the server listens: a Unix socket, or a TCP host and port.
public enum ServerListener: Sendable, Equatable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// `unix:PATH`, `HOST:PORT` or `[IPv6]:PORT`.
    public init(parsing text: String) throws(NtmsError) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard path.hasPrefix("/") || path.hasPrefix("."), !path.isEmpty, path.utf8.count < 108 else {
                throw NtmsError(
                    .invalidParameter, "a Unix socket is unix:PATH, under 108 bytes, not \"\(TextRules.preview(text))\""
                )
            }
            self = .unix(path: path)
            return
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65_535).contains(port)
        else {
            throw NtmsError(
                .invalidParameter, "listen on unix:PATH or HOST:PORT, not \"\(TextRules.preview(text))\"")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw NtmsError(.invalidParameter, "name the host to listen on, as 127.0.0.1:PORT") }
        self = .tcp(host: host, port: port)
    }

    public var description: String {
        switch self {
        case .unix(let path): "unix:\(path)"
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// Whether only this machine can reach it.
    public var isLocal: Bool {
        switch self {
        case .unix: true
        case .tcp(let host, _): host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }
    }
}

/// How `mediactl serve` runs.
public struct ServerConfiguration: Sendable {
    public var listeners: [ServerListener]
    /// PEM files; both or neither.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// Allows a TCP listener beyond loopback without TLS.
    public var insecure = false
    /// Connections idle this long (between requests, or sending a request's head) are closed.
    public var idleTimeout: Duration = .seconds(30)
    /// How long a request's body may take to arrive once its head has (408 after).
    public var bodyTimeout = ServerLimits.bodyReadTimeout
    /// Connections beyond this wait in the kernel's backlog.
    public var maximumConnections = 20_000

    public init(listeners: [ServerListener], tlsCertificate: String? = nil, tlsKey: String? = nil) {
        self.listeners = listeners
        self.tlsCertificate = tlsCertificate
        self.tlsKey = tlsKey
    }
}

/// The catalogue as an HTTP service (`mediactl serve`): the JSON API v1 over
/// Hummingbird on each listener, `/metrics` for Prometheus, graceful
/// shutdown on SIGTERM and SIGINT.
public enum CatalogueServer {
    /// The API's version, as the OpenAPI document and `/v1/version` give it.
    public static let version = "1.0.0"

    /// Every route, in the order the document lists them.
    public static var routes: [APIRouteDescription] {
        var table = APIRouteTable(router: nil, catalogue: nil)
        table.addAll(registry: nil)
        return table.descriptions
    }

    /// A Prometheus factory for `registry` with buckets fit for the
    /// catalogue: commits take about a millisecond, robot moves seconds,
    /// and a commit carries one to thousands of commands.
    public static func metricsFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[CatalogueMetricName.commitDuration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .seconds(1),
        ]
        factory.durationHistogramBuckets[CatalogueMetricName.robotOperationDuration] = [
            .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
            .seconds(20), .seconds(30), .seconds(60), .seconds(120), .seconds(300),
        ]
        factory.valueHistogramBuckets[CatalogueMetricName.commitBatchCommands] = [
            1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096,
        ]
        return factory
    }

    /// Checks a configuration before anything is bound.
    ///
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) for no listener, half a TLS
    ///   pair, or a listener beyond loopback without TLS or `insecure`.
    public static func validate(_ configuration: ServerConfiguration) throws(NtmsError) {
        guard !configuration.listeners.isEmpty else {
            throw NtmsError(.invalidParameter, "give at least one --listen unix:PATH or HOST:PORT")
        }
        guard (configuration.tlsCertificate == nil) == (configuration.tlsKey == nil) else {
            throw NtmsError(.invalidParameter, "TLS needs both --tls-cert and --tls-key")
        }
        if configuration.tlsCertificate == nil, !configuration.insecure,
            let exposed = configuration.listeners.first(where: { !$0.isLocal })
        {
            throw NtmsError(
                .invalidParameter,
                "refusing to serve \(exposed) beyond this machine without TLS: give --tls-cert and --tls-key, "
                    + "or --insecure if the network is trusted")
        }
    }

    /// Serves `catalogue` until SIGTERM or SIGINT, then stops accepting,
    /// finishes what is in flight and answers waiting allocations with
    /// ERROR_CANCELLED. `ready` is called with each bound address.
    ///
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) as `validate(_:)` or for
    ///   unreadable TLS files; `ERROR_ALREADY_EXISTS` (183) for a socket
    ///   path in use.
    public static func run(
        _ catalogue: Catalogue, configuration: ServerConfiguration, logger: Logger,
        registry: PrometheusCollectorRegistry, shutdown: ServerShutdown = ServerShutdown(),
        ready: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws {
        try validate(configuration)
        raiseFileLimit()
        let tls = try tlsConfiguration(configuration)
        var services: [any Service] = []
        for listener in configuration.listeners {
            services.append(try application(catalogue, listener, configuration, tls, registry, logger, ready))
        }
        // Last, because a group shuts its services down from the last: waiters are answered
        // before the listeners wait for their requests to finish.
        services.append(WaitingAllocationCanceller(catalogue: catalogue))
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        await shutdown.attach(group)
        try await group.run()
    }

    /// One listener's application; `registry` gets the metrics at `/metrics`.
    static func application(
        _ catalogue: Catalogue, _ listener: ServerListener, _ configuration: ServerConfiguration,
        _ tls: TLSConfiguration?, _ registry: PrometheusCollectorRegistry, _ logger: Logger,
        _ ready: @escaping @Sendable (String) -> Void
    ) throws -> some Service {
        let router = Router(context: ServerContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: Authentication(catalogue: catalogue))
        var table = APIRouteTable(router: router, catalogue: catalogue, bodyTimeout: configuration.bodyTimeout)
        table.addAll(registry: registry)
        let address: BindAddress
        switch listener {
        case .unix(let path):
            try prepareSocketPath(path)
            address = .unixDomainSocket(path: path)
        case .tcp(let host, let port):
            address = .hostname(host, port: port)
        }
        let http = HTTPServerBuilder.http1(
            configuration: .init(
                idleTimeout: .nanoseconds(Int64(configuration.idleTimeout.components.seconds) * 1_000_000_000)))
        let server: HTTPServerBuilder =
            if let tls, case .tcp = listener { try .tls(http, tlsConfiguration: tls) } else { http }
        return Application(
            router: router, server: server,
            configuration: .init(
                address: address, serverName: "mediacatalogue",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maximumConnections)),
            onServerRunning: { channel in
                if case .unix(let path) = listener { chmod(path, 0o666) }
                ready(channel.localAddress.map(Self.text) ?? listener.description)
            },
            logger: logger)
    }

    /// `unix:PATH`, `HOST:PORT` or `[IPv6]:PORT`.
    static func text(_ address: SocketAddress) -> String {
        if let path = address.pathname { return "unix:" + path }
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// The OpenAPI document, built from the routes and the bundled model schema.
    public static func openAPIDocument() throws -> Data {
        try OpenAPIDocument.json(modelSchema: Data(JSONModel.schemaText.utf8))
    }

    private static func tlsConfiguration(_ configuration: ServerConfiguration) throws(NtmsError) -> TLSConfiguration? {
        guard let certificate = configuration.tlsCertificate, let key = configuration.tlsKey else { return nil }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            return TLSConfiguration.makeServerConfiguration(
                certificateChain: chain, privateKey: .privateKey(privateKey))
        } catch {
            throw NtmsError(.invalidParameter, "the TLS certificate or key could not be read: \(error)")
        }
    }

    /// A stale socket file from a server that died is removed; one a live server answers on is not.
    private static func prepareSocketPath(_ path: String) throws(NtmsError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard (status.st_mode & S_IFMT) == S_IFSOCK else {
            throw NtmsError(.alreadyExists, "\(path) exists and is not a socket; choose another path")
        }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected != 0 else { throw NtmsError(.alreadyExists, "a server already listens on \(path)") }
        unlink(path)
    }

    /// Thousands of connections need as many descriptors as the hard limit allows.
    private static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// Starts a graceful shutdown from code, as SIGTERM does from outside.
public actor ServerShutdown {
    private var group: ServiceGroup?
    private var requested = false

    public init() {}

    func attach(_ group: ServiceGroup) async {
        self.group = group
        if requested { await group.triggerGracefulShutdown() }
    }

    /// Stops accepting, lets requests in flight finish and cancels waiting allocations.
    public func trigger() async {
        requested = true
        await group?.triggerGracefulShutdown()
    }
}

/// When shutdown begins, waiting allocations are answered with ERROR_CANCELLED
/// (their requests close), so no client hangs on a server that is leaving.
struct WaitingAllocationCanceller: Service {
    let catalogue: Catalogue

    func run() async throws {
        try? await gracefulShutdown()
        catalogue.cancelWaitingAllocations()
    }
}

extension APIRouteTable {
    mutating func addAll(registry: PrometheusCollectorRegistry?) {
        addQueryRoutes()
        addCommandRoutes()
        addAccessRoutes()
        addEventStreamRoute()
        addServiceRoutes(registry: registry)
    }

    /// The document itself and the Prometheus endpoint.
    mutating func addServiceRoutes(registry: PrometheusCollectorRegistry?) {
        add(
            .get, "/v1/openapi.json", "This API's OpenAPI 3.1 document.", access: "any authenticated caller",
            response: "openapi"
        ) { call in
            _ = try call.context.requirePrincipal()
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: try CatalogueServer.openAPIDocument())))
        }
        add(
            .get, "/metrics", "The catalogue's metrics in Prometheus' text format.", access: "use on the catalogue",
            response: "metrics"
        ) { call in
            _ = try call.requireReader()
            call.catalogue.updateMetrics()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry?.emitToBuffer() ?? [])))
        }
    }
}
