import ArgumentParser
import CatalogueClient
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import CatalogueServer
import CoreMetrics
import Foundation
import Logging
import Prometheus

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the catalogue over HTTP: the JSON API v1, the change stream and /metrics.",
        discussion: """
            Listen on a Unix socket (callers are known by their OS user, from the kernel) and/or TCP \
            (callers present a bearer token from `mediactl token create`). A TCP listener beyond loopback \
            needs TLS (--tls-cert and --tls-key) unless --insecure. SIGTERM or SIGINT stops accepting, \
            finishes requests in flight and answers waiting allocations with ERROR_CANCELLED. \
            The API is described at /v1/openapi.json (also docs/openapi.json).
            """)

    @OptionGroup var options: StoreOptions
    @Option(
        name: .customLong("listen"),
        help: ArgumentHelp("unix:PATH or HOST:PORT; repeat for several.", valueName: "address"))
    var listeners: [String] = []
    @Option(help: "PEM certificate chain for TLS on TCP listeners.") var tlsCert: String?
    @Option(help: "PEM private key for TLS on TCP listeners.") var tlsKey: String?
    @Flag(help: "Allow a TCP listener beyond loopback without TLS.") var insecure = false
    @Option(help: "Seconds before an idle connection (or a request head that never completes) is closed.")
    var idleTimeout: Int = 30

    func run() async throws {
        try options.requireStoreFiles("serve", because: "serves a store's files")
        var configuration = ServerConfiguration(
            listeners: try listeners.map { text throws(NtmsError) in try ServerListener(parsing: text) },
            tlsCertificate: tlsCert, tlsKey: tlsKey)
        configuration.insecure = insecure
        guard (1...3600).contains(idleTimeout) else { throw ValidationError("--idle-timeout is 1 to 3600 seconds") }
        configuration.idleTimeout = .seconds(idleTimeout)
        try CatalogueServer.validate(configuration)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(CatalogueServer.metricsFactory(registry: registry))
        var logger = Logger(label: "mediactl.serve", factory: ServerLogHandler.init)
        logger.logLevel = .notice
        var catalogueOptions = CatalogueOptions()
        catalogueOptions.followsOtherProcesses = true
        let catalogue = try await Catalogue.open(at: options.directory, options: catalogueOptions)
        defer { catalogue.close() }
        try await CatalogueServer.run(catalogue, configuration: configuration, logger: logger, registry: registry) {
            address in
            // One line per listener on stdout, so a script knows when to connect (and which port was chosen).
            FileHandle.standardOutput.write(Data("mediactl: serving \(options.directory) on \(address)\n".utf8))
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Make, list and revoke bearer tokens for the HTTP API (needs CONTROL on the catalogue).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a token acting for a principal; its secret is printed only now.")

        @OptionGroup var options: StoreOptions
        @Option(help: "The user the token acts as (rights are checked against it).") var principal: String
        @Option(name: .customLong("group"), help: "A group the principal belongs to; repeat for several.")
        var groups: [String] = []
        @Option(help: "When it stops working: an ISO-8601 time, or a number of days from now.") var expires: String?

        func run() async throws {
            if try await options.onServer({ client in
                let expiry = try expires.map { try JSONModel.time(expiryTime($0, now: wallClockNow())) }
                let body: IssuedTokenJSON = try await client.send(
                    .POST, "/v1/tokens",
                    body: TokenBody(principal: principal, groups: groups.isEmpty ? nil : groups, expires: expiry))
                Output.emit(body, json: options.json, text: text(body))
            }) {
                return
            }
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let expiry = try expires.map { try expiryTime($0, now: catalogue.now) }
            let issued = try await options.session(catalogue).issueToken(
                for: Principal(user: principal, groups: groups), expires: expiry)
            let token = try present(catalogue.snapshot.state.tokens[issued.id])
            let body = IssuedTokenJSON(token, secret: issued.secret)
            Output.emit(body, json: options.json, text: text(body))
        }

        private func text(_ body: IssuedTokenJSON) -> String {
            "\(body.id) for \(body.principal)\(body.expires.map { ", expires \($0)" } ?? "")\n\(body.token)"
        }

        /// `--expires`: an ISO-8601 time, or whole days from `now`, in nanoseconds since 1970.
        private func expiryTime(_ text: String, now: Int64) throws -> Int64 {
            if let days = Int(text), (1...36_500).contains(days) {
                return now + Int64(days) * 86_400_000_000_000
            }
            guard let date = ISO8601DateFormatter().date(from: text) else {
                throw ValidationError(
                    "--expires is an ISO-8601 time or 1 to 36500 days, not \(TextRules.preview(text))")
            }
            return Int64(date.timeIntervalSince1970 * 1e9)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")

        @OptionGroup var options: StoreOptions

        func run() async throws {
            let tokens: [TokenJSON]
            if let remote: [TokenJSON] = try await options.fromServer({ try await $0.get("/v1/tokens") }) {
                tokens = remote
            } else {
                let catalogue = try await options.openReadOnly()
                defer { catalogue.close() }
                tokens = catalogue.snapshot.state.tokens.values.sorted { $0.id < $1.id }.map(TokenJSON.init)
            }
            Output.emit(
                tokens, json: options.json,
                text: tokens.map {
                    "\($0.id) \($0.principal) issued \($0.issued)"
                        + ($0.revoked.map { " revoked \($0)" } ?? $0.expires.map { " expires \($0)" } ?? "")
                }.joined(separator: "\n"))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token at once.")

        @OptionGroup var options: StoreOptions
        @Argument(help: "The token's id (token-N).") var token: String

        func run() async throws {
            guard token.hasPrefix("token-"), let number = UInt64(token.dropFirst("token-".count)) else {
                throw NtmsError(.objectNotFound, "no token \"\(TextRules.preview(token))\"; name it token-N")
            }
            if try await options.onServer({ client in
                let body: TokenJSON = try await client.send(.DELETE, APIPath("/v1/tokens") + token)
                Output.emit(body, json: options.json, text: "revoked \(body.id) of \(body.principal)")
            }) {
                return
            }
            let catalogue = try await options.open()
            defer { catalogue.close() }
            try await options.session(catalogue).revokeToken(TokenID(number))
            let body = TokenJSON(try present(catalogue.snapshot.state.tokens[TokenID(number)]))
            Output.emit(body, json: options.json, text: "revoked \(body.id) of \(body.principal)")
        }
    }
}

struct OpenAPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi",
        abstract: "Print the HTTP API's OpenAPI 3.1 document (what the server answers at /v1/openapi.json).")

    func run() throws {
        FileHandle.standardOutput.write(try CatalogueServer.openAPIDocument())
    }
}
