import Foundation
import Testing

@testable import CatalogueStorage

/// Reads by a process that has no slot in LMDB's reader table: a writer does
/// not know about them, so each one is checked against the commits made while it ran.
@Suite struct ReadWithoutReaderSlotTests {
    func append(_ log: EventLog, count: Int) throws { try log.appendTestRecords(count: count) }

    /// A store with `events` records and a reader that never touches lock.mdb.
    func withStore(events: Int, _ body: (EventLog, EventLog) throws -> Void) throws {
        let directory = TemporaryDirectory()
        try directory.create()
        defer { directory.remove() }
        let writer = try EventLog(directory: directory.store, create: true)
        defer { writer.close() }
        try append(writer, count: events)
        let reader = try EventLog(
            directory: directory.store, create: false, access: .readOnly,
            configuration: StoreConfiguration(takeReaderSlot: false))
        defer { reader.close() }
        try body(writer, reader)
    }

    @Test func aReaderWithoutASlotReadsTheLogWhenNothingCommits() throws {
        try withStore(events: 5) { _, reader in
            #expect(!reader.hasReaderSlots)
            var attempts = 0
            let head = try reader.read { log in
                attempts += 1
                return try log.head()
            }
            #expect(head.sequence == 5)
            #expect(attempts == 1)
        }
    }

    /// One overlapping commit frees pages but cannot reuse them yet: the read
    /// stands. Two may have reused them: the read runs again, on the newer snapshot.
    @Test(arguments: [(commits: 1, attempts: 1, head: UInt64(5)), (commits: 2, attempts: 2, head: UInt64(7))])
    func aReadIsRepeatedOnlyWhenTwoCommitsOverlapIt(commits: Int, attempts expected: Int, head: UInt64) throws {
        try withStore(events: 5) { writer, reader in
            var attempts = 0
            let read = try reader.read { log in
                attempts += 1
                let found = try log.head()
                if attempts == 1 { for _ in 0..<commits { try append(writer, count: 1) } }
                return found
            }
            #expect(attempts == expected)
            #expect(read.sequence == head)
        }
    }

    @Test func aReaderFailsClearlyWhenTheWriterCommitsDuringEveryAttempt() throws {
        try withStore(events: 5) { writer, reader in
            var attempts = 0
            #expect(throws: StorageError.writerOutpacesReader(path: reader.directory)) {
                try reader.read { log in
                    attempts += 1
                    try append(writer, count: 1)
                    try append(writer, count: 1)
                    return try log.head()
                }
            }
            #expect(attempts == LMDBEnvironment.locklessReadAttempts)
        }
    }

    @Test func aReaderWithoutASlotLeavesTheStoreFilesUntouched() throws {
        let directory = TemporaryDirectory()
        try directory.create()
        defer { directory.remove() }
        let writer = try EventLog(directory: directory.store, create: true)
        try append(writer, count: 3)
        writer.close()
        try FileManager.default.removeItem(atPath: directory.store + "/lock.mdb")
        let before = try Data(contentsOf: URL(fileURLWithPath: directory.store + "/data.mdb"))
        let reader = try EventLog(
            directory: directory.store, create: false, access: .readOnly,
            configuration: StoreConfiguration(takeReaderSlot: false))
        #expect(try reader.read { try $0.head() }.sequence == 3)
        #expect(throws: StorageError.readOnly) { try reader.write { _ in } }
        reader.close()
        #expect(!FileManager.default.fileExists(atPath: directory.store + "/lock.mdb"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.store + "/data.mdb")) == before)
    }
}
