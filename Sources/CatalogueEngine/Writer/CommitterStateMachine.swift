/// Commands the writer decided, offered to the committer together.
struct Chunk: Sendable {
    var batch: [PendingCommand]
    var decided: DecidedBatch
}

/// The hand-over between the writer thread, which offers chunks, and the
/// committer thread, which writes every chunk offered so far as one job.
///
/// A value with no locks and no threads, so that tests can drive it input by
/// input; `Committer` holds it under a lock and carries out its actions.
struct CommitterStateMachine {
    enum State: Equatable {
        /// The committer's thread runs and looks for chunks next.
        /// `writerWaits`: the writer waits for everything offered to be durable.
        case looking(writerWaits: Bool)
        /// The committer sleeps until a chunk is offered or it is stopped.
        case asleep
        /// The committer sleeps a moment, expecting the chunk of commands it
        /// saw queued when its last job ended.
        case expectingChunk
        /// A job is being written.
        case committing(writerWaits: Bool)
        /// A job failed or met a log another process had moved: nothing more
        /// is written until the writer takes these commands (and every chunk
        /// offered) back to decide again. `asleep`: the committer's thread sleeps.
        case halted(redo: [PendingCommand], asleep: Bool)
        /// Stop was asked; the thread ends when it next looks.
        case stopping(asleep: Bool)
        case stopped

        static func == (lhs: Self, rhs: Self) -> Bool {
            switch (lhs, rhs) {
            case (.looking(let a), .looking(let b)), (.committing(let a), .committing(let b)): a == b
            case (.asleep, .asleep), (.expectingChunk, .expectingChunk), (.stopped, .stopped): true
            case (.halted(let a, let x), .halted(let b, let y)): a.count == b.count && x == y
            case (.stopping(let x), .stopping(let y)): x == y
            default: false
            }
        }
    }

    enum OfferAction {
        /// Queued behind a job being written or chunks not yet taken.
        case queuedBehindJob
        /// Queued for a committer that is looking for work.
        case queued
        /// Queued, and the sleeping committer must be woken for it.
        case queuedAndWakeCommitter
        /// The committer has halted: decide these commands again, the chunk's
        /// own included, in a transaction of the writer's own.
        case decideAgain([PendingCommand])
    }

    enum LookAction {
        case commit([Chunk])
        case sleep
        /// Stop was asked: the thread ends.
        case exit
    }

    enum JobEndedAction: Equatable {
        /// Look for the next job; `chunksWaiting`: chunks were offered meanwhile.
        case lookAgain(chunksWaiting: Bool)
        /// The writer waited for this job: wake it, then look again.
        case wakeWriterAndLookAgain(chunksWaiting: Bool)
    }

    enum ExpectAction: Equatable {
        /// Sleep a moment for the writer's chunk; a chunk offered meanwhile wakes the committer.
        case sleepBriefly
        /// A chunk is there, or stop was asked: look at once.
        case lookNow
    }

    enum IdleAction {
        /// Everything offered is durable.
        case idle
        /// Wait for the job being written (or about to be) to end, then ask again.
        case waitForJob
        /// The committer has halted: decide these commands again.
        case decideAgain([PendingCommand])
    }

    enum StopAction: Equatable {
        case none
        case wakeCommitter
    }

    private(set) var state: State = .looking(writerWaits: false)
    private(set) var chunks: [Chunk] = []
    private let maximumBatch: Int

    init(tuning: WriterTuning) {
        maximumBatch = tuning.maximumBatch
    }

    /// Nothing offered is waiting or being written, and the committer has not halted.
    var isIdle: Bool {
        switch state {
        case .committing, .halted: false
        case .looking, .asleep, .expectingChunk, .stopping, .stopped: chunks.isEmpty
        }
    }

    // MARK: Inputs from the writer thread

    mutating func offer(_ chunk: Chunk) -> OfferAction {
        switch state {
        case .halted:
            chunks.append(chunk)
            return .decideAgain(takeHalted() ?? [])
        case .committing:
            chunks.append(chunk)
            return .queuedBehindJob
        case .looking:
            chunks.append(chunk)
            return chunks.count > 1 ? .queuedBehindJob : .queued
        case .asleep, .expectingChunk:
            chunks.append(chunk)
            state = .looking(writerWaits: false)
            return .queuedAndWakeCommitter
        case .stopping, .stopped:
            preconditionFailure("a chunk offered to a stopped committer")
        }
    }

    /// After a halt: every command offered and not durable, in order; the
    /// committer then takes chunks again. Nil when it has not halted.
    mutating func takeHalted() -> [PendingCommand]? {
        guard case .halted(var redo, let asleep) = state else { return nil }
        for chunk in chunks { redo.append(contentsOf: chunk.batch) }
        chunks = []
        state = asleep ? .asleep : .looking(writerWaits: false)
        return redo
    }

    /// The writer asks whether everything offered is durable.
    mutating func waitUntilIdle() -> IdleAction {
        switch state {
        case .halted: return .decideAgain(takeHalted() ?? [])
        case .committing:
            state = .committing(writerWaits: true)
            return .waitForJob
        case .looking where !chunks.isEmpty:
            state = .looking(writerWaits: true)
            return .waitForJob
        case .looking, .asleep, .expectingChunk, .stopping, .stopped:
            return .idle
        }
    }

    /// The writer has waited until idle; the committer ends once it looks.
    mutating func stop() -> StopAction {
        switch state {
        case .asleep, .expectingChunk:
            state = .stopping(asleep: true)
            return .wakeCommitter
        case .looking:
            state = .stopping(asleep: false)
            return .none
        case .stopping, .stopped:
            return .none
        case .committing, .halted:
            preconditionFailure("the committer stopped with work it has not finished")
        }
    }

    // MARK: Inputs from the committer thread

    /// The committer looks for its next job.
    mutating func look() -> LookAction {
        switch state {
        case .looking(let writerWaits):
            guard !chunks.isEmpty else {
                state = .asleep
                return .sleep
            }
            state = .committing(writerWaits: writerWaits)
            return .commit(takeJob())
        case .asleep, .expectingChunk:
            // Woken by a signal meant for an earlier sleep.
            guard !chunks.isEmpty else { return .sleep }
            state = .committing(writerWaits: false)
            return .commit(takeJob())
        case .halted(let redo, _):
            state = .halted(redo: redo, asleep: true)
            return .sleep
        case .stopping:
            state = .stopped
            return .exit
        case .stopped:
            return .exit
        case .committing:
            preconditionFailure("the committer looked for work in the middle of a job")
        }
    }

    /// The job ended; `redo`: the commands to decide again after a halt.
    mutating func jobEnded(redo: [PendingCommand]?) -> JobEndedAction {
        guard case .committing(let writerWaits) = state else {
            preconditionFailure("a job ended that never started")
        }
        state = redo.map { .halted(redo: $0, asleep: false) } ?? .looking(writerWaits: false)
        let chunksWaiting = !chunks.isEmpty
        return writerWaits
            ? .wakeWriterAndLookAgain(chunksWaiting: chunksWaiting) : .lookAgain(chunksWaiting: chunksWaiting)
    }

    /// After a job that left commands queued for the writer: without waiting
    /// for their chunk, many of them went to the job after the next.
    mutating func expectChunk() -> ExpectAction {
        guard case .looking = state, chunks.isEmpty else { return .lookNow }
        state = .expectingChunk
        return .sleepBriefly
    }

    /// The brief sleep ended, by a chunk or by the time running out.
    mutating func expectationEnded() {
        if case .expectingChunk = state { state = .looking(writerWaits: false) }
    }

    /// The oldest chunks, at least one, holding at most `maximumBatch` commands.
    private mutating func takeJob() -> [Chunk] {
        var count = 0
        var end = 0
        while end < chunks.count, end == 0 || count + chunks[end].batch.count <= maximumBatch {
            count += chunks[end].batch.count
            end += 1
        }
        if end == chunks.count {
            defer { chunks = [] }
            return chunks
        }
        defer { chunks.removeFirst(end) }
        return Array(chunks[..<end])
    }
}
