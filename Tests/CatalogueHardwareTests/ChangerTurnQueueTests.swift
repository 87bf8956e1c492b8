import Testing

@testable import CatalogueHardware

/// The changer's turn-taking: one holder, waiters chosen by the work queue's order.
@Suite struct ChangerTurnQueueTests {
    @Test func anIdleChangerLetsTheFirstCommandThroughAndQueuesTheRest() {
        var turns = ChangerTurnQueue<String>()
        #expect(turns.arrive() == .proceed)
        #expect(turns.arrive() == .wait)
        turns.enqueue("second", ticket: nil)
        #expect(turns.waitingCount == 1)
        #expect(turns.pass(order: []) == "second")
        #expect(turns.pass(order: []) == nil)
        #expect(turns.arrive() == .proceed, "the changer is idle again")
    }

    @Test func theTurnPassesInQueueOrderThenInArrivalOrder() {
        var turns = ChangerTurnQueue<String>()
        _ = turns.arrive()
        for (name, ticket) in [("untracked", nil), ("c", 3), ("a", 1), ("b", 2 as UInt64?)] {
            _ = turns.arrive()
            turns.enqueue(name, ticket: ticket)
        }
        // The queue was reordered after they arrived: b first, then a; c is no longer queued.
        #expect(turns.pass(order: [2, 1]) == "b")
        #expect(turns.pass(order: [1]) == "a")
        #expect(turns.pass(order: []) == "untracked", "unqueued waiters go in arrival order")
        #expect(turns.pass(order: []) == "c")
        #expect(turns.pass(order: []) == nil)
    }
}
