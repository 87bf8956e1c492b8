import Foundation
import Testing

@testable import CatalogueStorage

@Suite struct ChecksumTests {
    @Test func crc32cMatchesTheStandardCheckValue() {
        // The CRC-32C check value for "123456789" (RFC 3720 / iSCSI).
        let input = Array("123456789".utf8)
        #expect(input.withUnsafeBytes { CRC32C.checksum($0) } == 0xE306_9283)
        #expect(input.withUnsafeBytes { CRC32C.portableChecksum($0) } == 0xE306_9283)
    }

    @Test func aChainLinkIsTheSHA256OfThePreviousLinkFollowedByTheRecord() {
        // Expected digests computed independently: Python's hashlib.sha256(previous + record).
        let first = Array("abc".utf8).withUnsafeBytes { ChainHash.genesis.next(over: $0) }
        #expect(first.description == "365aa7d8f7f9402c4b9434502b4cc89ddb09fe50d7cd95b493b834c62d5a5370")
        let second = (0..<200).map { UInt8($0) }.withUnsafeBytes { first.next(over: $0) }
        #expect(second.description == "e3a741e7b0a1eb6c0b32d7d4cc4dca19a576652d5c09ed68afc817e26af4b808")
    }

    @Test func hardwareAndTableChecksumsAgreeOnEveryLengthAndAlignment() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes.withUnsafeBytes { all in
            for start in 0..<9 {
                for length in stride(from: 0, through: 280, by: 7) {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<start + length])
                    #expect(CRC32C.checksum(slice) == CRC32C.portableChecksum(slice))
                }
            }
        }
    }
}

@Suite struct RecordCodecTests {
    func header(_ sequence: UInt64, key: String? = nil) -> RecordHeader {
        RecordHeader(
            sequence: sequence, eventType: 7, schemaVersion: 1, timestamp: 1_764_000_000_000_000_000,
            application: "backup-appliance", user: "operator", idempotencyKey: key)
    }

    @Test func aRecordDecodesToWhatWasEncoded() throws {
        let (bytes, chain) = RecordCodec.encode(header(5, key: "retry-1"), payload: [1, 2, 3], previous: .genesis)
        let record = try bytes.withUnsafeBytes { try RecordCodec.decode($0, sequence: 5, previous: .genesis) }
        #expect(record.header == header(5, key: "retry-1"))
        #expect(record.payload == [1, 2, 3])
        #expect(record.chainHash == chain)
    }

    @Test func everySingleFlippedBitIsDetected() {
        let (bytes, _) = RecordCodec.encode(header(9), payload: Array(repeating: 0xAB, count: 40), previous: .genesis)
        for index in bytes.indices {
            for bit in 0..<8 {
                var damaged = bytes
                damaged[index] ^= 1 << bit
                #expect(throws: StorageError.self) {
                    try damaged.withUnsafeBytes { try RecordCodec.decode($0, sequence: 9, previous: .genesis) }
                }
            }
        }
    }

    @Test func aRecordStoredUnderTheWrongSequenceIsRejected() {
        let (bytes, _) = RecordCodec.encode(header(3), payload: [], previous: .genesis)
        #expect(throws: StorageError.corruptRecord(sequence: 4, reason: "record says sequence 3 but is stored under 4"))
        {
            try bytes.withUnsafeBytes { try RecordCodec.decode($0, sequence: 4, previous: .genesis) }
        }
    }

    @Test func aRecordThatDoesNotFollowItsPredecessorBreaksTheChain() {
        let (_, first) = RecordCodec.encode(header(1), payload: [1], previous: .genesis)
        let (second, _) = RecordCodec.encode(header(2), payload: [2], previous: first)
        let forged = ChainHash(bytes: Array(repeating: 7, count: 32))
        #expect(throws: StorageError.chainBroken(sequence: 2)) {
            try second.withUnsafeBytes { try RecordCodec.decode($0, sequence: 2, previous: forged) }
        }
    }

    @Test func truncatedRecordsAreCorruptNotCrashes() {
        let (bytes, _) = RecordCodec.encode(header(2), payload: [1, 2, 3, 4], previous: .genesis)
        for length in 0..<bytes.count {
            #expect(throws: StorageError.self) {
                try Array(bytes.prefix(length)).withUnsafeBytes {
                    try RecordCodec.decode($0, sequence: 2, previous: nil)
                }
            }
        }
    }
}

@Suite struct EventLogTests {
    func sizeOfFile(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }

    func append(_ log: EventLog, count: Int, payloadSize: Int = 20) throws {
        try log.appendTestRecords(count: count, payloadSize: payloadSize)
    }

    @Test func appendedRecordsSurviveReopeningInOrderWithoutGaps() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try directory.create()
        do {
            let log = try EventLog(directory: directory.store, create: true)
            try append(log, count: 100)
            try append(log, count: 50)
            log.close()
        }
        let log = try EventLog(directory: directory.store, create: false)
        defer { log.close() }
        var sequences: [UInt64] = []
        let head = try log.read { reader in
            try reader.forEachRecord(after: .empty) { record in
                sequences.append(record.header.sequence)
                #expect(record.payload.prefix(8) == withUnsafeBytes(of: record.header.sequence) { Array($0) }[...])
            }
        }
        #expect(sequences == Array(1...150))
        #expect(head.sequence == 150)
        #expect(try log.read { try $0.recordedHead() } == head)
        #expect(try log.read { try $0.head() } == head)
    }

    @Test func theStoreDirectoryIsPrivateToItsOwner() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try directory.create()
        let log = try EventLog(directory: directory.store, create: true)
        log.close()
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.store)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        for file in ["data.mdb", "lock.mdb"] {
            let fileAttributes = try FileManager.default.attributesOfItem(atPath: directory.store + "/" + file)
            #expect((fileAttributes[.posixPermissions] as? Int) == 0o600)
        }
    }

    @Test func openingAMissingStoreWithoutCreateFails() {
        let directory = TemporaryDirectory()
        #expect(throws: StorageError.storeMissing(path: directory.store)) {
            _ = try EventLog(directory: directory.store, create: false)
        }
    }

    @Test func aTinyMapGrowsAndKeepsAcceptingAppends() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try directory.create()
        let log = try EventLog(
            directory: directory.store, create: true, configuration: StoreConfiguration(initialMapSize: 64 * 1024))
        let initial = log.mapSize
        for _ in 0..<20 { try append(log, count: 100, payloadSize: 300) }
        #expect(log.mapSize > initial)
        let count = try log.read { reader in
            var count = 0
            try reader.forEachRecord(after: .empty) { _ in count += 1 }
            return count
        }
        #expect(count == 2000)
        log.close()
    }

    @Test func commitsWriteIntoZeroedSpaceInsteadOfGrowingTheFile() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try directory.create()
        let file = directory.store + "/data.mdb"
        func fileSize() throws -> Int { try sizeOfFile(file) }
        do {
            let log = try EventLog(directory: directory.store, create: true)
            var commitsThatGrewTheFile = 0
            var size = try fileSize()
            let commits = 300
            for _ in 0..<commits {
                try append(log, count: 40, payloadSize: 200)
                let used = log.environment.bytesInUse
                let now = try fileSize()
                if now != size { commitsThatGrewTheFile += 1 }
                size = now
                // A margin is left after every commit (less this commit's own
                // pages, well under a quarter of it), holding nothing but zeros.
                #expect(now >= used + ZeroedMargin.smallest / 4, "\(now - used) bytes past the last page")
                let handle = try #require(FileHandle(forReadingAtPath: file))
                try handle.seek(toOffset: UInt64(used))
                let tail = try handle.readToEnd() ?? Data()
                try handle.close()
                #expect(tail.count == now - used)
                #expect(tail.allSatisfy { $0 == 0 })
            }
            // About 3 MB of records: the file grew a step at a time (about one
            // commit in ten), not with every commit as it did before.
            #expect(
                commitsThatGrewTheFile * 5 < commits, "\(commitsThatGrewTheFile) of \(commits) commits grew the file")
            log.close()
        }
        // Nothing the log holds was overwritten.
        let log = try EventLog(directory: directory.store, create: false)
        defer { log.close() }
        var count: UInt64 = 0
        _ = try log.read { reader in
            try reader.forEachRecord(after: .empty) { record in
                count += 1
                #expect(record.header.sequence == count)
                #expect(record.payload.prefix(8) == withUnsafeBytes(of: count) { Array($0) }[...])
            }
        }
        #expect(count == 300 * 40)
    }

    @Test func aStoreWithoutAMarginGetsItAStepAtATime() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try directory.create()
        let file = directory.store + "/data.mdb"
        func fileSize() throws -> Int { try sizeOfFile(file) }
        // Over 4 MB in use, so the margin is the largest; then cut the file back
        // to its last page, as a store made before the margin would be.
        var size = 0
        do {
            let log = try EventLog(directory: directory.store, create: true)
            for _ in 0..<20 { try append(log, count: 1_000, payloadSize: 200) }
            size = log.environment.bytesInUse
            #expect(size / 8 > ZeroedMargin.largest)
            log.close()
            #expect(truncate(file, off_t(size)) == 0)
        }
        // Opening writes (it opens the databases), then three commits: each
        // writes at most half the largest margin of zeros (and a few pages of
        // its own), so that one flush never carries the whole margin.
        let log = try EventLog(directory: directory.store, create: false)
        defer { log.close() }
        for commit in 0...3 {
            if commit > 0 { try append(log, count: 1) }
            let now = try fileSize()
            #expect(now - size <= ZeroedMargin.largest / 2 + 64 << 10, "grew by \(now - size)")
            size = now
        }
        #expect(size >= log.environment.bytesInUse + ZeroedMargin.largest / 2)
    }

    @Test func aFailedWriteLeavesTheLogUnchanged() throws {
        struct Refused: Error {}
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try directory.create()
        let log = try EventLog(directory: directory.store, create: true)
        defer { log.close() }
        try append(log, count: 3)
        #expect(throws: Refused.self) {
            try log.write { writer in
                let head = try writer.reader.head()
                _ = try writer.append(
                    RecordHeader(
                        sequence: head.sequence + 1, eventType: 1, schemaVersion: 1, timestamp: 0, application: "",
                        user: ""),
                    payload: [], after: head)
                throw Refused()
            }
        }
        #expect(try log.read { try $0.head().sequence } == 3)
    }
}
