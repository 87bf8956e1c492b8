import CatalogueDomain
import Foundation
import Testing

@testable import CatalogueEngine
@testable import CatalogueStorage

@Suite struct PersistenceTests {
    @Test func reopeningRebuildsExactlyTheSameState() async throws {
        let store = TestStore()
        defer { store.remove() }
        let before: CatalogueSnapshot
        do {
            let catalogue = try await store.open()
            let session = try catalogue.session(application: "test", user: "tester")
            let seeded = try await Seeded.make(session, media: 6)
            let a = try await session.allocate(AllocationRequest(pool: seeded.pool, new: true))
            _ = try await session.allocate(AllocationRequest(pool: seeded.pool, next: a.logicalMedium))
            let c = try await session.allocate(AllocationRequest(pool: seeded.pool))
            try await session.deallocate(c.logicalMedium)
            before = catalogue.snapshot
            catalogue.close()
        }
        let reopened = try await store.open()
        defer { reopened.close() }
        #expect(reopened.snapshot.state == before.state)
        #expect(reopened.snapshot.head == before.head)
        #expect(reopened.snapshot.state.eventCount == before.head.sequence)
    }

    @Test func aLongLogReplayedWithDeferredIndexesOpensToTheSameStateAndAllocatesAlike() async throws {
        let store = TestStore()
        defer { store.remove() }
        let options = CatalogueOptions(checkpoints: .disabled)
        let before: CatalogueSnapshot
        let pool: PoolID
        do {
            let catalogue = try await store.open(options: options)
            let session = try catalogue.session(application: "test", user: "tester")
            let seeded = try await Seeded.make(session, media: 40)
            pool = seeded.pool
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        for _ in 0..<180 {
                            let allocation = try await session.allocate(AllocationRequest(pool: pool))
                            try await session.deallocate(allocation.logicalMedium)
                        }
                    }
                }
                try await group.waitForAll()
            }
            // Leave some allocated, so the rebuilt indexes have holes to get right.
            for _ in 0..<7 { _ = try await session.allocate(AllocationRequest(pool: pool, new: true)) }
            before = catalogue.snapshot
            catalogue.close()
        }
        #expect(
            CatalogueState.defersAllocationIndexes(
                forEvents: before.head.sequence, media: 0), "the log must be long enough to take the deferred path")
        let reopened = try await store.open(options: options)
        defer { reopened.close() }
        #expect(reopened.snapshot.state == before.state)
        #expect(reopened.snapshot.state.invariantViolations().isEmpty)
        // The next allocation takes the same side it would have taken before the reopen.
        let expected = before.state.allocationCandidates(in: pool).first?.side
        let next = try await reopened.session(application: "test", user: "tester").allocate(
            AllocationRequest(pool: pool))
        #expect(next.side == expected)
    }

    @Test func eventsSurviveReopeningInOrderWithoutGaps() async throws {
        let store = TestStore()
        defer { store.remove() }
        do {
            let catalogue = try await store.open()
            let session = try catalogue.session(application: "test", user: "tester")
            _ = try await Seeded.make(session, media: 20)
            catalogue.close()
        }
        let log = try EventLog(directory: store.path, create: false)
        defer { log.close() }
        var sequences: [UInt64] = []
        var applications: Set<String> = []
        _ = try log.read { reader in
            try reader.forEachRecord(after: .empty) { record in
                sequences.append(record.header.sequence)
                applications.insert(record.header.application)
            }
        }
        // created, its access list, type, library, pool, 20 media
        #expect(sequences == Array(1...25))
        #expect(applications == ["mediactl", "test"])
    }

    @Test func aFlippedByteInTheDataFileIsNamedOnOpenAndByAudit() async throws {
        let store = TestStore()
        defer { store.remove() }
        let damagedSequence: UInt64
        do {
            let catalogue = try await store.open()
            let session = try catalogue.session(application: "test", user: "tester")
            let type = try await session.registerMediaType(name: "LTO-6", sides: 1)
            damagedSequence = catalogue.snapshot.head.sequence + 1
            try await session.registerMedium(barcode: "FLIPME", mediaType: type, location: .shelf)
            try await session.registerMedium(barcode: "AFTER1", mediaType: type, location: .shelf)
            catalogue.close()
        }
        // Bit rot: flip one bit of the bar code wherever it lies in the file. LMDB has no checksum of its own.
        let url = URL(fileURLWithPath: store.path + "/data.mdb")
        var data = try Data(contentsOf: url)
        let needle = Data("FLIPME".utf8)
        var searchFrom = data.startIndex
        var flips = 0
        while let range = data.range(of: needle, in: searchFrom..<data.endIndex) {
            data[range.lowerBound + 2] ^= 0x01
            searchFrom = range.upperBound
            flips += 1
        }
        #expect(flips >= 1)
        try data.write(to: url)

        await #expect {
            _ = try await Catalogue.open(at: store.path)
        } throws: { error in
            guard let error = error as? NtmsError else { return false }
            return error.code == .databaseFailure && error.message.contains("event \(damagedSequence) is corrupt")
        }
        let report = try Catalogue.audit(at: store.path)
        #expect(!report.ok)
        #expect(report.firstBadSequence == damagedSequence)
        #expect(report.events == damagedSequence - 1)
    }

    @Test func aRecordRewrittenWithAValidChecksumBreaksTheHashChain() async throws {
        let store = TestStore()
        defer { store.remove() }
        do {
            let catalogue = try await store.open()
            let session = try catalogue.session(application: "test", user: "tester")
            _ = try await Seeded.make(session, media: 3)
            catalogue.close()
        }
        // Forge event 3 with a different user, re-encoded with a correct CRC but chained from nothing.
        let log = try EventLog(directory: store.path, create: false)
        try log.write { writer in
            let bytes = try #require(try writer.recordBytes(sequence: 3))
            let original = try bytes.withUnsafeBytes { try RecordCodec.decode($0, sequence: 3, previous: nil) }
            var header = original.header
            header.user = "mallory"
            let forged = RecordCodec.encode(header, payload: original.payload, previous: .genesis).bytes
            try writer.replaceRecordBytes(sequence: 3, with: forged)
        }
        log.close()
        let report = try Catalogue.audit(at: store.path)
        #expect(!report.ok)
        #expect(report.firstBadSequence == 3)
        #expect(report.problem?.contains("hash chain") == true)
    }

    @Test func removingTheLastRecordIsDetected() async throws {
        let store = TestStore()
        defer { store.remove() }
        let head: UInt64
        do {
            let catalogue = try await store.open()
            let session = try catalogue.session(application: "test", user: "tester")
            _ = try await Seeded.make(session, media: 2)
            head = catalogue.snapshot.head.sequence
            catalogue.close()
        }
        let log = try EventLog(directory: store.path, create: false)
        try log.write { try $0.removeRecord(sequence: head) }
        log.close()
        let report = try Catalogue.audit(at: store.path)
        #expect(!report.ok)
        #expect(report.firstBadSequence == head)
        await #expect(throws: NtmsError.self) { _ = try await Catalogue.open(at: store.path) }
    }

    @Test func aTinyMapGrowsWhileTheCatalogueKeepsCommitting() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open(
            options: CatalogueOptions(store: StoreConfiguration(initialMapSize: 64 * 1024)))
        let initialMap = catalogue.mapSize
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 400)
        #expect(catalogue.mapSize > initialMap)
        #expect(catalogue.snapshot.state.media.count == seeded.media.count)
        let state = catalogue.snapshot.state
        catalogue.close()
        let reopened = try await store.open()
        defer { reopened.close() }
        #expect(reopened.snapshot.state == state)
    }
}

@Suite struct WriterTests {
    @Test func concurrentCallersEachGetTheirOwnAnswerInSharedCommits() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 150)
        let before = catalogue.commitStatistics
        let allocations = try await withThrowingTaskGroup(of: Allocation.self) { group in
            for _ in 0..<300 {
                group.addTask {
                    try await session.allocate(AllocationRequest(pool: seeded.pool, errorIfUnavailable: true))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let after = catalogue.commitStatistics
        #expect(Set(allocations.map(\.side)).count == 300)
        #expect(Set(allocations.map(\.logicalMedium)).count == 300)
        #expect(after.commands - before.commands == 300)
        #expect(after.jobs - before.jobs < 300)
        // Nothing is left, and the next caller hears so.
        await #expect(
            throws: NtmsError(.mediaUnavailable, "no online, enabled Available side in \\Backup or its Free pool")
        ) {
            _ = try await session.allocate(AllocationRequest(pool: seeded.pool, errorIfUnavailable: true))
        }
    }

    @Test func aRefusedCommandWritesNothing() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 1)
        let head = catalogue.snapshot.head
        await #expect(throws: NtmsError.self) {
            try await session.registerMedium(barcode: "MO0001", mediaType: seeded.type, location: .shelf)
        }
        #expect(catalogue.snapshot.head == head)
        #expect(try catalogue.audit().events == head.sequence)
    }

    @Test func aRetriedIdempotencyKeyGetsTheFirstAnswerAndWritesNothing() async throws {
        let store = TestStore()
        defer { store.remove() }
        let first: Allocation
        let head: LogHead
        do {
            let catalogue = try await store.open()
            let session = try catalogue.session(application: "appliance", user: "svc")
            let seeded = try await Seeded.make(session, media: 4)
            first = try await session.allocate(AllocationRequest(pool: seeded.pool), idempotencyKey: "job-42")
            head = catalogue.snapshot.head
            let retry = try await session.allocate(AllocationRequest(pool: seeded.pool), idempotencyKey: "job-42")
            #expect(retry == first)
            #expect(catalogue.snapshot.head == head)
            catalogue.close()
        }
        // The answer survives a restart: an appliance that crashed before reading it can ask again.
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "appliance", user: "svc")
        let retry = try await session.allocate(AllocationRequest(pool: first.pool), idempotencyKey: "job-42")
        #expect(retry == first)
        #expect(catalogue.snapshot.head == head)
        #expect(catalogue.snapshot.state.logicalMedia.count == 1)
    }

    @Test func duplicateKeysInOneBatchAllocateOnce() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 10)
        let answers = try await withThrowingTaskGroup(of: Allocation.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await session.allocate(AllocationRequest(pool: seeded.pool), idempotencyKey: "same")
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(answers).count == 1)
        #expect(catalogue.snapshot.state.logicalMedia.count == 1)
    }

    @Test func theSameStoreCannotBeOpenedTwiceInOneProcess() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        await #expect(throws: NtmsError.self) { _ = try await Catalogue.open(at: store.path) }
        catalogue.close()
        let again = try await Catalogue.open(at: store.path)
        again.close()
    }

    @Test func closedSessionsAndCataloguesAnswerInvalidHandle() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        let session = try catalogue.session(application: "test", user: "tester")
        session.close()
        await #expect(throws: NtmsError.self) { try await session.registerMediaType(name: "X", sides: 1) }
        let other = try catalogue.session(application: "test", user: "tester")
        catalogue.close()
        do {
            try await other.registerMediaType(name: "X", sides: 1)
            Issue.record("a closed catalogue accepted a command")
        } catch {
            #expect(error.code == .invalidHandle)
        }
    }

    @Test func openingAStoreThatDoesNotExistSaysSo() async {
        let store = TestStore()
        defer { store.remove() }
        do {
            _ = try await Catalogue.open(at: store.path)
            Issue.record("opened a missing store")
        } catch {
            #expect(error.code == .databaseFailure)
            #expect(error.message.contains("mediactl init"))
        }
    }
}

@Suite struct SnapshotTests {
    @Test func aHeldSnapshotDoesNotChangeWhileTheWriterCommits() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 50)
        let held = catalogue.snapshot
        let heldHead = held.head
        let heldSides = held.state.sides
        for _ in 0..<40 { _ = try await session.allocate(AllocationRequest(pool: seeded.pool)) }
        #expect(held.head == heldHead)
        #expect(held.state.sides == heldSides)
        #expect(held.state.logicalMedia.isEmpty)
        #expect(catalogue.snapshot.state.logicalMedia.count == 40)
    }

    @Test func readersAlwaysSeeAConsistentStateWhileWritersCommit() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 100)
        let violations = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<50 {
                        let allocation = try await session.allocate(AllocationRequest(pool: seeded.pool))
                        try await session.deallocate(allocation.logicalMedium)
                    }
                    return 0
                }
            }
            group.addTask {
                var violations = 0
                for _ in 0..<20_000 {
                    let snapshot = catalogue.snapshot
                    let state = snapshot.state
                    // Every LMID points at an allocated side that points back at it.
                    for logical in state.logicalMedia.values
                    where state.sides[logical.side]?.logicalMedium != logical.id {
                        violations += 1
                    }
                    if state.eventCount != snapshot.head.sequence { violations += 1 }
                    await Task.yield()
                }
                return violations
            }
            return try await group.reduce(0, +)
        }
        #expect(violations == 0)
    }
}

@Suite struct MultiProcessTests {
    /// `mediactl` beside the test bundle, to write from a second process.
    static var mediactl: URL {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [directory, directory.deletingLastPathComponent()].map {
            $0.appendingPathComponent("mediactl")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/mediactl")
    }

    static func mediactl(_ arguments: [String], store: String) throws -> Int32 {
        let process = Process()
        process.executableURL = mediactl
        process.arguments = arguments + ["--store", store]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func eventsAnotherProcessWroteAreFoldedBeforeDecidingAndOnRefresh() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "appliance", user: "svc")
        let seeded = try await Seeded.make(session, media: 1, sides: 1)
        // Another process registers a medium in slot... none left, so on the shelf, then moves it nowhere.
        #expect(
            try Self.mediactl(
                ["media", "add", "--media-type", "MO", "--barcode", "OTHER1", "--offline"], store: store.path) == 0)
        #expect(catalogue.snapshot.state.medium(withBarcode: "OTHER1") == nil)
        try await catalogue.refresh()
        let other = try #require(catalogue.snapshot.state.medium(withBarcode: "OTHER1"))
        // The other process allocates the only online side; this process's writer must see it.
        #expect(
            try Self.mediactl(["allocate", "--pool", "\\Backup", "--error-if-unavailable"], store: store.path) == 0)
        do {
            _ = try await session.allocate(AllocationRequest(pool: seeded.pool, errorIfUnavailable: true))
            Issue.record("allocated a side another process already holds")
        } catch {
            #expect(error.code == .mediaUnavailable)
        }
        #expect(catalogue.snapshot.state.logicalMedia.count == 1)
        // Identifiers keep counting past what the other process used.
        let next = try await session.registerMedium(barcode: "MINE01", mediaType: seeded.type, location: .shelf)
        #expect(next.rawValue > other.id.rawValue)
        #expect(try catalogue.audit().ok)
    }

    /// A batch is decided outside the write transaction while the one before it
    /// commits; another process that writes in between makes it stale. The
    /// writer then decides it again inside a transaction, after that process's events.
    @Test func aBatchDecidedBeforeAnotherProcessWroteIsDecidedAgainAfterItsEvents() async throws {
        let f = try await PipelineFixture(media: 1, sides: 1)
        defer { f.close() }
        // Just before this process's next write, another takes the only side.
        let path = f.store.path
        _ = WriteGate(f.catalogue) {
            _ = try? Self.mediactl(["allocate", "--pool", "\\Backup", "--error-if-unavailable"], store: path)
        }
        do {
            _ = try await f.session.allocate(AllocationRequest(pool: f.seeded.pool, errorIfUnavailable: true))
            Issue.record("allocated a side another process took first")
        } catch {
            #expect(error.code == .mediaUnavailable)
        }
        let allocated = Array(f.catalogue.snapshot.state.logicalMedia.values)
        #expect(allocated.count == 1)
        let allocations = try f.catalogue.history(of: Set(allocated.map(\.side.rawValue)))
            .filter { $0.event.name == "SideAllocated" }
        #expect(allocations.count == 1 && allocations.allSatisfy { $0.application != "test" })
        #expect(try f.catalogue.audit().ok)
    }

    @Test func historyReturnsTheEventsOfAnObjectOldestFirst() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "appliance", user: "svc")
        let seeded = try await Seeded.make(session, media: 2)
        let allocation = try await session.allocate(AllocationRequest(pool: seeded.pool))
        try await session.deallocate(allocation.logicalMedium)
        let medium = try #require(catalogue.snapshot.state.media[allocation.medium])
        let history = try catalogue.history(of: Set([medium.id.rawValue] + medium.sides.map(\.rawValue)))
        #expect(history.map(\.event.name) == ["MediumImported", "MediumMoved", "SideAllocated", "SideDeallocated"])
        #expect(history.allSatisfy { $0.application == "appliance" && $0.user == "svc" })
        #expect(history.map(\.sequence) == history.map(\.sequence).sorted())
    }
}
