import CatalogueDomain
import PropertyBased
import Testing

/// The persistent identifier table against a plain Dictionary as the reference.
@Suite struct IdentifierTableTests {
    typealias Table = IdentifierTable<SideKind, Int>

    /// Keys drawn from a few regions so that leaves fill, split across levels and empty again.
    static func key(_ word: Int) -> SideID {
        let regions: [UInt64] = [1, 60, 4_000, 262_100, 1 << 40, UInt64.max - 200]
        return SideID(regions[word % regions.count] + UInt64((word / regions.count) % 150))
    }

    @Test func randomInsertsUpdatesModificationsAndRemovalsMatchADictionaryInContentCountAndKeyOrder() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...99_999).array(of: 0...400)) { program in
            var table = Table()
            var reference: [SideID: Int] = [:]
            // Copies kept along the way must never see later changes.
            var copies: [(Table, [SideID: Int])] = []
            for (step, word) in program.enumerated() {
                let key = Self.key(word / 5)
                switch word % 5 {
                case 0, 1:
                    #expect(table.updateValue(step, forKey: key) == reference.updateValue(step, forKey: key))
                case 2:
                    #expect(table.removeValue(forKey: key) == reference.removeValue(forKey: key))
                case 3:
                    let seen = table.modify(key) { value -> Int in
                        let old = value
                        value += step
                        return old
                    }
                    #expect(seen == reference[key])
                    reference[key]? += step
                default:
                    table[key] = nil
                    reference[key] = nil
                }
                if step % 50 == 0 { copies.append((table, reference)) }
                #expect(table[key] == reference[key])
            }
            #expect(table.count == reference.count)
            #expect(table.isEmpty == reference.isEmpty)
            #expect(Array(table.keys) == reference.keys.sorted())
            #expect(table.map(\.value) == reference.sorted { $0.key < $1.key }.map(\.value))
            for word in program { #expect(table[Self.key(word / 5 + 1)] == reference[Self.key(word / 5 + 1)]) }
            for (copy, expected) in copies {
                #expect(copy.count == expected.count)
                #expect(copy.allSatisfy { expected[$0.key] == $0.value })
            }
        }
    }

    @Test func aCopyTakenBeforeChangesKeepsItsContents() {
        var table = Table()
        for n in 1...5_000 { table[SideID(UInt64(n))] = n }
        let snapshot = table
        for n in stride(from: 1, through: 5_000, by: 3) { table[SideID(UInt64(n))] = nil }
        for n in stride(from: 2, through: 5_000, by: 3) { table[SideID(UInt64(n))] = -n }
        table[SideID(1 << 50)] = 7
        #expect(snapshot.count == 5_000)
        #expect((1...5_000).allSatisfy { snapshot[SideID(UInt64($0))] == $0 })
        #expect(snapshot[SideID(1 << 50)] == nil)
        #expect(table.count == 5_000 - 1_667 + 1)
        #expect(table[SideID(2)] == -2 && table[SideID(1)] == nil && table[SideID(3)] == 3)
    }

    @Test func removingEveryEntryLeavesAnEmptyTableThatAcceptsNewOnes() {
        var table = Table()
        let keys = [1, 63, 64, 4_095, 4_096, 1 << 30, UInt64.max].map(SideID.init)
        for (n, key) in keys.enumerated() { table[key] = n }
        #expect(Array(table.keys) == keys)
        for key in keys.reversed() { table[key] = nil }
        #expect(table.isEmpty && table.count == 0 && Array(table).isEmpty)
        table[SideID(5)] = 5
        #expect(Array(table.keys) == [SideID(5)] && table[SideID(5)] == 5)
    }

    @Test func tablesWithTheSameEntriesAreEqualWhateverTheOrderTheyWereBuiltIn() {
        let entries = (1...300).map { (SideID(UInt64($0 * 7)), $0) }
        var forward = Table()
        for (key, value) in entries { forward[key] = value }
        var backward = Table()
        for (key, value) in entries.reversed() { backward[key] = value }
        #expect(forward == backward)
        backward[SideID(7)] = 0
        #expect(forward != backward)
        backward[SideID(7)] = 1
        backward[SideID(8)] = 1
        #expect(forward != backward)
    }
}
