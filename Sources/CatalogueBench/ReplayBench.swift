import CatalogueEngine
import CatalogueStorage
import Foundation

/// Opening a long log: a full replay (every record verified and folded), the
/// same store opened from its checkpoint, and the baseline, a raw LMDB cursor
/// scan of the same records.
struct ReplayBench {
    struct Result: Encodable {
        var events: UInt64
        /// Full replay, checkpoints not used (median of three opens).
        var open_seconds: Double
        var events_per_second: Double
        var raw_scan_seconds: Double
        var raw_scan_records_per_second: Double
        var ratio_to_raw_scan: Double
        /// Saving a checkpoint of the final state, and opening from it.
        var checkpoint_save_seconds: Double
        var checkpoint_bytes: Int
        var checkpoint_open_seconds: Double
        var checkpoint_tail_events: UInt64
        /// Full replay time over checkpoint open time.
        var checkpoint_speedup: Double
    }

    func run(directory: String) async throws -> Result {
        // Make sure the newest checkpoint covers the whole log, timing the save.
        // Nothing loaded or saved on its own; the save keeps the earlier checkpoints for the as-of queries.
        let saving = try await Catalogue.open(
            at: directory,
            options: CatalogueOptions(
                checkpoints: CheckpointPolicy(loadOnOpen: false, everyEvents: 0, onCloseAfterEvents: 0, keep: 100)))
        let saveBegin = monotonicNanoseconds()
        try saving.saveCheckpoint()
        let save = Double(monotonicNanoseconds() - saveBegin) / 1e9
        saving.close()
        let bytes = try Catalogue.listCheckpoints(at: directory).first?.byteCount ?? 0

        // The log was just written: let writeback finish first, or it takes a core from the fold.
        // The figure is the median of three opens.
        quiesce()
        var opens: [Double] = []
        var events: UInt64 = 0
        for _ in 0..<3 {
            let begin = monotonicNanoseconds()
            let full = try await Catalogue.open(at: directory, options: CatalogueOptions(checkpoints: .disabled))
            opens.append(Double(monotonicNanoseconds() - begin) / 1e9)
            events = full.snapshot.head.sequence
            full.close()
        }
        let open = opens.sorted()[1]

        let checkpointBegin = monotonicNanoseconds()
        let fromCheckpoint = try await Catalogue.open(at: directory)
        let checkpointOpen = Double(monotonicNanoseconds() - checkpointBegin) / 1e9
        let tail = fromCheckpoint.openReport.foldedEvents
        precondition(fromCheckpoint.openReport.checkpoint != nil, "the benchmark store has no usable checkpoint")
        fromCheckpoint.close()

        let log = try EventLog(directory: directory, create: false)
        defer { log.close() }
        let scanBegin = monotonicNanoseconds()
        var records = 0
        var scanned = 0
        try log.read { reader in
            try reader.forEachRawRecord(from: 1) { _, value in
                records += 1
                scanned &+= value.count
                return true
            }
        }
        blackHole(scanned)
        let scan = Double(monotonicNanoseconds() - scanBegin) / 1e9
        return Result(
            events: events, open_seconds: open, events_per_second: Double(events) / open, raw_scan_seconds: scan,
            raw_scan_records_per_second: Double(records) / scan, ratio_to_raw_scan: scan / open,
            checkpoint_save_seconds: save, checkpoint_bytes: bytes, checkpoint_open_seconds: checkpointOpen,
            checkpoint_tail_events: tail, checkpoint_speedup: open / checkpointOpen)
    }
}
