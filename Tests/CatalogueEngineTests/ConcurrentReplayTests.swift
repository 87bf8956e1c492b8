import CatalogueDomain
import Foundation
import Testing

@testable import CatalogueEngine
@testable import CatalogueStorage

/// A long open decodes records on a second thread, batches ahead of the fold.
/// Its outcome must be exactly the sequential replay's: the same state and head
/// on a sound log; on a damaged one, the same first error with every event
/// before it folded, wherever the damage falls against the batches.
@Suite struct ConcurrentReplayTests {
    /// More batches than may wait at once, so the decoder also waits for room.
    static let eventCount = EventDecoder.batchSize * (EventDecoder.batchesAhead + 2) + 123

    enum Damage: CustomStringConvertible, Sendable {
        case none
        /// A byte flipped: the checksum no longer matches.
        case flippedByte(UInt64)
        /// A byte flipped and the checksum recomputed: only the chain link shows it.
        case rewrittenKeepingLink(UInt64)
        /// Rewritten with a payload that does not decode, its checksum and link recomputed.
        case undecodable(UInt64)
        case deleted(UInt64)

        /// The first damaged record.
        var sequence: UInt64? {
            switch self {
            case .none: nil
            case .flippedByte(let s), .rewrittenKeepingLink(let s), .undecodable(let s), .deleted(let s): s
            }
        }

        var description: String {
            switch self {
            case .none: "none"
            case .flippedByte(let s): "flipped byte at \(s)"
            case .rewrittenKeepingLink(let s): "rewritten keeping its link at \(s)"
            case .undecodable(let s): "undecodable payload at \(s)"
            case .deleted(let s): "deleted \(s)"
            }
        }
    }

    static let batch = UInt64(EventDecoder.batchSize)
    static let damages: [Damage] = [
        .none, .flippedByte(1), .flippedByte(batch), .flippedByte(batch + 1), .flippedByte(4 * batch + 7),
        .rewrittenKeepingLink(batch - 1), .rewrittenKeepingLink(3 * batch), .undecodable(2 * batch),
        .undecodable(UInt64(eventCount)), .deleted(3 * batch + 1),
    ]

    @Test(arguments: damages)
    func theConcurrentReplayFoldsWhatTheSequentialReplayFolds(_ damage: Damage) throws {
        let store = TestStore()
        defer { store.remove() }
        let log = try EventLog(directory: store.path, create: true)
        defer { log.close() }
        try Self.fill(log)
        try log.write { writer in try Self.apply(damage, writer) }

        var sequentialState = CatalogueState()
        let sequential = Result {
            try log.read { reader in
                try reader.forEachRecordView(after: .empty) { record in
                    let event = try record.event()
                    sequentialState.evolve(event, record.envelope(for: event))
                }
            }
        }
        var concurrentState = CatalogueState()
        let concurrent = Result {
            try log.read { reader in
                try reader.forEachEventDecodedConcurrently(after: .empty) { concurrentState.evolve($0, $1) }
            }
        }
        #expect(Self.describe(concurrent) == Self.describe(sequential), "damage: \(damage)")
        #expect(concurrentState == sequentialState, "damage: \(damage)")
        // Every event before the damage, and none after it.
        #expect(concurrentState.eventCount == (damage.sequence ?? UInt64(Self.eventCount + 1)) - 1)
        if damage.sequence == nil {
            #expect(try concurrent.get().sequence == UInt64(Self.eventCount))
        } else {
            #expect(throws: (any Error).self) { try concurrent.get() }
        }
    }

    @Test func aFoldStoppedAtABoundaryGoesOnFromThereToTheSameEnd() throws {
        let store = TestStore()
        defer { store.remove() }
        let log = try EventLog(directory: store.path, create: true)
        defer { log.close() }
        try Self.fill(log)
        let boundary = 2 * Self.batch + 5
        var whole = CatalogueState()
        var split = CatalogueState()
        let (end, middle, splitEnd) = try log.read { reader in
            let end = try reader.forEachEventDecodedConcurrently(after: .empty) { whole.evolve($0, $1) }
            let middle = try reader.forEachEventDecodedConcurrently(after: .empty, through: boundary) {
                split.evolve($0, $1)
            }
            let splitEnd = try reader.forEachEventDecodedConcurrently(after: middle) { split.evolve($0, $1) }
            return (end, middle, splitEnd)
        }
        #expect(middle.sequence == boundary)
        #expect(middle.chainHash == (try log.read { try $0.chainHash(at: boundary) }))
        #expect(splitEnd == end)
        #expect(split == whole)
    }

    private static func describe(_ outcome: Result<LogHead, any Error>) -> String {
        switch outcome {
        case .success(let head): "head \(head)"
        case .failure(let error): "error \(error)"
        }
    }

    /// A real catalogue's events: a pool of media allocated and deallocated over and over.
    private static func fill(_ log: EventLog) throws {
        var state = CatalogueState()
        var events: [CatalogueEvent] = []
        func run(_ command: CatalogueCommand) throws -> CommandOutcome {
            let decision = try state.decide(command).get()
            state.evolve(decision.events, EventEnvelope(time: 0, application: "test", user: "tester"))
            events.append(contentsOf: decision.events)
            return decision.outcome
        }
        _ = try run(.createCatalogue())
        guard case .mediaType(let type) = try run(.registerMediaType(name: "MO", sideCount: 2)),
            case .library(let robot) = try run(.addLibrary(name: "Robot", slots: 16, drives: 2, ports: 1)),
            case .pool(let pool) = try run(
                .createPool(path: "\\Backup", mediaType: type, policy: PoolPolicy(allocateFromScratch: true)))
        else { throw CancellationError() }
        for slot in 1...16 {
            _ = try run(
                .registerMedium(
                    barcode: "MO\(slot)", mediaType: type, location: .slot(robot, UInt32(slot)), label: .free))
        }
        while events.count < eventCount {
            guard case .allocation(let allocation) = try run(.allocate(AllocationRequest(pool: pool))) else {
                throw CancellationError()
            }
            _ = try run(.deallocate(allocation.logicalMedium))
        }
        try log.write { writer in
            var head = try writer.reader.head()
            for event in events.prefix(eventCount) {
                let header = RecordHeader(
                    sequence: head.sequence + 1, eventType: event.typeCode, schemaVersion: event.schemaVersion,
                    timestamp: 0, application: "test", user: "tester")
                head = try writer.append(header, payload: event.encodedPayload(), after: head)
            }
            try writer.recordHead(head)
        }
    }

    private static func apply(_ damage: Damage, _ writer: LogWriter) throws {
        func original(_ sequence: UInt64) throws -> [UInt8] { try #require(try writer.recordBytes(sequence: sequence)) }
        switch damage {
        case .none: break
        case .flippedByte(let sequence):
            var bytes = try original(sequence)
            bytes[RecordCodec.fixedHeaderSize + 2] ^= 0xFF
            try writer.replaceRecordBytes(sequence: sequence, with: bytes)
        case .rewrittenKeepingLink(let sequence):
            var bytes = try original(sequence)
            bytes[RecordCodec.fixedHeaderSize + 2] ^= 0xFF
            let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0.dropLast(4))) }
            withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange((bytes.count - 4)..., with: $0) }
            try writer.replaceRecordBytes(sequence: sequence, with: bytes)
        case .undecodable(let sequence):
            let record = try original(sequence).withUnsafeBytes {
                try RecordCodec.decode($0, sequence: sequence, previous: nil)
            }
            let previous = try original(sequence - 1).withUnsafeBytes {
                try RecordCodec.decode($0, sequence: sequence - 1, previous: nil)
            }.chainHash
            try writer.replaceRecordBytes(
                sequence: sequence,
                with: RecordCodec.encode(record.header, payload: [0xFF, 0xFF, 0xFF], previous: previous).bytes)
        case .deleted(let sequence):
            try writer.removeRecord(sequence: sequence)
        }
    }
}
