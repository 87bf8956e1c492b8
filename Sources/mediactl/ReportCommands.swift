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
        let full = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let plain = Date.ISO8601FormatStyle()
        let day = Date.ISO8601FormatStyle().year().month().day()
        guard let date = (try? full.parse(argument)) ?? (try? plain.parse(argument)) ?? (try? day.parse(argument))
        else { return nil }
        nanoseconds = Int64((date.timeIntervalSince1970 * 1_000_000_000).rounded())
    }

    init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    static var defaultValueDescription: String { "2026-12-01T10:00:00Z" }
}

/// `--format` beside `--json`, for listings and reports.
struct FormatOptions: ParsableArguments {
    @Option(help: "table (default), csv or json.") var format: OutputFormat?

    func resolved(json: Bool) -> OutputFormat { json ? .json : format ?? .table }
}

/// The current time as the engine stamps records: nanoseconds since 1970.
func wallClockNow() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000_000) }

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a reporting question from the catalogue, as a table, CSV or JSON.",
        discussion: """
            Every report opens the store read-only. docs/reporting.md has a worked example of each.
            """,
        subcommands: [
            Scratch.self, LowWater.self, NearMax.self, Idle.self, Allocations.self, Requests.self, Drives.self,
        ])

    /// Runs a report over the catalogue opened read-only and prints its rows.
    static func run<Row: Encodable>(
        _ options: StoreOptions, _ format: FormatOptions, _ rows: (Catalogue) throws -> [Row]
    ) async throws {
        let catalogue = try await options.openReadOnly()
        defer { catalogue.close() }
        let values = try rows(catalogue)
        Output.emit(Tabular(values), json: Output.json(values), format: format.resolved(json: options.json))
    }

    struct Scratch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Scratch sides each pool can allocate now, per media type (online AVAILABLE sides only).")
        @OptionGroup var options: StoreOptions
        @OptionGroup var format: FormatOptions
        @Option(help: "Only this media type.") var mediaType: String?

        func run() async throws {
            try await Report.run(options, format) { catalogue in
                let state = catalogue.snapshot.state
                let type = try mediaType.map { try Names(state: state).mediaType($0).id }
                return state.scratchCounts().filter { type == nil || $0.mediaType == type }.map {
                    ScratchJSON($0, state)
                }
            }
        }
    }

    struct LowWater: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "low-water",
            abstract: "Application pools that can allocate fewer than --minimum sides now (scratch included).")
        @OptionGroup var options: StoreOptions
        @OptionGroup var format: FormatOptions
        @Option(help: "The low-water mark, in sides.") var minimum: Int = 1

        func run() async throws {
            try await Report.run(options, format) { catalogue in
                let state = catalogue.snapshot.state
                return state.poolsBelow(minimum: minimum).map { ScratchJSON($0, state) }
            }
        }
    }

    struct NearMax: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "near-max",
            abstract: "Sides within --within allocations of their pool's maximum allocates, fewest left first.")
        @OptionGroup var options: StoreOptions
        @OptionGroup var format: FormatOptions
        @Option(help: "Allocations left, at most.") var within: UInt32 = 1

        func run() async throws {
            try await Report.run(options, format) { catalogue in
                let state = catalogue.snapshot.state
                return state.sidesNearMaxAllocates(within: within).map { NearMaxJSON($0, state) }
            }
        }
    }

    struct Idle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Media not mounted for use in the last --days days, never-mounted ones first.")
        @OptionGroup var options: StoreOptions
        @OptionGroup var format: FormatOptions
        @Option(help: "Days without a mount.") var days: UInt32 = 30

        func run() async throws {
            let now = wallClockNow()
            try await Report.run(options, format) { catalogue in
                let state = catalogue.snapshot.state
                return state.mediaIdle(since: now - Int64(days) * JSONModel.nanosecondsPerDay).map {
                    IdleMediumJSON($0, now: now, state)
                }
            }
        }
    }

    struct Allocations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Allocations and deallocations per application and user over a period (default: the last day).",
            discussion: "Reads only the log's events of the period, found by their times without a scan.")
        @OptionGroup var options: StoreOptions
        @OptionGroup var format: FormatOptions
        @Option(help: "The period's start (ISO-8601 UTC; default: a day before --to).") var from: TimeArgument?
        @Option(help: "The period's end, excluded (default: now).") var to: TimeArgument?

        func run() async throws {
            let end = to?.nanoseconds ?? wallClockNow()
            let start = from?.nanoseconds ?? end - JSONModel.nanosecondsPerDay
            try await Report.run(options, format) { catalogue in
                try catalogue.activity(from: start, to: end).map(ActivityJSON.init)
            }
        }
    }

    struct Requests: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open operator requests with their age, oldest first.")
        @OptionGroup var options: StoreOptions
        @OptionGroup var format: FormatOptions

        func run() async throws {
            let now = wallClockNow()
            try await Report.run(options, format) { catalogue in
                catalogue.snapshot.state.openRequests().map { RequestAgeJSON($0, now: now) }
            }
        }
    }

    struct Drives: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each drive's mounts, busy time and utilisation since its library was added.")
        @OptionGroup var options: StoreOptions
        @OptionGroup var format: FormatOptions
        @Option(help: "Only this library.") var library: String?

        func run() async throws {
            let now = wallClockNow()
            try await Report.run(options, format) { catalogue in
                let state = catalogue.snapshot.state
                let only = try library.map { try Names(state: state).library($0).id }
                return state.driveUtilisation(at: now).filter { only == nil || $0.drive.library == only }.map {
                    DriveUseJSON($0, state)
                }
            }
        }
    }
}
