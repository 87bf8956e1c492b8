import CatalogueDomain
import CatalogueEngine
import CatalogueStorage
import Foundation

/// How fast opening a store folds its log, against a raw LMDB cursor scan of the same records.
struct ReplayBench {
    struct Result: Encodable {
        var events: UInt64
        var open_seconds: Double
        var events_per_second: Double
        var raw_scan_seconds: Double
        var raw_scan_records_per_second: Double
        var ratio_to_raw_scan: Double
        var checkpoint: String
    }

    func run(directory: String) async throws -> Result {
        let begin = monotonicNanoseconds()
        let catalogue = try await Catalogue.open(at: directory)
        let open = Double(monotonicNanoseconds() - begin) / 1e9
        let events = catalogue.snapshot.head.sequence
        catalogue.close()

        let log = try EventLog(directory: directory, create: false)
        defer { log.close() }
        let scanBegin = monotonicNanoseconds()
        var records = 0
        var bytes = 0
        try log.read { reader in
            try reader.forEachRawRecord(from: 1) { _, value in
                records += 1
                bytes &+= value.count
                return true
            }
        }
        blackHole(bytes)
        let scan = Double(monotonicNanoseconds() - scanBegin) / 1e9
        return Result(
            events: events, open_seconds: open, events_per_second: Double(events) / open, raw_scan_seconds: scan,
            raw_scan_records_per_second: Double(records) / scan, ratio_to_raw_scan: scan / open,
            checkpoint: "not implemented yet: every open replays the whole log")
    }
}
