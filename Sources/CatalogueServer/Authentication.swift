import CatalogueDomain
import CatalogueEngine
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Finds whom a request acts for. On the Unix socket the kernel says who
/// the peer is (SO_PEERCRED: its user id, whose name and groups the group
/// database gives); over TCP a bearer token must say it. Nothing is anonymous.
struct Authentication: RouterMiddleware {
    typealias Context = ServerContext
    let catalogue: Catalogue
    let peers = PeerPrincipals()
    let refreshes = RefreshLimiter()

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response)
        async throws -> Response
    {
        var context = context
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthenticated }
            let token = String(parts[1])
            do {
                context.principal = try catalogue.principal(forBearer: token)
            } catch {
                // A token made a moment ago by another process: fold its event and look once more,
                // at most every 100 ms, so a stream of bad tokens cannot keep the writer busy.
                if refreshes.mayRefresh() { try? await catalogue.refresh() }
                do {
                    context.principal = try catalogue.principal(forBearer: token)
                } catch {
                    throw APIError(error, status: .unauthorized)
                }
            }
        } else if context.channel.localAddress?.protocol == .unix {
            context.principal = try await peers.principal(of: context.channel)
        }
        guard context.principal != nil else { throw APIError.unauthenticated }
        return try await next(request, context)
    }

}

/// The principals of Unix-socket peers by user and group id, kept 10 s: the group
/// database is read once per user and interval, not per request, and a
/// change of groups takes effect within the interval.
final class PeerPrincipals: Sendable {
    /// Keyed by user and primary group id together: a setgid peer has another primary group.
    private let cache = NIOLockedValueBox<[UInt64: (principal: Principal, until: NIODeadline)]>([:])

    func principal(of channel: any Channel) async throws -> Principal {
        guard let provider = channel as? any SocketOptionProvider else { throw APIError.unauthenticated }
        let credentials: PeerCredentials = try await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(PeerCredentials.option)
        ).get()
        let now = NIODeadline.now()
        let key = UInt64(credentials.uid) << 32 | UInt64(credentials.gid)
        if let cached = cache.withLockedValue({ $0[key] }), cached.until > now { return cached.principal }
        let principal = OSAccounts.principal(uid: credentials.uid, gid: credentials.gid)
        cache.withLockedValue { $0[key] = (principal, now + .seconds(10)) }
        return principal
    }
}

/// Allows a refresh at most every 100 ms.
final class RefreshLimiter: Sendable {
    private let last = NIOLockedValueBox(NIODeadline.uptimeNanoseconds(0))

    func mayRefresh() -> Bool {
        let now = NIODeadline.now()
        return last.withLockedValue { last in
            guard now - last >= .milliseconds(100) else { return false }
            last = now
            return true
        }
    }
}

/// Linux's `struct ucred`, which Swift's Glibc module leaves out (it needs _GNU_SOURCE).
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    /// SO_PEERCRED.
    static let option: Int32 = 17
}
