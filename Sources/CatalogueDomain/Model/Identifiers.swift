/// The kind of object an identifier names; its prefix makes the text form
/// (`side-12`) say what it is.
public protocol IdentifierKind: Sendable {
    static var prefix: String { get }
}

/// A catalogue object's identity. All kinds draw from one counter in the
/// catalogue, so a number never names two objects. Identifiers are decided by
/// `decide` and recorded in events, never generated during replay.
public struct Identifier<Kind: IdentifierKind>: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Parses the text form `prefix-N` (for example `lmid-7`).
    public init?(_ text: String) {
        let prefix = Kind.prefix + "-"
        let digits = text.dropFirst(prefix.count)
        // Canonical decimal only, so every identifier has exactly one spelling.
        guard text.hasPrefix(prefix), !digits.isEmpty, digits.first != "0",
            digits.allSatisfy({ ("0"..."9").contains($0) }),
            let value = UInt64(digits), value > 0
        else { return nil }
        self.rawValue = value
    }

    public var description: String { "\(Kind.prefix)-\(rawValue)" }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

public enum MediaTypeKind: IdentifierKind { public static let prefix = "type" }
public enum LibraryKind: IdentifierKind { public static let prefix = "library" }
public enum PoolKind: IdentifierKind { public static let prefix = "pool" }
public enum MediumKind: IdentifierKind { public static let prefix = "medium" }
public enum SideKind: IdentifierKind { public static let prefix = "side" }
public enum LogicalMediumKind: IdentifierKind { public static let prefix = "lmid" }

public typealias MediaTypeID = Identifier<MediaTypeKind>
public typealias LibraryID = Identifier<LibraryKind>
public typealias PoolID = Identifier<PoolKind>
public typealias MediumID = Identifier<MediumKind>
public typealias SideID = Identifier<SideKind>
/// A logical medium (RSM's LMID): what an application holds after allocating.
public typealias LogicalMediumID = Identifier<LogicalMediumKind>
