import CatalogueDomain
import Dispatch

/// The answerer's queue of durable jobs and whether its thread sleeps.
///
/// A value with no locks and no threads, so that tests can drive it input by
/// input; `Answerer` holds it under a lock and carries out its actions.
struct AnswererStateMachine {
    /// A durable job whose callers are to be answered.
    struct Job {
        var chunks: [Chunk]
        /// The snapshot the job's publication replaced, let go of after the answers.
        var displaced: CatalogueSnapshot?
    }

    enum State: Equatable {
        case working
        case asleep
        /// Answers what is queued, then ends.
        case stopping
        case stopped
    }

    enum WakeAction: Equatable {
        case none
        case wakeAnswerer
    }

    enum NextAction {
        case answer([Job])
        case sleep
        case exit
    }

    private(set) var state: State = .working
    private(set) var jobs: [Job] = []

    mutating func enqueue(_ job: Job) -> WakeAction {
        precondition(state != .stopped, "a job for an answerer that has stopped")
        jobs.append(job)
        guard state == .asleep else { return .none }
        state = .working
        return .wakeAnswerer
    }

    mutating func stop() -> WakeAction {
        switch state {
        case .asleep:
            state = .stopping
            return .wakeAnswerer
        case .working:
            state = .stopping
            return .none
        case .stopping, .stopped:
            return .none
        }
    }

    /// The answerer's thread asks for its next work.
    mutating func next() -> NextAction {
        if !jobs.isEmpty {
            var taken: [Job] = []
            swap(&taken, &jobs)
            return .answer(taken)
        }
        switch state {
        case .working, .asleep:
            state = .asleep
            return .sleep
        case .stopping, .stopped:
            state = .stopped
            return .exit
        }
    }
}

/// Answers the callers of durable jobs on a thread of its own, in the order
/// they committed, so that resuming callers and freeing a job's records and
/// the snapshot it displaced never keep the committer from its next job.
final class Answerer: @unchecked Sendable {
    private let machine = Locked(AnswererStateMachine())
    private let ready = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let statistics: WriterStatistics

    init(statistics: WriterStatistics) {
        self.statistics = statistics
        startEngineThread(named: "catalog-answer", owner: self, stopped: stopped) { $0.run() }
    }

    /// Answers the callers of `chunks`, then lets go of them and of `displaced`.
    func answer(_ chunks: [Chunk], releasing displaced: CatalogueSnapshot?) {
        let job = AnswererStateMachine.Job(chunks: chunks, displaced: displaced)
        if machine.withLock({ $0.enqueue(job) }) == .wakeAnswerer { ready.signal() }
    }

    /// Returns once everything queued is answered and the thread has ended.
    func stop() {
        if machine.withLock({ $0.stop() }) == .wakeAnswerer { ready.signal() }
        stopped.wait()
    }

    private func run() {
        while true {
            switch machine.withLock({ $0.next() }) {
            case .exit: return
            case .sleep: ready.wait()
            case .answer(let jobs):
                for job in jobs {
                    for chunk in job.chunks { PendingCommand.answer(chunk.batch, chunk.decided.answers) }
                }
                statistics.noteCPU(of: .answerer)
            }
        }
    }
}

extension PendingCommand {
    /// Tells each caller its answer; nil for an allocation that now waits.
    static func answer(_ batch: [PendingCommand], _ answers: [Result<CommandOutcome, NtmsError>?]) {
        for (pending, answer) in zip(batch, answers) { if let answer { pending.reply(answer) } }
    }
}
