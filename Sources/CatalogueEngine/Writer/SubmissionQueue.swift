import Dispatch

/// The queue between callers and the writer thread: which commands wait, and
/// when the writer must be woken for them.
///
/// A value with no locks and no threads, so that tests can drive it input by
/// input; `SubmissionQueue` holds it under a lock and carries out its actions.
struct SubmissionQueueStateMachine {
    /// What the committer is doing, as far as the queue cares.
    enum Committer: Equatable {
        /// No job is being written. `outpaced`: commands arrived, or chunks
        /// waited, while the last job was written, so callers come faster than
        /// one job at a time and the next batch goes to the committer.
        case idle(outpaced: Bool)
        /// A job is being written: the writer is woken less often, and the
        /// job's end wakes it for what queued meanwhile.
        case committing
    }

    enum State: Equatable {
        case accepting(Committer)
        /// Nothing new is accepted; what is queued is finished, then the writer stops.
        case stopping(Committer)
    }

    enum SubmitAction: Equatable {
        /// The writer is stopping; the caller is answered with an error.
        case reject
        /// Queued; the writer will take it with the commands before it.
        case queue
        case queueAndWakeWriter
    }

    enum WakeAction: Equatable {
        case none
        case wakeWriter
    }

    /// What the writer takes when it wakes.
    struct Batch {
        var commands: [PendingCommand]
        /// Commands remain queued beyond the batch limit: wake again for them.
        var wakeAgain: Bool
        /// The queue is finished and the writer stops after this batch.
        var isLast: Bool
    }

    enum JobEndedAction: Equatable {
        /// Nothing is queued.
        case none
        /// Commands queued during the job: the writer is woken for them, and
        /// the committer can expect their chunk.
        case wakeWriterForQueued
        /// The committer halted: the writer is woken to decide its commands again.
        case wakeWriterToDecideAgain
    }

    private(set) var state: State = .accepting(.idle(outpaced: false))
    private(set) var commands: [PendingCommand] = []
    private let maximumBatch: Int
    private let commandsPerWakeWhileCommitting: Int

    init(tuning: WriterTuning) {
        maximumBatch = tuning.maximumBatch
        commandsPerWakeWhileCommitting = tuning.commandsPerWakeWhileCommitting
    }

    private var committer: Committer {
        switch state {
        case .accepting(let committer), .stopping(let committer): committer
        }
    }

    private mutating func setCommitter(_ committer: Committer) {
        switch state {
        case .accepting: state = .accepting(committer)
        case .stopping: state = .stopping(committer)
        }
    }

    /// Callers come faster than one job at a time.
    var callersOutpaceCommits: Bool { committer == .idle(outpaced: true) }

    mutating func submit(_ command: PendingCommand) -> SubmitAction {
        guard case .accepting(let committer) = state else { return .reject }
        commands.append(command)
        // The writer takes the whole queue when it wakes, so the first command
        // into an empty queue is enough; while a job commits, every nth, which
        // are decided ahead, and the job's end wakes the writer for the rest.
        let wake =
            committer == .committing
            ? commands.count % commandsPerWakeWhileCommitting == 0 : commands.count == 1
        return wake ? .queueAndWakeWriter : .queue
    }

    /// Queues `last`, which abandons every waiting allocation, and accepts nothing after it.
    mutating func stop(last: PendingCommand) -> WakeAction {
        guard case .accepting(let committer) = state else { return .none }
        commands.append(last)
        state = .stopping(committer)
        return .wakeWriter
    }

    mutating func takeBatch() -> Batch {
        // Taking the whole queue moves the array instead of copying it.
        var batch: [PendingCommand] = []
        if commands.count <= maximumBatch {
            swap(&batch, &commands)
        } else {
            batch = Array(commands.prefix(maximumBatch))
            commands.removeFirst(maximumBatch)
        }
        let isStopping = if case .stopping = state { true } else { false }
        return Batch(commands: batch, wakeAgain: !commands.isEmpty, isLast: isStopping && commands.isEmpty)
    }

    /// Commands to run before everything queued (waiters an operator satisfied, searching again).
    mutating func putFirst(_ retries: [PendingCommand]) -> WakeAction {
        guard !retries.isEmpty else { return .none }
        commands.insert(contentsOf: retries, at: 0)
        return .wakeWriter
    }

    mutating func jobStarted() {
        setCommitter(.committing)
    }

    /// The committer's job ended; `halted`: it must hand its commands back;
    /// `chunksWaiting`: chunks were offered while it ran.
    mutating func jobEnded(halted: Bool, chunksWaiting: Bool) -> JobEndedAction {
        setCommitter(.idle(outpaced: chunksWaiting || !commands.isEmpty))
        if halted { return .wakeWriterToDecideAgain }
        return commands.isEmpty ? .none : .wakeWriterForQueued
    }

    /// The writer committed a transaction of its own.
    mutating func writerJobEnded() {
        setCommitter(.idle(outpaced: !commands.isEmpty))
    }
}

/// The locked shell around `SubmissionQueueStateMachine`: callers submit, the
/// writer thread takes batches, the committer reports its jobs.
final class SubmissionQueue: @unchecked Sendable {
    private let machine: Locked<SubmissionQueueStateMachine>
    private let wakeup = DispatchSemaphore(value: 0)

    init(tuning: WriterTuning) {
        machine = Locked(SubmissionQueueStateMachine(tuning: tuning))
    }

    /// Queues a command; false once the writer is stopping.
    func submit(_ command: PendingCommand) -> Bool {
        switch machine.withLock({ $0.submit(command) }) {
        case .reject: return false
        case .queue: return true
        case .queueAndWakeWriter:
            wakeup.signal()
            return true
        }
    }

    /// Queues `last` and refuses everything after it; false if stop was asked before.
    func stop(last: PendingCommand) -> Bool {
        switch machine.withLock({ $0.stop(last: last) }) {
        case .none: return false
        case .wakeWriter:
            wakeup.signal()
            return true
        }
    }

    /// Blocks the writer thread until it has something to do.
    func waitForWork() { wakeup.wait() }

    func takeBatch() -> SubmissionQueueStateMachine.Batch {
        let batch = machine.withLock { $0.takeBatch() }
        if batch.wakeAgain { wakeup.signal() }
        return batch
    }

    func putFirst(_ retries: [PendingCommand]) {
        // Most of the writer's own transactions close no request: no lock for them.
        guard !retries.isEmpty else { return }
        if machine.withLock({ $0.putFirst(retries) }) == .wakeWriter { wakeup.signal() }
    }

    func jobStarted() { machine.withLock { $0.jobStarted() } }

    /// Returns whether the committer can expect a chunk of commands queued meanwhile.
    func jobEnded(halted: Bool, chunksWaiting: Bool) -> Bool {
        let action = machine.withLock { $0.jobEnded(halted: halted, chunksWaiting: chunksWaiting) }
        switch action {
        case .none: return false
        case .wakeWriterToDecideAgain:
            wakeup.signal()
            return false
        case .wakeWriterForQueued:
            wakeup.signal()
            return true
        }
    }

    func writerJobEnded() { machine.withLock { $0.writerJobEnded() } }

    var callersOutpaceCommits: Bool { machine.withLock { $0.callersOutpaceCommits } }

    var count: Int { machine.withLock { $0.commands.count } }
}
