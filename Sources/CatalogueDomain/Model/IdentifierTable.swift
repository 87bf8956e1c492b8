/// A persistent map from identifiers to values, for every object table named
/// by an identifier (media, sides, logical media, pools, libraries, media
/// types, operator requests). Identifiers come from one counter, so they
/// are small, nearly consecutive integers: the table is a radix tree on the
/// number itself (64 ways per level, no hashing), whose leaves keep only the
/// values present, packed behind a 64-bit occupancy bitmap.
///
/// Why not `TreeDictionary`: at a million media a hash trie needs four to five
/// dependent cache misses per lookup and stores each key beside its value; this
/// tree needs one or two (its upper levels stay in cache) and stores no keys.
/// Like every state collection it is a value: copies share nodes, and a change
/// copies only the path it touches, so published snapshots never change.
/// Iteration is in identifier order.
public struct IdentifierTable<Kind: IdentifierKind, Value> {
    public typealias Key = Identifier<Kind>

    /// A `TableLeaf` when `height` is 0, a `TableBranch` otherwise; nil when empty.
    @usableFromInline var root: AnyObject?
    /// Branch levels above the leaves: the tree holds keys below 64^(height+1).
    @usableFromInline var height: Int = 0
    public private(set) var count: Int = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }

    @inlinable
    public subscript(key: Key) -> Value? {
        get { value(forRawKey: key.rawValue) }
        set {
            if let newValue { _ = updateValue(newValue, forKey: key) } else { _ = removeValue(forKey: key) }
        }
    }

    /// Reads walk the tree without retaining nodes (no reference-count traffic
    /// between reader threads); holding the root keeps every node alive.
    @inlinable @inline(__always)
    func value(forRawKey key: UInt64) -> Value? {
        guard let root, key >> (6 * (height + 1)) == 0 else { return nil }
        defer { _fixLifetime(root) }
        var node = Unmanaged.passUnretained(root).toOpaque()
        var level = height
        let leafSlot = Int(truncatingIfNeeded: key) & 63
        if level == 0 { return TableLeaf<Value>.value(in: node, at: leafSlot) }
        while level > 1 {
            let slot = Int(truncatingIfNeeded: key >> (6 * level)) & 63
            guard let child = TableBranch<Value>.unretainedChild(of: node, at: slot) else { return nil }
            node = child
            level -= 1
        }
        return TableBranch<Value>.valueInLeaf(of: node, at: Int(truncatingIfNeeded: key >> 6) & 63, slot: leafSlot)
    }

    /// Stores `value` under `key`; returns the value it replaced.
    @discardableResult
    public mutating func updateValue(_ value: Value, forKey key: Key) -> Value? {
        let raw = key.rawValue
        while raw >> (6 * (height + 1)) != 0 {
            if let old = root {
                let branch = TableBranch<Value>.make()
                let bitmap = height == 0 ? unsafeDowncast(old, to: TableLeaf<Value>.self).bitmap : 0
                branch.setChild(old, at: 0, leafBitmap: bitmap)
                root = branch
            }
            height += 1
        }
        let old = Self.update(&root, level: height, key: raw, value)
        if old == nil { count += 1 }
        return old
    }

    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        guard root != nil, key.rawValue >> (6 * (height + 1)) == 0 else { return nil }
        let old = Self.update(&root, level: height, key: key.rawValue, nil)
        if old != nil { count -= 1 }
        if root == nil { height = 0 }
        return old
    }

    /// Changes the value stored under `key` in place, with one walk down the tree
    /// (a get and a set walk it twice, and copy the value out and back); nil, and
    /// `body` not called, when the key is absent. Shared nodes are copied first.
    @discardableResult
    public mutating func modify<Result>(_ key: Key, _ body: (inout Value) -> Result) -> Result? {
        guard key.rawValue >> (6 * (height + 1)) == 0 else { return nil }
        return Self.modify(&root, level: height, key: key.rawValue, body)
    }

    private static func modify<Result>(
        _ node: inout AnyObject?, level: Int, key: UInt64, _ body: (inout Value) -> Result
    ) -> Result? {
        let slot = Int(truncatingIfNeeded: key >> (6 * level)) & 63
        guard let taken = node.take() else { return nil }
        if level == 0 {
            var leaf = unsafeDowncast(consume taken, to: TableLeaf<Value>.self)
            defer { node = leaf }
            guard leaf.bitmap & (1 << UInt64(slot)) != 0 else { return nil }
            if !isKnownUniquelyReferenced(&leaf) { leaf = leaf.copy(extraCapacity: 0) }
            return leaf.modify(slot: slot, body)
        }
        // A shared branch is copied even when the key turns out absent: harmless, and rare.
        var branch = unsafeDowncast(consume taken, to: TableBranch<Value>.self)
        if !isKnownUniquelyReferenced(&branch) { branch = branch.copy() }
        defer { node = branch }
        var child = branch.takeChild(at: slot)
        let result = modify(&child, level: level - 1, key: key, body)
        if let child {
            let bitmap = level == 1 ? unsafeDowncast(child, to: TableLeaf<Value>.self).bitmap : 0
            branch.setChild(child, at: slot, leafBitmap: bitmap)
        }
        return result
    }

    /// Sets (or with nil removes) one entry below `node`, copying shared nodes
    /// on the way down and dropping nodes that become empty.
    private static func update(_ node: inout AnyObject?, level: Int, key: UInt64, _ value: Value?) -> Value? {
        let slot = Int(truncatingIfNeeded: key >> (6 * level)) & 63
        if level == 0 {
            // Taken out of its slot, so that a leaf nobody else holds shows as unique.
            guard let taken = node.take() else {
                if let value { node = TableLeaf<Value>.make(slot: slot, value: value) }
                return nil
            }
            var leaf = unsafeDowncast(consume taken, to: TableLeaf<Value>.self)
            if !isKnownUniquelyReferenced(&leaf) {
                let inserting = value != nil && leaf.bitmap & (1 << UInt64(slot)) == 0
                leaf = leaf.copy(extraCapacity: inserting ? 1 : 0)
            }
            let (old, updated) = leaf.update(slot: slot, value)
            node = updated.bitmap == 0 ? nil : updated
            return old
        }
        var branch: TableBranch<Value>
        if let taken = node.take() {
            branch = unsafeDowncast(consume taken, to: TableBranch<Value>.self)
            if !isKnownUniquelyReferenced(&branch) { branch = branch.copy() }
        } else {
            guard value != nil else { return nil }
            branch = TableBranch<Value>.make()
        }
        var child = branch.takeChild(at: slot)
        let old = update(&child, level: level - 1, key: key, value)
        if let child {
            let bitmap = level == 1 ? unsafeDowncast(child, to: TableLeaf<Value>.self).bitmap : 0
            branch.setChild(child, at: slot, leafBitmap: bitmap)
        }
        node = branch.childCount == 0 ? nil : branch
        return old
    }
}

extension IdentifierTable {
    /// Builds a table from values in any order; a key given twice keeps the last value.
    public init<S: Sequence>(_ values: S, key: (Value) -> Key) where S.Element == Value {
        self.init()
        for value in values { updateValue(value, forKey: key(value)) }
    }

    /// The identifiers, in order (an eager view, like `Dictionary.Keys`).
    public var keys: Keys { Keys(table: self) }
    /// The values, in identifier order.
    public var values: Values { Values(table: self) }

    public struct Keys: Collection {
        let table: IdentifierTable
        public var startIndex: Index { table.startIndex }
        public var endIndex: Index { table.endIndex }
        public var count: Int { table.count }
        public func index(after position: Index) -> Index { table.index(after: position) }
        public subscript(position: Index) -> Key { table[position].key }
        public func makeIterator() -> KeyIterator { KeyIterator(base: table.makeIterator()) }
    }

    public struct KeyIterator: IteratorProtocol {
        var base: Iterator
        public mutating func next() -> Key? { base.next()?.key }
    }

    public struct Values: Collection {
        let table: IdentifierTable
        public var startIndex: Index { table.startIndex }
        public var endIndex: Index { table.endIndex }
        public var count: Int { table.count }
        public func index(after position: Index) -> Index { table.index(after: position) }
        public subscript(position: Index) -> Value { table[position].value }
        public func makeIterator() -> ValueIterator { ValueIterator(base: table.makeIterator()) }
    }

    public struct ValueIterator: IteratorProtocol {
        var base: Iterator
        public mutating func next() -> Value? { base.next()?.value }
    }
}

// Nodes are never changed once shared (writers copy them first), so values may cross threads.
extension IdentifierTable: @unchecked Sendable where Value: Sendable {}

extension IdentifierTable: Collection {
    public typealias Element = (key: Key, value: Value)

    /// A position is the identifier stored there; `endIndex` is past the last.
    public struct Index: Comparable, Sendable {
        let key: UInt64?

        public static func < (lhs: Index, rhs: Index) -> Bool {
            switch (lhs.key, rhs.key) {
            case (let l?, let r?): l < r
            case (.some, nil): true
            default: false
            }
        }
    }

    public var startIndex: Index { Index(key: firstKey(atOrAfter: 0)) }
    public var endIndex: Index { Index(key: nil) }

    public func index(after position: Index) -> Index {
        guard let key = position.key, key < .max else { return endIndex }
        return Index(key: firstKey(atOrAfter: key + 1))
    }

    public subscript(position: Index) -> Element {
        guard let key = position.key, let value = value(forRawKey: key) else {
            preconditionFailure("index out of range")
        }
        return (Key(key), value)
    }

    private func firstKey(atOrAfter key: UInt64) -> UInt64? {
        guard let root, key >> (6 * (height + 1)) == 0 else { return nil }
        return Self.firstKey(in: root, level: height, prefix: 0, atOrAfter: key, bounded: true)
    }

    /// The smallest key in the subtree, at or after `key` when `bounded` (only
    /// the subtree on the bound's own path is bounded; those after it are not).
    private static func firstKey(
        in node: AnyObject, level: Int, prefix: UInt64, atOrAfter key: UInt64, bounded: Bool
    ) -> UInt64? {
        if level == 0 {
            var bitmap = unsafeDowncast(node, to: TableLeaf<Value>.self).bitmap
            if bounded { bitmap &= ~0 << (key & 63) }
            return bitmap == 0 ? nil : prefix << 6 | UInt64(bitmap.trailingZeroBitCount)
        }
        let branch = unsafeDowncast(node, to: TableBranch<Value>.self)
        let start = bounded ? Int(truncatingIfNeeded: key >> (6 * level)) & 63 : 0
        for slot in start..<64 {
            guard let child = branch.child(at: slot) else { continue }
            if let found = firstKey(
                in: child, level: level - 1, prefix: prefix << 6 | UInt64(slot), atOrAfter: key,
                bounded: bounded && slot == start)
            {
                return found
            }
        }
        return nil
    }

    public func makeIterator() -> Iterator { Iterator(root: root, height: height) }

    public var underestimatedCount: Int { count }

    /// Depth-first, in key order.
    public struct Iterator: IteratorProtocol {
        private var path: [(branch: TableBranch<Value>, next: Int, prefix: UInt64)] = []
        private var leaf: TableLeaf<Value>?
        private var leafPrefix: UInt64 = 0
        private var remaining: UInt64 = 0
        private var index = 0

        init(root: AnyObject?, height: Int) {
            guard let root else { return }
            if height == 0 {
                enter(unsafeDowncast(root, to: TableLeaf<Value>.self), prefix: 0)
            } else {
                path.append((unsafeDowncast(root, to: TableBranch<Value>.self), 0, 0))
            }
        }

        private mutating func enter(_ leaf: TableLeaf<Value>, prefix: UInt64) {
            self.leaf = leaf
            leafPrefix = prefix
            remaining = leaf.bitmap
            index = 0
        }

        public mutating func next() -> Element? {
            while true {
                if let leaf, remaining != 0 {
                    let slot = UInt64(remaining.trailingZeroBitCount)
                    remaining &= remaining - 1
                    defer { index += 1 }
                    return (Key(leafPrefix | slot), leaf.value(atIndex: index))
                }
                leaf = nil
                guard var top = path.popLast() else { return nil }
                // Branch depth below the root decides whether children are leaves.
                while top.next < 64, top.branch.child(at: top.next) == nil { top.next += 1 }
                guard top.next < 64, let child = top.branch.child(at: top.next) else { continue }
                let childPrefix = (top.prefix << 6) | UInt64(top.next)
                top.next += 1
                path.append(top)
                if let leafChild = child as? TableLeaf<Value> {
                    enter(leafChild, prefix: childPrefix << 6)
                } else {
                    path.append((unsafeDowncast(child, to: TableBranch<Value>.self), 0, childPrefix))
                }
            }
        }
    }
}

extension IdentifierTable: Equatable where Value: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        if lhs.root === rhs.root { return true }
        guard lhs.count == rhs.count else { return false }
        return lhs.elementsEqual(rhs) { $0.key == $1.key && $0.value == $1.value }
    }
}

// MARK: Nodes

@usableFromInline
struct TableLeafHeader {
    /// Bit n set: the value for slot n is stored, at the index of its rank among set bits.
    @usableFromInline var bitmap: UInt64
    @usableFromInline var capacity: Int
}

/// Up to 64 values, packed in slot order.
@usableFromInline
final class TableLeaf<Value>: ManagedBuffer<TableLeafHeader, Value> {
    // The header is read and written through its pointer: the `header` property is
    // a class's stored property, whose every access is checked for exclusivity at run time.
    var bitmap: UInt64 { withUnsafeMutablePointerToHeader { $0.pointee.bitmap } }
    private func setBitmap(_ bitmap: UInt64) { withUnsafeMutablePointerToHeader { $0.pointee.bitmap = bitmap } }

    static func make(slot: Int, value: Value) -> TableLeaf {
        let leaf = unsafeDowncast(
            create(minimumCapacity: 1) { _ in TableLeafHeader(bitmap: 1 << UInt64(slot), capacity: 1) },
            to: TableLeaf.self)
        leaf.withUnsafeMutablePointerToElements { $0.initialize(to: value) }
        return leaf
    }

    private static func make(bitmap: UInt64, capacity: Int) -> TableLeaf {
        unsafeDowncast(
            create(minimumCapacity: capacity) { _ in TableLeafHeader(bitmap: bitmap, capacity: capacity) },
            to: TableLeaf.self)
    }

    deinit {
        _ = withUnsafeMutablePointers { header, elements in
            elements.deinitialize(count: header.pointee.bitmap.nonzeroBitCount)
        }
    }

    /// A private copy with room for `extraCapacity` more values.
    func copy(extraCapacity: Int) -> TableLeaf {
        let count = bitmap.nonzeroBitCount
        let copy = TableLeaf.make(bitmap: bitmap, capacity: count + extraCapacity)
        withUnsafeMutablePointerToElements { source in
            copy.withUnsafeMutablePointerToElements { $0.initialize(from: source, count: count) }
        }
        return copy
    }

    @inlinable
    static func value(in node: UnsafeMutableRawPointer, at slot: Int) -> Value? {
        Unmanaged<TableLeaf>.fromOpaque(node)._withUnsafeGuaranteedRef { leaf in
            leaf.withUnsafeMutablePointers { header, elements in
                let bit = UInt64(1) << UInt64(slot)
                let bitmap = header.pointee.bitmap
                guard bitmap & bit != 0 else { return nil }
                return elements[(bitmap & (bit &- 1)).nonzeroBitCount]
            }
        }
    }

    func value(atIndex index: Int) -> Value { withUnsafeMutablePointerToElements { $0[index] } }

    /// Changes the value in `slot`, which must be present, of this uniquely held leaf.
    func modify<Result>(slot: Int, _ body: (inout Value) -> Result) -> Result {
        let bit = UInt64(1) << UInt64(slot)
        let index = (bitmap & (bit &- 1)).nonzeroBitCount
        return withUnsafeMutablePointerToElements { body(&$0[index]) }
    }

    /// Sets or removes the value of `slot` in this uniquely held leaf; returns
    /// the old value and the leaf now holding the values (a bigger one when an
    /// insert found this one full).
    func update(slot: Int, _ value: Value?) -> (old: Value?, leaf: TableLeaf) {
        let bit = UInt64(1) << UInt64(slot)
        let (bitmap, capacity) = withUnsafeMutablePointerToHeader { ($0.pointee.bitmap, $0.pointee.capacity) }
        let index = (bitmap & (bit &- 1)).nonzeroBitCount
        let count = bitmap.nonzeroBitCount
        if bitmap & bit != 0 {
            let old: Value = withUnsafeMutablePointerToElements { elements in
                if let value {
                    return exchange(&elements[index], with: value)
                }
                let old = (elements + index).move()
                (elements + index).moveInitialize(from: elements + index + 1, count: count - index - 1)
                setBitmap(bitmap & ~bit)
                return old
            }
            return (old, self)
        }
        guard let value else { return (nil, self) }
        // Small growth steps: identifiers arrive in order, so a leaf fills slot by
        // slot, and spare capacity would be memory held for good.
        let target =
            count < capacity ? self : TableLeaf.make(bitmap: bitmap, capacity: min(64, count + max(2, count / 8)))
        withUnsafeMutablePointerToElements { source in
            target.withUnsafeMutablePointerToElements { elements in
                if target === self {
                    (elements + index + 1).moveInitialize(from: elements + index, count: count - index)
                } else {
                    elements.moveInitialize(from: source, count: index)
                    (elements + index + 1).moveInitialize(from: source + index, count: count - index)
                    setBitmap(0)  // its values now belong to `target`
                }
                (elements + index).initialize(to: value)
            }
        }
        target.setBitmap(bitmap | bit)
        return (nil, target)
    }
}

@usableFromInline
struct TableBranchHeader {
    var childCount: Int
}

/// A child and, when the child is a leaf, a copy of the leaf's bitmap: a read
/// finds the value's place from here (already in cache) and then touches the
/// leaf once, instead of reading the leaf's header first and its value second.
@usableFromInline
struct TableSlot {
    @usableFromInline var child: AnyObject?
    @usableFromInline var leafBitmap: UInt64
}

/// 64 child slots: branches, or leaves on the level just above the leaves.
@usableFromInline
final class TableBranch<Value>: ManagedBuffer<TableBranchHeader, TableSlot> {
    var childCount: Int { withUnsafeMutablePointerToHeader { $0.pointee.childCount } }
    private func addToChildCount(_ delta: Int) { withUnsafeMutablePointerToHeader { $0.pointee.childCount += delta } }

    static func make() -> TableBranch {
        let branch = unsafeDowncast(
            create(minimumCapacity: 64) { _ in TableBranchHeader(childCount: 0) }, to: TableBranch.self)
        branch.withUnsafeMutablePointerToElements {
            $0.initialize(repeating: TableSlot(child: nil, leafBitmap: 0), count: 64)
        }
        return branch
    }

    deinit {
        _ = withUnsafeMutablePointerToElements { $0.deinitialize(count: 64) }
    }

    func copy() -> TableBranch {
        let copy = unsafeDowncast(
            TableBranch.create(minimumCapacity: 64) { _ in TableBranchHeader(childCount: childCount) },
            to: TableBranch.self)
        withUnsafeMutablePointerToElements { source in
            copy.withUnsafeMutablePointerToElements { $0.initialize(from: source, count: 64) }
        }
        return copy
    }

    /// The child's address without retaining it: a strong reference holds
    /// exactly the object pointer, or zero for nil.
    @inlinable
    static func unretainedChild(of node: UnsafeMutableRawPointer, at slot: Int) -> UnsafeMutableRawPointer? {
        Unmanaged<TableBranch>.fromOpaque(node)._withUnsafeGuaranteedRef { branch in
            branch.withUnsafeMutablePointerToElements {
                UnsafeRawPointer($0 + slot).load(as: UnsafeMutableRawPointer?.self)
            }
        }
    }

    /// The value in slot `slot` of the leaf below `branchSlot` of this lowest branch.
    @inlinable
    static func valueInLeaf(of node: UnsafeMutableRawPointer, at branchSlot: Int, slot: Int) -> Value? {
        Unmanaged<TableBranch>.fromOpaque(node)._withUnsafeGuaranteedRef { branch in
            branch.withUnsafeMutablePointerToElements { slots in
                let raw = UnsafeRawPointer(slots + branchSlot)
                let bit = UInt64(1) << UInt64(slot)
                let bitmap = raw.load(
                    fromByteOffset: MemoryLayout<TableSlot>.offset(of: \.leafBitmap)!, as: UInt64.self)
                guard bitmap & bit != 0, let leaf = raw.load(as: UnsafeMutableRawPointer?.self) else { return nil }
                return Unmanaged<TableLeaf<Value>>.fromOpaque(leaf)._withUnsafeGuaranteedRef { leaf in
                    leaf.withUnsafeMutablePointerToElements { $0[(bitmap & (bit &- 1)).nonzeroBitCount] }
                }
            }
        }
    }

    func child(at slot: Int) -> AnyObject? { withUnsafeMutablePointerToElements { $0[slot].child } }

    /// Moves the child out, so that a uniquely held child can be changed in place.
    func takeChild(at slot: Int) -> AnyObject? {
        withUnsafeMutablePointerToElements { elements in
            let child = exchange(&elements[slot], with: TableSlot(child: nil, leafBitmap: 0)).child
            if child != nil { addToChildCount(-1) }
            return child
        }
    }

    func setChild(_ child: AnyObject, at slot: Int, leafBitmap: UInt64) {
        withUnsafeMutablePointerToElements { elements in
            if elements[slot].child == nil { addToChildCount(1) }
            elements[slot] = TableSlot(child: child, leafBitmap: leafBitmap)
        }
    }
}
