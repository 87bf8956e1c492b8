import ArgumentParser
import CatalogueClient
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation

/// A command-line mistake found after parsing (an unknown name, a bad value): exit status 2.
struct UsageError: Error {
    var message: String
}

/// Options every command takes.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "The catalogue store directory (default: $MEDIACTL_STORE, else /var/lib/mediacatalogue for root, ~/.local/share/mediacatalogue for others)."
    )
    var store: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The application recorded with every event this command causes (declared, not verified).",
            valueName: "name"))
    var application = "mediactl"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Run against this server instead of the store files: unix:PATH, http://HOST:PORT or https://HOST:PORT (default: $MEDIACTL_SERVER, unless --store is given).",
            valueName: "url"))
    var server: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A file holding the bearer token a TCP server needs (default: the token in $MEDIACTL_TOKEN).",
            valueName: "path"))
    var tokenFile: String?

    @Option(
        name: .customLong("server-ca"),
        help: ArgumentHelp(
            "A PEM file of the certificates that may sign an https server's (default: the system's).",
            valueName: "path"))
    var serverCA: String?

    func validate() throws {
        if server != nil, store != nil {
            throw ValidationError("--server and --store cannot be combined: a command runs on one or the other")
        }
    }

    /// The server the command runs against: --server, else $MEDIACTL_SERVER
    /// unless --store names the files. Nil: the store files.
    var serverAddress: String? {
        let address = server ?? (store == nil ? ProcessInfo.processInfo.environment["MEDIACTL_SERVER"] : nil)
        return address?.isEmpty == false ? address : nil
    }

    /// Runs `remote` with a client of the named server and says so; false
    /// when no server is named and the command is to use the store files.
    func onServer(_ remote: (CatalogueClient) async throws -> Void) async throws -> Bool {
        try await fromServer(remote) != nil
    }

    /// What `remote` answers with a client of the named server; nil when no
    /// server is named and the answer is to come from the store files.
    func fromServer<Answer>(_ remote: (CatalogueClient) async throws -> Answer) async throws -> Answer? {
        guard let address = serverAddress else { return nil }
        let client = try CatalogueClient(
            endpoint: try ServerEndpoint(address), token: try bearerToken(), trustedCertificates: serverCA,
            application: application)
        do {
            let answer = try await remote(client)
            await client.shutdown()
            return answer
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Refuses a command that works on the store files only when a server is named.
    func requireStoreFiles(_ command: String, because reason: String) throws {
        guard serverAddress != nil else { return }
        throw UsageError(message: "`mediactl \(command)` \(reason), so it does not run against a server")
    }

    /// The token from --token-file, else $MEDIACTL_TOKEN (never an argument: others could read it in ps).
    private func bearerToken() throws -> String? {
        guard let tokenFile else {
            let token = ProcessInfo.processInfo.environment["MEDIACTL_TOKEN"]
            return token?.isEmpty == false ? token : nil
        }
        guard let data = FileManager.default.contents(atPath: tokenFile),
            let text = String(data: data, encoding: .utf8)
        else {
            throw NtmsError(.pathNotFound, "cannot read the token file \(TextRules.preview(tokenFile))")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty, !token.contains(where: \.isNewline) else {
            throw NtmsError(.invalidParameter, "the token file \(TextRules.preview(tokenFile)) holds no single token")
        }
        return token
    }

    var directory: String {
        store ?? ProcessInfo.processInfo.environment["MEDIACTL_STORE"] ?? Self.defaultStore(uid: geteuid())
    }

    /// The store used when none is named: a fixed place per user, never one that
    /// depends on the working directory (a command run from another folder
    /// would find no store, or another one). The home directory comes from the
    /// password database, like the recorded user, not from `$HOME`.
    static func defaultStore(uid: uid_t) -> String {
        if uid == 0 { return "/var/lib/mediacatalogue" }
        guard let home = UserAccount(uid: uid)?.home, home.hasPrefix("/") else {
            return "/var/lib/mediacatalogue/uid-\(uid)"
        }
        return home + "/.local/share/mediacatalogue"
    }

    /// Opens the existing store, failing with a clear NTMS error when there is none.
    func open() async throws -> Catalogue {
        try await Catalogue.open(at: directory)
    }

    /// Opens the existing store for a query: read-only, so it works for any
    /// user who may read the files, and changes nothing.
    func openReadOnly() async throws -> Catalogue {
        try await Catalogue.open(at: directory, mode: .readOnly)
    }

    func session(_ catalogue: Catalogue) throws -> Session {
        // The user is the kernel's (effective uid); the application is only what the caller declares.
        try catalogue.session(application: application, principal: OSAccounts.currentPrincipal())
    }
}

enum Output {
    /// One line of JSON in the model's encoding (docs/json-model.md).
    static func json<T: Encodable>(_ value: T) -> String { JSONModel.line(value) }

    /// Text output with every character that is not displayable escaped, line
    /// by line: the line breaks are the CLI's own, and views escape the fields
    /// from the log that could hold one.
    static func terminalText(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { TextRules.escaped(String($0)) }
            .joined(separator: "\n")
    }

    /// Prints `value` as JSON or, without --json, the text lines.
    static func emit<T: Encodable>(_ value: T, json: Bool, text: @autoclosure () -> String) {
        print(json ? Self.json(value) : terminalText(text()))
    }

    static func reportError(_ error: NtmsError, json: Bool) {
        let line =
            json
            ? Self.json(ErrorJSON(error))
            : "mediactl: \(error.code.name) (\(error.code.rawValue)): \(TextRules.escaped(error.message))"
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
