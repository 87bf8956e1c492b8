import CLMDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the log ends: the last sequence number and its chain link.
public struct LogHead: Sendable, Equatable, CustomStringConvertible {
    public var sequence: UInt64
    public var chainHash: ChainHash

    public init(sequence: UInt64, chainHash: ChainHash) {
        self.sequence = sequence
        self.chainHash = chainHash
    }

    /// The head of an empty log.
    public static let empty = LogHead(sequence: 0, chainHash: .genesis)

    public var description: String { "\(sequence) \(chainHash)" }
}

/// Settings for opening a store.
public struct StoreConfiguration: Sendable {
    /// Initial LMDB map size; the log doubles it whenever it fills.
    public var initialMapSize: Int
    /// The map never grows past this; a store that needs more is full.
    public var maximumMapSize: Int
    /// Reader-table slots shared by all processes using the store.
    public var maxReaders: UInt32
    /// A read-only open takes a reader slot in `lock.mdb` when it may write
    /// that file; false never touches it (for a store that must stay byte for
    /// byte as found), at the price of repeating reads that overlap a commit.
    public var takeReaderSlot: Bool

    public init(
        initialMapSize: Int = 1 << 30, maximumMapSize: Int = 1 << 40, maxReaders: UInt32 = 1024,
        takeReaderSlot: Bool = true
    ) {
        self.initialMapSize = initialMapSize
        self.maximumMapSize = maximumMapSize
        self.maxReaders = maxReaders
        self.takeReaderSlot = takeReaderSlot
    }
}

/// The append-only event log of one catalogue store, on LMDB.
///
/// Databases: `events` (big-endian u64 sequence -> record), `commands`
/// (scoped idempotency key -> stored answer with its argument digest), `meta` (format, recorded head),
/// `checkpoints` (big-endian u64 sequence -> saved state, see `CheckpointCodec`).
public final class EventLog: @unchecked Sendable {
    /// 2: stored answers are keyed by application, user, kind of command and key, with an argument digest.
    public static let storeFormat: UInt32 = 2
    /// Format 1 keyed stored answers by the caller's key alone; opening such a store for writing upgrades it.
    static let unscopedKeysFormat: UInt32 = 1
    public let directory: String
    let environment: LMDBEnvironment
    let events: MDB_dbi
    let commands: MDB_dbi
    let meta: MDB_dbi
    let checkpoints: MDB_dbi
    public let access: StoreAccess

    static let formatKey = Array("format".utf8)
    static let headKey = Array("head".utf8)

    /// Opens the store in `directory`; with `create`, makes the directory (0700)
    /// and its files (0600) when missing. A read-only open writes nothing to the
    /// store's data: it works on a copy, a snapshot or a read-only mount.
    ///
    /// The directory is trusted only when nobody else can change it: a store
    /// opened for writing must be owned by this user (or root) and writable by
    /// nobody else, and no store file may be a symbolic link, so nobody can
    /// redirect what the writer writes.
    public init(
        directory: String, create: Bool, access: StoreAccess = .readWrite, configuration: StoreConfiguration = .init()
    ) throws {
        precondition(!(create && access == .readOnly), "a read-only open cannot create a store")
        try StoreDirectory.check(directory, create: create, access: access)
        environment = try LMDBEnvironment(
            directory: directory, mapSize: configuration.initialMapSize,
            maximumMapSize: max(configuration.maximumMapSize, configuration.initialMapSize),
            maxReaders: configuration.maxReaders, maxDatabases: 8, readOnly: access == .readOnly,
            takeReaderSlot: configuration.takeReaderSlot)
        self.directory = directory
        self.access = access
        do {
            try environment.checkFileHoldsEveryPage()
            events = try environment.openDatabase(named: "events")
            commands = try environment.openDatabase(named: "commands")
            meta = try environment.openDatabase(named: "meta")
            checkpoints = try environment.openDatabase(named: "checkpoints")
        } catch StorageError.lmdb(let code, _) where code == MDB_NOTFOUND {
            throw StorageError.notAStore(path: directory, reason: "its LMDB file has none of the catalogue's databases")
        }
        switch access {
        case .readOnly:
            let format = try environment.read { txn in try Self.storedFormat(txn, meta: meta) }
            // A reader never uses stored answers, so the format before them reads as well.
            guard let format, format == Self.storeFormat || format == Self.unscopedKeysFormat else {
                throw StorageError.unsupportedFormat(found: format ?? 0)
            }
        case .readWrite:
            try environment.write { txn in
                switch try Self.storedFormat(txn, meta: meta) {
                case Self.storeFormat?:
                    return
                case Self.unscopedKeysFormat?:
                    // Format 1 stored answers under the caller's bare key, which let one
                    // application's retry return another's answer. Those answers cannot be
                    // scoped after the fact, so they are dropped: a retry of a command
                    // committed before the upgrade runs as a new command.
                    try txn.empty(commands)
                case nil:
                    break
                case let other?:
                    throw StorageError.unsupportedFormat(found: other)
                }
                var format = Self.storeFormat.littleEndian
                try Self.formatKey.withUnsafeBytes { key in
                    try withUnsafeBytes(of: &format) { try txn.put(meta, key: key, value: $0) }
                }
            }
        }
    }

    /// The format recorded in `meta`; nil in a new store, 0 when the entry is malformed.
    static func storedFormat(_ txn: Transaction, meta: MDB_dbi) throws -> UInt32? {
        guard let stored = try formatKey.withUnsafeBytes({ try txn.get(meta, key: $0) }) else { return nil }
        return stored.count == 4 ? UInt32(littleEndian: stored.loadUnaligned(as: UInt32.self)) : 0
    }

    /// Injected failures for tests (see `StorageFaults`).
    var faults: StorageFaults { environment.faults }

    /// Closes the store; later reads and writes fail with `StorageError.closed`.
    public func close() { environment.close() }

    /// The current LMDB map size in bytes.
    public var mapSize: Int { environment.mapSize }

    /// False when this process reads without a slot in LMDB's reader table
    /// because it may not write the lock file: each read is then checked
    /// against the writer's commits afterwards and repeated when it may have
    /// overlapped one.
    public var hasReaderSlots: Bool { environment.hasReaderSlots }

    /// Changes whenever any process commits to this store.
    public var lastTransactionID: Int { environment.lastTransactionID }

    /// Runs `body` in a read transaction (a consistent view of the log).
    public func read<T>(_ body: (LogReader) throws -> T) throws -> T {
        try environment.read { txn in try body(LogReader(log: self, txn: txn)) }
    }

    /// Runs `body` in one write transaction and commits it durably. When the map
    /// fills, the transaction is aborted, the map doubled and `body` run again
    /// from the start, so it must derive everything from what it reads.
    public func write<T>(_ body: (LogWriter) throws -> T) throws -> T {
        faults.beforeWrite?()
        while true {
            do {
                return try environment.write { txn in try body(LogWriter(log: self, txn: txn, buffer: RecordBuffer())) }
            } catch StorageError.mapFull {
                try environment.grow()
            }
        }
    }
}

/// Reads inside one transaction. Only valid inside the closure that received it.
public struct LogReader {
    let log: EventLog
    let txn: Transaction

    /// The transaction id this view reads at; compare with `EventLog.lastTransactionID`.
    public var transactionID: Int { txn.id }

    /// The last record's sequence and chain link, read from the record itself.
    public func head() throws -> LogHead {
        guard let (key, value) = try txn.last(log.events) else { return .empty }
        let sequence = try EventLog.sequence(fromKey: key)
        let record = try RecordCodec.decode(value, sequence: sequence, previous: nil)
        return LogHead(sequence: sequence, chainHash: record.chainHash)
    }

    /// The head the last writer recorded beside the log, if any record was written.
    public func recordedHead() throws -> LogHead? { try recordedHeadBytes().flatMap(Self.head(decoding:)) }

    private func recordedHeadBytes() throws -> UnsafeRawBufferPointer? {
        try EventLog.headKey.withUnsafeBytes { try txn.get(log.meta, key: $0) }
    }

    /// The head as `recordHead` wrote it; nil when the bytes are not that shape.
    private static func head(decoding raw: UnsafeRawBufferPointer) -> LogHead? {
        guard raw.count == 8 + ChainHash.byteCount else { return nil }
        return LogHead(
            sequence: UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self)),
            chainHash: ChainHash(UnsafeRawBufferPointer(rebasing: raw[8...])))
    }

    /// Checks that the head recorded beside the log is the log's real end,
    /// `head`. A log with records must have one: removing the last records and
    /// the head entry together must not pass for a shorter, sound log.
    public func verifyRecordedHead(_ head: LogHead) throws {
        guard let raw = try recordedHeadBytes() else {
            if head.sequence > 0 { throw StorageError.headMissing(found: head.sequence) }
            return
        }
        guard let recorded = Self.head(decoding: raw) else { throw StorageError.headMissing(found: head.sequence) }
        if recorded != head { throw StorageError.headMismatch(recorded: recorded.sequence, found: head.sequence) }
    }

    /// Visits every record after `start` (up to `last`), checking each one's
    /// checksum, decoding, sequence continuity and chain link. Returns the new head.
    @discardableResult
    public func forEachRecord(after start: LogHead, through last: UInt64 = .max, _ body: (EventRecord) throws -> Void)
        throws -> LogHead
    {
        try forEachRecordView(after: start, through: last) { try body($0.record) }
    }

    /// `forEachRecord(after:through:)` with each record lent as a view into the
    /// transaction's memory map instead of copied out. When a check or `body`
    /// throws, nothing after that record is visited.
    @discardableResult
    public func forEachRecordView(
        after start: LogHead, through last: UInt64 = .max, _ body: (RecordView) throws -> Void
    ) throws -> LogHead {
        var head = start
        let first = EventLog.key(for: head.sequence + 1)
        try first.withUnsafeBytes { firstKey in
            try txn.scan(log.events, from: firstKey) { key, value in
                let sequence = try EventLog.sequence(fromKey: key)
                guard sequence <= last else { return false }
                guard sequence == head.sequence + 1 else {
                    throw StorageError.sequenceGap(expected: head.sequence + 1, found: sequence)
                }
                let record = try RecordCodec.view(value, sequence: sequence, previous: head.chainHash)
                try body(record)
                head = LogHead(sequence: sequence, chainHash: record.chainHash)
                return true
            }
        }
        return head
    }

    /// Visits every record after `sequence`, verified like `forEachRecord(after:)`,
    /// taking the chain link to continue from the record at `sequence` itself.
    @discardableResult
    public func forEachRecord(
        afterSequence sequence: UInt64, through last: UInt64 = .max, _ body: (EventRecord) throws -> Void
    ) throws -> LogHead {
        try forEachRecord(after: head(at: sequence), through: last, body)
    }

    /// The chain position of the record at `sequence`, so a walk can start after it.
    private func head(at sequence: UInt64) throws -> LogHead {
        guard sequence > 0 else { return .empty }
        guard let record = try recordView(at: sequence) else {
            throw StorageError.sequenceGap(expected: sequence, found: 0)
        }
        return LogHead(sequence: sequence, chainHash: record.chainHash)
    }

    /// The record at `sequence`, its checksum verified (its chain link is not:
    /// that needs the one before), lent for this transaction; nil when there is none.
    func recordView(at sequence: UInt64) throws -> RecordView? {
        let key = EventLog.key(for: sequence)
        guard let raw = try key.withUnsafeBytes({ try txn.get(log.events, key: $0) }) else { return nil }
        return try RecordCodec.view(raw, sequence: sequence, previous: nil)
    }

    /// `forEachRecord(afterSequence:through:)` with each record lent as a view.
    @discardableResult
    public func forEachRecordView(
        afterSequence sequence: UInt64, through last: UInt64 = .max, _ body: (RecordView) throws -> Void
    ) throws -> LogHead {
        try forEachRecordView(after: head(at: sequence), through: last, body)
    }

    /// Visits raw records from `sequence` on without checking them (for tools
    /// that report damage themselves). Stops when `body` returns false.
    public func forEachRawRecord(
        from sequence: UInt64, _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        let first = EventLog.key(for: sequence)
        try first.withUnsafeBytes { firstKey in try txn.scan(log.events, from: firstKey, body) }
    }

    /// The store format recorded in `meta`.
    public func storedFormat() throws -> UInt32? { try EventLog.storedFormat(txn, meta: log.meta) }

    /// The answer stored under an idempotency key (as the engine scopes it), if a command with it committed.
    public func storedAnswer(forKey key: String) throws -> [UInt8]? {
        try Array(key.utf8).withUnsafeBytes { try txn.get(log.commands, key: $0) }.map { Array($0) }
    }
}

/// Writes inside one write transaction. Only valid inside the closure that received it.
public struct LogWriter {
    let log: EventLog
    let txn: Transaction
    /// One record's bytes, reused for every record of the transaction.
    let buffer: RecordBuffer

    public var reader: LogReader { LogReader(log: log, txn: txn) }

    /// The transaction id this write commits as.
    public var transactionID: Int { txn.id }

    /// Appends the record following `head`; returns the new head. The sequence
    /// must be `head.sequence + 1` (LMDB's `MDB_APPEND` also refuses any other order).
    public func append(_ header: RecordHeader, payload: [UInt8], after head: LogHead) throws -> LogHead {
        try append(header, after: head) { $0.append(contentsOf: payload) }
    }

    /// `append(_:payload:after:)` with `payload` appending the event's bytes
    /// straight into the record being built.
    public func append(_ header: RecordHeader, after head: LogHead, payload: (inout [UInt8]) -> Void) throws
        -> LogHead
    {
        precondition(header.sequence == head.sequence + 1, "log sequence numbers are gap-free")
        let chain = RecordCodec.encode(header, previous: head.chainHash, into: &buffer.bytes, payload: payload)
        try EventLog.withKey(for: header.sequence) { keyBytes in
            try buffer.bytes.withUnsafeBytes {
                try txn.put(log.events, key: keyBytes, value: $0, flags: UInt32(MDB_APPEND))
            }
        }
        return LogHead(sequence: header.sequence, chainHash: chain)
    }

    /// Records the head beside the log so that removing the last records shows.
    public func recordHead(_ head: LogHead) throws {
        var value = withUnsafeBytes(of: head.sequence.littleEndian) { Array($0) }
        value.append(contentsOf: head.chainHash.bytes)
        try EventLog.headKey.withUnsafeBytes { key in
            try value.withUnsafeBytes { try txn.put(log.meta, key: key, value: $0) }
        }
    }

    /// Stores the answer to a command that carried an idempotency key.
    public func storeAnswer(_ answer: [UInt8], forKey key: String) throws {
        try Array(key.utf8).withUnsafeBytes { keyBuffer in
            try answer.withUnsafeBytes { try txn.put(log.commands, key: keyBuffer, value: $0) }
        }
    }
}

/// The writer's reusable record buffer.
final class RecordBuffer {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(512) }
}

extension EventLog {
    static func key(for sequence: UInt64) -> [UInt8] { withKey(for: sequence) { Array($0) } }

    /// The log key of `sequence` (big-endian, so LMDB orders keys by number), lent without an array.
    static func withKey<Result>(for sequence: UInt64, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows
        -> Result
    {
        try withUnsafeBytes(of: sequence.bigEndian, body)
    }

    static func sequence(fromKey key: UnsafeRawBufferPointer) throws -> UInt64 {
        guard key.count == 8 else {
            throw StorageError.corruptRecord(sequence: 0, reason: "a log key is \(key.count) bytes, not 8")
        }
        return UInt64(bigEndian: key.loadUnaligned(as: UInt64.self))
    }
}

// Test seams for corruption tests (reached with `@testable import`): they
// bypass every check the log makes, which is exactly what damage does.
extension LogWriter {
    func replaceRecordBytes(sequence: UInt64, with bytes: [UInt8]) throws {
        let key = EventLog.key(for: sequence)
        try key.withUnsafeBytes { keyBytes in
            try bytes.withUnsafeBytes { try txn.put(log.events, key: keyBytes, value: $0) }
        }
    }

    func removeRecord(sequence: UInt64) throws {
        var key = EventLog.key(for: sequence)
        try key.withUnsafeMutableBytes { keyBytes in
            var keyValue = MDB_val(mv_size: keyBytes.count, mv_data: keyBytes.baseAddress)
            try StorageError.check(mdb_del(txn.handle, log.events, &keyValue, nil), "mdb_del")
        }
    }

    func putMeta(_ key: String, _ value: [UInt8]) throws {
        try Array(key.utf8).withUnsafeBytes { key in
            try value.withUnsafeBytes { try txn.put(log.meta, key: key, value: $0) }
        }
    }

    func deleteMeta(_ key: String) throws {
        var bytes = Array(key.utf8)
        try bytes.withUnsafeMutableBytes { keyBytes in
            var keyValue = MDB_val(mv_size: keyBytes.count, mv_data: keyBytes.baseAddress)
            try StorageError.check(mdb_del(txn.handle, log.meta, &keyValue, nil), "mdb_del")
        }
    }

    func recordBytes(sequence: UInt64) throws -> [UInt8]? {
        try EventLog.key(for: sequence).withUnsafeBytes { try txn.get(log.events, key: $0) }.map { Array($0) }
    }
}
