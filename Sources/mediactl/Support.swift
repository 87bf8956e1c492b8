import ArgumentParser
import CatalogueDomain
import CatalogueEngine
import Foundation

/// A command-line mistake found after parsing (an unknown name, a bad value): exit status 2.
struct UsageError: Error {
    var message: String
}

/// Options every command takes.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The catalogue store directory (default: $MEDIACTL_STORE, else ./media-catalogue).")
    var store: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    var directory: String {
        store ?? ProcessInfo.processInfo.environment["MEDIACTL_STORE"] ?? "./media-catalogue"
    }

    /// Opens the existing store, failing with a clear NTMS error when there is none.
    func open() async throws -> Catalogue {
        try await Catalogue.open(at: directory)
    }

    func session(_ catalogue: Catalogue) throws -> Session {
        try catalogue.session(application: "mediactl", user: currentUserName())
    }
}

enum Output {
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Prints `value` as JSON or, without --json, the text lines.
    static func emit<T: Encodable>(_ value: T, json: Bool, text: @autoclosure () -> String) {
        print(json ? Self.json(value) : text())
    }

    static func reportError(_ error: NtmsError, json: Bool) {
        struct ErrorBody: Encodable {
            var error: String
            var code: Int32
            var message: String
        }
        let line =
            json
            ? Self.json(ErrorBody(error: error.code.name, code: error.code.rawValue, message: error.message))
            : "mediactl: \(error.code.name) (\(error.code.rawValue)): \(error.message)"
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// Resolves operator-facing names (paths, bar codes, `BARCODE:A`) to identifiers.
struct Names {
    let state: CatalogueState

    func mediaType(_ text: String) throws -> MediaType {
        if let id = MediaTypeID(text), let type = state.mediaTypes[id] { return type }
        guard let type = state.mediaType(named: text) else {
            throw NtmsError(.objectNotFound, "no media type \(text)")
        }
        return type
    }

    func library(_ text: String) throws -> Library {
        if let id = LibraryID(text), let library = state.libraries[id] { return library }
        guard let library = state.library(named: text) else { throw NtmsError(.invalidLibrary, "no library \(text)") }
        return library
    }

    func pool(_ text: String) throws -> Pool {
        if let id = PoolID(text), let pool = state.pools[id] { return pool }
        guard let pool = state.pool(atPath: text) else { throw NtmsError(.invalidMediaPool, "no pool \(text)") }
        return pool
    }

    /// A medium by identifier (`medium-12`) or bar code.
    func medium(_ text: String) throws -> Medium {
        if let id = MediumID(text), let medium = state.media[id] { return medium }
        guard let medium = state.medium(withBarcode: text) else { throw NtmsError(.invalidMedia, "no medium \(text)") }
        return medium
    }

    /// A side by identifier (`side-13`) or `BARCODE:A` / `BARCODE:B`.
    func side(_ text: String) throws -> Side {
        if let id = SideID(text), let side = state.sides[id] { return side }
        guard let colon = text.lastIndex(of: ":") else {
            throw UsageError(message: "a side is named side-N or BARCODE:A / BARCODE:B, not \(text)")
        }
        let barcode = String(text[..<colon])
        let letter = text[text.index(after: colon)...].uppercased()
        let medium = try medium(barcode)
        guard letter.count == 1, let scalar = letter.unicodeScalars.first, scalar.value >= 65,
            let side = state.sides(of: medium).first(where: { $0.number == UInt8(scalar.value - 65) })
        else { throw NtmsError(.invalidMedia, "medium \(barcode) has no side \(letter)") }
        return side
    }

    /// An LMID (`lmid-4`), or a side spec whose side is allocated.
    func logicalMedium(_ text: String) throws -> LogicalMedium {
        if let id = LogicalMediumID(text) {
            guard let logical = state.logicalMedia[id] else {
                throw NtmsError(.invalidMedia, "no logical medium \(text)")
            }
            return logical
        }
        let side = try side(text)
        guard let id = side.logicalMedium, let logical = state.logicalMedia[id] else {
            throw NtmsError(.invalidMedia, "\(text) is \(side.state.name), not allocated")
        }
        return logical
    }
}

/// Parses `--label free|import|none`.
extension MediaLabel: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "free": self = .free
        case "import": self = .import
        case "none": self = .none
        default: return nil
        }
    }

    public static var allValueStrings: [String] { ["free", "import", "none"] }
}
