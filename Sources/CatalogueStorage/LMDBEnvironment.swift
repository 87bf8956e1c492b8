import CLMDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keeps every LMDB transaction of this process out while the map is resized:
/// LMDB does not check that no transaction is active during `mdb_env_set_mapsize`.
final class ResizeGate: @unchecked Sendable {
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        #if canImport(Glibc)
            // A resize must not starve behind a stream of short read transactions.
            pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        #endif
        pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func lockShared() { pthread_rwlock_rdlock(lock) }
    func lockExclusive() { pthread_rwlock_wrlock(lock) }
    func unlock() { pthread_rwlock_unlock(lock) }
}

/// One LMDB environment (one store directory). Opened with `MDB_NOTLS` because
/// Swift tasks hop threads; write transactions run on the caller's thread from
/// begin to commit with no suspension in between.
final class LMDBEnvironment: @unchecked Sendable {
    let handle: OpaquePointer
    let directory: String
    private let gate = ResizeGate()
    /// Guarded by `gate`: set once by `close()`, after which no transaction begins.
    private var closed = false
    /// The map never grows past this.
    let maximumMapSize: Int
    let faults = StorageFaults()
    private let zeroedMargin: ZeroedMargin

    /// Opened with `MDB_RDONLY`: LMDB maps the file read-only and refuses write transactions.
    let readOnly: Bool
    /// False when this process reads without a slot in LMDB's reader table
    /// (`MDB_NOLOCK`, because it may not write `lock.mdb`): a writer does not
    /// know about its reads, so each read is checked afterwards (see `read`).
    let hasReaderSlots: Bool
    /// Attempts a read without a reader slot gets before it gives up on a busy writer.
    static let locklessReadAttempts = 5

    init(
        directory: String, mapSize: Int, maximumMapSize: Int, maxReaders: UInt32, maxDatabases: UInt32,
        readOnly: Bool = false, takeReaderSlot: Bool = true
    ) throws(StorageError) {
        // Default sync flags on purpose: a commit is durable (data fdatasync + meta O_DSYNC).
        let flags = UInt32(MDB_NOTLS) | (readOnly ? UInt32(MDB_RDONLY) : 0)
        let open = { (flags: UInt32) throws(StorageError) -> OpaquePointer in
            try Self.openHandle(
                directory: directory, flags: flags, mapSize: mapSize, maxReaders: maxReaders,
                maxDatabases: maxDatabases)
        }
        var slots = !readOnly || takeReaderSlot
        let env: OpaquePointer
        if !slots {
            env = try open(flags | UInt32(MDB_NOLOCK))
        } else {
            do {
                env = try open(flags)
            } catch {
                // A reader that may read the data file but not write the lock file
                // (another user, a copy in someone else's directory) reads without slots.
                guard readOnly, case .permissionDenied = error else { throw error }
                env = try open(flags | UInt32(MDB_NOLOCK))
                slots = false
            }
        }
        self.handle = env
        self.directory = directory
        self.readOnly = readOnly
        self.hasReaderSlots = slots
        self.maximumMapSize = maximumMapSize
        zeroedMargin = ZeroedMargin(env)
        var dead: Int32 = 0
        // Slots left by killed processes pin pages and make the file grow.
        _ = mdb_reader_check(env, &dead)
    }

    deinit {
        close()
    }

    /// Creates and opens one LMDB environment handle; a failed open discards it, as LMDB requires.
    private static func openHandle(
        directory: String, flags: UInt32, mapSize: Int, maxReaders: UInt32, maxDatabases: UInt32
    ) throws(StorageError) -> OpaquePointer {
        var env: OpaquePointer?
        try StorageError.check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw .lmdb(code: EINVAL, operation: "mdb_env_create") }
        do throws(StorageError) {
            try StorageError.check(mdb_env_set_maxreaders(env, maxReaders), "mdb_env_set_maxreaders")
            try StorageError.check(mdb_env_set_maxdbs(env, maxDatabases), "mdb_env_set_maxdbs")
            try StorageError.check(mdb_env_set_mapsize(env, mapSize), "mdb_env_set_mapsize")
            let code = mdb_env_open(env, directory, flags, 0o600)
            if code == EACCES || code == EPERM {
                // The data file's permission was checked before: what LMDB could not open is the lock file.
                throw StorageError.permissionDenied(path: directory + "/lock.mdb")
            }
            if code == MDB_INVALID || code == MDB_VERSION_MISMATCH {
                throw StorageError.notAStore(path: directory, reason: "data.mdb is not an LMDB file of this version")
            }
            try StorageError.check(code, "mdb_env_open \(directory)")
        } catch {
            mdb_env_close(env)
            throw error
        }
        return env
    }

    /// Closes the environment once every transaction of this process has ended.
    func close() {
        gate.lockExclusive()
        defer { gate.unlock() }
        guard !closed else { return }
        closed = true
        mdb_env_close(handle)
    }

    /// What `read` takes from LMDB's environment info; 0 once closed.
    private func environmentInfo(_ read: (MDB_envinfo) -> Int) -> Int {
        gate.lockShared()
        defer { gate.unlock() }
        guard !closed else { return 0 }
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return read(info)
    }

    /// Refuses a data file shorter than the pages its newest commit uses (it
    /// was truncated): a read of a missing page would end the process, and a
    /// write would fill the gap with zeros.
    func checkFileHoldsEveryPage() throws(StorageError) {
        var descriptor: Int32 = -1
        var status = stat()
        guard mdb_env_get_fd(handle, &descriptor) == 0, fstat(descriptor, &status) == 0 else { return }
        let needed = bytesInUse
        guard Int(status.st_size) >= needed else {
            throw .notAStore(
                path: directory,
                reason: "data.mdb holds \(status.st_size) bytes but its pages in use end at \(needed): it was truncated"
            )
        }
    }

    /// The current map size in bytes.
    var mapSize: Int { environmentInfo { $0.me_mapsize } }

    /// Bytes of the data file up to the end of its last page in use (the newest commit's).
    var bytesInUse: Int { environmentInfo { [pageSize = zeroedMargin.pageSize] in ($0.me_last_pgno + 1) * pageSize } }

    /// The id of the last committed transaction of any process; it changes
    /// whenever anyone commits, which makes it a cheap "is there news" check.
    var lastTransactionID: Int { environmentInfo { $0.me_last_txnid } }

    func read<T>(_ body: (Transaction) throws -> T) throws -> T {
        guard hasReaderSlots else { return try readWithoutSlot(body) }
        let txn = try begin(flags: UInt32(MDB_RDONLY))
        defer {
            mdb_txn_abort(txn)
            gate.unlock()
        }
        return try body(Transaction(txn, faults: faults))
    }

    /// A read no writer knows about. LMDB reuses a page that transaction T+1
    /// freed only from transaction T+2 on, and only when no registered reader
    /// still needs it; so a read of snapshot T is sound when, after it, the
    /// newest commit is at most T+1. Otherwise it ran over pages a writer may
    /// have reused, whatever it returned or threw, and runs again.
    private func readWithoutSlot<T>(_ body: (Transaction) throws -> T) throws -> T {
        for _ in 0..<Self.locklessReadAttempts {
            let txn = try begin(flags: UInt32(MDB_RDONLY))
            let snapshot = Int(mdb_txn_id(txn))
            let result = Result { try body(Transaction(txn, faults: faults)) }
            mdb_txn_abort(txn)
            gate.unlock()
            if lastTransactionID <= snapshot + 1 { return try result.get() }
        }
        throw StorageError.writerOutpacesReader(path: directory)
    }

    /// Runs `body` in a write transaction and commits it. Throws before anything
    /// is visible if the body or the commit fails; the transaction is aborted.
    func write<T>(_ body: (Transaction) throws -> T) throws -> T {
        guard !readOnly else { throw StorageError.readOnly }
        let txn = try begin(flags: 0)
        defer { gate.unlock() }
        zeroedMargin.keepAhead()
        let result: T
        do {
            result = try body(Transaction(txn, faults: faults))
            if let code = faults.commitFailure() { throw StorageError.from(code, "mdb_txn_commit (injected)") }
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
        // mdb_txn_commit frees the transaction whether or not it succeeds.
        try StorageError.check(mdb_txn_commit(txn), "mdb_txn_commit")
        return result
    }

    /// Doubles the map. Waits until no transaction of this process is active.
    func grow() throws(StorageError) {
        gate.lockExclusive()
        defer { gate.unlock() }
        guard !closed else { throw .closed }
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        let current = info.me_mapsize
        let (doubled, overflow) = current.multipliedReportingOverflow(by: 2)
        guard !overflow, doubled <= maximumMapSize, faults.current != .mapFull else { throw .mapFull }
        try StorageError.check(mdb_env_set_mapsize(handle, doubled), "mdb_env_set_mapsize")
    }

    /// A read-only environment opens only databases that exist, in a read
    /// transaction committed so that the handle outlives it.
    func openDatabase(named name: String) throws -> MDB_dbi {
        if readOnly {
            let txn = try begin(flags: UInt32(MDB_RDONLY))
            defer { gate.unlock() }
            var dbi: MDB_dbi = 0
            let code = mdb_dbi_open(txn, name, 0, &dbi)
            guard code == 0 else {
                mdb_txn_abort(txn)
                throw StorageError.from(code, "mdb_dbi_open \(name)")
            }
            try StorageError.check(mdb_txn_commit(txn), "mdb_txn_commit")
            return dbi
        }
        return try write { txn in
            var dbi: MDB_dbi = 0
            try StorageError.check(mdb_dbi_open(txn.handle, name, UInt32(MDB_CREATE), &dbi), "mdb_dbi_open \(name)")
            return dbi
        }
    }

    /// Begins a transaction with the gate held shared; the caller unlocks it.
    private func begin(flags: UInt32) throws(StorageError) -> OpaquePointer {
        var checkedReaders = false
        while true {
            gate.lockShared()
            guard !closed else {
                gate.unlock()
                throw StorageError.closed
            }
            var txn: OpaquePointer?
            let code = mdb_txn_begin(handle, nil, flags, &txn)
            if code == 0, let txn { return txn }
            gate.unlock()
            switch code {
            case MDB_MAP_RESIZED:
                // Another process grew the map: adopt its size, with no transaction open here.
                gate.lockExclusive()
                let adopted = mdb_env_set_mapsize(handle, 0)
                gate.unlock()
                try StorageError.check(adopted, "mdb_env_set_mapsize")
            case MDB_READERS_FULL where !checkedReaders:
                checkedReaders = true
                var dead: Int32 = 0
                _ = mdb_reader_check(handle, &dead)
            default:
                throw StorageError.from(code, "mdb_txn_begin")
            }
        }
    }
}

/// Keeps the bytes just past the data file's last page in use written with
/// zeros, so that a commit writes into blocks the file already has. A commit
/// that grows the file changes its size and allocates blocks, and its
/// fdatasync must then write that metadata too (the inode, the extent and the
/// allocation bitmaps; with a journal, a journal commit), so it takes longer
/// than a flush inside the file (docs/performance.md has the figures). Space
/// merely reserved with `fallocate` does not help: its first write converts
/// the extent, which is a metadata change too.
///
/// Runs inside a write transaction, before anything is written: LMDB's writer
/// lock keeps every other writer out, and pages past the last one in use hold
/// nothing any reader or later transaction will read. The zeros reach the disk
/// with the transaction's own flush; if writing them fails (a full disk), the
/// commit goes on without them.
final class ZeroedMargin: @unchecked Sendable {
    private let env: OpaquePointer
    private let descriptor: Int32
    let pageSize: Int
    /// Touched only inside write transactions, which LMDB runs one at a time.
    private var zeroedEnd = 0

    /// Kept ahead: an eighth of the file in use, between these bounds, topped
    /// up to the full margin once half of it is used, by at most half the
    /// largest margin (the zero buffer) per commit. A small store stays
    /// small. The top-up rides on one commit's flush, so it must stay small:
    /// a large step makes that commit a long outlier.
    static let smallest = 128 << 10
    static let largest = 512 << 10

    /// What the zeros are written from: one buffer for every store of the
    /// process, made on first use, so opening a store (or a read-only tool)
    /// allocates nothing. `calloc` hands out zero pages it need not touch.
    nonisolated(unsafe) private static let zeros = UnsafeRawBufferPointer(
        start: calloc(largest / 2, 1), count: largest / 2)

    init(_ env: OpaquePointer) {
        self.env = env
        var descriptor: Int32 = -1
        if mdb_env_get_fd(env, &descriptor) != 0 { descriptor = -1 }
        self.descriptor = descriptor
        var stat = MDB_stat()
        mdb_env_stat(env, &stat)
        pageSize = Int(stat.ms_psize)
    }

    func keepAhead() {
        guard descriptor >= 0 else { return }
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        let used = (info.me_last_pgno + 1) * pageSize
        let margin = min(Self.largest, max(Self.smallest, used / 8))
        guard zeroedEnd < used + margin / 2 else { return }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return }
        // Start at the end of the file: another process may have zeroed ahead too.
        var offset = max(used, Int(status.st_size))
        let zeros = Self.zeros
        // One buffer's worth per commit, even when the whole margin is missing
        // (a store made before the margin, or one another process grew): the
        // commit after tops up the rest.
        let wanted = min(used + margin, info.me_mapsize, offset + zeros.count)
        while offset < wanted, let source = zeros.baseAddress {
            let count = min(zeros.count, wanted - offset)
            let written = pwrite(descriptor, source, count, off_t(offset))
            guard written > 0 else { break }
            offset += written
        }
        zeroedEnd = offset
    }
}

/// A live LMDB transaction; valid only inside the closure that received it.
final class Transaction {
    let handle: OpaquePointer
    private let faults: StorageFaults

    init(_ handle: OpaquePointer, faults: StorageFaults) {
        self.handle = handle
        self.faults = faults
    }

    /// LMDB's id of this transaction: the snapshot a read sees, or the id a write commits as.
    var id: Int { Int(mdb_txn_id(handle)) }

    /// The value stored under `key`, pointing into the map until the transaction ends.
    func get(_ dbi: MDB_dbi, key: UnsafeRawBufferPointer) throws(StorageError) -> UnsafeRawBufferPointer? {
        var keyValue = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var data = MDB_val()
        let code = mdb_get(handle, dbi, &keyValue, &data)
        if code == MDB_NOTFOUND { return nil }
        try StorageError.check(code, "mdb_get")
        return UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
    }

    func put(_ dbi: MDB_dbi, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: UInt32 = 0)
        throws(StorageError)
    {
        var keyValue = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var data = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        if faults.current == .mapFull { throw .mapFull }
        try StorageError.check(mdb_put(handle, dbi, &keyValue, &data, flags), "mdb_put")
    }

    /// Visits entries in key order from the first key >= `start` (or the first
    /// entry) until `body` returns false.
    func scan(
        _ dbi: MDB_dbi, from start: UnsafeRawBufferPointer?,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        var cursor: OpaquePointer?
        try StorageError.check(mdb_cursor_open(handle, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var data = MDB_val()
        var code: Int32
        if let start {
            key = MDB_val(mv_size: start.count, mv_data: UnsafeMutableRawPointer(mutating: start.baseAddress))
            code = mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE)
        } else {
            code = mdb_cursor_get(cursor, &key, &data, MDB_FIRST)
        }
        while code == 0 {
            let keep = try body(
                UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
                UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size))
            guard keep else { return }
            code = mdb_cursor_get(cursor, &key, &data, MDB_NEXT)
        }
        if code != MDB_NOTFOUND { try StorageError.check(code, "mdb_cursor_get") }
    }

    /// Removes every entry of a database, keeping the database itself.
    func empty(_ dbi: MDB_dbi) throws(StorageError) {
        try StorageError.check(mdb_drop(handle, dbi, 0), "mdb_drop")
    }

    /// The last entry of a database, if any.
    func last(_ dbi: MDB_dbi) throws -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        var cursor: OpaquePointer?
        try StorageError.check(mdb_cursor_open(handle, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var data = MDB_val()
        let code = mdb_cursor_get(cursor, &key, &data, MDB_LAST)
        if code == MDB_NOTFOUND { return nil }
        try StorageError.check(code, "mdb_cursor_get")
        return (
            UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
            UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
        )
    }
}
