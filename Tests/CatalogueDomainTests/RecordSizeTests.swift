import CatalogueDomain
import Testing

/// A million media live in memory: the records keep the sizes the memory budget
/// (docs/performance.md) was measured with, so a new field is a decision, not an accident.
@Suite struct RecordSizeTests {
    @Test func aSideRecordTakes32BytesAndAMediumRecord72() {
        #expect(MemoryLayout<Side>.stride == 32)
        #expect(MemoryLayout<Medium>.stride == 72)
    }

    @Test func aSideWithoutALogicalMediumReadsBackAsNone() {
        var side = Side(
            id: SideID(2), medium: MediumID(1), number: 0, state: .available, allocateCount: 0, logicalMedium: nil)
        #expect(side.logicalMedium == nil)
        side.logicalMedium = LogicalMediumID(9)
        #expect(side.logicalMedium == LogicalMediumID(9))
        side.logicalMedium = nil
        #expect(side.logicalMedium == nil)
    }
}
