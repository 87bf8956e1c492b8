import Testing

@testable import CatalogueEngine

@Suite struct AnswererStateMachineTests {
    func job(_ name: String) -> AnswererStateMachine.Job { AnswererStateMachine.Job(chunks: [chunk(name)]) }

    func answered(_ action: AnswererStateMachine.NextAction) -> [String]? {
        guard case .answer(let jobs) = action else { return nil }
        return jobs.flatMap(\.chunks).flatMap(\.batch).names
    }

    @Test func jobsQueuedWhileTheAnswererWorksAreAnsweredTogetherInOrder() {
        var machine = AnswererStateMachine()
        #expect(machine.enqueue(job("a")) == .none)
        #expect(machine.enqueue(job("b")) == .none)
        #expect(answered(machine.next()) == ["a", "b"])
    }

    @Test func anAnswererWithNothingToAnswerSleepsAndTheNextJobWakesIt() {
        var machine = AnswererStateMachine()
        guard case .sleep = machine.next() else { Issue.record("did not sleep"); return }
        #expect(machine.state == .asleep)
        #expect(machine.enqueue(job("a")) == .wakeAnswerer)
        #expect(machine.state == .working)
        #expect(answered(machine.next()) == ["a"])
    }

    @Test func stopAnswersEverythingQueuedBeforeTheAnswererExits() {
        var machine = AnswererStateMachine()
        _ = machine.enqueue(job("a"))
        #expect(machine.stop() == .none)
        #expect(answered(machine.next()) == ["a"])
        guard case .exit = machine.next() else { Issue.record("did not exit"); return }
        #expect(machine.state == .stopped)
        #expect(machine.stop() == .none)
    }

    @Test func stoppingASleepingAnswererWakesIt() {
        var machine = AnswererStateMachine()
        _ = machine.next()
        #expect(machine.stop() == .wakeAnswerer)
        guard case .exit = machine.next() else { Issue.record("did not exit"); return }
    }
}

@Suite struct DeadlineTimerStateMachineTests {
    @Test func onlyTheLatestDeadlineFires() {
        var timer = DeadlineTimerStateMachine()
        #expect(timer.schedule(at: 100) == .arm(deadline: 100, generation: 1))
        #expect(timer.schedule(at: 100) == .none, "the same deadline is not armed twice")
        #expect(timer.schedule(at: 50) == .arm(deadline: 50, generation: 2))
        #expect(timer.fired(generation: 1) == .ignore)
        #expect(timer.fired(generation: 2) == .fire)
        #expect(timer.state == .unset(generation: 2))
        #expect(timer.fired(generation: 2) == .ignore, "a deadline fires once")
    }

    @Test func clearingTheDeadlineDisarmsTheTimer() {
        var timer = DeadlineTimerStateMachine()
        _ = timer.schedule(at: 100)
        #expect(timer.schedule(at: nil) == .none)
        #expect(timer.fired(generation: 1) == .ignore)
        #expect(timer.schedule(at: nil) == .none)
        #expect(timer.schedule(at: 100) == .arm(deadline: 100, generation: 3))
    }

    @Test func aCancelledTimerNeitherArmsNorFires() {
        var timer = DeadlineTimerStateMachine()
        _ = timer.schedule(at: 100)
        timer.cancel()
        #expect(timer.fired(generation: 1) == .ignore)
        #expect(timer.schedule(at: 200) == .none)
    }
}

@Suite struct WritePathTests {
    let tuning = WriterTuning(smallestHandedOffBatch: 4)

    func batch(_ count: Int) -> [PendingCommand] {
        (0..<count).map { _ in
            PendingCommand(work: .command(.createCatalogue(), idempotency: nil), application: "a", user: "u") { _ in }
        }
    }

    func path(_ batch: [PendingCommand], waiters: Bool = false, idle: Bool = true, outpaced: Bool = false)
        -> CommandWriter.WritePath
    {
        CommandWriter.path(
            for: batch, tuning: tuning, waitersParked: waiters, pipelineIdle: idle, callersOutpaceCommits: outpaced)
    }

    @Test func aSmallBatchOnAnIdlePipelineIsWrittenByTheWriterItself() {
        #expect(path(batch(3)) == .ownTransaction)
    }

    @Test func aSmallBatchGoesToTheCommitterWhileItWorksOrCallersOutpaceIt() {
        #expect(path(batch(3), idle: false) == .offerInChunks)
        #expect(path(batch(3), outpaced: true) == .offerInChunks)
    }

    @Test func aBatchOfTheHandOverSizeGoesToTheCommitter() {
        #expect(path(batch(4)) == .offerInChunks)
    }

    @Test func anythingTouchingWaitingAllocationsWaitsForThePipelineToDrain() {
        #expect(path(batch(40), waiters: true) == .drainThenOwnTransaction)
        #expect(path(batch(40) + [pendingCommand("refresh")]) == .drainThenOwnTransaction)
    }
}
