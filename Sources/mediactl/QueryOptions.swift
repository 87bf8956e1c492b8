import ArgumentParser
import CatalogueDomain
import CatalogueEngine
import Foundation

/// An ISO-8601 time in UTC: `2026-12-01T10:00:00Z` (fractions allowed) or a date, `2026-12-01` (midnight UTC).
struct TimeArgument: ExpressibleByArgument {
    /// Nanoseconds since 1970.
    var nanoseconds: Int64

    /// The times a record can carry, with room for the arithmetic on them
    /// (a day before, the end of a digit): nanoseconds since 1970 in an
    /// `Int64` reach from 1677 to 2262.
    static let range: ClosedRange<Date> =
        Date(timeIntervalSince1970: -9.0e9)...Date(timeIntervalSince1970: 9.0e9)

    init?(argument: String) {
        let full = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let plain = Date.ISO8601FormatStyle()
        let day = Date.ISO8601FormatStyle().year().month().day()
        guard let date = (try? full.parse(argument)) ?? (try? plain.parse(argument)) ?? (try? day.parse(argument)),
            Self.range.contains(date)
        else { return nil }
        nanoseconds = Int64((date.timeIntervalSince1970 * 1_000_000_000).rounded())
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

    init?(argument: String) {
        if let sequence = UInt64(argument) {
            point = .sequence(sequence)
        } else if let time = TimeArgument(argument: argument) {
            point = .time(time.nanoseconds + Self.precisionSpan(argument))
        } else {
            return nil
        }
    }

    static var defaultValueDescription: String { "1500 or 2026-12-01T10:00:00Z" }

    /// Nanoseconds to the end of the time's last written digit: a time copied
    /// from `watch` (milliseconds) then includes the event it was copied from.
    /// A bare date stays midnight.
    static func precisionSpan(_ argument: String) -> Int64 {
        guard argument.contains("T") else { return 0 }
        guard let dot = argument.firstIndex(of: ".") else { return 999_999_999 }
        let digits = argument[argument.index(after: dot)...].prefix { $0.isNumber }.count
        guard digits < 9 else { return 0 }
        var span: Int64 = 1
        for _ in digits..<9 { span *= 10 }
        return span - 1
    }
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
