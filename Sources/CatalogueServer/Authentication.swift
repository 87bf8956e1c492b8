import CatalogueDomain
import CatalogueEngine
import HTTPTypes
import Hummingbird
import HummingbirdCore
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
                // A token made a moment ago by another process: fold its event and look once more.
                try? await catalogue.refresh()
                do {
                    context.principal = try catalogue.principal(forBearer: token)
                } catch {
                    throw APIError(error, status: .unauthorized)
                }
            }
        } else if context.channel.localAddress?.protocol == .unix {
            context.principal = try await Self.peer(of: context.channel)
        }
        guard context.principal != nil else { throw APIError.unauthenticated }
        return try await next(request, context)
    }

    /// The principal of the process at the other end of a Unix socket.
    static func peer(of channel: any Channel) async throws -> Principal {
        guard let provider = channel as? any SocketOptionProvider else { throw APIError.unauthenticated }
        let credentials: PeerCredentials = try await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(PeerCredentials.option)
        ).get()
        return OSAccounts.principal(uid: credentials.uid, gid: credentials.gid)
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
