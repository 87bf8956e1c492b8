import Testing

@testable import CatalogueEngine

@Suite struct SubmissionQueueStateMachineTests {
    typealias Machine = SubmissionQueueStateMachine

    func machine(_ tuning: WriterTuning = WriterTuning(commandsPerWakeWhileCommitting: 4)) -> Machine {
        Machine(tuning: tuning)
    }

    @Test func theFirstCommandIntoAnEmptyQueueWakesTheWriterAndTheRestRideWithIt() {
        var queue = machine()
        #expect(queue.submit(pendingCommand("a")) == .queueAndWakeWriter)
        #expect(queue.submit(pendingCommand("b")) == .queue)
        let batch = queue.takeBatch()
        #expect(batch.commands.names == ["a", "b"])
        #expect(!batch.wakeAgain && !batch.isLast)
        #expect(queue.submit(pendingCommand("c")) == .queueAndWakeWriter, "the queue is empty again")
    }

    @Test func whileAJobCommitsTheWriterIsWokenOncePerSoManyCommands() {
        var queue = machine()
        queue.jobStarted()
        let actions = (1...8).map { queue.submit(pendingCommand("\($0)")) }
        #expect(actions == [.queue, .queue, .queue, .queueAndWakeWriter, .queue, .queue, .queue, .queueAndWakeWriter])
    }

    @Test func aJobEndingWithCommandsQueuedWakesTheWriterForThem() {
        var queue = machine()
        queue.jobStarted()
        _ = queue.submit(pendingCommand("a"))
        #expect(queue.jobEnded(halted: false, chunksWaiting: false) == .wakeWriterForQueued)
        #expect(queue.state == .accepting(.idle(outpaced: true)))
        #expect(queue.callersOutpaceCommits)
    }

    @Test func aJobEndingWithNothingQueuedLeavesTheWriterAsleep() {
        var queue = machine()
        queue.jobStarted()
        #expect(queue.jobEnded(halted: false, chunksWaiting: false) == .none)
        #expect(!queue.callersOutpaceCommits)
        queue.jobStarted()
        #expect(queue.jobEnded(halted: false, chunksWaiting: true) == .none)
        #expect(queue.callersOutpaceCommits, "chunks waiting for the committer mean callers outpace it")
    }

    @Test func aHaltedJobWakesTheWriterToDecideAgainEvenWithNothingQueued() {
        var queue = machine()
        queue.jobStarted()
        #expect(queue.jobEnded(halted: true, chunksWaiting: false) == .wakeWriterToDecideAgain)
        queue.jobStarted()
        _ = queue.submit(pendingCommand("a"))
        #expect(queue.jobEnded(halted: true, chunksWaiting: false) == .wakeWriterToDecideAgain)
    }

    @Test func theWritersOwnJobTellsWhetherCallersOutpacedIt() {
        var queue = machine()
        queue.writerJobEnded()
        #expect(!queue.callersOutpaceCommits)
        _ = queue.submit(pendingCommand("a"))
        queue.writerJobEnded()
        #expect(queue.callersOutpaceCommits)
    }

    @Test func aBatchTakesAtMostTheBatchLimitAndWakesTheWriterForTheRest() {
        var queue = machine(WriterTuning(maximumBatch: 2, commandsPerChunk: 2))
        for name in ["a", "b", "c"] { _ = queue.submit(pendingCommand(name)) }
        let first = queue.takeBatch()
        #expect(first.commands.names == ["a", "b"] && first.wakeAgain)
        let second = queue.takeBatch()
        #expect(second.commands.names == ["c"] && !second.wakeAgain)
    }

    @Test func satisfiedWaitersSearchAgainBeforeEverythingQueued() {
        var queue = machine()
        _ = queue.submit(pendingCommand("queued"))
        #expect(queue.putFirst([]) == .none)
        #expect(queue.putFirst([pendingCommand("retry")]) == .wakeWriter)
        #expect(queue.takeBatch().commands.names == ["retry", "queued"])
    }

    @Test func stopQueuesTheLastCommandAndRefusesEverythingAfterIt() {
        var queue = machine()
        _ = queue.submit(pendingCommand("a"))
        #expect(queue.stop(last: pendingCommand("last")) == .wakeWriter)
        #expect(queue.stop(last: pendingCommand("again")) == .none)
        #expect(queue.submit(pendingCommand("late")) == .reject)
        let batch = queue.takeBatch()
        #expect(batch.commands.names == ["a", "last"])
        #expect(batch.isLast)
    }

    @Test func aStopDuringACommitFinishesTheQueueWhenTheJobEnds() {
        var queue = machine(WriterTuning(maximumBatch: 1, commandsPerChunk: 1))
        queue.jobStarted()
        _ = queue.submit(pendingCommand("a"))
        #expect(queue.stop(last: pendingCommand("last")) == .wakeWriter)
        #expect(queue.state == .stopping(.committing))
        #expect(queue.jobEnded(halted: false, chunksWaiting: false) == .wakeWriterForQueued)
        #expect(queue.state == .stopping(.idle(outpaced: true)))
        let first = queue.takeBatch()
        #expect(first.commands.names == ["a"] && first.wakeAgain && !first.isLast)
        let last = queue.takeBatch()
        #expect(last.commands.names == ["last"] && last.isLast)
    }
}
