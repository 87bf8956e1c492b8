import CatalogueDomain
import CatalogueEngine
import CatalogueExport
import CatalogueJSON
import CatalogueStorage
import Foundation
import GRDB

/// What reporting tools pay: an SQLite export against inserting the same rows
/// with GRDB prepared statements, and the scratch and requests reports on a
/// large catalogue against a small one.
struct ReportingBench {
    struct Result: Encodable {
        var media: Int
        var export_rows: Int
        var export_bytes: Int
        /// Medians over the rounds, export and baseline alternating.
        var export_seconds: Double
        var grdb_insert_seconds: Double
        /// Median of the per-round ratios, export over baseline (target: at most 1.5).
        var export_ratio: Double
        /// Building every row (event fields as JSON text included), nothing inserted: what the export adds to the baseline.
        var row_building_seconds: Double
        var rounds: Int
        var small_media: Int
        /// Median microseconds per report call.
        var scratch_report_microseconds: Double
        var scratch_report_small_microseconds: Double
        /// Large over small (target: at most 2).
        var scratch_report_ratio: Double
        var requests_report_microseconds: Double
        var requests_report_small_microseconds: Double
        var requests_report_ratio: Double
    }

    let rounds: Int

    /// `large` and `small` are open catalogues; the export is of `large`.
    func run(large: Catalogue, small: Catalogue, directory: String) throws -> Result {
        var exports: [Double] = []
        var baselines: [Double] = []
        var ratios: [Double] = []
        var rows = 0
        var bytes = 0
        for round in 0..<rounds {
            let exportPath = directory + "/export-\(round).sqlite"
            let baselinePath = directory + "/baseline-\(round).sqlite"
            quiesce()
            let begin = monotonicNanoseconds()
            let summary = try CatalogueExporter.export(from: large, format: .sqlite, to: exportPath)
            let export = Double(monotonicNanoseconds() - begin) / 1e9
            rows = summary.tables.reduce(0) { $0 + $1.rows }
            bytes = Int((try? FileManager.default.attributesOfItem(atPath: exportPath)[.size] as? Int) ?? 0)
            try? FileManager.default.removeItem(atPath: exportPath)
            quiesce()
            let baseline = try baselineInsert(large, to: baselinePath, sequence: summary.sequence)
            try? FileManager.default.removeItem(atPath: baselinePath)
            exports.append(export)
            baselines.append(baseline)
            ratios.append(export / baseline)
        }
        let building = try rowBuildingSeconds(large)
        let scratch = (
            large: reportMicroseconds { _ = large.snapshot.state.scratchCounts() },
            small: reportMicroseconds { _ = small.snapshot.state.scratchCounts() }
        )
        let requests = (
            large: reportMicroseconds { _ = large.snapshot.state.openRequests() },
            small: reportMicroseconds { _ = small.snapshot.state.openRequests() }
        )
        return Result(
            media: large.snapshot.state.media.count, export_rows: rows, export_bytes: bytes,
            export_seconds: median(exports), grdb_insert_seconds: median(baselines), export_ratio: median(ratios),
            row_building_seconds: building, rounds: rounds, small_media: small.snapshot.state.media.count,
            scratch_report_microseconds: scratch.large, scratch_report_small_microseconds: scratch.small,
            scratch_report_ratio: scratch.large / scratch.small, requests_report_microseconds: requests.large,
            requests_report_small_microseconds: requests.small, requests_report_ratio: requests.large / requests.small)
    }

    /// The same tables, rows, indexes and views as the export, but every row
    /// built beforehand: only the GRDB work is timed (one transaction, one
    /// prepared statement per table, the export's settings).
    func baselineInsert(_ catalogue: Catalogue, to path: String, sequence: UInt64) throws -> Double {
        let state = catalogue.snapshot.state
        let queue = try DatabaseQueue(path: path, configuration: ExportSchema.sqliteConfiguration)
        var timed: UInt64 = 0
        try queue.inDatabase { db in
            try db.inTransaction {
                for table in ExportSchema.objectTables + [ExportSchema.events] {
                    var prepared: [StatementArguments] = []
                    if table.name == ExportSchema.events.name {
                        try catalogue.forEachEvent(from: 1, through: sequence) { logged in
                            prepared.append(StatementArguments(ExportSchema.eventRow(logged).map(\.databaseValue)))
                        }
                    } else {
                        try table.forEachRow(in: state) { prepared.append(StatementArguments($0.map(\.databaseValue))) }
                    }
                    let begin = monotonicNanoseconds()
                    try db.execute(sql: table.sqliteDefinition)
                    let insert = try db.makeStatement(sql: table.sqliteInsert)
                    for arguments in prepared {
                        insert.setUncheckedArguments(arguments)
                        try insert.execute()
                    }
                    for index in table.sqliteIndexes { try db.execute(sql: index) }
                    timed += monotonicNanoseconds() - begin
                }
                let begin = monotonicNanoseconds()
                for view in ExportSchema.views { try db.execute(sql: view) }
                timed += monotonicNanoseconds() - begin
                return .commit
            }
        }
        let begin = monotonicNanoseconds()
        try queue.close()
        timed += monotonicNanoseconds() - begin
        return Double(timed) / 1e9
    }

    /// The export's rows, event fields as JSON text included, built and dropped.
    func rowBuildingSeconds(_ catalogue: Catalogue) throws -> Double {
        let state = catalogue.snapshot.state
        let begin = monotonicNanoseconds()
        var count = 0
        for table in ExportSchema.objectTables {
            try table.forEachRow(in: state) { row in
                blackHole(row)
                count += 1
            }
        }
        try catalogue.forEachEvent(from: 1, through: catalogue.snapshot.head.sequence) { logged in
            for case .json(let fields) in ExportSchema.eventRow(logged) { blackHole(fields.jsonLine) }
            count += 1
        }
        blackHole(count)
        return Double(monotonicNanoseconds() - begin) / 1e9
    }

    /// Median microseconds of one call, over enough calls to be seen.
    private func reportMicroseconds(_ body: () -> Void) -> Double {
        var samples: [Double] = []
        for _ in 0..<201 {
            let begin = monotonicNanoseconds()
            body()
            samples.append(Double(monotonicNanoseconds() - begin) / 1e3)
        }
        return median(samples)
    }
}

/// The state as of events spread over a long log, against the baseline of
/// loading the checkpoint before it and folding the gap on one thread.
struct AsOfBench {
    struct Result: Encodable {
        var events: UInt64
        var checkpoints: Int
        var queries: Int
        /// Medians over the queries.
        var query_seconds: Double
        var baseline_seconds: Double
        var gap_events: Double
        /// Median of the per-query ratios, query over baseline (target: at most 1.5).
        var ratio: Double
    }

    let queries: Int

    func run(directory: String) throws -> Result {
        let log = try EventLog(directory: directory, create: false)
        let (head, checkpoints) = try log.read { reader in
            (try reader.recordedHead()?.sequence ?? 0, try reader.checkpointSequences())
        }
        log.close()
        var times: [Double] = []
        var baselines: [Double] = []
        var ratios: [Double] = []
        var gaps: [Double] = []
        for query in 1...queries {
            // Golden-ratio steps spread the events over the log, the same ones in every run.
            let fraction = (Double(query) * 0.618_033_988_749_895).truncatingRemainder(dividingBy: 1)
            let target = 1 + UInt64(fraction * Double(head - 1))
            quiesce()
            var begin = monotonicNanoseconds()
            let past = try Catalogue.state(at: directory, asOf: .sequence(target))
            let query = Double(monotonicNanoseconds() - begin) / 1e9
            begin = monotonicNanoseconds()
            let folded = try baseline(directory: directory, target: target, checkpoints: checkpoints)
            let base = Double(monotonicNanoseconds() - begin) / 1e9
            precondition(folded == past.snapshot.state, "as-of and the baseline disagree at event \(target)")
            times.append(query)
            baselines.append(base)
            ratios.append(query / base)
            gaps.append(Double(past.foldedEvents))
        }
        return Result(
            events: head, checkpoints: checkpoints.count, queries: queries, query_seconds: median(times),
            baseline_seconds: median(baselines), gap_events: median(gaps), ratio: median(ratios))
    }

    /// Loads the checkpoint at or before `target` and folds the records after it, one thread.
    private func baseline(directory: String, target: UInt64, checkpoints: [UInt64]) throws -> CatalogueState {
        let log = try EventLog(directory: directory, create: false, access: .readOnly)
        defer { log.close() }
        return try log.read { reader in
            var state = CatalogueState()
            var start: UInt64 = 0
            if let covered = checkpoints.last(where: { $0 <= target }),
                case .success(let checkpoint)? = try reader.checkpoint(at: covered)
            {
                state = try CatalogueState(checkpointPayload: checkpoint.payload)
                start = covered
            }
            var replay = Replay(from: state, deferringIndexes: target - start > UInt64(state.media.count) + 10_000)
            try reader.forEachRecordView(afterSequence: start, through: target) { record in
                let event = try CatalogueEvent.decode(
                    typeCode: record.eventType, schemaVersion: record.schemaVersion, payload: record.payload)
                let header = event.recordsCaller ? record.header : nil
                replay.evolve(
                    event,
                    EventEnvelope(
                        time: record.timestamp, application: header?.application ?? "", user: header?.user ?? ""))
            }
            return replay.state
        }
    }
}
