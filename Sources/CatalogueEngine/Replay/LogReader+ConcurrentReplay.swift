import CatalogueDomain
import CatalogueStorage
import Dispatch
import Foundation
import Synchronization

extension LogReader {
    /// Folds like `forEachRecordView(after:through:)` with each record's event, verified
    /// exactly the same way and failing with the same first error, but with the
    /// cursor, every check (checksum, sequence, chain link) and the decoding on a
    /// second thread, batches ahead of `fold`. Over a long replay those cost about
    /// as much as folding, and the other core is otherwise idle.
    ///
    /// `fold` runs on the calling thread, in sequence order, and must not read
    /// this transaction: it is the decoding thread's until this returns.
    func forEachEventDecodedConcurrently(
        after start: LogHead, through last: UInt64 = .max, _ fold: (CatalogueEvent, EventEnvelope) -> Void
    ) throws -> LogHead {
        let decoder = EventDecoder(reader: self, after: start, through: last)
        while let batch = decoder.next() {
            for index in batch.indices { fold(batch[index].event, batch[index].envelope) }
        }
        return try decoder.result()
    }
}

/// The second thread of `forEachEventDecodedConcurrently`: scans, checks and
/// decodes records into batches the calling thread takes in order. At most
/// `batchesAhead` batches wait, so a fast scan does not hold the log in memory.
final class EventDecoder: @unchecked Sendable {
    static let batchSize = 4096
    static let batchesAhead = 3

    private struct Queue {
        var ready: [[DecodedEvent]] = []
        /// Set when the decoding thread stops: the head it reached, or the first
        /// error it met after the records it handed over.
        var outcome: Result<LogHead, any Error>?
    }

    private let queue = Mutex(Queue())
    /// Signalled once for each batch handed over and once at the end.
    private let handedOver = DispatchSemaphore(value: 0)
    /// How many more batches the decoding thread may hand over before it waits.
    private let room = DispatchSemaphore(value: EventDecoder.batchesAhead)
    private let stopped = DispatchSemaphore(value: 0)

    /// The decoding thread reads `reader`'s transaction until `result()` returns,
    /// and the caller waits there before the transaction ends.
    init(reader: LogReader, after start: LogHead, through last: UInt64) {
        let lent = LentReader(reader: reader)
        startEngineThread(named: "event-decoder", owner: self, stopped: stopped) {
            $0.decode(lent.reader, after: start, through: last)
        }
    }

    /// The next batch in sequence order, or nil once the decoding thread has stopped.
    func next() -> [DecodedEvent]? {
        handedOver.wait()
        let batch = queue.withLock { $0.ready.isEmpty ? nil : $0.ready.removeFirst() }
        if batch == nil {
            handedOver.signal()  // the end stays visible to a later call
        } else {
            room.signal()
        }
        return batch
    }

    /// Waits for the decoding thread: the head it reached, or the error it met.
    func result() throws -> LogHead {
        stopped.wait()
        stopped.signal()
        return try queue.withLock { $0.outcome! }.get()
    }

    private func decode(_ reader: LogReader, after start: LogHead, through last: UInt64) {
        var batch: [DecodedEvent] = []
        batch.reserveCapacity(Self.batchSize)
        let outcome: Result<LogHead, any Error>
        do {
            let head = try reader.forEachRecordView(after: start, through: last) { record in
                let event = try record.event()
                batch.append(DecodedEvent(event: event, envelope: record.envelope(for: event)))
                if batch.count == Self.batchSize { hand(over: &batch) }
            }
            outcome = .success(head)
        } catch {
            outcome = .failure(error)
        }
        // What decoded before a failing record is folded before the failure shows.
        hand(over: &batch)
        queue.withLock { $0.outcome = outcome }
        handedOver.signal()
    }

    private func hand(over batch: inout [DecodedEvent]) {
        guard !batch.isEmpty else { return }
        room.wait()
        queue.withLock { $0.ready.append(batch) }
        handedOver.signal()
        batch = []
        batch.reserveCapacity(Self.batchSize)
    }
}

/// An event decoded on the second thread, with what its record says about it.
struct DecodedEvent: Sendable {
    var event: CatalogueEvent
    var envelope: EventEnvelope
}

/// A reader lent to the decoding thread. Its transaction is read by that thread
/// alone while the lender waits; `MDB_NOTLS` lets a read transaction change threads.
private struct LentReader: @unchecked Sendable {
    let reader: LogReader
}
