import CatalogueDomain
import Foundation
import Testing

@testable import CatalogueEngine

/// A clock the test moves by hand, in nanoseconds since 1970.
final class ManualClock: Sendable {
    private let nanoseconds = Locked<Int64>(1_800_000_000_000_000_000)
    var now: Int64 { nanoseconds.withLock { $0 } }
    func advance(milliseconds: Int64) { nanoseconds.withLock { $0 += milliseconds * 1_000_000 } }
}

/// Collects the request ids a waiting allocation reports.
final class WaitLog: Sendable {
    private let ids = Locked<[OperatorRequestID]>([])
    var all: [OperatorRequestID] { ids.withLock { $0 } }
    func record(_ id: OperatorRequestID) { ids.withLock { $0.append(id) } }

    /// Waits (polling the log, never the clock of the test) until `count` requests were reported.
    func wait(for count: Int) async throws -> [OperatorRequestID] {
        for _ in 0..<2_000 {
            if all.count >= count { return all }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("no waiting request was reported")
        return all
    }
}

/// A catalogue with an empty pool drawing from scratch, one type, one robot.
struct WaitingFixture {
    let store = TestStore()
    let clock = ManualClock()
    let catalogue: Catalogue
    let session: Session
    let operatorSession: Session
    let seeded: Seeded

    init(_ label: String = #function) async throws {
        let clock = self.clock
        catalogue = try await store.open(options: CatalogueOptions(clock: { clock.now }))
        session = try catalogue.session(application: "appliance", user: "svc")
        operatorSession = try catalogue.session(application: "console", user: "operator")
        seeded = try await Seeded.make(session, media: 0, sides: 1)
    }

    func addMedium(_ barcode: String, slot: UInt32) async throws {
        try await operatorSession.registerMedium(
            barcode: barcode, mediaType: seeded.type, location: .slot(seeded.robot, slot))
    }

    func close() {
        catalogue.close()
        store.remove()
    }
}

@Suite struct WaitingAllocationTests {
    @Test func theDeadlinePassingFirstTimesTheRequestOutAndAnswersTimeout() async throws {
        let f = try await WaitingFixture()
        defer { f.close() }
        let log = WaitLog()
        let attempt = Task {
            try await f.session.allocate(
                AllocationRequest(pool: f.seeded.pool), timeout: .milliseconds(60_000), onWait: log.record)
        }
        let request = try #require(try await log.wait(for: 1).first)
        f.clock.advance(milliseconds: 60_001)
        try await f.catalogue.checkDeadlines()
        do {
            _ = try await attempt.value
            Issue.record("allocated without media")
        } catch let error as NtmsError {
            #expect(error.code == .timeout)
        }
        let closed = try #require(f.catalogue.snapshot.state.requests[request])
        #expect(closed.state == .refused)
        #expect(closed.closeReason == .timedOut)
        #expect(closed.type == .newMedia)
        #expect(closed.firstArgument == f.seeded.pool.rawValue)
    }

    @Test func anOperatorCancellingTheRequestAnswersCancelled() async throws {
        let f = try await WaitingFixture()
        defer { f.close() }
        let log = WaitLog()
        let attempt = Task {
            try await f.session.allocate(AllocationRequest(pool: f.seeded.pool), timeout: .infinite, onWait: log.record)
        }
        let request = try #require(try await log.wait(for: 1).first)
        try await f.operatorSession.cancelRequest(request)
        await #expect(throws: NtmsError.self) { _ = try await attempt.value }
        #expect(f.catalogue.snapshot.state.requests[request]?.closeReason == .cancelledByOperator)
    }

    @Test func satisfyingWithNothingNewRaisesAFreshRequestThenMediaEndTheWait() async throws {
        let f = try await WaitingFixture()
        defer { f.close() }
        let log = WaitLog()
        let attempt = Task {
            try await f.session.allocate(
                AllocationRequest(pool: f.seeded.pool), timeout: .milliseconds(600_000), onWait: log.record)
        }
        let first = try #require(try await log.wait(for: 1).first)
        try await f.operatorSession.satisfyRequest(first)
        let second = try #require(try await log.wait(for: 2).last)
        #expect(second != first)
        let raised = try #require(f.catalogue.snapshot.state.requests[second])
        // The fresh request keeps the original deadline: the time that is left.
        #expect(raised.deadline == f.catalogue.snapshot.state.requests[first]?.deadline)
        try await f.addMedium("L00001", slot: 1)
        let allocation = try await attempt.value
        #expect(f.catalogue.snapshot.state.media[allocation.medium]?.barcode == "L00001")
        #expect(f.catalogue.snapshot.state.requests[first]?.closeReason == .satisfiedByOperator)
        #expect(f.catalogue.snapshot.state.requests[second]?.closeReason == .satisfiedByEngine)
    }

    @Test func mediaArrivingServeTheOldestWaiterOfThePoolFirst() async throws {
        let f = try await WaitingFixture()
        defer { f.close() }
        let older = WaitLog()
        let younger = WaitLog()
        let first = Task {
            try await f.session.allocate(
                AllocationRequest(pool: f.seeded.pool), timeout: .infinite, onWait: older.record)
        }
        _ = try await older.wait(for: 1)
        let second = Task {
            try await f.session.allocate(
                AllocationRequest(pool: f.seeded.pool), timeout: .infinite, onWait: younger.record)
        }
        let youngerRequest = try #require(try await younger.wait(for: 1).first)
        try await f.addMedium("L00001", slot: 1)
        let served = try await first.value
        #expect(f.catalogue.snapshot.state.media[served.medium]?.barcode == "L00001")
        #expect(f.catalogue.snapshot.state.requests[youngerRequest]?.state.isOpen == true)
        try await f.addMedium("L00002", slot: 2)
        let next = try await second.value
        #expect(f.catalogue.snapshot.state.media[next.medium]?.barcode == "L00002")
    }

    @Test func thousandsOfWaitersAreServedAsMediaArrive() async throws {
        let f = try await WaitingFixture()
        defer { f.close() }
        let count = 1_500
        let log = WaitLog()
        let allocations = try await withThrowingTaskGroup(of: Allocation.self) { group in
            for _ in 0..<count {
                group.addTask {
                    try await f.session.allocate(
                        AllocationRequest(pool: f.seeded.pool), timeout: .infinite, onWait: log.record)
                }
            }
            _ = try await log.wait(for: count)
            #expect(f.catalogue.snapshot.state.waitingRequests[f.seeded.pool]?.count == count)
            // One library slot per medium: add a bigger library and fill it.
            let big = try await f.operatorSession.addLibrary(name: "Big", slots: count, drives: 1)
            for slot in 1...count {
                try await f.operatorSession.registerMedium(
                    barcode: "B\(slot)", mediaType: f.seeded.type, location: .slot(big, UInt32(slot)))
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(allocations.map(\.side)).count == count)
        #expect(f.catalogue.snapshot.state.waitingRequests.isEmpty)
    }

    @Test func closingTheSessionCancelsItsWaitingAllocation() async throws {
        let f = try await WaitingFixture()
        defer { f.close() }
        let other = try f.catalogue.session(application: "appliance", user: "svc")
        let log = WaitLog()
        let otherLog = WaitLog()
        let doomed = Task {
            try await other.allocate(AllocationRequest(pool: f.seeded.pool), timeout: .infinite, onWait: log.record)
        }
        let kept = Task {
            try await f.session.allocate(
                AllocationRequest(pool: f.seeded.pool), timeout: .infinite, onWait: otherLog.record)
        }
        let request = try #require(try await log.wait(for: 1).first)
        _ = try await otherLog.wait(for: 1)
        other.close()
        do {
            _ = try await doomed.value
            Issue.record("a closed session's allocation succeeded")
        } catch let error as NtmsError {
            #expect(error.code == .cancelled)
        }
        #expect(f.catalogue.snapshot.state.requests[request]?.closeReason == .sessionClosed)
        try await f.addMedium("L00001", slot: 1)
        _ = try await kept.value
    }

    @Test func aZeroTimeoutDoesNotWaitAndRecordsNothing() async throws {
        let f = try await WaitingFixture()
        defer { f.close() }
        let head = f.catalogue.snapshot.head
        await #expect(throws: NtmsError.self) {
            _ = try await f.session.allocate(AllocationRequest(pool: f.seeded.pool), timeout: .none)
        }
        #expect(f.catalogue.snapshot.head == head)
    }

    @Test func replayingEveryRequestOutcomeRebuildsTheSameState() async throws {
        let f = try await WaitingFixture()
        let log = WaitLog()
        let timedOut = Task {
            try await f.session.allocate(
                AllocationRequest(pool: f.seeded.pool), timeout: .milliseconds(1_000), onWait: log.record)
        }
        _ = try await log.wait(for: 1)
        f.clock.advance(milliseconds: 2_000)
        try await f.catalogue.checkDeadlines()
        _ = try? await timedOut.value
        let cancelled = Task {
            try await f.session.allocate(AllocationRequest(pool: f.seeded.pool), timeout: .infinite, onWait: log.record)
        }
        try await f.operatorSession.cancelRequest(try await log.wait(for: 2)[1])
        _ = try? await cancelled.value
        let served = Task {
            try await f.session.allocate(AllocationRequest(pool: f.seeded.pool), timeout: .infinite, onWait: log.record)
        }
        try await f.operatorSession.satisfyRequest(try await log.wait(for: 3)[2])
        _ = try await log.wait(for: 4)
        try await f.addMedium("L00001", slot: 1)
        _ = try await served.value
        let closing = try f.catalogue.session(application: "appliance", user: "svc")
        let abandoned = Task {
            try await closing.allocate(AllocationRequest(pool: f.seeded.pool), timeout: .infinite, onWait: log.record)
        }
        _ = try await log.wait(for: 5)
        closing.close()
        _ = try? await abandoned.value
        let message = try await f.operatorSession.submitRequest(.message, message: "Check the robot's door")
        try await f.operatorSession.displayRequests([message])
        try await f.operatorSession.acknowledgeRequest(message)
        let before = f.catalogue.snapshot
        let reasons = Set(before.state.requests.values.compactMap(\.closeReason))
        #expect(reasons == [.timedOut, .cancelledByOperator, .satisfiedByOperator, .satisfiedByEngine, .sessionClosed])
        #expect(before.state.requests[message]?.state == .inProgress)
        f.catalogue.close()
        let reopened = try await f.store.open()
        defer {
            reopened.close()
            f.store.remove()
        }
        #expect(reopened.snapshot.state == before.state)
    }
}

@Suite struct OperatorRequestTests {
    @Test func finishedRequestsCannotBeAnsweredAgainAndUnknownOnesAreNotFound() async throws {
        let f = try await WaitingFixture()
        defer { f.close() }
        let id = try await f.operatorSession.submitRequest(.message, message: "Load the cleaning cartridge")
        #expect(f.catalogue.snapshot.state.requests[id]?.state == .submitted)
        try await f.operatorSession.satisfyRequest(id)
        for action in [
            f.operatorSession.satisfyRequest, f.operatorSession.cancelRequest, f.operatorSession.acknowledgeRequest,
        ] {
            do {
                try await action(id)
                Issue.record("a finished request was answered again")
            } catch {
                #expect(error.code == .invalidState)
            }
        }
        do {
            try await f.operatorSession.cancelRequest(OperatorRequestID(999_999))
            Issue.record("an unknown request was cancelled")
        } catch {
            #expect(error.code == .objectNotFound)
        }
    }

    @Test func submittingValidatesTheTypeArgumentsAndMessage() async throws {
        let f = try await WaitingFixture()
        defer { f.close() }
        let long = String(repeating: "x", count: 257)
        let cases: [(OperatorRequestType, String, UInt64?, NtmsErrorCode)] = [
            (.message, "", nil, .invalidParameter),
            (.message, long, nil, .messageExceedsMaxSize),
            (.newMedia, "media please", nil, .objectNotFound),
            (.moveMedia, "bring it", f.seeded.pool.rawValue, .objectNotFound),
        ]
        for (type, message, argument, code) in cases {
            do {
                try await f.operatorSession.submitRequest(type, message: message, firstArgument: argument)
                Issue.record("\(type.name) was accepted")
            } catch {
                #expect(error.code == code)
            }
        }
        let id = try await f.operatorSession.submitRequest(
            .newMedia, message: "media please", firstArgument: f.seeded.pool.rawValue)
        #expect(f.catalogue.snapshot.state.requests[id]?.firstArgument == f.seeded.pool.rawValue)
    }

    @Test func waitForRequestReturnsOnCompletionAndFailsOnRefusalOrTimeout() async throws {
        let f = try await WaitingFixture()
        defer { f.close() }
        let satisfied = try await f.operatorSession.submitRequest(.message, message: "one")
        await #expect(throws: NtmsError(.timeout, "\(satisfied) is still open")) {
            _ = try await f.session.waitForRequest(satisfied, timeout: .none)
        }
        let waited = Task { try await f.session.waitForRequest(satisfied, timeout: .infinite) }
        try await Task.sleep(for: .milliseconds(20))
        try await f.operatorSession.satisfyRequest(satisfied)
        #expect(try await waited.value.state == .complete)
        let refused = try await f.operatorSession.submitRequest(.message, message: "two")
        try await f.operatorSession.cancelRequest(refused)
        do {
            _ = try await f.session.waitForRequest(refused, timeout: .infinite)
            Issue.record("a refused request waited successfully")
        } catch {
            #expect(error.code == .cancelled)
        }
        let open = try await f.operatorSession.submitRequest(.message, message: "three")
        do {
            _ = try await f.session.waitForRequest(open, timeout: .milliseconds(30))
            Issue.record("an open request finished by itself")
        } catch {
            #expect(error.code == .timeout)
        }
    }

    @Test func finishedRequestsLeaveTheListingAfterTheRetentionTime() async throws {
        let f = try await WaitingFixture()
        defer { f.close() }
        let done = try await f.operatorSession.submitRequest(.message, message: "done")
        try await f.operatorSession.satisfyRequest(done)
        let open = try await f.operatorSession.submitRequest(.message, message: "open")
        #expect(f.catalogue.requests().map(\.id) == [done, open])
        f.clock.advance(milliseconds: 73 * 3_600_000)
        #expect(f.catalogue.requests().map(\.id) == [open])
        #expect(f.catalogue.requests(all: true).map(\.id) == [done, open])
    }

    @Test func theChangeStreamGivesTheBacklogThenLiveEventsInOrder() async throws {
        let f = try await WaitingFixture()
        defer { f.close() }
        let head = f.catalogue.snapshot.head.sequence
        var iterator = f.catalogue.changes(from: 2).makeAsyncIterator()
        try await f.addMedium("L00001", slot: 1)
        var sequences: [UInt64] = []
        while let event = try await iterator.next() {
            sequences.append(event.sequence)
            if event.sequence == head + 1 {
                #expect(event.event.name == "MediumImported")
                #expect(event.application == "console")
                break
            }
        }
        #expect(sequences == Array(2...(head + 1)))
    }

    @Test func aConsumerThatStopsIteratingEndsItsSubscription() async throws {
        let f = try await WaitingFixture()
        defer { f.close() }
        do {
            for try await _ in f.catalogue.changes(from: 1) { break }
        }
        #expect(f.catalogue.feed.count.load(ordering: .relaxed) == 0)
        let request = try await f.operatorSession.submitRequest(.message, message: "check")
        try await f.operatorSession.satisfyRequest(request)
        _ = try await f.session.waitForRequest(request, timeout: .infinite)
        #expect(f.catalogue.feed.count.load(ordering: .relaxed) == 0)
    }
}
