import CatalogueDomain
import Foundation
import Testing

@testable import CatalogueEngine
@testable import CatalogueStorage

/// Removing records must show: the recorded head, checkpoints and kept anchors
/// each catch a shorter log, and audit looks without writing.
@Suite struct TamperEvidenceTests {
    /// A store with a few allocations; returns the head.
    private func seededStore(_ store: TestStore, checkpoint: Bool = false) async throws -> LogHead {
        let catalogue = try await store.open(options: CatalogueOptions(checkpoints: .disabled))
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 4)
        for _ in 0..<3 { _ = try await session.allocate(AllocationRequest(pool: seeded.pool)) }
        if checkpoint { try catalogue.saveCheckpoint() }
        return catalogue.snapshot.head
    }

    /// Removes the last `count` records the way a hostile writer would.
    private func removeLastRecords(_ store: TestStore, count: UInt64, head: LogHead, body: (LogWriter) throws -> Void)
        throws
    {
        let log = try EventLog(directory: store.path, create: false)
        defer { log.close() }
        try log.write { writer in
            for sequence in (head.sequence - count + 1)...head.sequence { try writer.removeRecord(sequence: sequence) }
            try body(writer)
        }
    }

    @Test func removingTheLastRecordsAndTheHeadEntryFailsAuditAndOpen() async throws {
        let store = TestStore()
        defer { store.remove() }
        let head = try await seededStore(store)
        try removeLastRecords(store, count: 3, head: head) { try $0.deleteMeta("head") }
        let report = try Catalogue.audit(at: store.path)
        #expect(!report.ok)
        #expect(report.problem?.contains("head recorded beside it is missing") == true, "\(report.problem ?? "")")
        await #expect(throws: NtmsError.self) { _ = try await Catalogue.open(at: store.path) }
    }

    @Test func aMalformedHeadEntryFailsAudit() async throws {
        let store = TestStore()
        defer { store.remove() }
        let head = try await seededStore(store)
        try removeLastRecords(store, count: 2, head: head) { try $0.putMeta("head", [1, 2, 3]) }
        let report = try Catalogue.audit(at: store.path)
        #expect(!report.ok)
        #expect(report.problem?.contains("missing or malformed") == true)
    }

    @Test func aCheckpointBeyondTheLogsEndFailsAuditAndOpen() async throws {
        let store = TestStore()
        defer { store.remove() }
        let head = try await seededStore(store, checkpoint: true)
        // The forger also rewrites the head to the shorter log's end.
        try removeLastRecords(store, count: 2, head: head) { writer in
            let shorter = try writer.reader.head()
            try writer.recordHead(shorter)
        }
        let report = try Catalogue.audit(at: store.path)
        #expect(!report.ok)
        #expect(report.checkpoints.map(\.verdict) == [.beyondLog])
        #expect(report.firstBadSequence == head.sequence - 1)
        let error = await #expect(throws: NtmsError.self) { _ = try await Catalogue.open(at: store.path) }
        #expect(error?.message.contains("records were removed") == true)
    }

    @Test func aKeptAnchorCatchesARewrittenHistoryThatRecomputesTheChain() async throws {
        let store = TestStore()
        defer { store.remove() }
        let head = try await seededStore(store)
        let before = try Catalogue.audit(at: store.path, hashesAt: [head.sequence])
        let anchor = try #require(before.chainHashes.first)
        #expect(anchor.sequence == head.sequence)
        #expect(try Catalogue.audit(at: store.path, anchors: [anchor]).ok)
        // Cut the last allocation and recompute everything a forger can: the chain and the head.
        try removeLastRecords(store, count: 1, head: head) { writer in
            try writer.recordHead(try writer.reader.head())
        }
        #expect(try Catalogue.audit(at: store.path).ok, "without an anchor the shorter log is self-consistent")
        let report = try Catalogue.audit(at: store.path, anchors: [anchor])
        #expect(!report.ok)
        #expect(report.anchors.first?.found == nil)
        #expect(report.problem?.contains("before the kept anchor's event") == true)
        // An anchor with a different hash at an event the log still has fails as a rewrite.
        let early = try #require(try Catalogue.audit(at: store.path, hashesAt: [2]).chainHashes.first)
        let forged = ChainAnchor(sequence: 2, hash: String(repeating: "0", count: 64))
        #expect(try Catalogue.audit(at: store.path, anchors: [early]).ok)
        let rewritten = try Catalogue.audit(at: store.path, anchors: [forged])
        #expect(rewritten.problem?.contains("was rewritten at or before") == true)
    }

    @Test func anchorsParseOnlyAsHashAtSequence() {
        let hash = String(repeating: "ab", count: 32)
        #expect(ChainAnchor("\(hash)@12") == ChainAnchor(sequence: 12, hash: hash))
        #expect(ChainAnchor("\(hash.uppercased())@12")?.hash == hash)
        for bad in ["", "@1", "\(hash)", "\(hash)@", "\(hash)@-1", "\(hash.dropLast())@1", "\(hash)g@1", "x@1@2"] {
            #expect(ChainAnchor(bad) == nil, "\(bad)")
        }
    }

    @Test func auditChangesNoByteOfTheStore() async throws {
        let store = TestStore()
        defer { store.remove() }
        _ = try await seededStore(store, checkpoint: true)
        let data = store.path + "/data.mdb"
        let before = try Data(contentsOf: URL(fileURLWithPath: data))
        #expect(try Catalogue.audit(at: store.path).ok)
        #expect(try Data(contentsOf: URL(fileURLWithPath: data)) == before)
    }

    @Test func anEmptiedDataFileIsDamageEverywhereAndNobodyRecreatesIt() async throws {
        let store = TestStore()
        defer { store.remove() }
        _ = try await seededStore(store)
        let data = store.path + "/data.mdb"
        #expect(truncate(data, 0) == 0)
        let audit = #expect(throws: NtmsError.self) { _ = try Catalogue.audit(at: store.path) }
        #expect(audit?.message.contains("data.mdb is empty") == true)
        let open = await #expect(throws: NtmsError.self) { _ = try await Catalogue.open(at: store.path) }
        #expect(open?.message.contains("init") == false, "\(open?.message ?? "")")
        await #expect(throws: NtmsError.self) { _ = try await Catalogue.open(at: store.path, create: true) }
        #expect((try FileManager.default.attributesOfItem(atPath: data)[.size] as? Int) == 0)
    }

    @Test func aTruncatedDataFileIsRefusedAndNotExtended() async throws {
        let store = TestStore()
        defer { store.remove() }
        _ = try await seededStore(store)
        let data = store.path + "/data.mdb"
        #expect(truncate(data, 8192) == 0)
        let error = #expect(throws: NtmsError.self) { _ = try Catalogue.audit(at: store.path) }
        #expect(error?.message.contains("truncated") == true)
        await #expect(throws: NtmsError.self) { _ = try await Catalogue.open(at: store.path) }
        #expect((try FileManager.default.attributesOfItem(atPath: data)[.size] as? Int) == 8192)
    }

    @Test func aLogWithoutItsCreationEventFailsAudit() async throws {
        let store = TestStore()
        defer { store.remove() }
        // A store whose files were made but whose creation never committed.
        let log = try EventLog(directory: store.path, create: true)
        log.close()
        let report = try Catalogue.audit(at: store.path)
        #expect(!report.ok)
        #expect(report.events == 0)
        #expect(report.problem?.contains("no creation event") == true)
    }
}

/// A store directory is trusted only when nobody else can change what it holds.
@Suite struct StoreDirectoryTrustTests {
    @Test func aDirectoryWritableByOthersIsRefusedAndInitRepairsIt() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        catalogue.close()
        #expect(chmod(store.path, 0o777) == 0)
        let error = await #expect(throws: NtmsError.self) { _ = try await Catalogue.open(at: store.path) }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains("writable by others") == true)
        // init, as the owner, puts the documented mode back.
        try await Catalogue.open(at: store.path, create: true).close()
        var status = stat()
        #expect(stat(store.path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o700)
        try await Catalogue.open(at: store.path).close()
    }

    @Test func aSymlinkedStoreFileIsRefused() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        catalogue.close()
        let victim = store.root + "/victim"
        #expect(FileManager.default.createFile(atPath: victim, contents: Data("keep me".utf8)))
        try FileManager.default.removeItem(atPath: store.path + "/lock.mdb")
        #expect(symlink(victim, store.path + "/lock.mdb") == 0)
        for create in [false, true] {
            let error = await #expect(throws: NtmsError.self) {
                _ = try await Catalogue.open(at: store.path, create: create)
            }
            #expect(error?.message.contains("symbolic links are refused") == true)
        }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
    }

    @Test func aStoreFileInPlaceOfTheDirectoryIsRefused() async throws {
        let store = TestStore()
        defer { store.remove() }
        #expect(FileManager.default.createFile(atPath: store.path, contents: Data()))
        let error = await #expect(throws: NtmsError.self) { _ = try await Catalogue.open(at: store.path, create: true) }
        #expect(error?.message.contains("not a directory") == true)
    }

    @Test func aMissingStoreSaysInitAndNothingElseDoes() async throws {
        let store = TestStore()
        defer { store.remove() }
        let error = await #expect(throws: NtmsError.self) { _ = try await Catalogue.open(at: store.path) }
        #expect(error?.message.contains("mediactl init") == true)
    }
}
