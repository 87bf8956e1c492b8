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
    private var hook: (@Sendable () -> Void)?
    private var scheduled: (successes: Int, failures: Int, errno: Int32)?

    var current: Fault? {
        get { lock.withLock { fault } }
        set { lock.withLock { fault = newValue } }
    }

    /// Runs before every write transaction begins: lets a test hold a writer
    /// there, or write from another process at that point.
    var beforeWrite: (@Sendable () -> Void)? {
        get { lock.withLock { hook } }
        set { lock.withLock { hook = newValue } }
    }

    /// Lets `successes` more write transactions commit, then fails the next
    /// `failures` with `errno`, then none: one bad fsync in the middle of a run.
    func failCommits(errno: Int32, after successes: Int, failures: Int = 1) {
        lock.withLock { scheduled = (successes, failures, errno) }
    }

    /// Asked by every commit: the errno to fail it with, if any.
    func commitFailure() -> Int32? {
        lock.withLock {
            if case .commit(let code) = fault { return code }
            guard var plan = scheduled else { return nil }
            defer { scheduled = plan.failures > 0 ? plan : nil }
            if plan.successes > 0 {
                plan.successes -= 1
                return nil
            }
            plan.failures -= 1
            return plan.errno
        }
    }
}
