import SortedCollections

/// One allocation index: for each pool, its candidates in choice order, so an
/// allocation reads the first entry instead of scanning media.
///
/// A pool whose set empties keeps the empty set: allocation empties and refills
/// an application pool's set all the time, and dropping and re-creating it cost
/// the writer a removal and an allocation each time. Equality therefore treats
/// an empty set and no set alike.
struct AllocationIndex: Sendable {
    private var sets = IdentifierTable<PoolKind, SortedSet<AllocationCandidate>>()

    init() {}

    /// Bulk-built from unsorted lists (sorted once instead of inserted one by one).
    init(_ lists: [PoolID: [AllocationCandidate]]) {
        for (pool, candidates) in lists {
            // Damaged input may name a side twice; the bulk builder traps on duplicates.
            var sorted = candidates.sorted()
            sorted.removeDuplicatesInSortedOrder()
            sets.updateValue(SortedSet(sortedElements: sorted), forKey: pool)
        }
    }

    /// The pool's candidates in choice order; nil when it has none.
    subscript(pool: PoolID) -> SortedSet<AllocationCandidate>? {
        guard let set = sets[pool], !set.isEmpty else { return nil }
        return set
    }

    /// Changes one pool's set in place, with one lookup when the pool has a set.
    mutating func modify(_ pool: PoolID, _ body: (inout SortedSet<AllocationCandidate>) -> Void) {
        guard sets.modify(pool, body) == nil else { return }
        var set = SortedSet<AllocationCandidate>()
        body(&set)
        sets.updateValue(set, forKey: pool)
    }
}

/// A medium's entries in the two allocation indexes.
struct IndexEntries: Equatable {
    var pool: PoolID
    var available: SideEntries
    var whole: AllocationCandidate?
}

/// A medium's Available-side entries in side order, the first two held
/// inline: taken twice for every side change, they allocate nothing for the
/// usual one- or two-sided medium.
struct SideEntries: Equatable {
    private var first: AllocationCandidate?
    private var second: AllocationCandidate?
    private var more: [AllocationCandidate] = []

    var isEmpty: Bool { first == nil }

    mutating func append(_ entry: AllocationCandidate) {
        if first == nil {
            first = entry
        } else if second == nil {
            second = entry
        } else {
            more.append(entry)
        }
    }

    func contains(_ entry: AllocationCandidate) -> Bool { first == entry || second == entry || more.contains(entry) }

    func forEach(_ body: (AllocationCandidate) -> Void) {
        if let first { body(first) }
        if let second { body(second) }
        more.forEach(body)
    }
}

/// A medium a grouped fold changed, with its index entries before the change.
struct TouchedMedium: Equatable, Sendable {
    var medium: MediumID
    var before: IndexEntries?
}

extension AllocationIndex: Equatable {
    static func == (lhs: Self, rhs: Self) -> Bool {
        func nonEmpty(_ index: Self) -> Int { index.sets.values.count { !$0.isEmpty } }
        guard nonEmpty(lhs) == nonEmpty(rhs) else { return false }
        return lhs.sets.allSatisfy { pool, set in set.isEmpty || rhs.sets[pool] == set }
    }
}

extension SortedSet {
    /// The first element, read through an iterator. `first` goes through an
    /// index, whose weak reference to the tree's root gives the root a side
    /// table: every later retain and release of that root then takes the
    /// runtime's slow path, and LeakSanitizer reports the table as a leak.
    var firstElement: Element? {
        var iterator = makeIterator()
        return iterator.next()
    }
}

extension Array where Element: Equatable {
    fileprivate mutating func removeDuplicatesInSortedOrder() {
        var previous: Element?
        removeAll { element in
            defer { previous = element }
            return element == previous
        }
    }
}
