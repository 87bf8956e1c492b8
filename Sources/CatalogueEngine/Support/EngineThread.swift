import Foundation

/// Starts one of the engine's threads, running `body` on `owner`; `name` is
/// what `top -H` and `perf` show (at most 15 bytes). The thread
/// holds `owner` weakly and signals `stopped` only once `body` has returned and
/// let go of it, so a `stop` that waits for `stopped` can promise that nothing
/// of the catalogue outlives it on that thread.
func startEngineThread<Owner: AnyObject & Sendable>(
    named name: String, owner: Owner, stopped: DispatchSemaphore, _ body: @escaping @Sendable (Owner) -> Void
) {
    precondition(name.utf8.count <= 15, "Linux keeps 15 bytes of a thread's name")
    let thread = Thread { [weak owner] in
        // Named from inside: on Linux a name set before the start never reached
        // the kernel, so `top -H`, `perf` and `/proc` showed every engine thread
        // under the name of the thread that made it.
        Thread.current.name = name
        if let owner { body(owner) }
        stopped.signal()
    }
    thread.start()
}
