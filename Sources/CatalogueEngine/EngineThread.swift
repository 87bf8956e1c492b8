import Foundation

/// Starts one of the engine's threads, running `body` on `owner`. The thread
/// holds `owner` weakly and signals `stopped` only once `body` has returned and
/// let go of it, so a `stop` that waits for `stopped` can promise that nothing
/// of the catalogue outlives it on that thread.
func startEngineThread<Owner: AnyObject & Sendable>(
    named name: String, owner: Owner, stopped: DispatchSemaphore, _ body: @escaping @Sendable (Owner) -> Void
) {
    let thread = Thread { [weak owner] in
        if let owner { body(owner) }
        stopped.signal()
    }
    thread.name = name
    thread.start()
}
