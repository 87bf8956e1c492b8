import Testing

@testable import CatalogueStorage

/// Which checkpoints survive a save: the newest few, and the oldest of each
/// power-of-two band of age, never more than asked for.
@Suite struct CheckpointRetentionTests {
    /// Saves one checkpoint per step and thins after each, as the writer does.
    static func regularSaves(_ count: UInt64, keep: Int, history: Int) -> [UInt64] {
        var stored: [UInt64] = []
        for sequence in 1...count {
            stored.append(sequence)
            let removed = Set(CheckpointRetention.sequencesToRemove(from: stored, keep: keep, history: history))
            stored.removeAll { removed.contains($0) }
        }
        return stored
    }

    @Test func regularSavesKeepExponentiallySpacedHistoryAsTheLogGrows() {
        #expect(Self.regularSaves(1000, keep: 2, history: 6) == [897, 961, 977, 985, 993, 997, 999, 1000])
        #expect(Self.regularSaves(1000, keep: 2, history: 0) == [999, 1000])
        // Every point from the oldest kept checkpoint on replays at most twice its age.
        let kept = Self.regularSaves(3000, keep: 2, history: 6)
        let newest = kept[kept.count - 1]
        for point in kept[0]..<newest {
            let start = kept.last { $0 <= point }!
            #expect(point - start < 2 * (newest - point), "event \(point) of \(kept)")
        }
    }

    @Test func frequentSmallSavesShareOneBandSoHistoryStillReachesFarBack() {
        // Saves every 1,000 events at the running cadence, and nine close-time saves in the last unit.
        let regular = (1...64).map { UInt64($0) * 1000 }
        let stored = regular + (1...9).map { 64_000 + UInt64($0) * 100 }
        let removed = Set(CheckpointRetention.sequencesToRemove(from: stored, keep: 2, history: 6, unit: 1000))
        let kept = stored.filter { !removed.contains($0) }
        #expect(kept.count == 8, "\(kept)")
        #expect(kept.first! < 34_000, "the oldest kept is about 32 units back: \(kept)")
        let unitless = Set(CheckpointRetention.sequencesToRemove(from: stored, keep: 2, history: 6))
        #expect(
            stored.filter { !unitless.contains($0) }.first! > kept.first!,
            "counted in events, the small saves take the bands")
    }

    @Test func anyStoredSetKeepsTheNewestAtMostTheLimitAndOnePerBand() {
        var state: UInt64 = 0x5EED
        func next(_ bound: UInt64) -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 33) % bound
        }
        for _ in 0..<2000 {
            let stored = Set((0..<next(30)).map { _ in 1 + next(10_000) }).sorted()
            let keep = Int(next(4))
            let history = Int(next(6))
            let removed = Set(CheckpointRetention.sequencesToRemove(from: stored, keep: keep, history: history))
            let kept = stored.filter { !removed.contains($0) }
            #expect(removed.isSubset(of: stored))
            #expect(kept.suffix(max(1, keep)) == stored.suffix(max(1, keep)))
            #expect(kept.count <= max(1, keep) + history)
            guard let newest = stored.last else { continue }
            let bands = kept.dropLast(max(1, keep)).map { CheckpointRetention.band(age: newest - $0, unit: 1) }
            #expect(Set(bands).count == bands.count, "\(stored) \(keep) \(history)")
        }
    }
}
