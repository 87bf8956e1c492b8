import Atomics
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Hands each reading thread the newest published snapshot without a locked
/// instruction on the common path.
///
/// Loading a strong reference from an atomic costs two double-word compare-and-swaps
/// plus a retain and a release. Locked instructions also stop the processor from
/// overlapping the memory misses of consecutive lookups, so on a large catalogue
/// that load cost more than the lookup itself. Instead, every thread keeps a slot
/// per catalogue holding the snapshot it last read and the publication number it
/// read it at. A read compares that number with the catalogue's current one (a
/// plain load) and, while they match, lends the cached snapshot to the caller
/// without retaining it: the slot's reference keeps it alive, and only this
/// thread touches its slot. Slots are plain structs behind pointers, so the path
/// has no reference counting and no dynamic exclusivity checks either.
///
/// The price: a thread keeps the last snapshot it read until it reads again, exits
/// or reads after the catalogue is closed. At worst that is one older state per
/// thread that has read; the parts it shares with the newest state cost nothing.
@usableFromInline
final class SnapshotReaders: Sendable {
    /// Bumped after every publication, after the snapshot is stored.
    @usableFromInline let publication = Atomic<UInt64>(0)
    @usableFromInline let published: ManagedAtomic<CatalogueSnapshot>
    @usableFromInline let gate = ReaderGate()
    /// Copied from the process-wide key so that a read needs no lazy-global check.
    @usableFromInline let threadKey = ReaderSlot.threadKey

    init(_ first: CatalogueSnapshot) {
        published = ManagedAtomic(first)
    }

    /// The writer's side: the snapshot first, then the number readers compare.
    /// Returns the snapshot it replaces, for the caller to let go of where
    /// freeing the tables only it held costs nothing that waits.
    @discardableResult
    func publish(_ snapshot: CatalogueSnapshot) -> CatalogueSnapshot {
        let displaced = published.exchange(snapshot, ordering: .acquiringAndReleasing)
        publication.wrappingAdd(1, ordering: .releasing)
        return displaced
    }

    /// The newest snapshot, retained (the writer's own view; no thread cache).
    func loadDirect() -> CatalogueSnapshot { published.load(ordering: .acquiring) }

    /// Lends the newest snapshot to `body` for its duration. A read nested in
    /// another on the same thread sees the outer read's snapshot.
    @inlinable
    func read<Value, Failure: Error>(_ body: (CatalogueSnapshot) throws(Failure) -> Value) throws(Failure) -> Value {
        let slot = ReaderSlot.current(for: gate, key: threadKey)
        if slot.pointee.depth == 0 {
            let number = publication.load(ordering: .acquiring)
            if slot.pointee.publication != number || slot.pointee.snapshot == nil {
                refresh(slot, publication: number)
            }
        }
        slot.pointee.depth += 1
        defer { slot.pointee.depth -= 1 }
        // `_withUnsafeGuaranteedRef` only rethrows untyped errors: carry the typed one out.
        let outcome: Result<Value, Failure> = slot.pointee.snapshot.unsafelyUnwrapped._withUnsafeGuaranteedRef {
            snapshot in
            do throws(Failure) { return .success(try body(snapshot)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }

    /// Number first, then the snapshot: a number older than the snapshot only
    /// causes one more refresh, never a stale read.
    @usableFromInline
    func refresh(_ slot: UnsafeMutablePointer<ReaderSlot>, publication number: UInt64) {
        let old = slot.pointee.snapshot
        slot.pointee.snapshot = Unmanaged.passRetained(published.load(ordering: .acquiring))
        slot.pointee.publication = number
        old?.release()
        ReaderSlot.sweep(key: threadKey, keeping: slot)
    }

    /// Closing lets every thread drop its slot for this catalogue at its next read
    /// (this thread at once).
    func close() {
        gate.closed.store(true, ordering: .releasing)
        ReaderSlot.sweep(key: threadKey, keeping: nil)
    }
}

/// Shared by a catalogue and every thread's slot for it; says when the slots may go.
@usableFromInline
final class ReaderGate: Sendable {
    let closed = Atomic<Bool>(false)
}

/// One thread's cached snapshot of one catalogue. Slots form a list per thread,
/// reached through one process-wide thread-local key; only their thread uses them.
@usableFromInline
struct ReaderSlot {
    /// Owned (+1) by hand, like `snapshot` and `next`.
    @usableFromInline let gate: Unmanaged<ReaderGate>
    @usableFromInline var publication: UInt64 = 0
    @usableFromInline var snapshot: Unmanaged<CatalogueSnapshot>?
    @usableFromInline var depth = 0
    @usableFromInline var next: UnsafeMutablePointer<ReaderSlot>?

    /// This thread's slot for `gate`, made on first use.
    @inlinable
    static func current(for gate: ReaderGate, key threadKey: pthread_key_t) -> UnsafeMutablePointer<ReaderSlot> {
        let wanted = Unmanaged.passUnretained(gate).toOpaque()
        var cursor = pthread_getspecific(threadKey)?.assumingMemoryBound(to: ReaderSlot.self)
        while let slot = cursor {
            if slot.pointee.gate.toOpaque() == wanted { return slot }
            cursor = slot.pointee.next
        }
        return make(for: gate, key: threadKey)
    }

    /// A thread's first read of a catalogue.
    @usableFromInline
    static func make(for gate: ReaderGate, key threadKey: pthread_key_t) -> UnsafeMutablePointer<ReaderSlot> {
        let slot = UnsafeMutablePointer<ReaderSlot>.allocate(capacity: 1)
        slot.initialize(
            to: ReaderSlot(
                gate: .passRetained(gate),
                next: pthread_getspecific(threadKey)?.assumingMemoryBound(to: ReaderSlot.self)))
        pthread_setspecific(threadKey, slot)
        return slot
    }

    /// Releases what a slot owns and frees it.
    static func destroy(_ slot: UnsafeMutablePointer<ReaderSlot>) {
        slot.pointee.snapshot?.release()
        slot.pointee.gate.release()
        slot.deinitialize(count: 1)
        slot.deallocate()
    }

    /// Drops this thread's slots of closed catalogues, releasing their snapshots;
    /// never `keeping`, which the caller is using.
    @usableFromInline
    static func sweep(key threadKey: pthread_key_t, keeping: UnsafeMutablePointer<ReaderSlot>?) {
        var previous: UnsafeMutablePointer<ReaderSlot>?
        var cursor = pthread_getspecific(threadKey)?.assumingMemoryBound(to: ReaderSlot.self)
        while let slot = cursor {
            cursor = slot.pointee.next
            // A slot in use (a read of a closed catalogue still running) stays until later.
            let closed = slot.pointee.gate._withUnsafeGuaranteedRef { $0.closed.load(ordering: .acquiring) }
            guard closed, slot.pointee.depth == 0, slot != keeping else {
                previous = slot
                continue
            }
            if let previous {
                previous.pointee.next = slot.pointee.next
            } else {
                pthread_setspecific(threadKey, slot.pointee.next)
            }
            destroy(slot)
        }
    }

    /// Its destructor frees a finished thread's slots.
    @usableFromInline static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { head in
            var cursor = head?.assumingMemoryBound(to: ReaderSlot.self)
            while let slot = cursor {
                cursor = slot.pointee.next
                ReaderSlot.destroy(slot)
            }
        }
        precondition(status == 0, "pthread_key_create failed (\(status)): out of thread-local keys")
        return key
    }()
}
