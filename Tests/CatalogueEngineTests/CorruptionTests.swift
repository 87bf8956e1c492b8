import CatalogueDomain
import Foundation
import Testing

@testable import CatalogueEngine
@testable import CatalogueStorage

/// Damage of every kind is named by its first bad sequence number, on open and
/// by audit, and nothing after it is silently used.
@Suite struct CorruptionTests {
    enum Damage: CaseIterable {
        case truncated, emptied, deletedInTheMiddle, paddedWithAByte, payloadRewrittenWithValidChecksum
    }

    @Test(arguments: Damage.allCases)
    func damageIsNamedByItsSequenceNumber(_ damage: Damage) async throws {
        let store = TestStore()
        defer { store.remove() }
        do {
            let catalogue = try await store.open()
            let session = try catalogue.session(application: "test", user: "tester")
            _ = try await Seeded.make(session, media: 6)
            catalogue.close()
        }
        let target: UInt64 = 6
        let log = try EventLog(directory: store.path, create: false)
        try log.write { writer in
            let original = try #require(try writer.recordBytes(sequence: target))
            switch damage {
            case .truncated:
                try writer.replaceRecordBytes(sequence: target, with: Array(original.dropLast(7)))
            case .emptied:
                try writer.replaceRecordBytes(sequence: target, with: [])
            case .deletedInTheMiddle:
                try writer.removeRecord(sequence: target)
            case .paddedWithAByte:
                try writer.replaceRecordBytes(sequence: target, with: original + [0])
            case .payloadRewrittenWithValidChecksum:
                let record = try original.withUnsafeBytes {
                    try RecordCodec.decode($0, sequence: target, previous: nil)
                }
                var payload = record.payload
                payload[payload.count / 2] ^= 0xFF
                let previousBytes = try #require(try writer.recordBytes(sequence: target - 1))
                let previous = try previousBytes.withUnsafeBytes {
                    try RecordCodec.decode($0, sequence: target - 1, previous: nil)
                }.chainHash
                // A forger who recomputes both the CRC and this record's link still breaks the next link.
                try writer.replaceRecordBytes(
                    sequence: target,
                    with: RecordCodec.encode(record.header, payload: payload, previous: previous).bytes)
            }
        }
        log.close()
        let report = try Catalogue.audit(at: store.path)
        #expect(!report.ok)
        let expected = damage == .payloadRewrittenWithValidChecksum ? [target, target + 1] : [target]
        #expect(expected.contains(report.firstBadSequence ?? 0), "\(report.problem ?? "")")
        #expect(report.events < (report.firstBadSequence ?? 0))
        // The reported head is the last record folded, with its own chain hash.
        #expect(report.head == report.events)
        let lastGood = try EventLog(directory: store.path, create: false)
        let lastHash = try lastGood.read { try $0.chainHash(at: report.head) }
        lastGood.close()
        #expect(report.headHash == lastHash?.description)
        do {
            _ = try await Catalogue.open(at: store.path)
            Issue.record("a damaged store opened")
        } catch {
            #expect(error.code == .databaseFailure)
            #expect(expected.contains { error.message.contains("event \($0)") }, "\(error.message)")
        }
    }
}
