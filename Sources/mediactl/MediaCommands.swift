import ArgumentParser
import CatalogueClient
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation

struct Complete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mark an allocated side full, read-only (SetNtmsMediaComplete).")

    @OptionGroup var options: StoreOptions
    @Argument(help: "The logical medium (lmid-N) or its side.") var lmid: String

    func run() async throws {
        if try await options.onServer({ client in
            let body: SideJSON = try await client.send(.POST, APIPath("/v1/lmids") + lmid + "complete")
            Output.emit(body, json: options.json, text: body.text)
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let logical = try Names(state: catalogue.snapshot.state).logicalMedium(lmid)
        try await options.session(catalogue).complete(logical.id)
        try printSide(logical.side, catalogue, json: options.json)
    }
}

struct Decommission: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Retire an AVAILABLE side for good (DecommissionNtmsMedia).")

    @OptionGroup var options: StoreOptions
    @Argument(help: "The side: side-N or BARCODE:A.") var side: String

    func run() async throws {
        if try await options.onServer({ client in
            let body: SideJSON = try await client.send(.POST, APIPath("/v1/sides") + self.side + "decommission")
            Output.emit(body, json: options.json, text: body.text)
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let side = try Names(state: catalogue.snapshot.state).side(side)
        try await options.session(catalogue).decommission(side.id)
        try printSide(side.id, catalogue, json: options.json)
    }
}

struct Move: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move a medium to another pool (MoveToNtmsMediaPool).",
        discussion: """
            Free -> application; Import or Unrecognized -> Free (a free label makes the sides AVAILABLE);
            application -> Free or another application pool when no side is allocated, complete or reserved;
            application -> Import when every side is IMPORT. Anything else is ERROR_INVALID_MEDIA_POOL.
            """)

    @OptionGroup var options: StoreOptions
    @Argument(help: "The medium: medium-N or its bar code.") var medium: String
    @Option(help: "The destination pool (path or id).") var to: String
    @Flag(
        help: """
            The destination pool is of another media type, which the medium takes (ChangeNtmsMediaType): \
            only in an online library, with as many sides, nothing allocated.
            """)
    var changeType = false

    func run() async throws {
        if try await options.onServer({ client in
            let body: MediumJSON = try await client.send(
                .POST, APIPath("/v1/media") + self.medium + "move",
                body: MoveBody(pool: to, changeType: changeType ? true : nil))
            Output.emit(body, json: options.json, text: body.text)
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let names = Names(state: catalogue.snapshot.state)
        let medium = try names.medium(medium)
        let pool = try names.pool(to).id
        if changeType {
            try await options.session(catalogue).changeMediaType(medium.id, to: pool)
        } else {
            try await options.session(catalogue).move(medium.id, to: pool)
        }
        let state = catalogue.snapshot.state
        let body = MediumJSON(try present(state.media[medium.id]), state)
        Output.emit(body, json: options.json, text: body.text)
    }
}

extension MediaCommand {
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an offline medium with nothing allocated from the catalogue (DeleteNtmsMedia).")

        @OptionGroup var options: StoreOptions
        @Argument(help: "The medium: medium-N or its bar code.") var medium: String

        func run() async throws {
            if try await options.onServer({ client in
                let body: DeletedMediumJSON = try await client.send(.DELETE, APIPath("/v1/media") + self.medium)
                Output.emit(body, json: options.json, text: "deleted \(body.deleted) \(body.barcode)")
            }) {
                return
            }
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let medium = try Names(state: catalogue.snapshot.state).medium(medium)
            try await options.session(catalogue).deleteMedium(medium.id)
            let body = DeletedMediumJSON(medium)
            Output.emit(body, json: options.json, text: "deleted \(body.deleted) \(body.barcode)")
        }
    }
}

extension PoolCommand {
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an empty application pool (DeleteNtmsMediaPool).")

        @OptionGroup var options: StoreOptions
        @Argument(help: "The pool path or id.") var path: String

        func run() async throws {
            if try await options.onServer({ client in
                let body: DeletedPoolJSON = try await client.send(.DELETE, APIPath("/v1/pools") + path)
                Output.emit(body, json: options.json, text: "deleted \(body.deleted) \(body.path)")
            }) {
                return
            }
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let pool = try Names(state: catalogue.snapshot.state).pool(path)
            try await options.session(catalogue).deletePool(pool.id)
            let body = DeletedPoolJSON(pool)
            Output.emit(body, json: options.json, text: "deleted \(body.deleted) \(body.path)")
        }
    }
}

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Every event that touched an object, oldest first, with time, application and user.",
        discussion:
            "The object is any identifier (medium-N, side-N, lmid-N, pool-N, ...), a bar code, a side (BARCODE:A) or a pool path."
    )

    @OptionGroup var options: StoreOptions
    @Argument(help: "The object.") var object: String

    func run() async throws {
        if try await options.onServer({ client in
            let events: [EventJSON] = try await client.get(APIPath("/v1/history") + object)
            let entries = events.map(EventView.init)
            Output.emit(events, json: options.json, text: entries.map(\.text).joined(separator: "\n"))
        }) {
            return
        }
        let catalogue = try await options.openReadOnly()
        defer { catalogue.close() }
        let entries = try catalogue.history(named: object).map { EventView(EventJSON($0)) }
        Output.emit(entries.map(\.json), json: options.json, text: entries.map(\.text).joined(separator: "\n"))
    }
}

func printSide(_ id: SideID, _ catalogue: Catalogue, json: Bool) throws {
    let state = catalogue.snapshot.state
    guard let side = state.sides[id], let medium = state.media[side.medium] else { return }
    let body = SideJSON(side, medium, state)
    Output.emit(body, json: json, text: body.text)
}

struct Swap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Swap the sides behind two logical media of one pool (SwapNtmsMedia).",
        discussion: """
            After an application copied its data from one medium to another, the two logical media exchange \
            sides: each keeps its identifier, pool and state (ALLOCATED or COMPLETE). Neither medium may be in \
            a drive or being moved.
            """)

    @OptionGroup var options: StoreOptions
    @Argument(help: "A logical medium (lmid-N) or its side.") var first: String
    @Argument(help: "The other logical medium.") var second: String

    func run() async throws {
        if try await options.onServer({ client in
            let body: SwapJSON = try await client.send(
                .POST, APIPath("/v1/lmids") + first + "swap", body: SwapBody(with: second))
            Output.emit(body, json: options.json, text: body.text)
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let names = Names(state: catalogue.snapshot.state)
        let one = try names.logicalMedium(first).id
        let other = try names.logicalMedium(second).id
        try await options.session(catalogue).swap(one, other)
        let body = try present(SwapJSON(one, other, catalogue.snapshot.state))
        Output.emit(body, json: options.json, text: body.text)
    }
}

extension SwapJSON {
    var text: String { "swapped: \(first.text)\n         \(second.text)" }
}

/// An on-media label on the command line.
struct OnMediaLabelOptions: ParsableArguments {
    @Option(help: "The on-media label's type (MTF, the application's name …).") var labelType: String?
    @Option(help: "The on-media label's id.") var labelId: String?
    @Option(help: "The on-media label's detail, such as a file system.") var labelInfo: String?

    func identifier(required: Bool) throws(NtmsError) -> OnMediaIdentifier? {
        let given = try OnMediaIdentifier.given(type: labelType, id: labelId, info: labelInfo)
        guard given != nil || !required else {
            throw NtmsError(.invalidParameter, "an on-media label needs --label-type and --label-id")
        }
        return given
    }
}

struct UpdateOmid: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "omid",
        abstract: "Record the label an application wrote on its side (UpdateNtmsOmidInfo).",
        discussion: """
            A cartridge that comes back under an unknown bar code (or none) is recognised by this label and returns \
            to its pool with its allocations. The label is forgotten when the logical medium is deallocated.
            """)

    @OptionGroup var options: StoreOptions
    @Argument(help: "The logical medium (lmid-N) or its side.") var lmid: String
    @OptionGroup var label: OnMediaLabelOptions

    func run() async throws {
        guard let identifier = try label.identifier(required: true) else { return }
        if try await options.onServer({ client in
            let body: SideJSON = try await client.send(
                .POST, APIPath("/v1/lmids") + lmid + "omid",
                body: OnMediaLabelBody(type: identifier.labelType, id: identifier.labelID, info: identifier.info))
            Output.emit(body, json: options.json, text: body.text)
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let logical = try Names(state: catalogue.snapshot.state).logicalMedium(lmid)
        try await options.session(catalogue).updateOnMediaIdentifier(logical.id, identifier)
        try printSide(logical.side, catalogue, json: options.json)
    }
}
