import Dispatch
import Foundation
import Synchronization

/// Checks the hash chain on a second thread while the caller folds the same
/// records (audit, which reads checkpoints from its transaction as it folds and
/// so cannot lend it to a decoding thread as open does): the SHA-256 link of
/// every record costs about as much as decoding it, and the other core is idle.
///
/// The caller hands over the records' bytes as they lie in the memory map of
/// its own read transaction (valid until that transaction ends, which waits for
/// the verifier), so both threads see exactly the same snapshot.
final class ChainVerifier: @unchecked Sendable {
    /// One record: where its bytes are and which sequence it claims. Sendable
    /// because the bytes are read-only map pages the caller's transaction keeps.
    struct Record: @unchecked Sendable {
        var sequence: UInt64
        var bytes: UnsafeRawBufferPointer
    }

    private let batches = Mutex<(pending: [[Record]], finished: Bool)>(([], false))
    private let available = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    /// The first broken link, set by the verifier thread.
    private let broken = Mutex<StorageError?>(nil)
    private let hasFailed = Atomic<Bool>(false)
    private var current: [Record] = []
    static let batchSize = 2048

    init(after start: LogHead) {
        current.reserveCapacity(Self.batchSize)
        let thread = Thread { [self] in verify(from: start.chainHash) }
        thread.name = "chain-verifier"
        thread.start()
    }

    /// Queues one record (caller's thread). False once a broken link was found:
    /// the caller may stop early.
    func add(sequence: UInt64, bytes: UnsafeRawBufferPointer) -> Bool {
        current.append(Record(sequence: sequence, bytes: bytes))
        if current.count == Self.batchSize { hand(over: false) }
        return !hasFailed.load(ordering: .relaxed)
    }

    /// Waits until every queued record is checked; the first broken link, if any.
    /// Call before the records' transaction ends.
    func finish() -> StorageError? {
        hand(over: true)
        done.wait()
        return broken.withLock { $0 }
    }

    private func hand(over finishing: Bool) {
        let batch = current
        current = []
        current.reserveCapacity(Self.batchSize)
        batches.withLock {
            if !batch.isEmpty { $0.pending.append(batch) }
            $0.finished = $0.finished || finishing
        }
        available.signal()
    }

    private func verify(from genesis: ChainHash) {
        var previous = genesis
        var failed = false
        while true {
            available.wait()
            let (work, finished) = batches.withLock { state in
                defer { state.pending.removeAll(keepingCapacity: true) }
                return (state.pending, state.finished)
            }
            for batch in work where !failed {
                for record in batch {
                    guard let link = RecordCodec.chainLink(of: record.bytes) else {
                        // Too short to hold a link: the decoding side reports it, at this sequence.
                        failed = true
                        break
                    }
                    guard previous.next(over: link.covered) == link.stored else {
                        broken.withLock { $0 = .chainBroken(sequence: record.sequence) }
                        hasFailed.store(true, ordering: .relaxed)
                        failed = true
                        break
                    }
                    previous = link.stored
                }
            }
            if finished {
                done.signal()
                return
            }
        }
    }
}
