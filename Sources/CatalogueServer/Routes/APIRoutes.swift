import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// One route of the API as the OpenAPI document describes it: built from the
/// same table the router is, so the two cannot drift apart.
public struct APIRouteDescription: Sendable, Equatable {
    public enum Method: String, Sendable { case get, post, put, delete }

    public var method: Method
    /// OpenAPI style: `/v1/pools/{pool}`.
    public var path: String
    public var summary: String
    /// The right needed, in words (`docs/ntms-mapping.md` has the table).
    public var access: String
    /// The request body's schema in the OpenAPI document's components, if it takes one.
    public var body: String?
    /// The answer's schema: a definition of `docs/schema/v1/mediactl.schema.json` or of the API's own.
    public var response: String
    /// Whether the answer is an array of `response`.
    public var listing: Bool
    /// Whether success is 201 Created (the route makes an object) rather than 200.
    public var created: Bool
    /// Query parameters: name and meaning.
    public var query: [(name: String, meaning: String)]

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path
    }

    /// Path parameters, in order.
    public var parameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
    }

    /// The router's form of the path: `/v1/pools/:pool`.
    var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map {
            $0.hasPrefix("{") ? ":" + $0.dropFirst().dropLast() : String($0)
        }.joined(separator: "/")
    }
}

/// What every handler gets: the request, its context and the catalogue.
struct APICall: Sendable {
    let request: Request
    let context: ServerContext
    let catalogue: Catalogue
    /// How long the body may take to arrive once the head has.
    let bodyTimeout: Duration

    /// A path parameter, percent-decoded: a pool path's backslashes and a
    /// name's slashes arrive encoded, as one segment.
    func parameter(_ name: String) throws -> String {
        guard let raw = context.parameters.get(name) else {
            throw NtmsError(.invalidParameter, "the route needs \(name)")
        }
        // Most ids carry no escape, and Foundation's decoding is a tenth of a point read's cost.
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return raw }
        guard let value = raw.removingPercentEncoding else {
            throw NtmsError(.invalidParameter, "\(name) is not a valid percent-encoded name: \(TextRules.preview(raw))")
        }
        return value
    }

    /// A query parameter, if given.
    func query(_ name: String) -> String? { request.uri.queryParameters.get(name) }

    /// A session acting for the request's principal, named after the
    /// application the client declares (header `MediaCatalogue-Application`).
    func session() throws -> Session {
        let principal = try context.requirePrincipal()
        let application = request.headers[HTTPField.Name("MediaCatalogue-Application")!] ?? "http"
        return try catalogue.session(application: application, principal: principal)
    }

    /// Runs `body` with a session for a call that may wait `timeout_ms`
    /// (absent or 0: not at all; 4294967295: forever). A client that goes away
    /// abandons its wait: the session closes, which ends waits on it.
    func withWaitingSession<T>(
        timeoutMilliseconds: UInt32?, _ body: (Session, WaitTimeout) async throws -> T
    ) async throws -> T {
        let timeout: WaitTimeout =
            switch timeoutMilliseconds {
            case nil, 0: .none
            case UInt32.max: .infinite
            case let milliseconds?: .milliseconds(milliseconds)
            }
        let session = try session()
        if timeout != .none { context.channel.closeFuture.whenComplete { _ in session.close() } }
        defer { if timeout != .none { session.close() } }
        return try await body(session, timeout)
    }

    /// The `Idempotency-Key` header, if sent.
    var idempotencyKey: String? { request.headers[HTTPField.Name("Idempotency-Key")!] }

    /// Reading needs USE on the catalogue; a refused query writes nothing.
    func requireReader() throws -> CatalogueSnapshot {
        let principal = try context.requirePrincipal()
        let snapshot = catalogue.snapshot
        guard snapshot.state.rights(of: principal, on: .catalogue).contains(.use) else {
            throw NtmsError(
                .accessDenied, "\(principal.user) may not read the catalogue: it needs use on the catalogue")
        }
        return snapshot
    }

    /// The state a query reads: the newest, or with `as_of` (a sequence
    /// number or an ISO-8601 time) the state right after that event.
    func queryState() throws -> (state: CatalogueState, now: Int64) {
        let snapshot = try requireReader()
        guard let text = query("as_of") else { return (snapshot.state, catalogue.now) }
        guard let point = JSONModel.logPoint(parsing: text) else {
            throw NtmsError(
                .invalidParameter,
                "as_of is an event's sequence number or an ISO-8601 time, not \"\(TextRules.preview(text))\"")
        }
        let past = try catalogue.state(asOf: point)
        return (past.snapshot.state, past.committed)
    }

    /// The listing filters among the query parameters, resolved in `state`.
    func filters(_ state: CatalogueState) throws -> ListingFilters {
        try ListingFilters(
            pool: query("pool"), state: query("state"), library: query("library"), mediaType: query("media_type"),
            in: state)
    }

    /// A whole-number query parameter, or `defaultValue` when absent.
    func number<Number: FixedWidthInteger>(_ name: String, default defaultValue: Number) throws -> Number {
        guard let text = query(name) else { return defaultValue }
        guard let number = Number(text) else {
            throw NtmsError(.invalidParameter, "\(name) is a whole number in range, not \"\(TextRules.preview(text))\"")
        }
        return number
    }

    /// A time query parameter (ISO-8601) in nanoseconds since 1970, if given.
    func time(_ name: String) throws -> Int64? {
        guard let text = query(name) else { return nil }
        guard let time = JSONModel.nanoseconds(parsing: text) else {
            throw NtmsError(.invalidParameter, "\(name) is an ISO-8601 time, not \"\(TextRules.preview(text))\"")
        }
        return time
    }

    /// Decodes the body as `T`, refusing unknown fields, wrong types and bodies over the limit.
    func body<T: APIBody>(_ type: T.Type) async throws -> T {
        // A body that trickles in is cut off at its first part after the deadline, and one that
        // stops is cut by the connection's idle timeout: no timer task per request.
        let deadline = ContinuousClock.now.advanced(by: bodyTimeout)
        var buffer = ByteBuffer()
        for try await part in request.body {
            guard buffer.readableBytes + part.readableBytes <= ServerLimits.maximumBodyBytes else {
                throw APIError(
                    NtmsError(.invalidParameter, "the body is larger than \(ServerLimits.maximumBodyBytes) bytes"),
                    status: .contentTooLarge)
            }
            guard ContinuousClock.now < deadline else {
                throw APIError(
                    NtmsError(.timeout, "the body did not arrive within \(bodyTimeout)"), status: .requestTimeout)
            }
            buffer.writeImmutableBuffer(part)
        }
        return try T.decodeStrictly(Data(buffer: buffer))
    }
}

/// An answer as one line of the JSON model.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(
        status: status, headers: headers,
        body: ResponseBody(byteBuffer: ByteBuffer(string: JSONModel.line(value) + "\n")))
}

/// The table of routes: each registered on the router and described for the OpenAPI document.
struct APIRouteTable {
    private(set) var descriptions: [APIRouteDescription] = []
    private let router: Router<ServerContext>?
    private let catalogue: Catalogue?
    private let bodyTimeout: Duration

    init(router: Router<ServerContext>?, catalogue: Catalogue?, bodyTimeout: Duration = ServerLimits.bodyReadTimeout) {
        self.router = router
        self.catalogue = catalogue
        self.bodyTimeout = bodyTimeout
    }

    mutating func add(
        _ method: APIRouteDescription.Method, _ path: String, _ summary: String, access: String,
        body: String? = nil, created: Bool = false, response: String, listing: Bool = false,
        query: [(String, String)] = [],
        _ handler: @escaping @Sendable (APICall) async throws -> Response
    ) {
        let description = APIRouteDescription(
            method: method, path: path, summary: summary, access: access, body: body, response: response,
            listing: listing, created: created, query: query.map { (name: $0.0, meaning: $0.1) })
        descriptions.append(description)
        guard let router, let catalogue else { return }
        let bodyTimeout = bodyTimeout
        let known = Set(description.query.map(\.name))
        let respond: @Sendable (Request, ServerContext) async throws -> Response = { request, context in
            // A misspelt parameter would silently widen a listing: refuse what the route does not take.
            // Parsed only when there is a query: most requests, point reads among them, carry none.
            let given = request.uri.query == nil ? [] : request.uri.queryParameters.map { String($0.key) }
            for name in given where !known.contains(name) {
                throw APIError(
                    NtmsError(
                        .invalidParameter, "this route takes no parameter \"\(TextRules.preview(name))\""),
                    status: .badRequest)
            }
            var response = try await handler(
                APICall(request: request, context: context, catalogue: catalogue, bodyTimeout: bodyTimeout))
            if created, response.status == .ok { response.status = .created }
            return response
        }
        let routerPath = RouterPath(description.routerPath)
        switch method {
        case .get: router.get(routerPath, use: respond)
        case .post: router.post(routerPath, use: respond)
        case .put: router.put(routerPath, use: respond)
        case .delete: router.delete(routerPath, use: respond)
        }
    }
}
