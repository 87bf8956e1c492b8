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

/// How `evolve` keeps the allocation indexes in step with the media and sides
/// they index. The mode belongs to one fold, never to the state.
enum IndexMaintenance: Sendable {
    /// After every change: one event folded on its own.
    case eachChange
    /// Once per medium at the end of a decision's events: the media changed so
    /// far, each with its entries before its first change.
    case grouped([TouchedMedium])
    /// Not at all: a replay builds the indexes once at the end (see `Replay`).
    case deferred
}

extension CatalogueState {
    /// Applies a change to a side's medium or its sides (see `changeMedium`).
    mutating func changeMediumOf(
        side: SideID, _ indexing: inout IndexMaintenance, _ change: (inout CatalogueState) -> Void
    ) {
        if case .deferred = indexing { return change(&self) }
        guard let medium = sides[side]?.medium else { return }
        changeMedium(medium, &indexing, change)
    }

    /// Applies a change to a medium or its sides and keeps the allocation indexes
    /// in step: a side's place depends on its siblings (whole-medium index), its
    /// medium's pool and location, so the medium's entries are taken before and
    /// after the change and only the difference is applied, with one lookup per
    /// index (allocating one side of a two-sided medium removes that side's entry
    /// and the whole-medium one; the sibling's stays unless it becomes reserved).
    mutating func changeMedium(
        _ medium: MediumID, _ indexing: inout IndexMaintenance, _ change: (inout CatalogueState) -> Void
    ) {
        switch indexing {
        case .deferred:
            change(&self)
        case .grouped:
            noteTouched(medium, &indexing)
            change(&self)
        case .eachChange:
            let before = indexEntries(of: medium)
            change(&self)
            changeIndexes(from: before, to: indexEntries(of: medium))
        }
    }

    /// Applies one change that affects many media at once (a library disabled
    /// or enabled) and keeps the indexes in step, medium by medium.
    mutating func changeMedia(
        _ ids: [MediumID], _ indexing: inout IndexMaintenance, _ change: (inout CatalogueState) -> Void
    ) {
        if case .deferred = indexing { return change(&self) }
        if case .grouped = indexing {
            // Settled first, so that the group's list stays short however many media this touches.
            finishGroup(indexing)
            indexing = .grouped([])
        }
        let before = ids.map { indexEntries(of: $0) }
        change(&self)
        for (id, entries) in zip(ids, before) { changeIndexes(from: entries, to: indexEntries(of: id)) }
    }

    /// In a grouped fold, remembers a medium's entries before its first change.
    mutating func noteTouched(_ medium: MediumID, _ indexing: inout IndexMaintenance) {
        guard case .grouped(var touched) = indexing, !touched.contains(where: { $0.medium == medium }) else { return }
        // Released first, so that appending does not copy the list.
        indexing = .eachChange
        touched.append(TouchedMedium(medium: medium, before: indexEntries(of: medium)))
        indexing = .grouped(touched)
    }

    /// Ends a grouped fold: each touched medium's entries change once.
    mutating func finishGroup(_ indexing: IndexMaintenance) {
        guard case .grouped(let touched) = indexing else { return }
        for change in touched { changeIndexes(from: change.before, to: indexEntries(of: change.medium)) }
    }

    /// A medium entered the catalogue.
    mutating func indexSides(of id: MediumID, _ indexing: inout IndexMaintenance) {
        guard case .eachChange = indexing, let entries = indexEntries(of: id) else { return }
        add(entries)
    }

    /// A medium is about to leave the catalogue.
    mutating func unindexSides(of id: MediumID, _ indexing: inout IndexMaintenance) {
        switch indexing {
        case .deferred: return
        case .grouped: noteTouched(id, &indexing)
        case .eachChange:
            guard let entries = indexEntries(of: id) else { return }
            remove(entries)
        }
    }

    /// Changes the indexes from one medium's old entries to its new ones.
    private mutating func changeIndexes(from before: IndexEntries?, to after: IndexEntries?) {
        guard before != after else { return }
        let stayed = before != nil && before?.pool == after?.pool ? before : nil
        if let before, stayed == nil { remove(before) }
        guard let after else { return }
        guard let stayed else { return add(after) }
        if stayed.available != after.available {
            availableSides.modify(after.pool) { set in
                stayed.available.forEach { if !after.available.contains($0) { set.remove($0) } }
                after.available.forEach { if !stayed.available.contains($0) { set.insert($0) } }
            }
        }
        if stayed.whole != after.whole {
            wholeMediumSides.modify(after.pool) { set in
                if let old = stayed.whole { set.remove(old) }
                if let whole = after.whole { set.insert(whole) }
            }
        }
    }

    private mutating func add(_ entries: IndexEntries) {
        if !entries.available.isEmpty {
            availableSides.modify(entries.pool) { set in entries.available.forEach { set.insert($0) } }
        }
        if let whole = entries.whole { wholeMediumSides.modify(entries.pool) { $0.insert(whole) } }
    }

    private mutating func remove(_ entries: IndexEntries) {
        if !entries.available.isEmpty {
            availableSides.modify(entries.pool) { set in entries.available.forEach { set.remove($0) } }
        }
        if let whole = entries.whole { wholeMediumSides.modify(entries.pool) { $0.remove(whole) } }
    }

    /// A medium's allocation-index entries; nil when it is not allocatable (offline or disabled).
    private func indexEntries(of id: MediumID) -> IndexEntries? {
        guard let medium = media[id], isAllocatable(medium) else { return nil }
        var available = SideEntries()
        let whole = Self.allocationEntries(of: medium, in: sides) { available.append($0) }
        return IndexEntries(pool: medium.pool, available: available, whole: whole)
    }

    /// The allocation-index entries of an online medium, the one rule that both
    /// `evolve` and the bulk rebuild follow: `available` gets each Available side;
    /// the result is the medium's whole-medium entry (its first side in choice
    /// order) when it has several sides and every one is Available. Walks the
    /// table side by side, with no array per call.
    static func allocationEntries(
        of medium: Medium, in sides: IdentifierTable<SideKind, Side>, _ available: (AllocationCandidate) -> Void
    ) -> AllocationCandidate? {
        var whole = medium.sideCount > 1
        var first: AllocationCandidate?
        for number in 0..<UInt64(medium.sideCount) {
            guard let side = sides[SideID(medium.firstSide.rawValue + number)], side.state == .available else {
                whole = false
                continue
            }
            let candidate = AllocationCandidate(allocateCount: side.allocateCount, side: side.id)
            available(candidate)
            first = min(first ?? candidate, candidate)
        }
        return whole ? first : nil
    }

    /// The Available-side and whole-medium indexes from the media and sides, in
    /// one pass and bulk-built (sorted once instead of inserted one by one).
    mutating func rebuildAllocationIndexes() {
        var available: [PoolID: [AllocationCandidate]] = [:]
        var whole: [PoolID: [AllocationCandidate]] = [:]
        for medium in media.values where isAllocatable(medium) {
            let first = Self.allocationEntries(of: medium, in: sides) { available[medium.pool, default: []].append($0) }
            if let first { whole[medium.pool, default: []].append(first) }
        }
        availableSides = AllocationIndex(available)
        wholeMediumSides = AllocationIndex(whole)
    }

    /// Empties both indexes, for a fold that builds them at its end.
    mutating func dropAllocationIndexes() {
        availableSides = AllocationIndex()
        wholeMediumSides = AllocationIndex()
    }
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
