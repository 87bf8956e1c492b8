import ArgumentParser
import CatalogueEngine
import CatalogueExport
import CatalogueJSON
import Foundation

extension ExportFormat: ExpressibleByArgument {}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export the catalogue and its log for business-intelligence tools: SQLite, CSV or JSON lines.",
        discussion: """
            sqlite writes one database file: tables media_types, libraries, pools, media, sides, logical_media, \
            drives, requests and events, with keys, indexes and the views side_details and pool_side_counts. \
            csv and jsonl write a directory with one file per table. The export is written under a temporary \
            name beside --to and renamed into place when complete; a failure leaves nothing behind. The store \
            is opened read-only. docs/reporting.md describes every table.
            """)

    @OptionGroup var options: StoreOptions
    @Option(help: "sqlite (default), csv or jsonl.") var format: ExportFormat = .sqlite
    @Option(help: ArgumentHelp("Where to write: a file for sqlite, a directory for csv and jsonl.", valueName: "path"))
    var to: String
    @Flag(help: "Replace what exists at --to.") var force = false
    @OptionGroup var asOf: AsOfOptions

    func run() async throws {
        try options.requireStoreFiles(
            "export", because: "reads one consistent snapshot of the store's files (over a server, `show --format csv`)"
        )
        let catalogue = try await options.openReadOnly()
        defer { catalogue.close() }
        let showsProgress = isatty(STDERR_FILENO) == 1
        let summary = try CatalogueExporter.export(
            from: catalogue, asOf: asOf.point, format: format, to: to, replacing: force
        ) { progress in
            guard showsProgress else { return }
            let line = "\(progress.table): \(progress.rows) rows\(progress.finished ? "" : " …")\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
        let result = ExportJSON(
            destination: summary.path, format: summary.format.rawValue, sequence: summary.sequence,
            tables: summary.tables.map { ExportJSON.Table(name: $0.name, rows: $0.rows) })
        Output.emit(result, json: options.json, text: result.text)
    }
}
