import ArgumentParser
import CatalogueClient
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
        if try await options.onServer({ client in
            let body: AllocationJSON = try await client.send(
                .POST, "/v1/allocations",
                body: AllocationBody(
                    pool: pool, side: side, new: new ? true : nil, next: next,
                    error_if_unavailable: errorIfUnavailable ? true : nil, timeout_ms: timeout.apiMilliseconds),
                idempotencyKey: idempotencyKey, patience: timeout.clientPatience)
            Output.emit(body, json: options.json, text: body.text)
        }) {
            return
        }
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
        if try await options.onServer({ client in
            let body: SideJSON = try await client.send(
                .POST, APIPath("/v1/lmids") + lmid + "deallocate", idempotencyKey: idempotencyKey)
            Output.emit(body, json: options.json, text: body.text)
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let logical = try Names(state: catalogue.snapshot.state).logicalMedium(lmid)
        try await options.session(catalogue).deallocate(logical.id, idempotencyKey: idempotencyKey)
        let state = catalogue.snapshot.state
        let side = try present(state.sides[logical.side])
        let body = SideJSON(side, try present(state.media[side.medium]), state)
        Output.emit(body, json: options.json, text: body.text)
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "List catalogue objects: pools, media, sides, lmids, libraries, media-types, or a library's drives or slots.",
        discussion: """
            Filters: --pool (media, sides, lmids), --state (media: physical or side state; sides; drives; slots), \
            --library (media, sides, lmids), --media-type (pools, media, sides, lmids). --sort takes a column \
            as --format table or csv names it (location.library_name, allocate_count, ...). Without --format the \
            rows print as one line each.
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case pools, media, sides, lmids, libraries
        case mediaTypes = "media-types"
        case drives, slots
    }

    @OptionGroup var options: StoreOptions
    @Argument(help: "What to list: pools, media, sides, lmids, libraries, media-types, drives, slots.") var kind: Kind
    @Argument(help: "The library, for drives and slots.") var library: String?
    @OptionGroup var format: FormatOptions
    @OptionGroup var asOf: AsOfOptions
    @Option(name: .customLong("pool"), help: "Only objects in this pool (path or id).") var poolFilter: String?
    @Option(name: .customLong("state"), help: "Only objects in this state (AVAILABLE, LOADED, IDLE, ...).")
    var stateFilter: String?
    @Option(name: .customLong("library"), help: "Only objects in this library (name or id).")
    var libraryFilter: String?
    @Option(name: .customLong("media-type"), help: "Only objects of this media type.") var mediaTypeFilter: String?
    @Option(help: "Sort by this column.") var sort: String?
    @Flag(help: "Sort in descending order.") var descending = false

    func validate() throws {
        if (kind == .drives || kind == .slots) != (library != nil) {
            throw ValidationError("`show drives` and `show slots` take a library; the other lists do not")
        }
        let allowed = Listing.filters[kind.rawValue] ?? []
        let given = [
            ("pool", poolFilter), ("state", stateFilter), ("library", libraryFilter), ("media-type", mediaTypeFilter),
        ].filter { $0.1 != nil }.map(\.0)
        for name in given where !allowed.contains(name) {
            throw ValidationError("--\(name) does not apply to `show \(kind.rawValue)`")
        }
    }

    func run() async throws {
        let filters = [
            ("pool", poolFilter), ("state", stateFilter), ("library", libraryFilter), ("media_type", mediaTypeFilter),
        ].compactMap { name, value in value.map { (name, $0) } }
        if try await options.onServer({ client in try await run(on: client, query: asOf.query + filters) }) { return }
        let state = try await options.queryState(asOf: asOf.point).state
        let filter = try ListingFilters(
            pool: poolFilter, state: stateFilter, library: libraryFilter, mediaType: mediaTypeFilter, in: state)
        switch kind {
        case .pools: try emit(Listing.pools(state, filter), text: \.text)
        case .media: try emit(Listing.media(state, filter), text: \.text)
        case .sides: try emit(Listing.sides(state, filter), text: \.text)
        case .lmids: try emit(Listing.logicalMedia(state, filter), text: \.text)
        case .libraries: try emit(Listing.libraries(state), text: \.text)
        case .drives:
            try emit(Listing.drives(of: try Names(state: state).library(library ?? ""), state, filter), text: \.text)
        case .slots:
            try emit(Listing.slots(of: try Names(state: state).library(library ?? ""), state, filter), text: \.text)
        case .mediaTypes: try emit(Listing.mediaTypes(state), text: Self.mediaTypeLine)
        }
    }

    /// The same listing from a server's API.
    private func run(on client: CatalogueClient, query: [(String, String)]) async throws {
        let library = APIPath("/v1/libraries") + (library ?? "")
        switch kind {
        case .pools: try emit(try await client.get("/v1/pools", query: query) as [PoolJSON], text: \.text)
        case .media: try emit(try await client.get("/v1/media", query: query) as [MediumJSON], text: \.text)
        case .sides: try emit(try await client.get("/v1/sides", query: query) as [SideJSON], text: \.text)
        case .lmids: try emit(try await client.get("/v1/lmids", query: query) as [LogicalMediumJSON], text: \.text)
        case .libraries: try emit(try await client.get("/v1/libraries", query: query) as [LibraryJSON], text: \.text)
        case .drives: try emit(try await client.get(library + "drives", query: query) as [DriveJSON], text: \.text)
        case .slots: try emit(try await client.get(library + "slots", query: query) as [SlotJSON], text: \.text)
        case .mediaTypes:
            try emit(try await client.get("/v1/media-types", query: query) as [MediaTypeJSON], text: Self.mediaTypeLine)
        }
    }

    private static func mediaTypeLine(_ type: MediaTypeJSON) -> String {
        "\(type.id)  \(type.name)  \(type.side_count) side(s)"
    }

    /// Prints the rows, sorted when asked: one line each by default, else in `--format`.
    private func emit<Row: Encodable>(_ rows: [Row], text: (Row) -> String) throws {
        var rows = rows
        if let sort { rows = try Tabular(rows).order(by: sort, descending: descending).map { rows[$0] } }
        if options.json || format.format != nil {
            Output.emit(Tabular(rows), json: Output.json(rows), format: format.resolved(json: options.json))
        } else {
            print(Output.terminalText(rows.map(text).joined(separator: "\n")))
        }
    }
}
