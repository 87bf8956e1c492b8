import ArgumentParser
import CatalogueClient
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation

/// The library work queue: list, reorder, cancel.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "List, reorder and cancel a library's work items (library requests).",
        discussion: """
            Every robot operation (mount, dismount, inject, eject, inventory, cleaning) is a work item of its \
            library's queue. The changer runs one at a time, taking QUEUED items by priority, then arrival, as \
            reordered with `queue order`. A mount that waits for a busy drive is WAITING, keeping its place. \
            Finished items end PASSED, FAILED or CANCELLED; each library keeps its last 256.
            """,
        subcommands: [List.self, Order.self, Cancel.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A library's work items: the one on the robot, then the queue in the order the changer takes it.",
            discussion: "Listing only reads: the store is opened read-only.")

        @OptionGroup var options: StoreOptions
        @Argument(help: "The library (name or id).") var library: String
        @Flag(help: "Add the library's last finished items, newest first.") var all = false

        func run() async throws {
            if try await options.onServer({ client in
                let rows: [LibraryRequestJSON] = try await client.get(
                    APIPath("/v1/libraries") + library + "queue", query: all ? [("all", "true")] : [])
                emit(rows)
            }) {
                return
            }
            let catalogue = try await options.openReadOnly()
            defer { catalogue.close() }
            let state = catalogue.snapshot.state
            let found = try Names(state: state).library(library)
            emit(state.libraryRequests(of: found.id, finished: all).map { LibraryRequestJSON($0, state) })
        }

        private func emit(_ rows: [LibraryRequestJSON]) {
            let text =
                rows.isEmpty
                ? "no work items in \(TextRules.escaped(library))" : rows.map(\.text).joined(separator: "\n")
            Output.emit(rows, json: options.json, text: text)
        }
    }

    struct Order: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a QUEUED or WAITING work item to the front, or before another (SetNtmsRequestOrder).")

        @OptionGroup var options: StoreOptions
        @Argument(help: "The work item (work-N).") var item: String
        @Flag(help: "Put it at the front of its library's queue.") var first = false
        @Option(help: "Put it before this work item of the same library.") var before: String?

        func validate() throws {
            guard first != (before != nil) else { throw ValidationError("give one of --first and --before ID") }
        }

        func run() async throws {
            try await changeItem(
                options, item, route: "order", body: LibraryRequestOrderBody(first: first ? true : nil, before: before)
            ) {
                session, id in
                let position: LibraryRequestPosition =
                    try before.map { .before(try NameResolver.libraryRequestID($0)) } ?? .first
                try await session.reorderLibraryRequest(id, to: position)
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Cancel a QUEUED or WAITING work item (CancelNtmsLibraryRequest); its caller gets ERROR_CANCELLED.")

        @OptionGroup var options: StoreOptions
        @Argument(help: "The work item (work-N).") var item: String

        func run() async throws {
            try await changeItem(options, item, route: "cancel", body: nil) { session, id in
                try await session.cancelLibraryRequest(id)
            }
        }
    }
}

/// Changes one work item on the files or the server, and prints it as it is now.
private func changeItem(
    _ options: StoreOptions, _ item: String, route: String, body: LibraryRequestOrderBody?,
    _ change: (Session, LibraryRequestID) async throws -> Void
) async throws {
    if try await options.onServer({ client in
        let row: LibraryRequestJSON = try await client.send(
            .POST, APIPath("/v1/library-requests") + item + route, body: body)
        Output.emit(row, json: options.json, text: row.text)
    }) {
        return
    }
    let id = try NameResolver.libraryRequestID(item)
    let catalogue = try await options.open()
    defer { catalogue.close() }
    try await change(try options.session(catalogue), id)
    let state = catalogue.snapshot.state
    guard let request = state.libraryRequests[id] else { throw NtmsError(.objectNotFound, "no work item \(id)") }
    let row = LibraryRequestJSON(request, state)
    Output.emit(row, json: options.json, text: row.text)
}

extension LibraryRequestJSON {
    // Text from the log is escaped field by field, so none of it can forge a line.
    var text: String {
        var parts = [id, state, operation]
        if let barcode { parts.append(TextRules.escaped(barcode)) }
        if let drive { parts.append("drive \(drive)") }
        if let port { parts.append("port \(port)") }
        if priority != 0 { parts.append("priority \(priority)") }
        parts.append("\(TextRules.escaped(application))/\(TextRules.escaped(user))")
        parts.append("queued \(queued)")
        if let finished { parts.append("finished \(finished)") }
        if let error { parts.append(error) }
        if !message.isEmpty { parts.append(TextRules.escaped(message)) }
        return parts.joined(separator: "  ")
    }
}
