/// RSM's access rights (`NtmsAccessMask`), with the header's bit values.
public struct AccessRights: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// NTMS_USE_ACCESS: read attributes, mount.
    public static let use = AccessRights(rawValue: 0x1)
    /// NTMS_MODIFY_ACCESS: change attributes and policies, delete.
    public static let modify = AccessRights(rawValue: 0x2)
    /// NTMS_CONTROL_ACCESS: allocate, inject and eject, change access rights.
    public static let control = AccessRights(rawValue: 0x4)
    /// NTMS_ALL_ACCESS.
    public static let all: AccessRights = [.use, .modify, .control]

    /// The names of the rights held, lowest bit first: `use`, `modify`, `control`.
    public var names: [String] {
        [(AccessRights.use, "use"), (.modify, "modify"), (.control, "control")].filter { contains($0.0) }.map(\.1)
    }

    /// `use`, `modify`, `control` or `all`; nil for any other word.
    public init?(name: String) {
        switch name.lowercased() {
        case "use": self = .use
        case "modify": self = .modify
        case "control": self = .control
        case "all": self = .all
        default: return nil
        }
    }
}

/// Whom an access entry names: one user, the members of one group, or everyone.
public enum Trustee: Sendable, Hashable, Comparable, CustomStringConvertible {
    case user(String)
    case group(String)
    case everyone

    /// `user:NAME`, `group:NAME` or `everyone`.
    public var description: String {
        switch self {
        case .user(let name): "user:" + name
        case .group(let name): "group:" + name
        case .everyone: "everyone"
        }
    }

    /// The longest user or group name, in UTF-8 bytes (RSM's user-name limit).
    public static let maximumNameLength = 64

    /// Whether a user or group name is acceptable: 1 to 64 bytes of displayable text.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maximumNameLength && TextRules.isDisplayable(name)
    }
}

/// What carries access rights: the catalogue (RSM's computer), a library (its
/// drives, slots and ports) or a media pool (its media, sides and logical media).
public enum SecuredObject: Sendable, Hashable, Comparable, CustomStringConvertible {
    case catalogue
    case library(LibraryID)
    case pool(PoolID)

    public var description: String {
        switch self {
        case .catalogue: "catalogue"
        case .library(let id): id.description
        case .pool(let id): id.description
        }
    }

    public static func < (lhs: SecuredObject, rhs: SecuredObject) -> Bool {
        func key(_ object: SecuredObject) -> (Int, UInt64) {
            switch object {
            case .catalogue: (0, 0)
            case .library(let id): (1, id.rawValue)
            case .pool(let id): (2, id.rawValue)
            }
        }
        return key(lhs) < key(rhs)
    }
}

/// One entry of an access list: the rights one trustee holds.
public struct AccessEntry: Sendable, Hashable {
    public var trustee: Trustee
    public var rights: AccessRights

    public init(_ trustee: Trustee, _ rights: AccessRights) {
        self.trustee = trustee
        self.rights = rights
    }
}

/// An object's own access list: one entry per trustee, in trustee order, none empty.
public struct AccessList: Sendable, Hashable {
    public private(set) var entries: [AccessEntry]

    /// Merges entries of the same trustee and drops empty ones.
    public init(_ entries: [AccessEntry] = []) {
        var merged: [Trustee: AccessRights] = [:]
        for entry in entries { merged[entry.trustee, default: []].formUnion(entry.rights) }
        self.entries = merged.filter { !$0.value.isEmpty }.map { AccessEntry($0.key, $0.value) }
            .sorted { $0.trustee < $1.trustee }
    }

    /// The rights `principal` holds through this list: its user's entry, its
    /// groups' entries and everyone's, together.
    public func rights(of principal: Principal) -> AccessRights {
        var held: AccessRights = []
        for entry in entries {
            switch entry.trustee {
            case .everyone: held.formUnion(entry.rights)
            case .user(let name) where name == principal.user: held.formUnion(entry.rights)
            case .group(let name) where principal.groups.contains(name): held.formUnion(entry.rights)
            default: break
            }
        }
        return held
    }

    /// The list with `rights` added to (or, `granting: false`, taken from) `trustee`.
    public func changing(_ trustee: Trustee, _ rights: AccessRights, granting: Bool) -> AccessList {
        var held = entries.first { $0.trustee == trustee }?.rights ?? []
        if granting { held.formUnion(rights) } else { held.subtract(rights) }
        return AccessList(entries.filter { $0.trustee != trustee } + [AccessEntry(trustee, held)])
    }
}

/// Who a command acts for: a user and the groups it belongs to. The engine
/// trusts what it is given: an embedder names its own principal, the CLI on
/// the store files the process's OS user, the server the authenticated peer.
public struct Principal: Sendable, Hashable {
    public var user: String
    public var groups: [String]

    public init(user: String, groups: [String] = []) {
        self.user = user
        self.groups = groups
    }
}

public enum TokenKind: IdentifierKind { public static let prefix = "token" }
/// A bearer token for the HTTP API.
public typealias TokenID = Identifier<TokenKind>

/// A bearer token as the catalogue keeps it: whom it stands for and the
/// SHA-256 of its secret. The secret itself is shown once, when it is made,
/// and stored nowhere.
public struct AccessToken: Sendable, Equatable {
    public var id: TokenID
    public var principal: Principal
    /// SHA-256 of the secret part of the token.
    public var secretHash: [UInt8]
    /// Nanoseconds since 1970.
    public var issued: Int64
    /// Nanoseconds since 1970; nil never expires.
    public var expires: Int64?
    /// Nanoseconds since 1970 when revoked; nil while valid.
    public var revoked: Int64?

    /// Whether the token may be used at `now`.
    public func isValid(at now: Int64) -> Bool { revoked == nil && (expires.map { now < $0 } ?? true) }
}
