import CatalogueDomain
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Whether the process waiting on a request is still there, judged by
/// something every process using the store shares: a lock on a file in the
/// store directory, which the kernel releases when its holder dies.
///
/// A pid alone cannot tell: a waiter inside a container (another pid
/// namespace) records a pid that means nothing, or another process, to the
/// host. So a process about to wait takes an exclusive `flock` on
/// `waiters/PID-START.lock` (its own pid and start time, as its token records
/// them) and keeps it until it closes the catalogue. Another process judges a
/// token by that file: held means alive, free means the holder died. A token
/// without a file (recorded by a build before these files) falls back to the
/// pid and start time, which is right within one pid namespace.
final class WaiterLiveness: @unchecked Sendable {
    private let directory: String
    /// The held lock file's descriptor; touched only on the writer thread.
    private var held: Int32 = -1

    init(storeDirectory: String) {
        directory = storeDirectory + "/waiters"
    }

    deinit {
        guard held >= 0 else { return }
        unlink(path(for: ProcessIdentity.processID, start: ProcessIdentity.processStart))
        close(held)
    }

    private func path(for pid: UInt32, start: UInt64) -> String { "\(directory)/\(pid)-\(start).lock" }

    /// Takes this process's lock before its first waiting allocation is
    /// recorded, so that no other process can see the request before the lock.
    func holdForThisProcess() throws(NtmsError) {
        guard held < 0 else { return }
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
            throw NtmsError(.databaseFailure, "cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        let file = path(for: ProcessIdentity.processID, start: ProcessIdentity.processStart)
        let descriptor = open(file, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw NtmsError(.databaseFailure, "cannot open \(file): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            // Only a process in another pid namespace with the same pid, started in the same tick, holds it.
            throw NtmsError(.busy, "another process holds \(file); this process cannot wait on a request")
        }
        held = descriptor
    }

    /// Whether the process `token` names may still be waiting.
    func mayBeAlive(_ token: WaiterToken) -> Bool {
        guard token.bootID == ProcessIdentity.bootID else { return false }
        let file = path(for: token.processID, start: token.processStart)
        let descriptor = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return ProcessIdentity.mayBeAlive(token) }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_SH | LOCK_NB) == 0 else { return true }
        // Free: its holder died. Nobody will take it again, since pid and start time name one process.
        unlink(file)
        return false
    }
}
