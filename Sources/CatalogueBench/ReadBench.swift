import CatalogueDomain
import CatalogueEngine
import Foundation
import GRDB
import Synchronization

/// Point lookups on a large catalogue, against a plain Dictionary, a
/// Mutex-protected Dictionary and SQLite point reads of the same data.
struct ReadBench {
    let lookups: Int

    struct Result: Encodable {
        var media: Int
        var lookups_per_thread: Int
        var engine_side_1_thread: Double
        var engine_side_2_threads: Double
        /// Each request through `Catalogue.snapshot` (a retained snapshot) instead of `read`.
        var engine_side_1_thread_snapshot_property: Double
        /// Lookups in one snapshot loaded once: the table alone, without the per-request load.
        var engine_side_1_thread_one_snapshot: Double
        var engine_side_1_thread_with_writer: Double
        var engine_side_2_threads_with_writer: Double
        var engine_barcode_1_thread: Double
        var engine_lmid_1_thread: Double
        var dictionary_1_thread: Double
        var mutex_dictionary_1_thread: Double
        var mutex_dictionary_2_threads: Double
        var sqlite_1_thread: Double
        var ratio_to_dictionary: Double
        /// One minus the median, over five pairs of rounds run back to back, of
        /// the rate with a writer committing over the rate without.
        var writer_slowdown: Double
        var ratio_to_sqlite: Double
    }

    func run(catalogue: Catalogue, sqlite: DatabaseQueue, pool: PoolID) async throws -> Result {
        let state = catalogue.snapshot.state
        var generator = SystemRandomNumberGenerator()
        let sideKeys = Array(state.sides.keys)
        let barcodes = state.media.values.map(\.barcode)
        let lmids = Array(state.logicalMedia.keys)
        let keys = (0..<lookups).map { _ in sideKeys[Int.random(in: 0..<sideKeys.count, using: &generator)] }
        let barcodeKeys = (0..<lookups).map { _ in barcodes[Int.random(in: 0..<barcodes.count, using: &generator)] }
        let lmidKeys =
            lmids.isEmpty ? [] : (0..<lookups).map { _ in lmids[Int.random(in: 0..<lmids.count, using: &generator)] }
        let count = lookups
        quiesce()

        // Each engine lookup is a whole request: take the newest published snapshot, then look up.
        let engineSides: @Sendable (Int) -> Void = { _ in
            for key in keys { blackHole(catalogue.read { $0.state.sides[key] }) }
        }
        let side2 = onThreads(2, operations: count, engineSides)
        let property = onThreads(1, operations: count) { _ in
            for key in keys { blackHole(catalogue.snapshot.state.sides[key]) }
        }
        let held = onThreads(1, operations: count) { _ in
            let sides = catalogue.snapshot.state.sides
            for key in keys { blackHole(sides[key]) }
        }
        let barcode1 = onThreads(1, operations: count) { _ in
            for key in barcodeKeys { blackHole(catalogue.read { $0.state.medium(withBarcode: key) }) }
        }
        let lmid1 =
            lmidKeys.isEmpty
            ? 0
            : onThreads(1, operations: count) { _ in
                for key in lmidKeys { blackHole(catalogue.read { $0.state.logicalMedia[key] }) }
            }

        // Interleaved measurements time a second pass over their keys, as five
        // rounds in a row did: the first warms the caches the others cooled.
        func warm(_ measure: () throws -> Double) rethrows -> Double {
            _ = try measure()
            return try measure()
        }

        // The same lookups while a writer commits allocations and deallocations,
        // in pairs of rounds with and without it, back to back: measured apart,
        // the two drifted with the host by more than the target's margin.
        let session = try catalogue.session(application: "bench", principal: OSAccounts.currentPrincipal())
        let writerOn = Atomic<Bool>(false)
        let writing = Task {
            while !Task.isCancelled {
                guard writerOn.load(ordering: .relaxed) else {
                    try? await Task.sleep(for: .milliseconds(1))
                    continue
                }
                guard
                    let allocation = try? await session.allocate(
                        AllocationRequest(pool: pool, errorIfUnavailable: true))
                else { break }
                try? await session.deallocate(allocation.logicalMedium)
            }
        }
        quiesce()
        var withWriter: [Double] = []
        var ratios: [Double] = []
        // Each pair in turn starts with or without the writer: the host drifts within a pair too.
        for pair in 0..<5 {
            var rates: [Bool: Double] = [:]
            for writer in pair % 2 == 0 ? [true, false] : [false, true] {
                writerOn.store(writer, ordering: .relaxed)
                try await Task.sleep(for: .milliseconds(20))
                rates[writer] = warm { onThreads(1, operations: count, rounds: 1, engineSides) }
            }
            withWriter.append(rates[true]!)
            ratios.append(rates[true]! / rates[false]!)
        }
        let side1Writer = median(withWriter)
        let writerSlowdown = 1 - median(ratios)
        writerOn.store(true, ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(20))
        let side2Writer = onThreads(2, operations: count, engineSides)
        writing.cancel()
        _ = await writing.value

        // Baselines over the same keys and values.
        let plain: [SideID: Side] = Dictionary(uniqueKeysWithValues: state.sides.map { ($0.key, $0.value) })
        let dictionaryLookups: @Sendable (Int) -> Void = { _ in
            for key in keys { blackHole(plain[key]) }
        }
        let guarded = GuardedDictionary(plain)
        let mutex1 = onThreads(1, operations: count) { _ in
            for key in keys { blackHole(guarded.value(key)) }
        }
        let mutex2 = onThreads(2, operations: count) { _ in
            for key in keys { blackHole(guarded.value(key)) }
        }
        let sqliteCount = min(count, 200_000)
        let sqliteKeys = keys.prefix(sqliteCount).map { Int64($0.rawValue) }
        let sqliteKeyArray = Array(sqliteKeys)
        // The engine and its two main baselines in interleaved rounds, each
        // round in a different order; the ratios are the medians of each
        // round's own ratios, so the host's drift between parts of the run
        // does not enter them.
        let (rates, baselineRatios) = try interleaved(
            rounds: 5,
            [
                { warm { onThreads(1, operations: count, rounds: 1, engineSides) } },
                { warm { onThreads(1, operations: count, rounds: 1, dictionaryLookups) } },
                { try warm { try sqlitePointReads(sqlite, keys: sqliteKeyArray) } },
            ])
        let side1 = median(rates[0])
        let dictionary1 = median(rates[1])
        let sqlite1 = median(rates[2])

        return Result(
            media: state.media.count, lookups_per_thread: count, engine_side_1_thread: side1,
            engine_side_2_threads: side2, engine_side_1_thread_snapshot_property: property,
            engine_side_1_thread_one_snapshot: held,
            engine_side_1_thread_with_writer: side1Writer, engine_side_2_threads_with_writer: side2Writer,
            engine_barcode_1_thread: barcode1, engine_lmid_1_thread: lmid1, dictionary_1_thread: dictionary1,
            mutex_dictionary_1_thread: mutex1, mutex_dictionary_2_threads: mutex2, sqlite_1_thread: sqlite1,
            ratio_to_dictionary: baselineRatios[1], writer_slowdown: writerSlowdown,
            ratio_to_sqlite: baselineRatios[2])
    }

    /// Point reads by primary key with a cached statement, in one read transaction.
    private func sqlitePointReads(_ queue: DatabaseQueue, keys: [Int64]) throws -> Double {
        try queue.read { db in
            let statement = try db.cachedStatement(
                sql: "SELECT id, medium, number, state, allocate_count, lmid FROM sides WHERE id = ?")
            let begin = monotonicNanoseconds()
            for key in keys { blackHole(try Row.fetchOne(statement, arguments: [key])) }
            return Double(keys.count) / (Double(monotonicNanoseconds() - begin) / 1e9)
        }
    }
}

/// The Mutex-protected Dictionary baseline.
final class GuardedDictionary: Sendable {
    private let storage: Mutex<[SideID: Side]>

    init(_ dictionary: [SideID: Side]) { storage = Mutex(dictionary) }

    func value(_ key: SideID) -> Side? { storage.withLock { $0[key] } }
}
