import CatalogueDomain
import CatalogueStorage
import Foundation

/// A bearer token as made: the secret text to hand over once, and its id.
public struct IssuedToken: Sendable, Equatable {
    /// What `token revoke` and `DELETE /v1/tokens/{token}` name it by.
    public var id: TokenID
    /// `mct_` and 64 hexadecimal digits: what a client sends as
    /// `Authorization: Bearer …`. The catalogue keeps only its SHA-256.
    public var secret: String
}

extension Session {
    /// Makes a bearer token for `principal` (needs CONTROL on the catalogue).
    /// The secret comes from the system's random source and is returned
    /// only here; `expires` is nanoseconds since 1970, nil for never.
    ///
    /// - Throws: `ERROR_ACCESS_DENIED` (5) without CONTROL on the catalogue;
    ///   `ERROR_INVALID_NAME` (123) for a bad user or group name;
    ///   `ERROR_INVALID_PARAMETER` (87) for an expiry in the past.
    public func issueToken(for principal: Principal, expires: Int64?) async throws(NtmsError) -> IssuedToken {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let outcome = try await execute(
            .issueToken(principal: principal, secretHash: SHA256Digest.of(secret), expires: expires))
        guard case .token(let id) = outcome else {
            throw NtmsError(.databaseFailure, "the catalogue answered a token with \(outcome)")
        }
        return IssuedToken(id: id, secret: Catalogue.tokenPrefix + secret.map { String(format: "%02x", $0) }.joined())
    }

    /// Revokes a token at once (needs CONTROL on the catalogue).
    ///
    /// - Throws: `ERROR_ACCESS_DENIED` (5) without CONTROL on the catalogue;
    ///   `ERROR_OBJECT_NOT_FOUND` (4312) for an unknown token.
    public func revokeToken(_ id: TokenID) async throws(NtmsError) {
        _ = try await execute(.revokeToken(id))
    }
}

extension Catalogue {
    /// What every token's text starts with.
    public static let tokenPrefix = "mct_"

    /// The principal a bearer token stands for, checked against the newest state.
    ///
    /// - Throws: `ERROR_ACCESS_DENIED` (5) for text that is not a token, an
    ///   unknown token, or one that is revoked or expired; the message never
    ///   repeats the text.
    public func principal(forBearer text: String) throws(NtmsError) -> Principal {
        let denied = NtmsError(.accessDenied, "the bearer token is not valid (unknown, revoked or expired)")
        guard text.hasPrefix(Self.tokenPrefix), text.utf8.count == Self.tokenPrefix.utf8.count + 64 else {
            throw denied
        }
        var secret: [UInt8] = []
        secret.reserveCapacity(32)
        var digits = text.utf8.dropFirst(Self.tokenPrefix.utf8.count).makeIterator()
        while let high = digits.next(), let low = digits.next() {
            guard let h = hexValue(high), let l = hexValue(low) else { throw denied }
            secret.append(h << 4 | l)
        }
        guard let token = newestSnapshot.state.token(withSecretHash: SHA256Digest.of(secret)),
            token.isValid(at: options.clock())
        else { throw denied }
        return token.principal
    }
}

private func hexValue(_ digit: UInt8) -> UInt8? {
    switch digit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
    default: nil
    }
}
