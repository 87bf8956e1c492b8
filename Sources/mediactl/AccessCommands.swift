import ArgumentParser
import CatalogueClient
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation

struct AccessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acl",
        abstract: "Show and change access rights (USE, MODIFY, CONTROL) on the catalogue, libraries and pools.",
        discussion: """
            A library without its own list follows the catalogue's; a pool follows its nearest parent \
            pool with a list, else the catalogue's. CONTROL on the catalogue administers everything. \
            The table of which command needs which right is in docs/ntms-mapping.md.
            """,
        subcommands: [Show.self, Grant.self, Revoke.self, Inherit.self])

    /// Which object: the catalogue unless a pool or library is named.
    struct ObjectOptions: ParsableArguments {
        @Option(help: "A pool, by path or id.") var pool: String?
        @Option(help: "A library, by name or id.") var library: String?

        func validate() throws {
            if pool != nil, library != nil { throw ValidationError("name a pool or a library, not both") }
        }

        var isCatalogue: Bool { pool == nil && library == nil }

        /// The API's names for the object.
        var query: [(String, String)] {
            [("pool", pool), ("library", library)].compactMap { n, v in v.map { (n, $0) } }
        }

        func object(in state: CatalogueState) throws -> SecuredObject {
            let names = NameResolver(state: state)
            if let pool { return .pool(try names.pool(pool).id) }
            if let library { return .library(try names.library(library).id) }
            return .catalogue
        }
    }

    /// Whom an entry names.
    struct TrusteeOptions: ParsableArguments {
        @Option(help: "A user's login name.") var user: String?
        @Option(help: "A group's name.") var group: String?
        @Flag(help: "Everyone, whoever they are.") var everyone = false
        @Option(
            help: ArgumentHelp(
                "Comma-separated rights: use, modify, control or all.", valueName: "use,modify,control"))
        var rights: String

        func validate() throws {
            guard [user != nil, group != nil, everyone].filter({ $0 }).count == 1 else {
                throw ValidationError("name exactly one of --user NAME, --group NAME or --everyone")
            }
            _ = try accessRights
        }

        var trustee: Trustee {
            if let user { return .user(user) }
            if let group { return .group(group) }
            return .everyone
        }

        var accessRights: AccessRights {
            get throws {
                var rights: AccessRights = []
                for word in self.rights.split(separator: ",", omittingEmptySubsequences: false) {
                    guard let right = AccessRights(name: word.trimmingCharacters(in: .whitespaces)) else {
                        throw ValidationError(
                            "unknown right \"\(TextRules.preview(String(word)))\"; use use, modify, control or all")
                    }
                    rights.formUnion(right)
                }
                return rights
            }
        }
    }

    static func text(_ list: AccessListJSON) -> String {
        let source = list.inherits_from.map { " (inherited from \($0))" } ?? ""
        let header = list.object == list.name ? list.name : "\(list.object) \(list.name)"
        let lines = list.entries.map { "  \($0.trustee): \($0.rights.joined(separator: ","))" }
        return ([header + source] + (lines.isEmpty ? ["  nobody"] : lines)).joined(separator: "\n")
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an object's rights, or (naming none) the catalogue's and every object with its own list.")

        @OptionGroup var options: StoreOptions
        @OptionGroup var target: ObjectOptions

        func run() async throws {
            if try await options.onServer({ client in
                let lists: [AccessListJSON] = try await client.get("/v1/acl", query: target.query)
                if target.isCatalogue {
                    Output.emit(lists, json: options.json, text: lists.map(AccessCommand.text).joined(separator: "\n"))
                } else {
                    let list = try present(lists.first)
                    Output.emit(list, json: options.json, text: AccessCommand.text(list))
                }
            }) {
                return
            }
            let catalogue = try await options.openReadOnly()
            defer { catalogue.close() }
            let state = catalogue.snapshot.state
            if target.isCatalogue {
                let objects = [SecuredObject.catalogue] + state.accessLists.keys.filter { $0 != .catalogue }.sorted()
                let lists = objects.map { AccessListJSON($0, state) }
                Output.emit(lists, json: options.json, text: lists.map(AccessCommand.text).joined(separator: "\n"))
            } else {
                let list = AccessListJSON(try target.object(in: state), state)
                Output.emit(list, json: options.json, text: AccessCommand.text(list))
            }
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a user, a group or everyone rights on an object (needs CONTROL on it).")

        @OptionGroup var options: StoreOptions
        @OptionGroup var target: ObjectOptions
        @OptionGroup var entry: TrusteeOptions

        func run() async throws {
            try await AccessCommand.change(options, target, route: "grant", entry: entry) { session, object in
                try await session.grantAccess(try entry.accessRights, to: entry.trustee, on: object)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take rights from a user, a group or everyone on an object (needs CONTROL on it).")

        @OptionGroup var options: StoreOptions
        @OptionGroup var target: ObjectOptions
        @OptionGroup var entry: TrusteeOptions

        func run() async throws {
            try await AccessCommand.change(options, target, route: "revoke", entry: entry) { session, object in
                try await session.revokeAccess(try entry.accessRights, from: entry.trustee, on: object)
            }
        }
    }

    struct Inherit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop a pool's or library's own list, so that it follows its parent's again.")

        @OptionGroup var options: StoreOptions
        @OptionGroup var target: ObjectOptions

        func validate() throws {
            if target.isCatalogue { throw ValidationError("acl inherit needs --pool or --library") }
        }

        func run() async throws {
            try await AccessCommand.change(options, target, route: "inherit", entry: nil) { session, object in
                try await session.inheritAccess(on: object)
            }
        }
    }

    /// Applies one change as this process's user and prints the object's list after it.
    static func change(
        _ options: StoreOptions, _ target: ObjectOptions, route: String, entry: TrusteeOptions?,
        _ apply: (Session, SecuredObject) async throws -> Void
    ) async throws {
        if try await options.onServer({ client in
            let body = AccessChangeBody(
                user: entry?.user, group: entry?.group, everyone: entry?.everyone == true ? true : nil,
                rights: entry.map { $0.rights.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
                pool: target.pool, library: target.library)
            let list: AccessListJSON = try await client.send(.POST, APIPath("/v1/acl") + route, body: body)
            Output.emit(list, json: options.json, text: AccessCommand.text(list))
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let object = try target.object(in: catalogue.snapshot.state)
        try await apply(try options.session(catalogue), object)
        let list = AccessListJSON(object, catalogue.snapshot.state)
        Output.emit(list, json: options.json, text: text(list))
    }
}
