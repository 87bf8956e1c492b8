// The events of access rights; `CatalogueEvent` lists every event.

/// An object's own access list was set, or (`list` nil) dropped so that the
/// object inherits again. The event carries the whole resulting list, so an
/// auditor reads who held what after it without folding earlier changes.
public struct AccessListChanged: Sendable, Equatable {
    public var object: SecuredObject
    public var list: AccessList?

    public init(object: SecuredObject, list: AccessList?) {
        self.object = object
        self.list = list
    }
}

/// A command was refused for want of a right: who asked, for what, on which
/// object, and which right was missing. Changes nothing but the record.
public struct AccessDenied: Sendable, Equatable {
    public var principal: Principal
    /// The NTMS function (or `mediactl` operation beyond RSM) that was refused.
    public var action: String
    public var object: SecuredObject
    public var missing: AccessRights

    public init(principal: Principal, action: String, object: SecuredObject, missing: AccessRights) {
        self.principal = principal
        self.action = action
        self.object = object
        self.missing = missing
    }
}

/// A bearer token was made for a principal; only its secret's hash is kept.
public struct TokenIssued: Sendable, Equatable {
    public var token: TokenID
    public var principal: Principal
    public var secretHash: [UInt8]
    /// Nanoseconds since 1970; nil never expires.
    public var expires: Int64?

    public init(token: TokenID, principal: Principal, secretHash: [UInt8], expires: Int64?) {
        self.token = token
        self.principal = principal
        self.secretHash = secretHash
        self.expires = expires
    }
}

/// A bearer token can no longer be used.
public struct TokenRevoked: Sendable, Equatable {
    public var token: TokenID
    /// Nanoseconds since 1970.
    public var time: Int64

    public init(token: TokenID, time: Int64) {
        self.token = token
        self.time = time
    }
}
