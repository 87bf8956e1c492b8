import CatalogueDomain
import Hummingbird
import Logging
import NIOCore

/// What a request carries beyond its HTTP message: the connection it came
/// on (for the Unix socket's peer credentials and for noticing a client
/// that goes away) and, once authenticated, whom it acts for.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel
    /// Set by `Authentication`; every route but the open ones requires it.
    public var principal: Principal?
    /// The largest body any route decodes.
    public var maxUploadSize: Int { ServerLimits.maximumBodyBytes }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The authenticated principal.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError.unauthenticated }
        return principal
    }
}

/// Limits on what a client may send.
public enum ServerLimits {
    /// Bodies are small JSON documents; anything larger is refused with 413.
    public static let maximumBodyBytes = 64 * 1024
    /// How long a request's body may take to arrive once its head has, unless configured.
    public static let bodyReadTimeout = Duration.seconds(10)
}
