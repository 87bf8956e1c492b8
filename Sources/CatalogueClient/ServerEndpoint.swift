import CatalogueDomain
import Foundation

/// Where a `mediactl serve` listens, as a client names it: `unix:PATH`,
/// `http://HOST:PORT` or `https://HOST:PORT`.
public enum ServerEndpoint: Sendable, Equatable {
    /// The server's Unix socket; the kernel tells the server who is calling.
    case unix(path: String)
    /// A TCP listener, `http://host:port` or `https://host:port` with nothing after it.
    case tcp(base: String)

    /// Parses a server's address.
    ///
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) for anything else, naming the forms accepted.
    public init(_ text: String) throws(NtmsError) {
        let refusal = NtmsError(
            .invalidParameter,
            "a server is unix:PATH, http://HOST:PORT or https://HOST:PORT, not \"\(TextRules.preview(text))\"")
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard !path.isEmpty, !path.contains("\0") else { throw refusal }
            self = .unix(path: path)
            return
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
            components.user == nil, components.password == nil, components.query == nil,
            components.fragment == nil, components.path.isEmpty || components.path == "/"
        else { throw refusal }
        let port = components.port.map { ":\($0)" } ?? ""
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        self = .tcp(base: "\(scheme)://\(bracketed)\(port)")
    }

    /// Whether the connection is encrypted: TLS over TCP, or a local socket.
    public var isTLS: Bool {
        if case .tcp(let base) = self { return base.hasPrefix("https:") }
        return false
    }

    /// The URL of `path` (already percent-encoded, starting with `/`) on this server.
    func url(_ path: String) -> String {
        switch self {
        case .unix(let socket):
            // AsyncHTTPClient's form for a Unix socket: the socket path percent-encoded as the host.
            let host = socket.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socket
            return "http+unix://\(host)\(path)"
        case .tcp(let base):
            return base + path
        }
    }
}

extension ServerEndpoint: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unix(let path): "unix:\(path)"
        case .tcp(let base): base
        }
    }
}

/// A path of the API built from its segments, each percent-encoded on its
/// own: a pool path's backslashes or a name with `/` stay one segment.
public struct APIPath: Sendable, Equatable, ExpressibleByStringLiteral {
    /// The encoded path, from `/`.
    public private(set) var encoded: String

    public init(stringLiteral value: String) { encoded = value }

    /// A path whose text is already encoded, such as `/v1/pools`.
    public init(_ encoded: String) { self.encoded = encoded }

    /// `/v1/pools` + `\Backup\Daily` → `/v1/pools/%5CBackup%5CDaily`.
    public static func + (path: APIPath, segment: String) -> APIPath {
        var joined = path
        joined.encoded += "/" + (segment.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")
        return joined
    }

    /// RFC 3986's unreserved characters: everything else is encoded.
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// The path with a query string; values are encoded like segments.
    func with(query: [(String, String)]) -> String {
        guard !query.isEmpty else { return encoded }
        let pairs = query.map { name, value in
            name + "=" + (value.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? "")
        }
        return encoded + "?" + pairs.joined(separator: "&")
    }
}
