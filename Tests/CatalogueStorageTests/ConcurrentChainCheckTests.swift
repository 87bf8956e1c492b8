import Foundation
import Testing

@testable import CatalogueStorage

/// Open and audit check the hash chain on a second thread while they fold. The
/// outcome must be exactly the sequential check's: the same head on a sound
/// log, the same first error on a damaged one, whatever the fold itself throws.
@Suite struct ConcurrentChainCheckTests {
    static let records = 5_000  // several verifier batches

    enum Damage: CustomStringConvertible, Sendable {
        case none
        /// A byte flipped: the checksum no longer matches.
        case flippedByte(UInt64)
        /// A byte flipped and the checksum recomputed: only the chain notices, here.
        case rewrittenKeepingLink(UInt64)
        /// Rewritten with its own link recomputed too: the next link breaks.
        case forgedWithNewLink(UInt64)
        case deleted(UInt64)

        var description: String {
            switch self {
            case .none: "none"
            case .flippedByte(let s): "flipped byte at \(s)"
            case .rewrittenKeepingLink(let s): "rewritten keeping its link at \(s)"
            case .forgedWithNewLink(let s): "forged with a new link at \(s)"
            case .deleted(let s): "deleted \(s)"
            }
        }
    }

    struct FoldFailure: Error, Equatable {
        let sequence: UInt64
    }

    static let damages: [Damage] = [
        .none, .flippedByte(1), .flippedByte(2048), .flippedByte(2049), .rewrittenKeepingLink(1),
        .rewrittenKeepingLink(2048), .rewrittenKeepingLink(2049), .rewrittenKeepingLink(5_000),
        .forgedWithNewLink(3_000), .forgedWithNewLink(4_999), .deleted(2), .deleted(2_500),
    ]
    /// Where the fold's own body throws: never, before, at and after the damage.
    static let foldFailures: [UInt64?] = [nil, 1, 1_999, 2_048, 2_049, 3_001, 5_000]

    @Test(arguments: damages)
    func theConcurrentCheckReportsWhatTheSequentialCheckReports(_ damage: Damage) throws {
        try withFilledLog { log in
            try log.write { writer in try apply(damage, writer) }
            try compare(log, damage)
        }
    }

    private func compare(_ log: EventLog, _ damage: Damage) throws {
        for failing in Self.foldFailures {
            func body(_ record: RecordView) throws {
                if record.sequence == failing { throw FoldFailure(sequence: record.sequence) }
            }
            let sequential = outcome { try log.read { try $0.forEachRecordView(after: .empty, body) } }
            let concurrent = outcome {
                try log.read { try $0.forEachRecordVerifyingChainConcurrently(after: .empty, body) }
            }
            #expect(concurrent == sequential, "damage \(damage), fold fails at \(failing.map(String.init) ?? "none")")
        }
        if case .none = damage {
            #expect(outcome { try log.read { try $0.forEachRecord(after: .empty) { _ in } } } == "head \(Self.records)")
        }
    }

    @Test func aCheckStartingAfterAHeadLinksToThatHead() throws {
        try withFilledLog { log in try checkTail(of: log) }
    }

    private func checkTail(of log: EventLog) throws {
        let middle = try log.read { try $0.forEachRecord(after: .empty, through: 2_500) { _ in } }
        let tail = try log.read { try $0.forEachRecordVerifyingChainConcurrently(after: middle) { _ in } }
        #expect(tail.sequence == UInt64(Self.records))
        // The wrong starting link is a broken chain at the first record after it.
        let wrong = LogHead(sequence: middle.sequence, chainHash: .genesis)
        #expect(throws: StorageError.chainBroken(sequence: 2_501)) {
            try log.read { try $0.forEachRecordVerifyingChainConcurrently(after: wrong) { _ in } }
        }
    }

    private func outcome(_ run: () throws -> LogHead) -> String {
        do { return "head \(try run().sequence)" } catch { return "error \(error)" }
    }

    private func withFilledLog(_ body: (EventLog) throws -> Void) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try directory.create()
        let log = try EventLog(directory: directory.store, create: true)
        defer { log.close() }
        try fill(log)
        try body(log)
    }

    private func fill(_ log: EventLog) throws {
        try log.write { writer in
            var head = try writer.reader.head()
            for _ in 0..<Self.records {
                let header = RecordHeader(
                    sequence: head.sequence + 1, eventType: 1, schemaVersion: 1, timestamp: 0, application: "test",
                    user: "tester")
                let payload = withUnsafeBytes(of: head.sequence + 1) { Array($0) } + Array(repeating: 0x5A, count: 40)
                head = try writer.append(header, payload: payload, after: head)
            }
            try writer.recordHead(head)
        }
    }

    private func apply(_ damage: Damage, _ writer: LogWriter) throws {
        func original(_ sequence: UInt64) throws -> [UInt8] { try #require(try writer.recordBytes(sequence: sequence)) }
        /// Flips a byte of the payload region (after the fixed header, before the link).
        func flipped(_ bytes: [UInt8]) -> [UInt8] {
            var bytes = bytes
            bytes[RecordCodec.fixedHeaderSize + 20] ^= 0xFF
            return bytes
        }
        func withChecksum(_ bytes: [UInt8]) -> [UInt8] {
            var bytes = bytes
            let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0.dropLast(4))) }
            withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange((bytes.count - 4)..., with: $0) }
            return bytes
        }
        switch damage {
        case .none: break
        case .flippedByte(let sequence):
            try writer.replaceRecordBytes(sequence: sequence, with: flipped(try original(sequence)))
        case .rewrittenKeepingLink(let sequence):
            try writer.replaceRecordBytes(sequence: sequence, with: withChecksum(flipped(try original(sequence))))
        case .forgedWithNewLink(let sequence):
            let record = try original(sequence).withUnsafeBytes {
                try RecordCodec.decode($0, sequence: sequence, previous: nil)
            }
            let previous = try original(sequence - 1).withUnsafeBytes {
                try RecordCodec.decode($0, sequence: sequence - 1, previous: nil)
            }.chainHash
            var payload = record.payload
            payload[payload.count - 1] ^= 0xFF
            try writer.replaceRecordBytes(
                sequence: sequence, with: RecordCodec.encode(record.header, payload: payload, previous: previous).bytes)
        case .deleted(let sequence):
            try writer.removeRecord(sequence: sequence)
        }
    }
}
