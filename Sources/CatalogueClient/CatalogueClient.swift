import AsyncHTTPClient
import CatalogueDomain
import CatalogueJSON
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A client of `mediactl serve`'s API v1: sends the JSON model's bodies and
/// decodes its answers into the same types the CLI prints, so a command
/// behaves alike on the store files and over a server. Every failure is an
/// NTMS error: the server's own, or `ERROR_NOT_READY` (21) when it cannot be
/// reached or answers with something that is not the API.
public final class CatalogueClient: Sendable {
    /// The server this client calls.
    public let endpoint: ServerEndpoint
    private let http: HTTPClient
    private let token: String?
    private let application: String

    /// The largest answer read: a listing of every medium of a large catalogue fits.
    static let maximumAnswerBytes = 1 << 30

    /// A client of the server at `endpoint`.
    ///
    /// - Parameters:
    ///   - token: the bearer token (`mediactl token create`), needed over TCP.
    ///   - trustedCertificates: a PEM file of the certificates that may sign
    ///     the server's (a private CA or the server's own); else the system's.
    ///   - application: what the server records as the events' application.
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) when the certificate file cannot be used.
    public init(
        endpoint: ServerEndpoint, token: String?, trustedCertificates: String? = nil, application: String
    ) throws(NtmsError) {
        var configuration = HTTPClient.Configuration()
        if let trustedCertificates {
            var tls = TLSConfiguration.makeClientConfiguration()
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(trustedCertificates))
            } catch {
                throw NtmsError(
                    .invalidParameter,
                    "cannot read certificates from \(TextRules.preview(trustedCertificates)): \(error)")
            }
            configuration.tlsConfiguration = tls
        }
        // A server that never completes a connection is not waited on for long, and one that
        // refuses it (not running, no socket) is reported at once, not retried until the timeout.
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10))
        configuration.connectionPool.retryConnectionEstablishment = false
        self.endpoint = endpoint
        self.token = token
        self.application = application
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Closes the client's connections; call once when done.
    public func shutdown() async {
        try? await http.shutdown()
    }

    /// How long an answer is waited for unless a call says otherwise: longer
    /// than any robot move the server allows, short of hanging on a stuck server.
    public static let defaultPatience = Duration.seconds(900)

    /// `GET path?query`, decoded as `Answer`; `patience` nil waits as long as it takes.
    public func get<Answer: Decodable>(
        _ path: APIPath, query: [(String, String)] = [], patience: Duration? = defaultPatience
    ) async throws(NtmsError) -> Answer {
        try decode(try await send(.GET, path.with(query: query), body: nil, idempotencyKey: nil, patience: patience))
    }

    /// A command: `method path` with `body` in the JSON model, decoded as `Answer`.
    public func send<Answer: Decodable>(
        _ method: HTTPMethod, _ path: APIPath, body: (some Encodable & Sendable)? = EmptyBody?.none,
        idempotencyKey: String? = nil, patience: Duration? = defaultPatience
    ) async throws(NtmsError) -> Answer {
        try decode(
            try await send(
                method, path.encoded, body: body.map { JSONModel.line($0) }, idempotencyKey: idempotencyKey,
                patience: patience))
    }

    /// The lines of `GET /v1/events` as the server sends them: each event's
    /// JSON (the `data` of a Server-Sent Event), in order, until the server
    /// ends the stream or the caller stops reading.
    ///
    /// - Parameters:
    ///   - from: the first sequence number; nil for only events after now.
    ///   - toHead: stop at the log's head when the request arrives.
    public func events(from: UInt64?, toHead: Bool) -> AsyncThrowingStream<String, any Error> {
        var query: [(String, String)] = []
        if let from { query.append(("from", String(from))) }
        if toHead { query.append(("to_head", "true")) }
        let path = APIPath("/v1/events").with(query: query)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let response = try await self.execute(.GET, path, body: nil, idempotencyKey: nil, patience: nil)
                    guard response.status == .ok else {
                        let body = try? await response.body.collect(upTo: 64 * 1024)
                        throw self.failure(response.status, body.map { Data($0.readableBytesView) } ?? Data())
                    }
                    var parser = EventStreamParser()
                    for try await buffer in response.body {
                        for item in parser.feed(buffer) {
                            switch item {
                            case .event(let json): continuation.yield(json)
                            case .end(let reason):
                                throw NtmsError(.notReady, "the server ended the event stream: \(reason)")
                            }
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: self.unreachable(error))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: - The exchange

    private func send(
        _ method: HTTPMethod, _ path: String, body: String?, idempotencyKey: String?, patience: Duration?
    ) async throws(NtmsError) -> (HTTPResponseStatus, Data) {
        do {
            let response = try await execute(
                method, path, body: body, idempotencyKey: idempotencyKey, patience: patience)
            let buffer = try await response.body.collect(upTo: Self.maximumAnswerBytes)
            return (response.status, Data(buffer.readableBytesView))
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw NtmsError(
                .timeout, "the server at \(endpoint) did not answer within \(patience.map { "\($0)" } ?? "the time")")
        } catch {
            throw unreachable(error)
        }
    }

    private func execute(
        _ method: HTTPMethod, _ path: String, body: String?, idempotencyKey: String?, patience: Duration?
    ) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: endpoint.url(path))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "MediaCatalogue-Application", value: application)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let deadline = patience.map { NIODeadline.now() + .nanoseconds(Int64($0.components.seconds) * 1_000_000_000) }
        return try await http.execute(request, deadline: deadline ?? .distantFuture)
    }

    /// The answer as `Answer`, or the server's NTMS error.
    private func decode<Answer: Decodable>(_ answer: (HTTPResponseStatus, Data)) throws(NtmsError) -> Answer {
        let (status, data) = answer
        guard (200..<300).contains(status.code) else { throw failure(status, data) }
        do {
            return try JSONDecoder().decode(Answer.self, from: data)
        } catch {
            throw NtmsError(
                .notReady, "the server at \(endpoint) answered \(status.code) with a body this client cannot read")
        }
    }

    /// The NTMS error a failed answer carries.
    private func failure(_ status: HTTPResponseStatus, _ data: Data) -> NtmsError {
        if let body = try? JSONDecoder().decode(ErrorJSON.self, from: data),
            let code = NtmsErrorCode(rawValue: body.code)
        {
            return NtmsError(code, body.message)
        }
        return NtmsError(
            .notReady, "the server at \(endpoint) answered \(status.code) \(status.reasonPhrase) without an NTMS error")
    }

    /// A transport failure as an NTMS error; NTMS errors pass through.
    private func unreachable(_ error: any Error) -> NtmsError {
        if let error = error as? NtmsError { return error }
        return NtmsError(.notReady, "cannot reach the server at \(endpoint): \(error)")
    }
}

/// Splits a Server-Sent Events body into its events: `data` lines of the
/// API's events, and the `end` event that says why the server stopped.
struct EventStreamParser {
    enum Item: Equatable {
        case event(String)
        case end(String)
    }

    private var pending: [UInt8] = []
    private var name: String?
    private var data: String?

    mutating func feed(_ buffer: ByteBuffer) -> [Item] {
        pending.append(contentsOf: buffer.readableBytesView)
        var items: [Item] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: pending[..<newline], as: UTF8.self)
            pending.removeSubrange(...newline)
            if line.isEmpty {
                if let data {
                    if name == "end" {
                        let reason = (try? JSONDecoder().decode([String: String].self, from: Data(data.utf8)))?[
                            "reason"]
                        items.append(.end(reason ?? data))
                    } else {
                        items.append(.event(data))
                    }
                }
                (name, data) = (nil, nil)
            } else if line.hasPrefix("event: ") {
                name = String(line.dropFirst("event: ".count))
            } else if line.hasPrefix("data: ") {
                data = String(line.dropFirst("data: ".count))
            }
            // `id:` lines and `:` comments (heartbeats) carry nothing the caller needs.
        }
        return items
    }
}
