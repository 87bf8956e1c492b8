import CatalogueDomain

/// One object's access rights: its own list, or the one it inherits.
public struct AccessListJSON: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        /// `user:NAME`, `group:NAME` or `everyone`.
        public var trustee: String
        /// `use`, `modify`, `control`, in that order.
        public var rights: [String]
    }

    /// `catalogue`, `library-N` or `pool-N`.
    public var object: String
    /// `catalogue`, the library's name or the pool's path.
    public var name: String
    /// Null when the object has its own list; else the object whose list it follows.
    public var inherits_from: String?
    public var entries: [Entry]

    public init(_ object: SecuredObject, _ state: CatalogueState) {
        self.object = object.description
        switch object {
        case .catalogue: name = "catalogue"
        case .library(let id): name = state.libraries[id]?.name ?? id.description
        case .pool(let id): name = state.pools[id]?.path ?? id.description
        }
        let governing = state.governingAccessList(for: object)
        inherits_from = governing.flatMap { $0.from == object ? nil : $0.from.description }
        entries = (governing?.list.entries ?? []).map {
            Entry(trustee: $0.trustee.description, rights: $0.rights.names)
        }
    }
}

/// A bearer token as listed: never its secret.
public struct TokenJSON: Codable, Sendable, Equatable {
    public var id: String
    public var principal: String
    public var groups: [String]
    public var issued: String
    /// Null: never expires.
    public var expires: String?
    /// Null: still valid (unless expired).
    public var revoked: String?

    public init(_ token: AccessToken) {
        id = token.id.description
        principal = token.principal.user
        groups = token.principal.groups
        issued = JSONModel.time(token.issued)
        expires = token.expires.map(JSONModel.time)
        revoked = token.revoked.map(JSONModel.time)
    }
}

/// A bearer token just made, with its secret: the only time it is shown.
public struct IssuedTokenJSON: Codable, Sendable, Equatable {
    public var id: String
    public var principal: String
    public var groups: [String]
    public var expires: String?
    /// What a client sends as `Authorization: Bearer …`.
    public var token: String

    public init(_ token: AccessToken, secret: String) {
        id = token.id.description
        principal = token.principal.user
        groups = token.principal.groups
        expires = token.expires.map(JSONModel.time)
        self.token = secret
    }
}
