import ArgumentParser
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation

/// An ISO-8601 time in UTC: `2026-12-01T10:00:00Z` (fractions allowed) or a date, `2026-12-01` (midnight UTC).
struct TimeArgument: ExpressibleByArgument {
    /// Nanoseconds since 1970.
    var nanoseconds: Int64

    init?(argument: String) {
        guard let nanoseconds = JSONModel.nanoseconds(parsing: argument) else { return nil }
        self.nanoseconds = nanoseconds
    }

    init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    static var defaultValueDescription: String { "2026-12-01T10:00:00Z, between 1685 and 2255" }
}

/// `--format` beside `--json`, for listings and reports.
struct FormatOptions: ParsableArguments {
    @Option(help: "table (default), csv or json.") var format: OutputFormat?

    func resolved(json: Bool) -> OutputFormat { json ? .json : format ?? .table }
}

/// The current time as the engine stamps records: nanoseconds since 1970.
func wallClockNow() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000_000) }

/// `--as-of SEQUENCE|TIME`: a point of the log to query instead of now.
struct LogPointArgument: ExpressibleByArgument {
    var point: LogPoint
    /// As given, for a server to parse alike.
    var text: String

    init?(argument: String) {
        guard let point = JSONModel.logPoint(parsing: argument) else { return nil }
        self.point = point
        text = argument
    }

    static var defaultValueDescription: String { "1500 or 2026-12-01T10:00:00Z" }
}

/// The `--as-of` option of the commands that read the state.
struct AsOfOptions: ParsableArguments {
    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp(
            "The state right after this event, or after the last event at or before this ISO-8601 UTC time (which includes the whole of its last digit).",
            valueName: "sequence|time"))
    var argument: LogPointArgument?

    var point: LogPoint? { argument?.point }

    /// The API's `as_of` parameter, when given.
    var query: [(String, String)] { argument.map { [("as_of", $0.text)] } ?? [] }
}

/// The state a query reads and the time its ages are counted to.
struct QueryState {
    var state: CatalogueState
    /// Now, or the commit time of the `--as-of` event.
    var now: Int64
}

extension StoreOptions {
    /// The state now (the store opened read-only), or as of `point`: from the
    /// checkpoint before it plus the events between, without loading the present state.
    func queryState(asOf point: LogPoint?) async throws -> QueryState {
        guard let point else {
            let catalogue = try await openReadOnly()
            defer { catalogue.close() }
            return QueryState(state: catalogue.snapshot.state, now: wallClockNow())
        }
        let past = try Catalogue.state(at: directory, asOf: point)
        return QueryState(state: past.snapshot.state, now: past.committed)
    }
}
