import CLMDB

/// Everything the storage layer can fail with. The engine maps these to NTMS
/// errors (`ERROR_DATABASE_FULL`, `ERROR_DATABASE_FAILURE`, ...).
public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// LMDB's map is full; the log grows it and retries, callers rarely see this.
    case mapFull
    /// The file system is out of space (ENOSPC or EDQUOT).
    case diskFull(operation: String)
    /// No store exists at the path and creating one was not asked for.
    case storeMissing(path: String)
    /// A record's bytes fail their checksum or cannot be decoded.
    case corruptRecord(sequence: UInt64, reason: String)
    /// The log skips a sequence number (a record was deleted or the key is wrong).
    case sequenceGap(expected: UInt64, found: UInt64)
    /// A record's chain hash does not follow from its predecessor: history was edited.
    case chainBroken(sequence: UInt64)
    /// The log's head does not match the head recorded beside it (the last records were removed).
    case headMismatch(recorded: UInt64, found: UInt64)
    /// The log has records but no valid head beside it: the head entry was removed or damaged.
    case headMissing(found: UInt64)
    /// A checkpoint covers events the log no longer has: records were removed from its end.
    case checkpointBeyondLog(checkpoint: UInt64, last: UInt64)
    /// The operating system refused access to a store file or directory.
    case permissionDenied(path: String)
    /// A store on a read-only file system was opened for writing.
    case readOnlyFileSystem(path: String)
    /// Files are there but are not a catalogue store (empty, truncated, another LMDB file).
    case notAStore(path: String, reason: String)
    /// The store directory or a store file could be changed by someone else.
    case untrustedStore(path: String, reason: String)
    /// A write was attempted through a store opened read-only.
    case readOnly
    /// A reader without a reader slot could not get a consistent read: the
    /// store's writer committed during each attempt.
    case writerOutpacesReader(path: String)
    /// The store was written by a newer, unknown format.
    case unsupportedFormat(found: UInt32)
    /// The store was closed by this process.
    case closed
    /// Any other LMDB failure.
    case lmdb(code: Int32, operation: String)
    /// A failure of the operating system outside LMDB.
    case system(errno: Int32, operation: String)

    public var description: String {
        switch self {
        case .mapFull:
            return "the LMDB map is full"
        case .diskFull(let operation):
            return "the disk is full (\(operation))"
        case .storeMissing(let path):
            return "no catalogue store at \(path)"
        case .corruptRecord(let sequence, let reason):
            return "event \(sequence) is corrupt: \(reason)"
        case .sequenceGap(let expected, let found):
            return "event \(expected) is missing (the next record is \(found))"
        case .chainBroken(let sequence):
            return "event \(sequence) breaks the hash chain: history was altered at or before it"
        case .headMismatch(let recorded, let found):
            return "the log ends at event \(found) but the store recorded its head as \(recorded): records were removed"
        case .headMissing(let found):
            return "the log ends at event \(found) but the head recorded beside it is missing or malformed: "
                + "the store was tampered with or damaged"
        case .checkpointBeyondLog(let checkpoint, let last):
            return "a checkpoint covers event \(checkpoint) but the log ends at event \(last): records were removed"
        case .permissionDenied(let path):
            return "permission denied: \(path)"
        case .readOnlyFileSystem(let path):
            return "\(path) is on a read-only file system: it can be read (query commands open stores read-only) "
                + "but not changed"
        case .notAStore(let path, let reason):
            return "\(path) is not a usable catalogue store: \(reason)"
        case .untrustedStore(let path, let reason):
            return "refusing the store at \(path): \(reason)"
        case .readOnly:
            return "the store is open read-only"
        case .writerOutpacesReader(let path):
            return "the store at \(path) kept changing while this process read it without a reader slot "
                + "(it may not write lock.mdb)"
        case .closed:
            return "the store is closed"
        case .unsupportedFormat(let found):
            return "the store has format \(found), which this version does not know"
        case .lmdb(let code, let operation):
            return "LMDB \(operation) failed: \(String(cString: mdb_strerror(code))) (\(code))"
        case .system(let errno, let operation):
            return "\(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        }
    }

    /// The first sequence number this error names, when it names one.
    public var sequence: UInt64? {
        switch self {
        case .corruptRecord(let sequence, _), .chainBroken(let sequence): return sequence
        case .sequenceGap(let expected, _): return expected
        case .headMismatch(let recorded, let found): return min(recorded, found) + 1
        case .checkpointBeyondLog(_, let last): return last + 1
        default: return nil
        }
    }

    static func check(_ code: Int32, _ operation: String) throws(StorageError) {
        guard code != 0 else { return }
        throw from(code, operation)
    }

    static func from(_ code: Int32, _ operation: String) -> StorageError {
        switch code {
        case MDB_MAP_FULL: return .mapFull
        case ENOSPC, EDQUOT: return .diskFull(operation: operation)
        default: return .lmdb(code: code, operation: operation)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
