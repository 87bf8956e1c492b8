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

/// The CLI's name for the domain's resolver.
typealias Names = NameResolver

/// `--label free|import|none`: a string-valued stand-in for `MediaLabel`, so
/// `--help` names the values and the default (the domain enum's raw values are numbers).
enum LabelArgument: String, ExpressibleByArgument, CaseIterable {
    case free, `import`, none

    var label: MediaLabel {
        switch self {
        case .free: .free
        case .import: .import
        case .none: .none
        }
    }
}
