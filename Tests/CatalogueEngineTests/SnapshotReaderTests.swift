import CatalogueDomain
import CatalogueEngine
import Foundation
import Synchronization
import Testing

/// `Catalogue.read` lends each thread its cached snapshot; these check that the
/// cache never serves a stale state, keeps nested reads consistent, and lets go
/// of what it holds.
@Suite struct SnapshotReaderTests {
    @Test func aReadOnAnyThreadSeesEveryCommandThatHasReturned() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 20)
        // One long-lived thread, so its cached slot is exercised across commits.
        let queue = ReaderThread()
        defer { queue.stop() }
        for _ in 0..<30 {
            let allocation = try await session.allocate(AllocationRequest(pool: seeded.pool))
            let lmid = allocation.logicalMedium
            #expect(catalogue.read { $0.state.logicalMedia[lmid] } != nil)
            #expect(queue.sync { catalogue.read { $0.state.logicalMedia[lmid] } } != nil)
            try await session.deallocate(lmid)
            #expect(catalogue.read { $0.state.logicalMedia[lmid] } == nil)
            #expect(queue.sync { catalogue.read { $0.state.logicalMedia[lmid] } } == nil)
            #expect(queue.sync { catalogue.snapshot.head } == catalogue.read { $0.head })
        }
    }

    @Test func aNestedReadSeesTheOuterReadsSnapshotAndTheNextReadSeesTheNewest() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 4)
        let inRead = DispatchSemaphore(value: 0)
        let committed = DispatchSemaphore(value: 0)
        let heads = Mutex<(outer: UInt64, nested: UInt64, nestedProperty: UInt64, after: UInt64)>((0, 0, 0, 0))
        let done = DispatchSemaphore(value: 0)
        Thread {
            catalogue.read { outer in
                inRead.signal()
                committed.wait()
                let nested = catalogue.read { $0.head.sequence }
                let nestedProperty = catalogue.snapshot.head.sequence
                heads.withLock { $0 = (outer.head.sequence, nested, nestedProperty, 0) }
            }
            let after = catalogue.read { $0.head.sequence }
            heads.withLock { $0.after = after }
            done.signal()
        }.start()
        await wait(for: inRead)
        _ = try await session.allocate(AllocationRequest(pool: seeded.pool))
        let newest = catalogue.snapshot.head.sequence
        committed.signal()
        await wait(for: done)
        let seen = heads.withLock { $0 }
        #expect(seen.outer < newest)
        #expect(seen.nested == seen.outer)
        #expect(seen.nestedProperty == seen.outer)
        #expect(seen.after == newest)
    }

    @Test func aThreadPinsOnlyItsLastSnapshotAndReleasesItWhenItEnds() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open(options: CatalogueOptions(checkpoints: .disabled))
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 4)
        // Registering media reads the newest state on this task's thread; publish
        // one that only the reader thread below will read.
        _ = try await session.allocate(AllocationRequest(pool: seeded.pool))
        let cached = WeakSnapshot()
        let readDone = DispatchSemaphore(value: 0)
        let mayEnd = DispatchSemaphore(value: 0)
        let ended = DispatchSemaphore(value: 0)
        Thread {
            catalogue.read { cached.value = $0 }
            readDone.signal()
            mayEnd.wait()
            ended.signal()
        }.start()
        await wait(for: readDone)
        // Newer states are published; only the thread's slot still holds the old one.
        for _ in 0..<3 { _ = try await session.allocate(AllocationRequest(pool: seeded.pool)) }
        #expect(cached.value != nil)
        mayEnd.signal()
        await wait(for: ended)
        try await eventually { cached.value == nil }
        #expect(cached.value == nil)
    }

    @Test func aClosedCataloguesSnapshotIsReleasedAtTheThreadsNextRead() async throws {
        let first = TestStore()
        let second = TestStore()
        defer {
            first.remove()
            second.remove()
        }
        let other = try await second.open()
        defer { other.close() }
        let cached = WeakSnapshot()
        let queue = ReaderThread()
        defer { queue.stop() }
        do {
            let catalogue = try await first.open(options: CatalogueOptions(checkpoints: .disabled))
            // Opening read the newest state on this task's thread; publish one only the queue reads.
            _ = try await catalogue.session(application: "test", user: "tester").registerMediaType(
                name: "LTO", sides: 1)
            queue.sync { catalogue.read { cached.value = $0 } }
            catalogue.close()
        }
        // The queue's thread still holds the closed catalogue's last snapshot ...
        #expect(cached.value != nil)
        // ... until its next refresh of any catalogue.
        queue.sync { _ = other.read { $0.head } }
        #expect(cached.value == nil)
    }

    @Test func readsStillAnswerAfterTheCatalogueIsClosed() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        let head = catalogue.read { $0.head }
        catalogue.close()
        #expect(catalogue.read { $0.head } == head)
        let thread = ReaderThread()
        defer { thread.stop() }
        #expect(thread.sync { catalogue.read { $0.head } } == head)
    }

    @Test func aReadPassesItsBodysTypedErrorThrough() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        #expect(throws: NtmsError.self) {
            try catalogue.read { (_) throws(NtmsError) -> Int in throw NtmsError(.objectNotFound, "no such side") }
        }
        // The failed read left the slot usable.
        #expect(catalogue.read { $0.head } == catalogue.snapshot.head)
    }
}

final class WeakSnapshot: @unchecked Sendable {
    private let lock = NSLock()
    private weak var stored: CatalogueSnapshot?
    var value: CatalogueSnapshot? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// A thread of its own that runs one job at a time (`DispatchQueue.sync` would
/// run the job on the caller's thread).
final class ReaderThread: @unchecked Sendable {
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let ready = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)

    init() {
        Thread { [self] in
            while true {
                ready.wait()
                if stopping.load(ordering: .acquiring) { return }
                let job = jobs.withLock { $0.removeFirst() }
                job()
            }
        }.start()
    }

    func sync<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        jobs.withLock {
            $0.append {
                let value = body()
                result.withLock { $0 = value }
                done.signal()
            }
        }
        ready.signal()
        done.wait()
        return result.withLock { $0! }
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
        ready.signal()
    }
}

/// Waits for a semaphore without blocking a cooperative thread for long.
func wait(for semaphore: DispatchSemaphore) async {
    while semaphore.wait(timeout: .now()) == .timedOut { try? await Task.sleep(for: .milliseconds(1)) }
}

/// Polls `condition` for up to five seconds.
func eventually(_ condition: () -> Bool) async throws {
    for _ in 0..<5_000 where !condition() { try await Task.sleep(for: .milliseconds(1)) }
}
