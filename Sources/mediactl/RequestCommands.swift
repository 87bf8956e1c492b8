import ArgumentParser
import CatalogueClient
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation

extension WaitTimeout: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }

    /// How long a client waits for the server's answer to a wait of this
    /// length: the wait and the usual margin, or as long as it takes.
    var clientPatience: Duration? {
        switch self {
        case .infinite: nil
        case .milliseconds(let milliseconds): .milliseconds(Int64(milliseconds)) + CatalogueClient.defaultPatience
        }
    }

    /// The API's `timeout_ms`: absent for no wait, 4294967295 for forever.
    var apiMilliseconds: UInt32? {
        switch self {
        case .infinite: .max
        case .milliseconds(0): nil
        case .milliseconds(let milliseconds): milliseconds
        }
    }
}

struct Requests: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List operator requests: open ones and those finished in the last 72 hours.",
        discussion: """
            Listing only reads (the store is opened read-only), so a dashboard that polls it changes nothing. \
            An operator console passes --console: the SUBMITTED requests it lists become ACTIVE, as RSM's \
            console marks the requests it shows. `mediactl request display ID` marks one.
            """)

    @OptionGroup var options: StoreOptions
    @Flag(help: "Include every finished request, however old.") var all = false
    @Flag(help: "Mark the SUBMITTED requests listed as seen on a console (ACTIVE); this writes to the store.")
    var console = false

    func run() async throws {
        if try await options.onServer({ client in
            var rows: [RequestJSON] = try await client.get("/v1/requests", query: all ? [("all", "true")] : [])
            if console {
                for (index, row) in rows.enumerated() where row.state == "SUBMITTED" {
                    rows[index] = try await client.send(.POST, APIPath("/v1/requests") + row.id + "display")
                }
            }
            Output.emit(rows, json: options.json, text: rows.map(\.text).joined(separator: "\n"))
        }) {
            return
        }
        let catalogue = try await console ? options.open() : options.openReadOnly()
        defer { catalogue.close() }
        let listed = catalogue.requests(all: all)
        let fresh = listed.filter { $0.state == .submitted }.map(\.id)
        if console, !fresh.isEmpty { try await options.session(catalogue).displayRequests(fresh) }
        // The same requests, with the states the marking just gave them.
        let state = catalogue.snapshot.state
        let rows = listed.map { RequestJSON(state.requests[$0.id] ?? $0, state) }
        Output.emit(rows, json: options.json, text: rows.map(\.text).joined(separator: "\n"))
    }
}

struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request", abstract: "Submit, answer and wait on operator requests.",
        subcommands: [Submit.self, Display.self, Ack.self, Satisfy.self, Cancel.self, Wait.self])

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit an operator request (SubmitNtmsOperatorRequest).")

        @OptionGroup var options: StoreOptions
        @Option(help: "The message for the operator: one line, at most 256 bytes of UTF-8.") var message: String
        @Option(
            help:
                "MESSAGE (default), NEWMEDIA (needs --pool), MOVEMEDIA (needs --medium), CLEANER or DEVICESERVICE (need --library)."
        )
        var type: String = "MESSAGE"
        @Option(help: "The pool that needs media (NEWMEDIA).") var pool: String?
        @Option(help: "The medium to bring online (MOVEMEDIA).") var medium: String?
        @Option(help: "The library concerned (CLEANER, DEVICESERVICE).") var library: String?

        func run() async throws {
            guard let kind = OperatorRequestType(name: type) else {
                throw UsageError(
                    message: "--type is one of MESSAGE, NEWMEDIA, MOVEMEDIA, CLEANER, DEVICESERVICE, not \(type)")
            }
            if try await options.onServer({ client in
                let body: RequestJSON = try await client.send(
                    .POST, "/v1/requests",
                    body: OperatorRequestBody(
                        type: kind.name, message: message, pool: pool, medium: medium, library: library))
                Output.emit(body, json: options.json, text: body.text)
            }) {
                return
            }
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let names = Names(state: catalogue.snapshot.state)
            let argument: UInt64? =
                if let pool { try names.pool(pool).id.rawValue } else if let medium {
                    try names.medium(medium).id.rawValue
                } else if let library { try names.library(library).id.rawValue } else { nil }
            let id = try await options.session(catalogue).submitRequest(kind, message: message, firstArgument: argument)
            try printRequest(id, catalogue, json: options.json)
        }
    }

    struct Display: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark a request as shown on an operator console: SUBMITTED becomes ACTIVE.",
            discussion: "A request that is already ACTIVE or further along is left as it is.")
        @OptionGroup var options: StoreOptions
        @Argument(help: "The request id (request-N).") var id: String

        func run() async throws {
            try await answer(id, "display", options) { session, id in
                guard session.catalogue.snapshot.state.requests[id] != nil else {
                    throw NtmsError(.objectNotFound, "no operator request \(id)")
                }
                try await session.displayRequests([id])
            }
        }
    }

    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Acknowledge a request: an operator is on it (INPROGRESS).")
        @OptionGroup var options: StoreOptions
        @Argument(help: "The request id (request-N).") var id: String

        func run() async throws {
            try await answer(id, "ack", options) { session, id in try await session.acknowledgeRequest(id) }
        }
    }

    struct Satisfy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark a request done (SatisfyNtmsOperatorRequest); a waiting allocation searches again.")
        @OptionGroup var options: StoreOptions
        @Argument(help: "The request id (request-N).") var id: String

        func run() async throws {
            try await answer(id, "satisfy", options) { session, id in try await session.satisfyRequest(id) }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Refuse a request (CancelNtmsOperatorRequest); a waiting allocation fails with ERROR_CANCELLED.")
        @OptionGroup var options: StoreOptions
        @Argument(help: "The request id (request-N).") var id: String

        func run() async throws {
            try await answer(id, "cancel", options) { session, id in try await session.cancelRequest(id) }
        }
    }

    struct Wait: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait until a request is finished (WaitForNtmsOperatorRequest).",
            discussion:
                "Exits 0 when it is COMPLETE, 3 with ERROR_CANCELLED when REFUSED, 3 with ERROR_TIMEOUT when the timeout passes first."
        )
        @OptionGroup var options: StoreOptions
        @Argument(help: "The request id (request-N).") var id: String
        @Option(help: "Milliseconds to wait, or `infinite` (0: just check).") var timeout: WaitTimeout = .infinite

        func run() async throws {
            let id = try requestID(id)
            if try await options.onServer({ client in
                let body: RequestJSON = try await client.get(
                    APIPath("/v1/requests") + id.description + "wait",
                    query: timeout.apiMilliseconds.map { [("timeout_ms", String($0))] } ?? [],
                    patience: timeout.clientPatience)
                Output.emit(body, json: options.json, text: body.text)
            }) {
                return
            }
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let request = try await options.session(catalogue).waitForRequest(id, timeout: timeout)
            let body = RequestJSON(request, catalogue.snapshot.state)
            Output.emit(body, json: options.json, text: body.text)
        }
    }
}

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print committed events as JSON lines as they happen, from any process, until interrupted.",
        discussion: """
            Opens the store read-only. With --to-head it prints the log from --from (default: the first \
            event) up to the head it finds when it starts, then exits: a dump of the log.
            """)

    @OptionGroup var options: StoreOptions
    @Option(help: "Start with the event of this sequence number (default: only new events).") var from: UInt64?
    @Flag(help: "Stop at the log's head instead of waiting for new events.") var toHead = false

    func validate() throws {
        if from == 0 { throw ValidationError("events are numbered from 1") }
    }

    func run() async throws {
        if try await options.onServer({ client in
            for try await line in client.events(from: from ?? (toHead ? 1 : nil), toHead: toHead) {
                // Decoded and written again, so nothing the server sent reaches the terminal raw.
                guard let event = try? JSONDecoder().decode(EventJSON.self, from: Data(line.utf8)) else {
                    throw NtmsError(.notReady, "the server sent an event this client cannot read")
                }
                FileHandle.standardOutput.write(Data((Output.json(event) + "\n").utf8))
            }
        }) {
            return
        }
        let catalogue = try await options.openReadOnly()
        defer { catalogue.close() }
        if toHead {
            let head = catalogue.snapshot.head.sequence
            var next = from ?? 1
            while next <= head {
                let last = min(head, next + Self.chunk - 1)
                for logged in try catalogue.events(from: next, through: last) { write(logged) }
                next = last + 1
            }
            return
        }
        for try await logged in catalogue.changes(from: from) { write(logged) }
    }

    /// Events read from the log per transaction when dumping it.
    private static let chunk: UInt64 = 4096

    private func write(_ logged: LoggedEvent) {
        // Unbuffered, so a pipe sees each event as it happens.
        FileHandle.standardOutput.write(Data((Output.json(EventJSON(logged)) + "\n").utf8))
    }
}

func requestID(_ text: String) throws -> OperatorRequestID {
    guard let id = OperatorRequestID(text) else {
        throw UsageError(message: "a request is named request-N, not \(text)")
    }
    return id
}

/// Runs an operator's answer to a request, `action` on the files or the route of that name on a server.
private func answer(
    _ text: String, _ route: String, _ options: StoreOptions,
    _ action: (Session, OperatorRequestID) async throws -> Void
) async throws {
    let id = try requestID(text)
    if try await options.onServer({ client in
        let body: RequestJSON = try await client.send(.POST, APIPath("/v1/requests") + id.description + route)
        Output.emit(body, json: options.json, text: body.text)
    }) {
        return
    }
    let catalogue = try await options.open()
    defer { catalogue.close() }
    try await action(try options.session(catalogue), id)
    try printRequest(id, catalogue, json: options.json)
}

func printRequest(_ id: OperatorRequestID, _ catalogue: Catalogue, json: Bool) throws {
    let state = catalogue.snapshot.state
    guard let request = state.requests[id] else { return }
    let body = RequestJSON(request, state)
    Output.emit(body, json: json, text: body.text)
}
