import CatalogueDomain
import Testing

/// The library work queue: where items enter, how they move, and how they end.
@Suite struct LibraryRequestTests {
    private let owner = WaiterToken(bootID: "boot", processID: 7, processStart: 1, session: 1)

    private func queue(_ f: inout RobotLibrary, _ operation: LibraryOperation, priority: Int = 0) throws
        -> LibraryRequestID
    {
        let spec = LibraryRequestSpec(library: f.robot, operation: operation, priority: priority, owner: owner)
        guard case .libraryRequest(let id) = try f.h.run(.queueLibraryRequest(spec)) else {
            throw NtmsError(.invalidHandle, "nothing queued")
        }
        return id
    }

    private func order(_ f: RobotLibrary) -> [LibraryRequestID] { f.h.state.libraryQueue(f.robot).map(\.id) }

    @Test func itemsQueueByPriorityThenArrival() throws {
        var f = try RobotLibrary()
        let first = try queue(&f, .inventory)
        let low = try queue(&f, .eject, priority: LibraryRequestPriority.lowest)
        let urgent = try queue(&f, .mount, priority: LibraryRequestPriority.highest)
        let second = try queue(&f, .dismount)
        #expect(order(f) == [urgent, first, second, low])
        #expect(f.h.state.libraryRequests[urgent]?.state == .queued)
        #expect(
            f.h.expectFailure(
                .queueLibraryRequest(
                    LibraryRequestSpec(library: f.robot, operation: .mount, priority: 16, owner: owner)),
                .invalidParameter))
        #expect(f.h.state.invariantViolations() == [])
    }

    @Test func aStepTakesTheItemUpOnceAndARefusedStepRecordsNothing() throws {
        var f = try RobotLibrary()
        let allocation = try f.allocatedMedium("A00001", slot: 1)
        let item = try queue(&f, .mount)
        // A step whose command is refused leaves the item queued.
        #expect(f.h.expectFailure(.libraryRequestStep(item, .beginMount(allocation.side, drive: 9)), .invalidDrive))
        #expect(f.h.state.libraryRequests[item]?.state == .queued)
        guard
            case .operation(let mount) = try f.h.run(
                .libraryRequestStep(item, .beginMount(allocation.side, drive: nil)))
        else {
            Issue.record("no mount")
            return
        }
        #expect(f.h.state.libraryRequests[item]?.state == .inProcess)
        #expect(order(f).isEmpty, "an item on the robot has left the queue")
        let before = f.h.log.count
        try f.h.run(.libraryRequestStep(item, .finishOperation(mount, .succeeded)))
        #expect(!f.h.log[before...].contains { $0.isLibraryRequestEvent }, "a later step starts nothing")
        try f.h.run(.finishLibraryRequest(item, .passed))
        #expect(f.h.state.libraryRequests[item]?.state == .passed)
        #expect(!f.h.state.activeLibraryRequests.contains(item))
        #expect(f.h.expectFailure(.finishLibraryRequest(item, .passed), .invalidState))
        #expect(
            f.h.expectFailure(
                .libraryRequestStep(item, .requestCleaning(DriveAddress(library: f.robot, number: 0))), .invalidState))
        #expect(f.h.state.invariantViolations() == [])
    }

    @Test func aWaitingMountReturnsToItsPlaceInTheQueue() throws {
        var f = try RobotLibrary()
        let mount = try queue(&f, .mount, priority: 7)
        try f.h.run(.libraryRequestStep(mount, .requestCleaning(DriveAddress(library: f.robot, number: 0))))
        let later = try queue(&f, .inventory)
        try f.h.run(.waitLibraryRequest(mount, reason: "every drive is busy"))
        #expect(f.h.state.libraryRequests[mount]?.state == .waiting)
        #expect(f.h.state.libraryRequests[mount]?.message == "every drive is busy")
        #expect(order(f) == [mount, later], "its priority puts it back ahead of later normal work")
        #expect(f.h.state.invariantViolations() == [])
    }

    @Test func onlyPendingItemsAreCancelledOrReordered() throws {
        var f = try RobotLibrary()
        let a = try queue(&f, .inventory)
        let b = try queue(&f, .dismount)
        let c = try queue(&f, .eject)
        try f.h.run(.reorderLibraryRequest(c, .first))
        #expect(order(f) == [c, a, b])
        try f.h.run(.reorderLibraryRequest(a, .before(c)))
        #expect(order(f) == [a, c, b])
        #expect(f.h.expectFailure(.reorderLibraryRequest(a, .before(a)), .invalidParameter))
        #expect(f.h.expectFailure(.reorderLibraryRequest(LibraryRequestID(9999), .first), .objectNotFound))
        try f.h.run(.cancelLibraryRequest(c))
        #expect(f.h.state.libraryRequests[c]?.state == .cancelled)
        #expect(f.h.state.libraryRequests[c]?.errorCode == UInt32(NtmsErrorCode.cancelled.rawValue))
        #expect(f.h.expectFailure(.cancelLibraryRequest(c), .invalidState))
        #expect(
            f.h.expectFailure(
                .libraryRequestStep(c, .requestCleaning(DriveAddress(library: f.robot, number: 0))), .cancelled))
        try f.h.run(.libraryRequestStep(a, .requestCleaning(DriveAddress(library: f.robot, number: 0))))
        #expect(f.h.expectFailure(.cancelLibraryRequest(a), .invalidState), "the changer has started it")
        #expect(f.h.expectFailure(.reorderLibraryRequest(a, .first), .invalidState))
        #expect(order(f) == [b])
        #expect(f.h.state.invariantViolations() == [])
    }

    @Test func itemsOfAnEndedProcessAreClosedAndOnlyTheLastFinishedAreKept() throws {
        var f = try RobotLibrary()
        let running = try queue(&f, .mount)
        try f.h.run(.libraryRequestStep(running, .requestCleaning(DriveAddress(library: f.robot, number: 0))))
        let pending = try queue(&f, .inventory)
        try f.h.run(.abandonLibraryRequests([running, pending]))
        #expect(f.h.state.libraryRequests[running]?.state == .failed)
        #expect(f.h.state.libraryRequests[pending]?.state == .cancelled)
        #expect(f.h.state.activeLibraryRequests.isEmpty && order(f).isEmpty)
        for _ in 0..<LibraryRequest.retainedPerLibrary {
            try f.h.run(.finishLibraryRequest(try queue(&f, .inventory), .passed))
        }
        #expect(f.h.state.libraryRequests[running] == nil, "the oldest finished items are dropped")
        #expect(f.h.state.libraryRequests(of: f.robot, finished: true).count == LibraryRequest.retainedPerLibrary)
        // A checkpoint keeps the queue exactly.
        let pendingAgain = try queue(&f, .eject)
        let restored = try CatalogueState(checkpointPayload: f.h.state.checkpointPayload())
        #expect(restored.libraryQueue(f.robot).map(\.id) == [pendingAgain])
        #expect(restored.libraryRequests == f.h.state.libraryRequests)
        #expect(restored.invariantViolations() == [])
    }
}
