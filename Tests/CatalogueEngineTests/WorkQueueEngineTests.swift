import CatalogueDomain
import CatalogueHardware
import Foundation
import MetricsTestKit
import Testing

@testable import CatalogueEngine

/// The library work queue end to end: every robot operation is an item, the
/// changer takes items in queue order, and mounts wait for a busy drive.
@Suite struct WorkQueueEngineTests {
    /// The newest work item of the fixture's library.
    private func latestItem(_ f: RobotFixture) -> LibraryRequest? {
        f.state.libraryRequests.values.filter { $0.library == f.library }.max { $0.id < $1.id }
    }

    private func item(_ f: RobotFixture, _ operation: LibraryOperation, medium: MediumID) -> LibraryRequest? {
        f.state.libraryRequests.values.filter { $0.operation == operation && $0.medium == medium }.max {
            $0.id < $1.id
        }
    }

    @Test func everyRobotOperationIsAWorkItemThatEndsPassedOrFailed() async throws {
        let f = try await RobotFixture.make(drives: 1)
        defer { f.close() }
        _ = try await f.session.mount(f.sides[0])
        let mount = try #require(latestItem(f))
        #expect(mount.operation == .mount && mount.state == .passed && mount.medium == f.media[0])
        #expect(mount.user == "tester" && mount.application == "test" && mount.started != nil && mount.finished != nil)
        await #expect(throws: NtmsError.self) { _ = try await f.session.mount(f.sides[1]) }
        let refused = try #require(latestItem(f))
        #expect(refused.state == .failed && refused.errorCode == UInt32(NtmsErrorCode.busy.rawValue))
        try await f.session.dismount(f.media[0])
        _ = try await f.session.inventory(f.library)
        #expect(latestItem(f)?.operation == .inventory)
        #expect(f.state.activeLibraryRequests.isEmpty)
        try f.expectConsistent()
    }

    @Test func aMountWaitsInTheQueueForABusyDriveAndRunsWhenOneIsFree() async throws {
        let metrics = TestMetrics()
        var options = CatalogueOptions()
        options.metricsFactory = metrics
        let f = try await RobotFixture.make(drives: 1, options: options)
        defer { f.close() }
        _ = try await f.session.mount(f.sides[0])
        let waiting = Task { try await f.session.mount(f.sides[1], timeout: .milliseconds(20_000)) }
        try await eventually { item(f, .mount, medium: f.media[1])?.state == .waiting }
        let parked = try #require(item(f, .mount, medium: f.media[1]))
        #expect(parked.state == .waiting && parked.message.contains("in use"))
        #expect(f.state.libraryQueue(f.library).map(\.id) == [parked.id])
        f.catalogue.updateMetrics()
        let waitingGauge = [("library", "Robot"), ("state", "WAITING")]
        #expect(try metrics.expectGauge("mediacatalogue_library_work_items", waitingGauge).lastValue == 1)
        try await f.session.dismount(f.media[0])
        let result = try await waiting.value
        #expect(result.drive.number == 0 && result.moved)
        #expect(item(f, .mount, medium: f.media[1])?.state == .passed)
        f.catalogue.updateMetrics()
        #expect(try metrics.expectGauge("mediacatalogue_library_work_items", waitingGauge).lastValue == 0)
        try f.expectConsistent()
    }

    @Test func aMountThatWaitsLongerThanItsTimeoutFailsWithTimeout() async throws {
        let f = try await RobotFixture.make(drives: 1)
        defer { f.close() }
        _ = try await f.session.mount(f.sides[0])
        do {
            _ = try await f.session.mount(f.sides[1], timeout: .milliseconds(300))
            Issue.record("the only drive stayed busy")
        } catch {
            #expect(error.code == .timeout)
        }
        let failed = try #require(item(f, .mount, medium: f.media[1]))
        #expect(failed.state == .failed && failed.errorCode == UInt32(NtmsErrorCode.timeout.rawValue))
        #expect(f.state.libraryQueue(f.library).isEmpty)
    }

    @Test func cancellingAWaitingMountAnswersItsCallerWithCancelled() async throws {
        let f = try await RobotFixture.make(drives: 1)
        defer { f.close() }
        _ = try await f.session.mount(f.sides[0])
        let waiting = Task { try await f.session.mount(f.sides[1], timeout: .infinite) }
        try await eventually { item(f, .mount, medium: f.media[1])?.state == .waiting }
        let parked = try #require(item(f, .mount, medium: f.media[1]))
        try await f.session.cancelLibraryRequest(parked.id)
        do {
            _ = try await waiting.value
            Issue.record("a cancelled mount succeeded")
        } catch let error as NtmsError {
            #expect(error.code == .cancelled)
        }
        #expect(item(f, .mount, medium: f.media[1])?.state == .cancelled)
        #expect(f.medium(1).location == .slot(f.library, 2))
        await #expect(throws: NtmsError.self) { try await f.session.cancelLibraryRequest(parked.id) }
    }

    @Test func theChangerTakesWaitingItemsInQueueOrderAsReordered() async throws {
        let f = try await RobotFixture.make(drives: 3)
        defer { f.close() }
        // The test holds the changer's turn, so both mounts queue behind it whatever the machine's speed.
        let changer = try f.catalogue.changers.entry(for: f.state.libraries[f.library]!, in: f.state).changer
        let (gate, open) = AsyncStream<Void>.makeStream()
        let holder = Task { await changer.exclusive { _ in for await _ in gate {} } }
        for _ in 0..<5_000 where await changer.arrivedCommands < 1 { try await Task.sleep(for: .milliseconds(1)) }
        let early = Task { try await f.session.mount(f.sides[1]) }
        try await eventually { item(f, .mount, medium: f.media[1])?.state == .queued }
        let late = Task { try await f.session.mount(f.sides[2]) }
        for _ in 0..<10_000 where await changer.waitingCommands < 2 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(await changer.waitingCommands == 2)
        let overtaking = try #require(item(f, .mount, medium: f.media[2]))
        try await f.session.reorderLibraryRequest(overtaking.id, to: .first)
        #expect(f.state.libraryQueue(f.library).first?.id == overtaking.id)
        open.finish()
        await holder.value
        for task in [early, late] { _ = try await task.value }
        let started = try f.catalogue.events(from: 1, through: f.catalogue.snapshot.head.sequence).compactMap {
            if case .libraryRequestStarted(let e) = $0.event { f.state.libraryRequests[e.request]?.medium } else { nil }
        }
        #expect(started.suffix(2) == [f.media[2], f.media[1]], "the reordered mount went first")
        try f.expectConsistent()
    }

    @Test func anItemOfAnotherLiveProcessAheadInTheQueueGoesFirst() async throws {
        let f = try await RobotFixture.make(drives: 1)
        defer { f.close() }
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/bin/sleep")
        other.arguments = ["60"]
        try other.run()
        defer { other.terminate() }
        let token = try #require(Self.token(of: UInt32(other.processIdentifier)))
        let spec = LibraryRequestSpec(library: f.library, operation: .inventory, priority: 15, owner: token)
        guard case .libraryRequest(let foreign) = try await f.session.execute(.queueLibraryRequest(spec)) else {
            Issue.record("nothing queued")
            return
        }
        let mount = Task { try await f.session.mount(f.sides[0]) }
        try await Task.sleep(for: .milliseconds(1500))
        #expect(item(f, .mount, medium: f.media[0])?.state == .queued, "it gave the robot up for the other item")
        #expect(f.medium(0).location == .slot(f.library, 1))
        try await f.session.cancelLibraryRequest(foreign)
        #expect(try await mount.value.drive.number == 0)
        try f.expectConsistent()
    }

    @Test func itemsOfAProcessThatEndedAreClosedOnOpenAndBeforeTheRobotMoves() async throws {
        let f = try await RobotFixture.make(drives: 1)
        let gone = WaiterToken(
            bootID: ProcessIdentity.bootID, processID: 999_999, processStart: 1, session: 1)
        let spec = LibraryRequestSpec(library: f.library, operation: .eject, medium: f.media[3], owner: gone)
        guard case .libraryRequest(let orphan) = try await f.session.execute(.queueLibraryRequest(spec)) else {
            Issue.record("nothing queued")
            return
        }
        _ = try await f.session.mount(f.sides[0])
        let closed = try #require(f.state.libraryRequests[orphan])
        #expect(closed.state == .cancelled && closed.message.contains("ended"))

        guard case .libraryRequest(let second) = try await f.session.execute(.queueLibraryRequest(spec)) else {
            Issue.record("nothing queued")
            return
        }
        f.catalogue.close()
        let reopened = try await Catalogue.open(at: f.store.path)
        defer {
            reopened.close()
            f.store.remove()
        }
        #expect(reopened.snapshot.state.libraryRequests[second]?.state == .cancelled)
        #expect(reopened.snapshot.state.invariantViolations() == [])
    }

    /// A token for a live process: its pid and start time, as the engine records its own.
    static func token(of pid: UInt32) -> WaiterToken? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let start = UInt64(fields[19]) else { return nil }
        return WaiterToken(bootID: ProcessIdentity.bootID, processID: pid, processStart: start, session: 1)
    }
}

extension WorkQueueEngineTests {
    @Test func closingTheSessionCancelsAMountWaitingOnIt() async throws {
        let f = try await RobotFixture.make(drives: 1)
        defer { f.close() }
        _ = try await f.session.mount(f.sides[0])
        let caller = try f.catalogue.session(application: "appliance", user: "tester")
        let waiting = Task { try await caller.mount(f.sides[1], timeout: .infinite) }
        try await eventually { f.state.libraryRequests.values.contains { $0.state == .waiting } }
        caller.close()
        do {
            _ = try await waiting.value
            Issue.record("a mount outlived its session")
        } catch let error as NtmsError {
            #expect(error.code == .cancelled)
        }
        let item = try #require(f.state.libraryRequests.values.first { $0.medium == f.media[1] })
        #expect(item.state == .cancelled && item.application == "appliance")
        #expect(f.state.activeLibraryRequests.isEmpty)
    }
}

extension WorkQueueEngineTests {
    @Test func cancellingTheCallersTaskEndsItsWaitingMount() async throws {
        let f = try await RobotFixture.make(drives: 1)
        defer { f.close() }
        _ = try await f.session.mount(f.sides[0])
        let waiting = Task { try await f.session.mount(f.sides[1], timeout: .infinite) }
        try await eventually { f.state.libraryRequests.values.contains { $0.state == .waiting } }
        waiting.cancel()
        do {
            _ = try await waiting.value
            Issue.record("a cancelled task's mount succeeded")
        } catch let error as NtmsError {
            #expect(error.code == .cancelled)
        }
        let item = try #require(f.state.libraryRequests.values.first { $0.medium == f.media[1] })
        #expect(item.state == .cancelled)
        #expect(f.state.activeLibraryRequests.isEmpty)
    }
}
