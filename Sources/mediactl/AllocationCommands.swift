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
        let allowed: [Kind: Set<String>] = [
            .pools: ["media-type"], .media: ["pool", "state", "library", "media-type"],
            .sides: ["pool", "state", "library", "media-type"], .lmids: ["pool", "library", "media-type"],
            .drives: ["state"], .slots: ["state"], .libraries: [], .mediaTypes: [],
        ]
        let given = [
            ("pool", poolFilter), ("state", stateFilter), ("library", libraryFilter), ("media-type", mediaTypeFilter),
        ].filter { $0.1 != nil }.map(\.0)
        for name in given where !(allowed[kind] ?? []).contains(name) {
            throw ValidationError("--\(name) does not apply to `show \(kind.rawValue)`")
        }
    }

    /// The filters, resolved against the state: a name that names nothing is an NTMS error.
    struct Filters {
        var pool: PoolID?
        var state: String?
        var library: LibraryID?
        var mediaType: MediaTypeID?

        func admits(_ medium: Medium) -> Bool {
            (pool == nil || medium.pool == pool) && (library == nil || medium.location.library == library)
                && (mediaType == nil || medium.mediaType == mediaType)
        }

        func admits(state name: String) -> Bool { state == nil || name.caseInsensitiveCompare(state!) == .orderedSame }
    }

    func run() async throws {
        let state = try await options.queryState(asOf: asOf.point).state
        let names = Names(state: state)
        let filters = Filters(
            pool: try poolFilter.map { try names.pool($0).id }, state: stateFilter,
            library: try libraryFilter.map { try names.library($0).id },
            mediaType: try mediaTypeFilter.map { try names.mediaType($0).id })
        switch kind {
        case .pools:
            let rows = state.pools.values.sorted { $0.path < $1.path }
                .filter { filters.mediaType == nil || $0.mediaType == filters.mediaType }.map { PoolJSON($0, state) }
            try emit(rows, text: \.text)
        case .media:
            let rows = state.media.values.sorted { $0.id < $1.id }.filter { medium in
                filters.admits(medium)
                    && (filters.admits(state: medium.physicalState.name)
                        || state.sides(of: medium).contains { filters.admits(state: $0.state.name) })
            }.map { MediumJSON($0, state) }
            try emit(rows, text: \.text)
        case .sides:
            let rows = state.sides.values.sorted { $0.id < $1.id }.compactMap { side -> SideJSON? in
                guard let medium = state.media[side.medium], filters.admits(medium),
                    filters.admits(state: side.state.name)
                else { return nil }
                return SideJSON(side, medium)
            }
            try emit(rows, text: \.text)
        case .lmids:
            let rows = state.logicalMedia.values.sorted { $0.id < $1.id }.filter { logical in
                guard let side = state.sides[logical.side], let medium = state.media[side.medium] else { return false }
                return (filters.pool == nil || logical.pool == filters.pool)
                    && (filters.library == nil || medium.location.library == filters.library)
                    && (filters.mediaType == nil || medium.mediaType == filters.mediaType)
            }.compactMap { LogicalMediumJSON($0, state) }
            try emit(rows, text: \.text)
        case .libraries:
            try emit(state.libraries.values.sorted { $0.id < $1.id }.map(LibraryJSON.init), text: \.text)
        case .drives:
            let library = try names.library(library ?? "")
            let rows = (0..<library.driveCount).compactMap {
                state.drives[DriveAddress(library: library.id, number: $0)]
            }
            .filter { filters.admits(state: $0.state.name) }.map { DriveJSON($0, state) }
            try emit(rows, text: \.text)
        case .slots:
            let library = try names.library(library ?? "")
            func row(_ element: String, _ number: UInt32, _ location: MediumLocation) -> SlotJSON {
                SlotJSON(element: element, number: number, medium: state.medium(at: location))
            }
            let slots =
                library.slotCount == 0 ? [] : (1...library.slotCount).map { row("slot", $0, .slot(library.id, $0)) }
            let ports =
                library.portCount == 0 ? [] : (1...library.portCount).map { row("port", $0, .port(library.id, $0)) }
            try emit((slots + ports).filter { filters.admits(state: $0.physical_state ?? "EMPTY") }, text: \.text)
        case .mediaTypes:
            try emit(
                state.mediaTypes.values.sorted { $0.id < $1.id }.map { MediaTypeJSON($0, state) },
                text: { "\($0.id)  \($0.name)  \($0.side_count) side(s)" })
        }
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
