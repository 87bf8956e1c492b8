import Foundation

/// A test seam, not a production setting: failures to inject into the storage
/// path so tests can prove a failed write leaves nothing behind. Reached only
/// through `@testable import`.
final class StorageFaults: @unchecked Sendable {
    enum Fault: Equatable {
        /// `mdb_txn_commit` fails with this errno: EIO for a failed fsync, ENOSPC for a full disk.
        case commit(errno: Int32)
        /// Every put reports `MDB_MAP_FULL` and the map cannot grow.
        case mapFull
    }

    private let lock = NSLock()
    private var fault: Fault?

    var current: Fault? {
        get { lock.withLock { fault } }
        set { lock.withLock { fault = newValue } }
    }
}
