import ArgumentParser
import CatalogueClient
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a reporting question from the catalogue, as a table, CSV or JSON.",
        discussion: """
            Every report opens the store read-only. docs/reporting.md has a worked example of each.
            """,
        subcommands: [
            Scratch.self, LowWater.self, NearMax.self, Idle.self, Allocations.self, Requests.self, Drives.self,
        ])

    /// Runs a report over the state now or as of `--as-of` and prints its
    /// rows; on a server, its route `/v1/reports/NAME` with `query`.
    static func run<Row: Codable>(
        _ options: StoreOptions, _ format: FormatOptions, _ asOf: AsOfOptions, route name: String,
        query: [(String, String?)] = [], _ rows: (QueryState) throws -> [Row]
    ) async throws {
        let values: [Row]
        let given = query.compactMap { name, value in value.map { (name, $0) } }
        if let remote: [Row] = try await options.fromServer({
            try await $0.get(APIPath("/v1/reports") + name, query: asOf.query + given)
        }) {
            values = remote
        } else {
            values = try rows(try await options.queryState(asOf: asOf.point))
        }
        Output.emit(Tabular(values), json: Output.json(values), format: format.resolved(json: options.json))
    }

    struct Scratch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Scratch sides each pool can allocate now, per media type (online AVAILABLE sides only).")
        @OptionGroup var options: StoreOptions
        @OptionGroup var format: FormatOptions
        @OptionGroup var asOf: AsOfOptions
        @Option(help: "Only this media type.") var mediaType: String?

        func run() async throws {
            try await Report.run(options, format, asOf, route: "scratch", query: [("media_type", mediaType)]) {
                query in
                let state = query.state
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
        @OptionGroup var asOf: AsOfOptions
        @Option(help: "The low-water mark, in sides.") var minimum: Int = 1

        func run() async throws {
            try await Report.run(options, format, asOf, route: "low-water", query: [("minimum", String(minimum))]) {
                query in
                let state = query.state
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
        @OptionGroup var asOf: AsOfOptions
        @Option(help: "Allocations left, at most.") var within: UInt32 = 1

        func run() async throws {
            try await Report.run(options, format, asOf, route: "near-max", query: [("within", String(within))]) {
                query in
                let state = query.state
                return state.sidesNearMaxAllocates(within: within).map { NearMaxJSON($0, state) }
            }
        }
    }

    struct Idle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Media not mounted for use in the last --days days, never-mounted ones first.")
        @OptionGroup var options: StoreOptions
        @OptionGroup var format: FormatOptions
        @OptionGroup var asOf: AsOfOptions
        @Option(help: "Days without a mount, at most 36500.") var days: UInt32 = 30

        func validate() throws {
            // A century covers every cartridge; more would overflow the nanosecond clock.
            guard days <= 36_500 else { throw ValidationError("--days must be at most 36500 (a century)") }
        }

        func run() async throws {
            try await Report.run(options, format, asOf, route: "idle", query: [("days", String(days))]) { query in
                let (state, now) = (query.state, query.now)
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
            if try await options.onServer({ client in
                let rows: [ActivityJSON] = try await client.get(
                    "/v1/reports/allocations",
                    query: [("from", JSONModel.time(start)), ("to", JSONModel.time(end))])
                Output.emit(Tabular(rows), json: Output.json(rows), format: format.resolved(json: options.json))
            }) {
                return
            }
            let catalogue = try await options.openReadOnly()
            defer { catalogue.close() }
            let rows = try catalogue.activity(from: start, to: end).map(ActivityJSON.init)
            Output.emit(Tabular(rows), json: Output.json(rows), format: format.resolved(json: options.json))
        }
    }

    struct Requests: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open operator requests with their age, oldest first.")
        @OptionGroup var options: StoreOptions
        @OptionGroup var format: FormatOptions
        @OptionGroup var asOf: AsOfOptions

        func run() async throws {
            try await Report.run(options, format, asOf, route: "requests") { query in
                query.state.openRequests().map { RequestAgeJSON($0, now: query.now) }
            }
        }
    }

    struct Drives: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each drive's mounts, busy time and utilisation since its library was added.")
        @OptionGroup var options: StoreOptions
        @OptionGroup var format: FormatOptions
        @OptionGroup var asOf: AsOfOptions
        @Option(help: "Only this library.") var library: String?

        func run() async throws {
            try await Report.run(options, format, asOf, route: "drives", query: [("library", library)]) { query in
                let (state, now) = (query.state, query.now)
                let only = try library.map { try Names(state: state).library($0).id }
                return state.driveUtilisation(at: now).filter { only == nil || $0.drive.library == only }.map {
                    DriveUseJSON($0, state)
                }
            }
        }
    }
}
