import CatalogueDomain
import CatalogueEngine
import CatalogueStorage
import Foundation
import Testing

/// A catalogue opened `.readOnly` answers queries from the same state and never changes the store.
@Suite struct ReadOnlyCatalogueTests {
    static let noCheckpoints = CatalogueOptions(checkpoints: CheckpointPolicy(everyEvents: 0, onCloseAfterEvents: 0))

    /// A store with media and one open request, closed again.
    func seededStore() async throws -> (TestStore, Seeded, OperatorRequestID) {
        let store = TestStore()
        let catalogue = try await store.open(options: Self.noCheckpoints)
        let session = try catalogue.session(application: "seed", user: "tester")
        let seeded = try await Seeded.make(session, media: 3)
        let request = try await session.submitRequest(.message, message: "load tapes")
        catalogue.close()
        return (store, seeded, request)
    }

    func dataFile(_ store: TestStore) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: store.path + "/data.mdb"))
    }

    @Test func aReadOnlyCatalogueSeesTheSameStateAsTheWriter() async throws {
        let (store, _, _) = try await seededStore()
        defer { store.remove() }
        let writer = try await Catalogue.open(at: store.path, options: Self.noCheckpoints)
        let expected = writer.snapshot
        writer.close()
        let reader = try await Catalogue.open(at: store.path, mode: .readOnly)
        defer { reader.close() }
        #expect(reader.mode == .readOnly)
        #expect(reader.hasReaderSlots)
        #expect(reader.snapshot.head == expected.head)
        #expect(reader.snapshot.state == expected.state)
    }

    @Test func everyCommandThroughAReadOnlyCatalogueIsRefusedWithAccessDeniedAndChangesNothing() async throws {
        let (store, seeded, request) = try await seededStore()
        defer { store.remove() }
        let before = try dataFile(store)
        let reader = try await Catalogue.open(at: store.path, mode: .readOnly)
        let session = try reader.session(application: "report", user: "auditor")
        let attempts: [(String, () async throws -> Void)] = [
            ("allocate", { _ = try await session.allocate(AllocationRequest(pool: seeded.pool)) }),
            ("display", { try await session.displayRequests([request]) }),
            ("cancel", { try await session.cancelRequest(request) }),
            ("create pool", { _ = try await session.createPool(path: "\\X", mediaType: seeded.type) }),
            ("mount", { _ = try await session.mount(reader.snapshot.state.media[seeded.media[0]]!.sides[0]) }),
            ("inventory", { _ = try await session.inventory(seeded.robot) }),
            ("robot", { _ = try reader.simulatedRobot(for: seeded.robot) }),
            ("checkpoint", { _ = try reader.saveCheckpoint() }),
            ("deadlines", { try await reader.checkDeadlines() }),
        ]
        for (name, attempt) in attempts {
            do {
                try await attempt()
                Issue.record("\(name) succeeded through a read-only catalogue")
            } catch let error as NtmsError {
                #expect(error.code == .accessDenied, "\(name): \(error)")
                #expect(error.message.contains("read-only"), "\(name): \(error)")
            }
        }
        #expect(reader.snapshot.state.requests[request]?.state == .submitted)
        reader.close()
        #expect(try dataFile(store) == before)
    }

    @Test func aReadOnlyOpenNeverSavesACheckpointWhateverThePolicy() async throws {
        let (store, _, _) = try await seededStore()
        defer { store.remove() }
        let eager = CatalogueOptions(checkpoints: CheckpointPolicy(everyEvents: 1, onCloseAfterEvents: 1))
        let reader = try await Catalogue.open(at: store.path, mode: .readOnly, options: eager)
        try await reader.refresh()
        reader.close()
        #expect(try Catalogue.listCheckpoints(at: store.path).isEmpty)
    }

    @Test func aReadOnlyOpenLoadsTheOwnersCheckpoint() async throws {
        let (store, _, _) = try await seededStore()
        defer { store.remove() }
        let writer = try await Catalogue.open(at: store.path)
        let covered = try writer.saveCheckpoint()
        writer.close()
        let reader = try await Catalogue.open(at: store.path, mode: .readOnly)
        defer { reader.close() }
        #expect(reader.openReport.checkpoint == covered)
        #expect(reader.openReport.foldedEvents == 0)
    }

    @Test func aReadOnlyOpenCannotCreateAStore() async throws {
        let store = TestStore()
        defer { store.remove() }
        await #expect(throws: NtmsError.self) {
            _ = try await Catalogue.open(at: store.path, mode: .readOnly, create: true)
        }
        #expect(!FileManager.default.fileExists(atPath: store.path))
    }

    @Test func aReaderThatMayNotTouchTheLockFileStillReadsTheStore() async throws {
        let (store, _, request) = try await seededStore()
        defer { store.remove() }
        try FileManager.default.removeItem(atPath: store.path + "/lock.mdb")
        let options = CatalogueOptions(store: StoreConfiguration(takeReaderSlot: false))
        let reader = try await Catalogue.open(at: store.path, mode: .readOnly, options: options)
        #expect(!reader.hasReaderSlots)
        #expect(reader.snapshot.state.requests[request] != nil)
        try await reader.refresh()
        reader.close()
        #expect(!FileManager.default.fileExists(atPath: store.path + "/lock.mdb"))
    }

    @Test func aRequestStaysSubmittedUntilAConsoleDisplaysIt() async throws {
        let (store, _, request) = try await seededStore()
        defer { store.remove() }
        let reader = try await Catalogue.open(at: store.path, mode: .readOnly)
        #expect(reader.requests().map(\.state) == [.submitted])
        reader.close()
        let console = try await Catalogue.open(at: store.path)
        defer { console.close() }
        try await console.session(application: "console", user: "operator").displayRequests([request])
        #expect(console.snapshot.state.requests[request]?.state == .active)
    }
}
