import CatalogueDomain
import Foundation
import Logging
import Testing

@testable import CatalogueEngine
@testable import CatalogueStorage

/// Checkpoints let open skip the log it covers, and never replace the log as
/// the source of truth: anything wrong with one means a full replay, and audit
/// compares each with the log.
@Suite struct CheckpointTests {
    /// Saves nothing by itself, so each test decides when checkpoints exist.
    static let manual = CatalogueOptions(checkpoints: CheckpointPolicy(everyEvents: 0, onCloseAfterEvents: 0))

    /// A store with media, allocations, an open and a closed operator request,
    /// a checkpoint in the middle and events after it. Returns the checkpoint's event.
    private func prepare(_ store: TestStore) async throws -> UInt64 {
        let catalogue = try await store.open(options: Self.manual)
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 6)
        let first = try await session.allocate(AllocationRequest(pool: seeded.pool))
        _ = try await session.allocate(AllocationRequest(pool: seeded.pool, new: true))
        let open = try await session.submitRequest(.message, message: "clean drive 1")
        try await session.cancelRequest(try await session.submitRequest(.message, message: "never mind"))
        let covered = try catalogue.saveCheckpoint()
        try await session.deallocate(first.logicalMedium)
        try await session.satisfyRequest(open)
        _ = try await session.allocate(AllocationRequest(pool: seeded.pool))
        #expect(catalogue.snapshot.head.sequence > covered)
        return covered
    }

    private func fullReplay(_ store: TestStore) async throws -> CatalogueSnapshot {
        let catalogue = try await Catalogue.open(at: store.path, options: CatalogueOptions(checkpoints: .disabled))
        defer { catalogue.close() }
        #expect(catalogue.openReport.checkpoint == nil)
        return catalogue.snapshot
    }

    @Test func openLoadsTheNewestCheckpointAndFoldsOnlyTheEventsAfterIt() async throws {
        let store = TestStore()
        defer { store.remove() }
        let covered = try await prepare(store)
        let reference = try await fullReplay(store)

        let catalogue = try await Catalogue.open(at: store.path, options: Self.manual)
        defer { catalogue.close() }
        #expect(catalogue.openReport.checkpoint == covered)
        #expect(catalogue.openReport.foldedEvents == reference.head.sequence - covered)
        #expect(catalogue.openReport.warnings.isEmpty)
        #expect(catalogue.snapshot.head == reference.head)
        #expect(catalogue.snapshot.state == reference.state)
        // The engine keeps working from the loaded state.
        let session = try catalogue.session(application: "test", user: "tester")
        let pool = try #require(catalogue.snapshot.state.pool(atPath: "\\Backup")?.id)
        _ = try await session.allocate(AllocationRequest(pool: pool))
        #expect(try catalogue.audit().ok)
    }

    enum Damage: String, CaseIterable {
        case flippedByte, truncated, otherStateVersion, otherHistory, unknownContainerFormat, statePayloadGarbage
    }

    @Test(arguments: Damage.allCases)
    func aCheckpointThatFailsAnyCheckIsSkippedWithAWarningAndTheLogReplayed(_ damage: Damage) async throws {
        let store = TestStore()
        defer { store.remove() }
        let covered = try await prepare(store)
        let reference = try await fullReplay(store)

        let log = try EventLog(directory: store.path, create: false)
        try log.write { writer in
            let original = try #require(try writer.checkpointBytes(sequence: covered))
            let checkpoint = try original.withUnsafeBytes { try CheckpointCodec.decode($0).get() }
            var bytes = original
            switch damage {
            case .flippedByte:
                bytes[bytes.count / 2] ^= 0x40
            case .truncated:
                bytes.removeLast(9)
            case .otherStateVersion:
                var changed = checkpoint
                changed.stateVersion = CatalogueState.checkpointVersion + 1
                bytes = CheckpointCodec.encode(changed)
            case .otherHistory:
                var changed = checkpoint
                changed.head.chainHash = .genesis
                bytes = CheckpointCodec.encode(changed)
            case .unknownContainerFormat:
                bytes[4] = 0x7F
            case .statePayloadGarbage:
                var changed = checkpoint
                changed.payload = [1, 2, 3]
                bytes = CheckpointCodec.encode(changed)
            }
            try writer.replaceCheckpointBytes(sequence: covered, with: bytes)
        }
        log.close()

        let warnings = Locked<[String]>([])
        var options = Self.manual
        options.logger = CollectingLog.logger { message in warnings.withLock { $0.append(message) } }
        let catalogue = try await Catalogue.open(at: store.path, options: options)
        #expect(catalogue.openReport.checkpoint == nil)
        #expect(catalogue.openReport.foldedEvents == reference.head.sequence)
        #expect(catalogue.openReport.warnings.count == 1)
        #expect(warnings.withLock { $0 }.contains { $0.contains("checkpoint at event \(covered) ignored") })
        #expect(catalogue.snapshot.state == reference.state)
        catalogue.close()

        // Audit reports it as skipped, which does not fail the log.
        let report = try Catalogue.audit(at: store.path)
        #expect(report.ok, "\(report.problem ?? "")")
        #expect(report.checkpoints.map(\.verdict) == [.unusable])
        let listing = try Catalogue.listCheckpoints(at: store.path)
        #expect(listing.map(\.usable) == [false])
    }

    @Test func aSkippedNewerCheckpointFallsBackToTheOlderOne() async throws {
        let store = TestStore()
        defer { store.remove() }
        let older = try await prepare(store)
        let newer: UInt64
        do {
            let catalogue = try await Catalogue.open(at: store.path, options: Self.manual)
            newer = try catalogue.saveCheckpoint()
            catalogue.close()
        }
        let log = try EventLog(directory: store.path, create: false)
        try log.write { writer in try writer.replaceCheckpointBytes(sequence: newer, with: [0, 1, 2]) }
        log.close()
        let catalogue = try await Catalogue.open(at: store.path, options: Self.manual)
        defer { catalogue.close() }
        #expect(catalogue.openReport.checkpoint == older)
        #expect(catalogue.openReport.warnings.count == 1)
    }

    @Test func auditFailsOnACheckpointThatLoadsButDisagreesWithTheLogUntilItIsDropped() async throws {
        let store = TestStore()
        defer { store.remove() }
        let covered = try await prepare(store)
        // A sound container, of this log, whose state is not the log's: open cannot tell, audit must.
        let later = try await fullReplay(store).state
        let log = try EventLog(directory: store.path, create: false)
        try log.write { writer in
            let original = try #require(try writer.checkpointBytes(sequence: covered))
            var checkpoint = try original.withUnsafeBytes { try CheckpointCodec.decode($0).get() }
            checkpoint.payload = Self.withEventCount(later, covered)
            try writer.replaceCheckpointBytes(sequence: covered, with: CheckpointCodec.encode(checkpoint))
        }
        log.close()
        let fooled = try await Catalogue.open(at: store.path, options: Self.manual)
        #expect(fooled.openReport.checkpoint == covered)
        fooled.close()

        let report = try Catalogue.audit(at: store.path)
        #expect(!report.ok)
        #expect(report.checkpoints.map(\.verdict) == [.mismatch])
        #expect(report.problem?.contains("checkpoint at event \(covered)") == true)

        #expect(try Catalogue.dropCheckpoints(at: store.path, sequence: covered) == 1)
        let after = try Catalogue.audit(at: store.path)
        #expect(after.ok)
        #expect(after.checkpoints.isEmpty)
    }

    @Test func theEngineSavesCheckpointsAsItRunsAndOnCloseAndKeepsOnlyTheNewest() async throws {
        let store = TestStore()
        defer { store.remove() }
        let options = CatalogueOptions(
            checkpoints: CheckpointPolicy(everyEvents: 20, onCloseAfterEvents: 1, keep: 2, history: 0))
        let head: UInt64
        do {
            let catalogue = try await store.open(options: options)
            let session = try catalogue.session(application: "test", user: "tester")
            let seeded = try await Seeded.make(session, media: 8)
            for _ in 0..<40 {
                let allocation = try await session.allocate(AllocationRequest(pool: seeded.pool))
                try await session.deallocate(allocation.logicalMedium)
            }
            head = catalogue.snapshot.head.sequence
            catalogue.close()
        }
        let listing = try Catalogue.listCheckpoints(at: store.path)
        #expect(listing.count == 2)
        #expect(listing.first?.sequence == head, "the close saved the final state")
        #expect(listing.allSatisfy { $0.usable })
        let report = try Catalogue.audit(at: store.path)
        #expect(report.ok)
        #expect(report.checkpoints.allSatisfy { $0.verdict == .matches })
        let reopened = try await Catalogue.open(at: store.path, options: options)
        defer { reopened.close() }
        #expect(reopened.openReport.checkpoint == head)
        #expect(reopened.openReport.foldedEvents == 0)
    }

    @Test func olderCheckpointsAreKeptWiderApartSoAPastStateReplaysLittle() async throws {
        let store = TestStore()
        defer { store.remove() }
        let options = CatalogueOptions(
            checkpoints: CheckpointPolicy(everyEvents: 0, onCloseAfterEvents: 0, keep: 1, history: 3))
        do {
            let catalogue = try await store.open(options: options)
            let session = try catalogue.session(application: "test", user: "tester")
            let seeded = try await Seeded.make(session, media: 8)
            for _ in 0..<60 {
                let allocation = try await session.allocate(AllocationRequest(pool: seeded.pool))
                try await session.deallocate(allocation.logicalMedium)
                // A checkpoint after every cycle: sixty to thin.
                try catalogue.saveCheckpoint()
            }
            catalogue.close()
        }
        let kept = try Catalogue.listCheckpoints(at: store.path).map(\.sequence)
        #expect(kept.count == 4, "\(kept)")
        // Newest first: the older ones lie ever further apart.
        let gaps = zip(kept, kept.dropFirst()).map { $0 - $1 }
        #expect(gaps == gaps.sorted(), "\(kept)")
        let oldest = try #require(kept.last)
        let past = try Catalogue.state(at: store.path, asOf: .sequence(oldest + 1), checkpoints: options.checkpoints)
        #expect(past.checkpoint == oldest)
        #expect(past.foldedEvents == 1)
    }

    @Test func aCheckpointBeyondTheEndOfTheLogRefusesOpenUntilDropped() async throws {
        // A checkpoint claiming events the log does not have means records were cut
        // from the log's end after it was saved: like a head mismatch, open refuses.
        let store = TestStore()
        defer { store.remove() }
        let covered = try await prepare(store)
        let log = try EventLog(directory: store.path, create: false)
        try log.write { writer in
            let bytes = try #require(try writer.checkpointBytes(sequence: covered))
            var checkpoint = try bytes.withUnsafeBytes { try CheckpointCodec.decode($0).get() }
            checkpoint.head.sequence = 1_000
            try writer.replaceCheckpointBytes(sequence: 1_000, with: CheckpointCodec.encode(checkpoint))
        }
        log.close()
        let error = await #expect(throws: NtmsError.self) {
            _ = try await Catalogue.open(at: store.path, options: Self.manual)
        }
        #expect(error?.message.contains("a checkpoint covers event 1000 but the log ends at event") == true)
        // Once an operator has looked, dropping the checkpoint lets the store open again.
        #expect(try Catalogue.dropCheckpoints(at: store.path, sequence: 1_000) == 1)
        let catalogue = try await Catalogue.open(at: store.path, options: Self.manual)
        defer { catalogue.close() }
        #expect(catalogue.openReport.checkpoint == covered)
    }

    /// A logger that hands each message to `collect`.
    struct CollectingLog: LogHandler {
        var collect: @Sendable (String) -> Void
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        static func logger(_ collect: @escaping @Sendable (String) -> Void) -> Logger {
            Logger(label: "test") { _ in CollectingLog(collect: collect) }
        }

        func log(event: LogEvent) { collect("\(event.message)") }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
    }

    /// The same state claiming a different number of folded events (only tests forge this).
    private static func withEventCount(_ state: CatalogueState, _ count: UInt64) -> [UInt8] {
        let payload = state.checkpointPayload()
        return payload.withUnsafeBytes { raw in
            var reader = BinaryReader(raw)
            // Layout: creation flag (+ 4 ids), next identifier, event count.
            var prefix = BinaryWriter()
            if (try? reader.readBool()) == true {
                prefix.write(true)
                for _ in 0..<4 { prefix.write((try? reader.readUInt64()) ?? 0) }
            } else {
                prefix.write(false)
            }
            prefix.write((try? reader.readUInt64()) ?? 0)
            _ = try? reader.readUInt64()
            prefix.write(count)
            return prefix.bytes + Array(payload.suffix(reader.remaining))
        }
    }
}
