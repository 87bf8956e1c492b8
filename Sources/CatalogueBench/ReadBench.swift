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
        let side1 = onThreads(1, operations: count, engineSides)
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

        // The same lookups while a writer commits allocations and deallocations.
        let session = try catalogue.session(application: "bench", user: "writer")
        let writing = Task {
            while !Task.isCancelled {
                guard
                    let allocation = try? await session.allocate(
                        AllocationRequest(pool: pool, errorIfUnavailable: true))
                else { break }
                try? await session.deallocate(allocation.logicalMedium)
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        quiesce()
        let side1Writer = onThreads(1, operations: count, engineSides)
        let side2Writer = onThreads(2, operations: count, engineSides)
        writing.cancel()
        _ = await writing.value

        // Baselines over the same keys and values.
        let plain: [SideID: Side] = Dictionary(uniqueKeysWithValues: state.sides.map { ($0.key, $0.value) })
        let dictionary1 = onThreads(1, operations: count) { _ in
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
        let sqlite1 = try sqlitePointReads(sqlite, keys: Array(sqliteKeys))

        return Result(
            media: state.media.count, lookups_per_thread: count, engine_side_1_thread: side1,
            engine_side_2_threads: side2, engine_side_1_thread_snapshot_property: property,
            engine_side_1_thread_one_snapshot: held,
            engine_side_1_thread_with_writer: side1Writer, engine_side_2_threads_with_writer: side2Writer,
            engine_barcode_1_thread: barcode1, engine_lmid_1_thread: lmid1, dictionary_1_thread: dictionary1,
            mutex_dictionary_1_thread: mutex1, mutex_dictionary_2_threads: mutex2, sqlite_1_thread: sqlite1,
            ratio_to_dictionary: side1 / dictionary1, writer_slowdown: 1 - side1Writer / side1,
            ratio_to_sqlite: side1 / sqlite1)
    }

    /// Point reads by primary key with a cached statement, one read transaction;
    /// the median of five rounds, like the engine's figures.
    private func sqlitePointReads(_ queue: DatabaseQueue, keys: [Int64]) throws -> Double {
        try queue.read { db in
            let statement = try db.cachedStatement(
                sql: "SELECT id, medium, number, state, allocate_count, lmid FROM sides WHERE id = ?")
            var rates: [Double] = []
            for _ in 0..<5 {
                let begin = monotonicNanoseconds()
                for key in keys { blackHole(try Row.fetchOne(statement, arguments: [key])) }
                rates.append(Double(keys.count) / (Double(monotonicNanoseconds() - begin) / 1e9))
            }
            return rates.sorted()[rates.count / 2]
        }
    }
}

/// The Mutex-protected Dictionary baseline.
final class GuardedDictionary: Sendable {
    private let storage: Mutex<[SideID: Side]>

    init(_ dictionary: [SideID: Side]) { storage = Mutex(dictionary) }

    func value(_ key: SideID) -> Side? { storage.withLock { $0[key] } }
}
