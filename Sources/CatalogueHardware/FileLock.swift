import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive `flock` on a file, held until this object goes away. The kernel
/// drops it when the process dies, so a lock never outlives its holder.
public final class FileLock: Sendable {
    private let descriptor: Int32

    /// Blocks until the lock is held.
    public init(path: String) throws(ChangerError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ChangerError(.unavailable, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw ChangerError(.unavailable, "cannot lock \(path): \(reason)")
            }
        }
        self.descriptor = descriptor
    }

    /// Takes the lock on a background thread, so a waiting caller does not block a cooperative thread.
    public static func acquire(_ path: String) async throws(ChangerError) -> FileLock {
        let result: Result<FileLock, ChangerError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(ChangerError) {
                    continuation.resume(returning: .success(try FileLock(path: path)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    deinit { close(descriptor) }
}
