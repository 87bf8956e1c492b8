import ArgumentParser
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

    func run() async throws {
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let names = Names(state: catalogue.snapshot.state)
        let medium = try names.medium(medium)
        try await options.session(catalogue).move(medium.id, to: try names.pool(to).id)
        let state = catalogue.snapshot.state
        let body = MediumJSON(state.media[medium.id]!, state)
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
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let medium = try Names(state: catalogue.snapshot.state).medium(medium)
            try await options.session(catalogue).deleteMedium(medium.id)
            Output.emit(
                DeletedMediumJSON(medium), json: options.json,
                text: "deleted \(medium.id) \(medium.barcode)")
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
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let pool = try Names(state: catalogue.snapshot.state).pool(path)
            try await options.session(catalogue).deletePool(pool.id)
            Output.emit(
                DeletedPoolJSON(pool), json: options.json,
                text: "deleted \(pool.id) \(pool.path)")
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
        let catalogue = try await options.openReadOnly()
        defer { catalogue.close() }
        let identifiers = try resolve(catalogue)
        let entries = try catalogue.history(of: identifiers).map(EventView.init)
        Output.emit(entries.map(\.json), json: options.json, text: entries.map(\.text).joined(separator: "\n"))
    }

    /// The identifiers whose events make up the object's history: a medium's own and its sides'.
    private func resolve(_ catalogue: Catalogue) throws -> Set<UInt64> {
        let state = catalogue.snapshot.state
        let names = Names(state: state)
        if let medium = try? names.medium(object) {
            return Set([medium.id.rawValue] + medium.sides.map(\.rawValue))
        }
        if object.contains(":"), let side = try? names.side(object) { return [side.id.rawValue] }
        if let pool = state.pool(atPath: object) { return [pool.id.rawValue] }
        if let library = state.library(named: object) { return [library.id.rawValue] }
        if let type = state.mediaType(named: object) { return [type.id.rawValue] }
        if let dash = object.lastIndex(of: "-"), let number = UInt64(object[object.index(after: dash)...]), number > 0 {
            return [number]
        }
        // A deleted medium: its bar code is only in the log.
        let imported = try catalogue.history { event in
            if case .mediumImported(let e) = event { return e.barcode == object }
            return false
        }
        guard let last = imported.last, case .mediumImported(let e) = last.event else {
            throw NtmsError(.objectNotFound, "nothing in the catalogue is named \(object)")
        }
        return Set([e.medium.rawValue] + (0..<UInt64(e.sideCount)).map { e.firstSide.rawValue + $0 })
    }
}

func printSide(_ id: SideID, _ catalogue: Catalogue, json: Bool) throws {
    let state = catalogue.snapshot.state
    guard let side = state.sides[id], let medium = state.media[side.medium] else { return }
    let body = SideJSON(side, medium)
    Output.emit(body, json: json, text: body.text)
}
