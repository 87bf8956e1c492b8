import ArgumentParser
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation

struct Allocate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Allocate a side from an application pool (AllocateNtmsMedia).",
        discussion: """
            Takes an online AVAILABLE side of the pool, else (with the pool's from-scratch policy) one of its Free pool.
            Among candidates: lowest allocation count first, then the oldest registered medium, then side A before B.
            """)

    @OptionGroup var options: StoreOptions
    @Option(help: "The application pool (path or id).") var pool: String
    @Option(help: "Allocate exactly this side (side-N or BARCODE:A); an IMPORT side is imported.") var side: String?
    @Flag(help: "NTMS_ALLOCATE_NEW: reserve the medium's other sides for this allocation.") var new = false
    @Option(help: "NTMS_ALLOCATE_NEXT: allocate the next reserved side of this NEW allocation (its LMID or side).")
    var next: String?
    @Flag(help: "Fail with ERROR_MEDIA_UNAVAILABLE instead of asking an operator for media.")
    var errorIfUnavailable = false
    @Option(help: "Milliseconds to wait for an operator to supply media, or `infinite` (default 0: do not wait).")
    var timeout: WaitTimeout = .none
    @Option(help: "A key that makes retries safe: a retried key returns the first answer and allocates nothing.")
    var idempotencyKey: String?

    func validate() throws {
        if new, next != nil { throw ValidationError("--new and --next cannot be combined") }
        if side != nil, next != nil { throw ValidationError("--side and --next cannot be combined") }
    }

    func run() async throws {
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let names = Names(state: catalogue.snapshot.state)
        let request = AllocationRequest(
            pool: try names.pool(pool).id, side: try side.map { try names.side($0).id }, new: new,
            next: try next.map { try names.logicalMedium($0).id }, errorIfUnavailable: errorIfUnavailable)
        let poolName = pool
        let allocation = try await options.session(catalogue).allocate(
            request, timeout: timeout, idempotencyKey: idempotencyKey
        ) { requestID in
            // One line per request, so an operator (or a script) can answer it.
            let line =
                "mediactl: waiting on \(requestID) for media in \(poolName); answer with `mediactl request satisfy \(requestID)` or `mediactl request cancel \(requestID)`\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
        let body = AllocationJSON(allocation, catalogue.snapshot.state)
        Output.emit(body, json: options.json, text: body.text)
    }
}

struct Deallocate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Give an allocated side back (DeallocateNtmsMedia).",
        discussion: "The side becomes AVAILABLE, or DECOMMISSIONED once it reached the pool's max allocates.")

    @OptionGroup var options: StoreOptions
    @Argument(help: "The logical medium (lmid-N) or its side (side-N, BARCODE:A).") var lmid: String
    @Option(help: "A key that makes retries safe.") var idempotencyKey: String?

    func run() async throws {
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let logical = try Names(state: catalogue.snapshot.state).logicalMedium(lmid)
        try await options.session(catalogue).deallocate(logical.id, idempotencyKey: idempotencyKey)
        let state = catalogue.snapshot.state
        let side = state.sides[logical.side]!
        let body = SideJSON(side, state.media[side.medium]!)
        Output.emit(body, json: options.json, text: body.text)
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "List catalogue objects: pools, media, sides, lmids, libraries, media-types, or a library's drives or slots."
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case pools, media, sides, lmids, libraries
        case mediaTypes = "media-types"
        case drives, slots
    }

    @OptionGroup var options: StoreOptions
    @Argument(help: "What to list: pools, media, sides, lmids, libraries, media-types, drives, slots.") var kind: Kind
    @Argument(help: "The library, for drives and slots.") var library: String?

    func validate() throws {
        if (kind == .drives || kind == .slots) != (library != nil) {
            throw ValidationError("`show drives` and `show slots` take a library; the other lists do not")
        }
    }

    func run() async throws {
        let catalogue = try await options.openReadOnly()
        defer { catalogue.close() }
        let state = catalogue.snapshot.state
        switch kind {
        case .pools:
            let rows = state.pools.values.sorted { $0.path < $1.path }.map { PoolJSON($0, state) }
            Output.emit(rows, json: options.json, text: rows.map(\.text).joined(separator: "\n"))
        case .media:
            let rows = state.media.values.sorted { $0.id < $1.id }.map { MediumJSON($0, state) }
            Output.emit(rows, json: options.json, text: rows.map(\.text).joined(separator: "\n"))
        case .sides:
            let rows = state.sides.values.sorted { $0.id < $1.id }.compactMap { side in
                state.media[side.medium].map { SideJSON(side, $0) }
            }
            Output.emit(rows, json: options.json, text: rows.map(\.text).joined(separator: "\n"))
        case .lmids:
            let rows = state.logicalMedia.values.sorted { $0.id < $1.id }.compactMap { LogicalMediumJSON($0, state) }
            Output.emit(rows, json: options.json, text: rows.map(\.text).joined(separator: "\n"))
        case .libraries:
            let rows = state.libraries.values.sorted { $0.id < $1.id }.map(LibraryJSON.init)
            Output.emit(rows, json: options.json, text: rows.map(\.text).joined(separator: "\n"))
        case .drives:
            let library = try Names(state: state).library(library ?? "")
            let rows = (0..<library.driveCount).compactMap {
                state.drives[DriveAddress(library: library.id, number: $0)]
            }
            .map { DriveJSON($0, state) }
            Output.emit(rows, json: options.json, text: rows.map(\.text).joined(separator: "\n"))
        case .slots:
            let library = try Names(state: state).library(library ?? "")
            func row(_ element: String, _ number: UInt32, _ location: MediumLocation) -> SlotJSON {
                SlotJSON(element: element, number: number, medium: state.medium(at: location))
            }
            let slots =
                library.slotCount == 0 ? [] : (1...library.slotCount).map { row("slot", $0, .slot(library.id, $0)) }
            let ports =
                library.portCount == 0 ? [] : (1...library.portCount).map { row("port", $0, .port(library.id, $0)) }
            let rows = slots + ports
            Output.emit(rows, json: options.json, text: rows.map(\.text).joined(separator: "\n"))
        case .mediaTypes:
            let rows = state.mediaTypes.values.sorted { $0.id < $1.id }.map { MediaTypeJSON($0, state) }
            Output.emit(
                rows, json: options.json,
                text: rows.map { "\($0.id)  \($0.name)  \($0.side_count) side(s)" }.joined(separator: "\n"))
        }
    }
}
