import CCRC32C
import CLMDB

/// A saved copy of the folded state at one point of the log, so that opening a
/// store folds only the events after it. The log stays the only source of
/// truth: a checkpoint that fails any check is ignored and the log replayed.
public struct Checkpoint: Sendable, Equatable {
    /// The last event the state covers, and its chain link (ties the checkpoint to this very log).
    public var head: LogHead
    /// The version of the state encoding inside `payload` (owned by the domain layer).
    public var stateVersion: UInt16
    /// The encoded state.
    public var payload: [UInt8]

    public init(head: LogHead, stateVersion: UInt16, payload: [UInt8]) {
        self.head = head
        self.stateVersion = stateVersion
        self.payload = payload
    }
}

/// Why a stored checkpoint cannot be used.
public struct CheckpointDamage: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The checkpoint container, format 1. All integers little-endian.
///
///     0  4 bytes magic "MCCP"    4  u16 container format (1)    6  u16 state version
///     8  u64 sequence covered   16  32 bytes chain hash of that event
///    48  u64 payload length     56  payload
///        u32 CRC-32C of every byte before it
public enum CheckpointCodec {
    public static let format: UInt16 = 1
    static let magic: [UInt8] = Array("MCCP".utf8)
    static let headerSize = 56

    public static func encode(_ checkpoint: Checkpoint) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerSize + checkpoint.payload.count + 4)
        out.append(contentsOf: magic)
        appendLE(&out, format)
        appendLE(&out, checkpoint.stateVersion)
        appendLE(&out, checkpoint.head.sequence)
        out.append(contentsOf: checkpoint.head.chainHash.bytes)
        appendLE(&out, UInt64(checkpoint.payload.count))
        out.append(contentsOf: checkpoint.payload)
        let crc = out.withUnsafeBytes { mc_crc32c(0, $0.baseAddress, $0.count) }
        appendLE(&out, crc)
        return out
    }

    /// Decodes a stored checkpoint, checking its length, format and checksum.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<Checkpoint, CheckpointDamage> {
        guard bytes.count >= headerSize + 4 else {
            return .failure(CheckpointDamage("\(bytes.count) bytes is too short for a checkpoint"))
        }
        guard bytes.prefix(4).elementsEqual(magic) else { return .failure(CheckpointDamage("not a checkpoint")) }
        let format = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        guard format == Self.format else {
            return .failure(CheckpointDamage("checkpoint container format \(format) is not known to this version"))
        }
        let length = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 48, as: UInt64.self))
        guard length == UInt64(bytes.count - headerSize - 4) else {
            return .failure(CheckpointDamage("the checkpoint's length field does not match its size"))
        }
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self))
        let computed = mc_crc32c(0, bytes.baseAddress, bytes.count - 4)
        guard stored == computed else { return .failure(CheckpointDamage("the checkpoint fails its CRC-32C")) }
        let head = LogHead(
            sequence: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            chainHash: ChainHash(UnsafeRawBufferPointer(rebasing: bytes[16..<48])))
        let stateVersion = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        let payload = Array(UnsafeRawBufferPointer(rebasing: bytes[headerSize..<(bytes.count - 4)]))
        return .success(Checkpoint(head: head, stateVersion: stateVersion, payload: payload))
    }

    private static func appendLE<T: FixedWidthInteger>(_ out: inout [UInt8], _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }
}

extension LogReader {
    /// The checkpoint stored for `sequence`, checked, or nil when there is none.
    public func checkpoint(at sequence: UInt64) throws -> Result<Checkpoint, CheckpointDamage>? {
        let key = EventLog.key(for: sequence)
        guard let raw = try key.withUnsafeBytes({ try txn.get(log.checkpoints, key: $0) }) else { return nil }
        return Self.decode(raw, storedAt: sequence)
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, storedAt sequence: UInt64) -> Result<
        Checkpoint, CheckpointDamage
    > {
        let content = CheckpointCodec.decode(raw)
        if case .success(let checkpoint) = content, checkpoint.head.sequence != sequence {
            return .failure(CheckpointDamage("stored under event \(sequence) but covers \(checkpoint.head.sequence)"))
        }
        return content
    }

    /// The stored size of the checkpoint for `sequence`, without checking it.
    public func checkpointByteCount(at sequence: UInt64) throws -> Int? {
        try EventLog.key(for: sequence).withUnsafeBytes { try txn.get(log.checkpoints, key: $0) }?.count
    }

    /// The sequence numbers of the stored checkpoints, oldest first, without reading them.
    public func checkpointSequences() throws -> [UInt64] {
        var sequences: [UInt64] = []
        try txn.scan(log.checkpoints, from: nil) { key, _ in
            if key.count == 8 { sequences.append(UInt64(bigEndian: key.loadUnaligned(as: UInt64.self))) }
            return true
        }
        return sequences
    }

    /// The commit time of the record at `sequence` (its checksum verified); nil when there is none.
    public func timestamp(at sequence: UInt64) throws -> Int64? { try recordView(at: sequence)?.timestamp }

    /// The last event committed at or before `time` (nanoseconds since 1970),
    /// found by binary search over the records' times, reading about
    /// log2(head) records; 0 when the first event is later. Record times rise
    /// with the sequence unless a writer's clock stepped back, and then the
    /// answer is an event near `time` rather than the exact last one.
    public func lastSequence(atOrBefore time: Int64, head: UInt64) throws -> UInt64 {
        var (low, high) = (UInt64(0), head)  // invariant: record `low` is at or before `time` (0: none)
        while low < high {
            let middle = low + (high - low + 1) / 2
            guard let stamp = try timestamp(at: middle) else {
                throw StorageError.sequenceGap(expected: middle, found: 0)
            }
            if stamp <= time { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// The chain link of the record at `sequence`, checked against its CRC, or nil when there is none.
    public func chainHash(at sequence: UInt64) throws -> ChainHash? { try recordView(at: sequence)?.chainHash }
}

/// Which checkpoints a store keeps once a new one is saved: the newest `keep`
/// (at least one), and of the older ones the oldest in each power-of-two band
/// of age, counted in `unit`s of events behind the newest (under one unit,
/// 1, 2–3, 4–7, …), for the `history` youngest bands. As the log grows each
/// kept checkpoint ages into the next band, where it displaces nothing older,
/// so the spacing stays exponential: the state at a past event replays at most
/// about twice as many events as that event is old (or one unit), and the
/// store holds at most `keep + history`. The unit is the writer's save
/// cadence, so frequent small saves (on close) fill one band, not all of them.
public enum CheckpointRetention {
    /// The stored sequences (ascending) to remove.
    public static func sequencesToRemove(
        from stored: [UInt64], keep: Int, history: Int, unit: UInt64 = 1
    ) -> [UInt64] {
        let recent = stored.suffix(max(1, keep))
        guard let newest = recent.last else { return [] }
        var oldestInBand: [Int: UInt64] = [:]
        for sequence in stored.dropLast(recent.count) {
            let band = band(age: newest - sequence, unit: unit)
            if oldestInBand[band] == nil { oldestInBand[band] = sequence }
        }
        let kept = Set(recent).union(oldestInBand.values.sorted(by: >).prefix(max(0, history)))
        return stored.filter { !kept.contains($0) }
    }

    /// floor(log2(age / unit)) + 1, and 0 under one unit.
    static func band(age: UInt64, unit: UInt64) -> Int {
        let units = age / max(1, unit)
        return UInt64.bitWidth - units.leadingZeroBitCount
    }
}

extension LogWriter {
    /// Stores a checkpoint and removes the ones `CheckpointRetention` lets go.
    public func storeCheckpoint(_ checkpoint: Checkpoint, keep: Int, history: Int = 0, unit: UInt64 = 1) throws {
        let bytes = CheckpointCodec.encode(checkpoint)
        try EventLog.key(for: checkpoint.head.sequence).withUnsafeBytes { key in
            try bytes.withUnsafeBytes { try txn.put(log.checkpoints, key: key, value: $0) }
        }
        let sequences = try reader.checkpointSequences()
        let removed = CheckpointRetention.sequencesToRemove(from: sequences, keep: keep, history: history, unit: unit)
        for sequence in removed {
            try removeCheckpoint(sequence: sequence)
        }
    }

    /// Removes the checkpoint stored for `sequence`; false when there was none.
    @discardableResult
    public func removeCheckpoint(sequence: UInt64) throws -> Bool {
        var key = EventLog.key(for: sequence)
        return try key.withUnsafeMutableBytes { keyBytes in
            var keyValue = MDB_val(mv_size: keyBytes.count, mv_data: keyBytes.baseAddress)
            let code = mdb_del(txn.handle, log.checkpoints, &keyValue, nil)
            if code == MDB_NOTFOUND { return false }
            try StorageError.check(code, "mdb_del")
            return true
        }
    }
}

// Test seam (reached with `@testable import`): stores any bytes as a checkpoint, as damage would.
extension LogWriter {
    func replaceCheckpointBytes(sequence: UInt64, with bytes: [UInt8]) throws {
        try EventLog.key(for: sequence).withUnsafeBytes { key in
            try bytes.withUnsafeBytes { try txn.put(log.checkpoints, key: key, value: $0) }
        }
    }

    func checkpointBytes(sequence: UInt64) throws -> [UInt8]? {
        try EventLog.key(for: sequence).withUnsafeBytes { try txn.get(log.checkpoints, key: $0) }.map { Array($0) }
    }
}
