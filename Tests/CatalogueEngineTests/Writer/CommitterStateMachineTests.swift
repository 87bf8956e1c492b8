import CatalogueDomain
import Testing

@testable import CatalogueEngine

/// A command nobody waits for, told apart by its application.
func pendingCommand(_ name: String) -> PendingCommand {
    PendingCommand(work: .refresh, application: name, user: "tester") { _ in }
}

/// A chunk of `names.count` commands, decided on the empty state.
func chunk(_ names: String...) -> Chunk {
    Chunk(batch: names.map(pendingCommand), decided: DecidedBatch(state: CatalogueState(), sequence: 0))
}

extension Array where Element == PendingCommand {
    var names: [String] { map(\.application) }
}

extension CommitterStateMachine.LookAction {
    var committed: [String]? {
        if case .commit(let chunks) = self { chunks.flatMap(\.batch).names } else { nil }
    }
    var sleeps: Bool { if case .sleep = self { true } else { false } }
    var exits: Bool { if case .exit = self { true } else { false } }
}

/// Each state of the committer, reached through inputs only.
enum CommitterSetup: CaseIterable, CustomTestStringConvertible {
    case looking, asleep, expectingChunk, committing, committingWithWriterWaiting, halted, haltedAsleep, stopping,
        stopped

    var testDescription: String { "\(self)" }

    func machine(tuning: WriterTuning = WriterTuning()) -> CommitterStateMachine {
        var machine = CommitterStateMachine(tuning: tuning)
        switch self {
        case .looking: break
        case .asleep: _ = machine.look()
        case .expectingChunk: _ = machine.expectChunk()
        case .committing, .committingWithWriterWaiting, .halted, .haltedAsleep:
            _ = machine.offer(chunk("job"))
            _ = machine.look()
            if self == .committingWithWriterWaiting { _ = machine.waitUntilIdle() }
            if self == .halted || self == .haltedAsleep { _ = machine.jobEnded(redo: [pendingCommand("redo")]) }
            if self == .haltedAsleep { _ = machine.look() }
        case .stopping: _ = machine.stop()
        case .stopped:
            _ = machine.stop()
            _ = machine.look()
        }
        return machine
    }

    var expectedState: CommitterStateMachine.State {
        switch self {
        case .looking: .looking(writerWaits: false)
        case .asleep: .asleep
        case .expectingChunk: .expectingChunk
        case .committing: .committing(writerWaits: false)
        case .committingWithWriterWaiting: .committing(writerWaits: true)
        case .halted: .halted(redo: [pendingCommand("redo")], asleep: false)
        case .haltedAsleep: .halted(redo: [pendingCommand("redo")], asleep: true)
        case .stopping: .stopping(asleep: false)
        case .stopped: .stopped
        }
    }
}

@Suite struct CommitterStateMachineTests {
    @Test(arguments: CommitterSetup.allCases)
    func everyStateIsReachedThroughInputsAlone(_ setup: CommitterSetup) {
        #expect(setup.machine().state == setup.expectedState)
    }

    // MARK: offer

    @Test func aChunkOfferedToALookingCommitterIsTakenWithoutAWakeUp() {
        var machine = CommitterSetup.looking.machine()
        guard case .queued = machine.offer(chunk("a")) else { Issue.record("not queued"); return }
        #expect(machine.look().committed == ["a"])
        #expect(machine.state == .committing(writerWaits: false))
    }

    @Test(arguments: [CommitterSetup.asleep, .expectingChunk])
    func aChunkOfferedToASleepingCommitterWakesIt(_ setup: CommitterSetup) {
        var machine = setup.machine()
        guard case .queuedAndWakeCommitter = machine.offer(chunk("a")) else { Issue.record("no wake-up"); return }
        #expect(machine.state == .looking(writerWaits: false))
        #expect(machine.look().committed == ["a"])
    }

    @Test(arguments: [CommitterSetup.committing, .committingWithWriterWaiting])
    func aChunkOfferedDuringAJobWaitsForTheNextJob(_ setup: CommitterSetup) {
        var machine = setup.machine()
        guard case .queuedBehindJob = machine.offer(chunk("b")) else { Issue.record("not behind the job"); return }
        #expect(machine.state == setup.expectedState)
        let ended: CommitterStateMachine.JobEndedAction =
            setup == .committing
            ? .lookAgain(chunksWaiting: true) : .wakeWriterAndLookAgain(chunksWaiting: true)
        #expect(machine.jobEnded(redo: nil) == ended)
        #expect(machine.look().committed == ["b"])
    }

    @Test(arguments: [CommitterSetup.halted, .haltedAsleep])
    func aChunkOfferedToAHaltedCommitterComesBackToBeDecidedAgainAfterTheHaltedCommands(_ setup: CommitterSetup) {
        var machine = setup.machine()
        guard case .decideAgain(let redo) = machine.offer(chunk("b", "c")) else {
            Issue.record("not handed back")
            return
        }
        #expect(redo.names == ["redo", "b", "c"])
        #expect(machine.chunks.isEmpty)
        #expect(machine.state == (setup == .haltedAsleep ? .asleep : .looking(writerWaits: false)))
    }

    @Test func aJobTakesEveryChunkOfferedUpToTheBatchLimitAndAtLeastOne() {
        var machine = CommitterSetup.looking.machine(tuning: WriterTuning(maximumBatch: 3, commandsPerChunk: 3))
        _ = machine.offer(chunk("a", "b"))
        _ = machine.offer(chunk("c"))
        _ = machine.offer(chunk("d", "e", "f"))
        _ = machine.offer(chunk("g"))
        #expect(machine.look().committed == ["a", "b", "c"])
        _ = machine.jobEnded(redo: nil)
        #expect(machine.look().committed == ["d", "e", "f"])
        _ = machine.jobEnded(redo: nil)
        #expect(machine.look().committed == ["g"])
    }

    // MARK: look

    @Test func aCommitterWithNothingOfferedSleeps() {
        var machine = CommitterSetup.looking.machine()
        #expect(machine.look().sleeps)
        #expect(machine.state == .asleep)
    }

    @Test(arguments: [CommitterSetup.asleep, .expectingChunk])
    func aSpuriousWakeUpWithNothingOfferedSleepsAgain(_ setup: CommitterSetup) {
        var machine = setup.machine()
        #expect(machine.look().sleeps)
        #expect(machine.state == setup.expectedState)
    }

    @Test func aHaltedCommitterSleepsUntilTheWriterTakesItsCommandsBack() {
        var machine = CommitterSetup.halted.machine()
        #expect(machine.look().sleeps)
        #expect(machine.state == CommitterSetup.haltedAsleep.expectedState)
        #expect(machine.takeHalted()?.names == ["redo"])
        #expect(machine.state == .asleep)
        #expect(machine.takeHalted() == nil)
    }

    @Test(arguments: [CommitterSetup.stopping, .stopped])
    func aStoppedCommitterExitsWhenItLooks(_ setup: CommitterSetup) {
        var machine = setup.machine()
        #expect(machine.look().exits)
        #expect(machine.state == .stopped)
    }

    // MARK: jobEnded

    @Test func aJobTheWriterWaitedForWakesItWhenItEnds() {
        var machine = CommitterSetup.committingWithWriterWaiting.machine()
        #expect(machine.jobEnded(redo: nil) == .wakeWriterAndLookAgain(chunksWaiting: false))
        #expect(machine.state == .looking(writerWaits: false))
        #expect(machine.isIdle)
    }

    @Test func aJobNobodyWaitedForEndsWithoutWakingTheWriter() {
        var machine = CommitterSetup.committing.machine()
        #expect(machine.jobEnded(redo: nil) == .lookAgain(chunksWaiting: false))
        #expect(machine.isIdle)
    }

    @Test func aFailedJobHaltsWithNothingToDecideAgainAndTheWriterForgetsWhatItDecidedAhead() {
        var machine = CommitterSetup.committingWithWriterWaiting.machine()
        _ = machine.offer(chunk("b"))
        #expect(machine.jobEnded(redo: []) == .wakeWriterAndLookAgain(chunksWaiting: true))
        #expect(!machine.isIdle)
        #expect(machine.look().sleeps, "a halted committer writes nothing more")
        guard case .decideAgain(let redo) = machine.waitUntilIdle() else {
            Issue.record("the writer is not told to decide again")
            return
        }
        #expect(redo.names == ["b"], "the failed job's callers were answered; the chunk after it is decided again")
        #expect(machine.state == .asleep)
        #expect(machine.isIdle)
    }

    @Test func aJobThatMetAMovedLogHandsItsCommandsBackFirst() {
        var machine = CommitterSetup.committing.machine()
        _ = machine.offer(chunk("b"))
        _ = machine.jobEnded(redo: [pendingCommand("job")])
        #expect(machine.takeHalted()?.names == ["job", "b"])
        #expect(machine.state == .looking(writerWaits: false))
    }

    // MARK: expectChunk

    @Test func aCommitterExpectingAChunkSleepsBrieflyAndLooksAgainWhenTheMomentPasses() {
        var machine = CommitterSetup.committing.machine()
        _ = machine.jobEnded(redo: nil)
        #expect(machine.expectChunk() == .sleepBriefly)
        #expect(machine.state == .expectingChunk)
        machine.expectationEnded()
        #expect(machine.state == .looking(writerWaits: false))
    }

    @Test(arguments: [CommitterSetup.halted, .stopping])
    func aCommitterThatMustNotCommitDoesNotExpectAChunk(_ setup: CommitterSetup) {
        var machine = setup.machine()
        #expect(machine.expectChunk() == .lookNow)
        #expect(machine.state == setup.expectedState)
    }

    @Test func aChunkAlreadyOfferedIsTakenWithoutSleeping() {
        var machine = CommitterSetup.looking.machine()
        _ = machine.offer(chunk("a"))
        #expect(machine.expectChunk() == .lookNow)
    }

    @Test func aStopDuringTheBriefSleepEndsTheCommitter() {
        var machine = CommitterSetup.expectingChunk.machine()
        #expect(machine.stop() == .wakeCommitter)
        machine.expectationEnded()
        #expect(machine.look().exits)
    }

    // MARK: waitUntilIdle

    @Test(arguments: [CommitterSetup.looking, .asleep, .expectingChunk, .stopping, .stopped])
    func aWriterWithNothingOfferedIsIdleAtOnce(_ setup: CommitterSetup) {
        var machine = setup.machine()
        guard case .idle = machine.waitUntilIdle() else { Issue.record("not idle"); return }
        #expect(machine.state == setup.expectedState)
    }

    @Test func aWriterWaitsForAJobInProgressAndForChunksNotYetTaken() {
        var machine = CommitterSetup.committing.machine()
        guard case .waitForJob = machine.waitUntilIdle() else { Issue.record("did not wait"); return }
        #expect(machine.state == .committing(writerWaits: true))

        var looking = CommitterSetup.looking.machine()
        _ = looking.offer(chunk("a"))
        guard case .waitForJob = looking.waitUntilIdle() else { Issue.record("did not wait"); return }
        #expect(looking.look().committed == ["a"])
        #expect(looking.state == .committing(writerWaits: true), "the job it waits for carries the wait")
    }

    // MARK: stop

    @Test(arguments: [CommitterSetup.asleep, .expectingChunk])
    func stoppingASleepingCommitterWakesIt(_ setup: CommitterSetup) {
        var machine = setup.machine()
        #expect(machine.stop() == .wakeCommitter)
        #expect(machine.state == .stopping(asleep: true))
    }

    @Test(arguments: [CommitterSetup.looking, .stopping, .stopped])
    func stoppingARunningOrStoppedCommitterNeedsNoWakeUp(_ setup: CommitterSetup) {
        var machine = setup.machine()
        #expect(machine.stop() == .none)
        #expect(machine.look().exits)
    }
}

/// Inputs a state cannot meet are programming errors: the machine traps
/// rather than guess, so a broken caller is caught at once.
@Suite struct CommitterStateMachineMisuseTests {
    @Test func stoppingTheCommitterDuringAJobTraps() async {
        await #expect(processExitsWith: .failure) {
            var machine = CommitterSetup.committing.machine()
            _ = machine.stop()
        }
    }

    @Test func endingAJobThatNeverStartedTraps() async {
        await #expect(processExitsWith: .failure) {
            var machine = CommitterSetup.looking.machine()
            _ = machine.jobEnded(redo: nil)
        }
    }

    @Test func offeringAChunkToAStoppedCommitterTraps() async {
        await #expect(processExitsWith: .failure) {
            var machine = CommitterSetup.stopped.machine()
            _ = machine.offer(chunk("late"))
        }
    }
}
