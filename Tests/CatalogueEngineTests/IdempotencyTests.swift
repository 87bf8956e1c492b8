import CatalogueDomain
import Foundation
import Testing

@testable import CatalogueEngine
@testable import CatalogueStorage

/// An idempotency key is bound to the application, the user, the kind of
/// command and its arguments: a key never hands one caller's answer to another.
@Suite struct IdempotencyTests {
    /// Two pools of one media type, each drawing from scratch.
    private func twoPools(_ session: Session) async throws -> (PoolID, PoolID) {
        let seeded = try await Seeded.make(session, media: 6)
        let other = try await session.createPool(
            path: "\\Other", mediaType: seeded.type, policy: PoolPolicy(allocateFromScratch: true))
        return (seeded.pool, other)
    }

    @Test func anotherUsersSameKeyGetsItsOwnAllocation() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let alice = try catalogue.session(application: "mediactl", user: "alice")
        let bob = try catalogue.session(application: "mediactl", user: "bob")
        let (poolA, poolB) = try await twoPools(alice)
        let hers = try await alice.allocate(AllocationRequest(pool: poolA), idempotencyKey: "1")
        let his = try await bob.allocate(AllocationRequest(pool: poolB), idempotencyKey: "1")
        #expect(his.pool == poolB)
        #expect(his.side != hers.side)
        #expect(his.medium != hers.medium)
        #expect(catalogue.snapshot.state.logicalMedia.count == 2)
    }

    @Test func anotherApplicationsSameKeyAndArgumentsAllocatesAgain() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let backup = try catalogue.session(application: "backup", user: "svc")
        let archive = try catalogue.session(application: "archive", user: "svc")
        let (pool, _) = try await twoPools(backup)
        let first = try await backup.allocate(AllocationRequest(pool: pool), idempotencyKey: "job-1")
        let second = try await archive.allocate(AllocationRequest(pool: pool), idempotencyKey: "job-1")
        #expect(first.side != second.side)
        // Each application's retry still gets its own first answer.
        #expect(try await backup.allocate(AllocationRequest(pool: pool), idempotencyKey: "job-1") == first)
        #expect(try await archive.allocate(AllocationRequest(pool: pool), idempotencyKey: "job-1") == second)
    }

    @Test func theSameKeyWithOtherArgumentsIsRefusedAndWritesNothing() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "backup", user: "svc")
        let (poolA, poolB) = try await twoPools(session)
        _ = try await session.allocate(AllocationRequest(pool: poolA), idempotencyKey: "7")
        let head = catalogue.snapshot.head
        let error = await #expect(throws: NtmsError.self) {
            try await session.allocate(AllocationRequest(pool: poolB), idempotencyKey: "7")
        }
        #expect(error?.code == .invalidParameter)
        #expect(error?.message.contains("other arguments") == true)
        #expect(catalogue.snapshot.head == head)
    }

    @Test func aKeyUsedByAnAllocationDoesNotAnswerADeallocation() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "backup", user: "svc")
        let (pool, _) = try await twoPools(session)
        let allocation = try await session.allocate(AllocationRequest(pool: pool), idempotencyKey: "1")
        try await session.deallocate(allocation.logicalMedium, idempotencyKey: "1")
        #expect(catalogue.snapshot.state.logicalMedia[allocation.logicalMedium] == nil)
        // And the deallocation's own retry is answered without a second attempt.
        try await session.deallocate(allocation.logicalMedium, idempotencyKey: "1")
    }

    @Test func aWaitingAllocationsRetryWithAnotherTimeoutGetsTheFirstAnswer() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "backup", user: "svc")
        let (pool, _) = try await twoPools(session)
        let first = try await session.allocate(
            AllocationRequest(pool: pool), timeout: .milliseconds(5_000), idempotencyKey: "w")
        let retry = try await session.allocate(AllocationRequest(pool: pool), idempotencyKey: "w")
        #expect(retry == first)
    }

    @Test func keysWithControlCharactersOrSpacesAreRefused() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "backup", user: "svc")
        let (pool, _) = try await twoPools(session)
        for key in ["", "a b", "job\u{1B}[2J", "jöb", String(repeating: "k", count: 129)] {
            let error = await #expect(throws: NtmsError.self) {
                try await session.allocate(AllocationRequest(pool: pool), idempotencyKey: key)
            }
            #expect(error?.code == .invalidParameter)
        }
        #expect(catalogue.snapshot.state.logicalMedia.isEmpty)
    }

    @Test func openingAFormatOneStoreDropsItsUnscopedAnswers() async throws {
        let store = TestStore()
        defer { store.remove() }
        do {
            let catalogue = try await store.open()
            let session = try catalogue.session(application: "backup", user: "svc")
            _ = try await twoPools(session)
            catalogue.close()
        }
        // Make it look like a format-1 store holding a bare key.
        do {
            let log = try EventLog(directory: store.path, create: false)
            try log.write { writer in
                try writer.putMeta("format", withUnsafeBytes(of: UInt32(1).littleEndian) { Array($0) })
                try writer.storeAnswer(CommandOutcome.done.encoded(), forKey: "job-1")
            }
            log.close()
        }
        let log = try EventLog(directory: store.path, create: false)
        defer { log.close() }
        let (answer, format) = try log.read { reader in
            (try reader.storedAnswer(forKey: "job-1"), try reader.storedFormat())
        }
        #expect(answer == nil)
        #expect(format == EventLog.storeFormat)
    }
}
