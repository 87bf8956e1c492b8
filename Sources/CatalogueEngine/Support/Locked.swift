import Foundation

/// A value behind a pthread mutex (NSLock). Used instead of the standard
/// library's `Mutex` because ThreadSanitizer cannot see `Mutex`'s futex-based
/// exclusion in the prebuilt runtime and reports every guarded access as a race.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
