import CatalogueDomain
import CatalogueStorage
import Dispatch
import Foundation

/// One command waiting for the writer, with the caller to answer.
struct PendingCommand: Sendable {
    enum Work: Sendable {
        case command(CatalogueCommand, idempotencyKey: String?)
        /// Fold what other processes appended, without writing.
        case refresh
    }

    var work: Work
    var application: String
    var user: String
    var reply: @Sendable (Result<CommandOutcome, NtmsError>) -> Void
}

/// The single writer of a catalogue. It runs on its own thread because an LMDB
/// write transaction must begin and commit on one thread, and a durable commit
/// blocks for an fsync, which must not occupy the two cooperative threads.
///
/// Group commit: every command queued while a commit is in flight goes into the
/// next transaction, so many callers share one fsync.
final class CommandWriter: Sendable {
    private let log: EventLog
    private let queue = Locked<(commands: [PendingCommand], stopping: Bool)>(([], false))
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let publish: @Sendable (CatalogueSnapshot) -> Void
    private let current: @Sendable () -> CatalogueSnapshot
    private let clock: @Sendable () -> Int64
    private let maximumBatch: Int
    let statistics = WriterStatistics()

    init(
        log: EventLog, maximumBatch: Int, clock: @escaping @Sendable () -> Int64,
        current: @escaping @Sendable () -> CatalogueSnapshot, publish: @escaping @Sendable (CatalogueSnapshot) -> Void
    ) {
        self.log = log
        self.maximumBatch = maximumBatch
        self.clock = clock
        self.current = current
        self.publish = publish
        let thread = Thread { [self] in run() }
        thread.name = "catalogue-writer"
        thread.start()
    }

    /// Queues work; false once the writer is stopping.
    func submit(_ pending: PendingCommand) -> Bool {
        let accepted = queue.withLock { state in
            guard !state.stopping else { return false }
            state.commands.append(pending)
            return true
        }
        if accepted { wakeup.signal() }
        return accepted
    }

    /// Finishes what is queued, then stops the thread.
    func stop() {
        let first = queue.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        guard first else { return }
        wakeup.signal()
        finished.wait()
    }

    private func run() {
        while true {
            wakeup.wait()
            let (batch, stopping) = queue.withLock { state in
                let count = min(state.commands.count, maximumBatch)
                let batch = Array(state.commands.prefix(count))
                state.commands.removeFirst(count)
                if !state.commands.isEmpty { wakeup.signal() }
                return (batch, state.stopping && state.commands.isEmpty)
            }
            if !batch.isEmpty { process(batch) }
            if stopping {
                finished.signal()
                return
            }
        }
    }

    private func process(_ batch: [PendingCommand]) {
        let base = current()
        let hasCommands = batch.contains { if case .command = $0.work { true } else { false } }
        do {
            let (snapshot, answers) =
                hasCommands
                ? try log.write { writer in try decideAndAppend(batch, base: base, writer: writer) }
                : try log.read { reader in try catchUp(batch, base: base, reader: reader) }
            if snapshot.head != base.head { publish(snapshot) }
            if hasCommands { statistics.recordCommit(commands: batch.count) }
            for (pending, answer) in zip(batch, answers) { pending.reply(answer) }
        } catch {
            // Nothing of this batch is in the log and nothing was published.
            let failure = ntmsError(from: error)
            for pending in batch { pending.reply(.failure(failure)) }
        }
    }

    private func catchUp(_ batch: [PendingCommand], base: CatalogueSnapshot, reader: LogReader) throws -> (
        CatalogueSnapshot, [Result<CommandOutcome, NtmsError>]
    ) {
        var state = base.state
        let head = try reader.fold(into: &state, after: base.head)
        let snapshot = head == base.head ? base : CatalogueSnapshot(state: state, head: head)
        return (snapshot, batch.map { _ in .success(.done) })
    }

    /// Runs inside the write transaction: LMDB's writer lock excludes every other
    /// process, so after folding their events the decisions below see everything.
    private func decideAndAppend(_ batch: [PendingCommand], base: CatalogueSnapshot, writer: LogWriter) throws -> (
        CatalogueSnapshot, [Result<CommandOutcome, NtmsError>]
    ) {
        var state = base.state
        var head = try writer.reader.fold(into: &state, after: base.head)
        let now = clock()
        var answersByKey: [String: CommandOutcome] = [:]
        var answers: [Result<CommandOutcome, NtmsError>] = []
        answers.reserveCapacity(batch.count)
        for pending in batch {
            guard case .command(let command, let key) = pending.work else {
                answers.append(.success(.done))
                continue
            }
            if let key {
                if let earlier = answersByKey[key] {
                    answers.append(.success(earlier))
                    continue
                }
                if let stored = try writer.reader.storedAnswer(forKey: key) {
                    answers.append(
                        Result { try CommandOutcome.decode(stored) }.mapError {
                            NtmsError(.databaseFailure, "the stored answer for key \(key) is corrupt: \($0)")
                        })
                    continue
                }
            }
            switch state.decide(command) {
            case .failure(let error):
                answers.append(.failure(error))
            case .success(let decision):
                for event in decision.events {
                    let header = RecordHeader(
                        sequence: head.sequence + 1, eventType: event.typeCode, schemaVersion: event.schemaVersion,
                        timestamp: now, application: pending.application, user: pending.user, idempotencyKey: key)
                    head = try writer.append(header, payload: event.encodedPayload(), after: head)
                    state.apply(event)
                }
                if let key {
                    try writer.storeAnswer(decision.outcome.encoded(), forKey: key)
                    answersByKey[key] = decision.outcome
                }
                answers.append(.success(decision.outcome))
            }
        }
        if head != base.head { try writer.recordHead(head) }
        let snapshot = head == base.head ? base : CatalogueSnapshot(state: state, head: head)
        return (snapshot, answers)
    }
}

/// Counters for tests and the benchmark: how well group commit batches.
final class WriterStatistics: Sendable {
    private let counters = Locked<(commits: Int, commands: Int)>((0, 0))

    func recordCommit(commands: Int) {
        counters.withLock {
            $0.commits += 1
            $0.commands += commands
        }
    }

    var commits: Int { counters.withLock { $0.commits } }
    var commands: Int { counters.withLock { $0.commands } }
}
