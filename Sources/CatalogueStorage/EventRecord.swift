/// What the writer supplies for one record; the log adds the sequence's chain
/// link and checksum.
public struct RecordHeader: Sendable, Equatable {
    public var sequence: UInt64
    public var eventType: UInt16
    public var schemaVersion: UInt16
    /// Wall-clock time of the decision, nanoseconds since 1970-01-01 UTC.
    public var timestamp: Int64
    public var application: String
    public var user: String
    /// The caller's idempotency key, when the command carried one.
    public var idempotencyKey: String?

    public init(
        sequence: UInt64, eventType: UInt16, schemaVersion: UInt16, timestamp: Int64,
        application: String, user: String, idempotencyKey: String? = nil
    ) {
        self.sequence = sequence
        self.eventType = eventType
        self.schemaVersion = schemaVersion
        self.timestamp = timestamp
        self.application = application
        self.user = user
        self.idempotencyKey = idempotencyKey
    }
}

/// One decoded log record.
public struct EventRecord: Sendable, Equatable {
    public var header: RecordHeader
    public var payload: [UInt8]
    /// The chain link stored in this record.
    public var chainHash: ChainHash
}

/// One checked record as it lies in storage, its fields pointing into the
/// stored bytes: valid only while the transaction that read it lasts.
public struct RecordView {
    public var sequence: UInt64
    public var eventType: UInt16
    public var schemaVersion: UInt16
    public var timestamp: Int64
    var application: UnsafeRawBufferPointer
    var user: UnsafeRawBufferPointer
    var idempotencyKey: UnsafeRawBufferPointer?
    /// The event's encoded fields.
    public var payload: UnsafeRawBufferPointer
    /// The chain link stored in this record.
    public var chainHash: ChainHash

    /// The header, with its strings copied out.
    public var header: RecordHeader {
        RecordHeader(
            sequence: sequence, eventType: eventType, schemaVersion: schemaVersion, timestamp: timestamp,
            application: String(decoding: application, as: UTF8.self), user: String(decoding: user, as: UTF8.self),
            idempotencyKey: idempotencyKey.map { String(decoding: $0, as: UTF8.self) })
    }

    /// The whole record, copied out of storage.
    public var record: EventRecord { EventRecord(header: header, payload: Array(payload), chainHash: chainHash) }
}

/// The on-disk record format, version 1. All integers little-endian.
///
///     0  u8   format (1)            1  u8  flags (bit 0: idempotency key present)
///     2  u16  event type            4  u16 event schema version    6  u16 reserved (0)
///     8  u64  sequence             16  i64 timestamp (ns since 1970)
///    24  u8 length + application, u8 length + user, [u8 length + idempotency key]
///        u32 length + payload
///        32 bytes chain hash = SHA-256(previous chain hash || every byte before it)
///        u32 CRC-32C of every byte before it
public enum RecordCodec {
    public static let format: UInt8 = 1
    static let fixedHeaderSize = 24
    static let maximumStringBytes = 255

    /// Encodes a record that follows `previous` in the chain.
    public static func encode(_ header: RecordHeader, payload: [UInt8], previous: ChainHash) -> (
        bytes: [UInt8], chainHash: ChainHash
    ) {
        var out: [UInt8] = []
        out.reserveCapacity(fixedHeaderSize + payload.count + 96)
        let chain = encode(header, previous: previous, into: &out) { $0.append(contentsOf: payload) }
        return (out, chain)
    }

    /// Encodes a record into `out`, replacing what it held but keeping its
    /// capacity, with `payload` appending the event's bytes in place: a writer
    /// that reuses one buffer builds each record without allocating.
    public static func encode(
        _ header: RecordHeader, previous: ChainHash, into out: inout [UInt8], payload: (inout [UInt8]) -> Void
    ) -> ChainHash {
        out.removeAll(keepingCapacity: true)
        out.append(format)
        out.append(header.idempotencyKey == nil ? 0 : 1)
        appendLE(&out, header.eventType)
        appendLE(&out, header.schemaVersion)
        appendLE(&out, UInt16(0))
        appendLE(&out, header.sequence)
        appendLE(&out, UInt64(bitPattern: header.timestamp))
        appendShortString(&out, header.application)
        appendShortString(&out, header.user)
        if let key = header.idempotencyKey { appendShortString(&out, key) }
        let lengthOffset = out.count
        appendLE(&out, UInt32(0))
        payload(&out)
        let length = UInt32(out.count - lengthOffset - 4).littleEndian
        out.withUnsafeMutableBytes { $0.storeBytes(of: length, toByteOffset: lengthOffset, as: UInt32.self) }
        let chain = out.withUnsafeBytes { previous.next(over: $0) }
        chain.append(to: &out)
        let crc = out.withUnsafeBytes { CRC32C.checksum($0) }
        appendLE(&out, crc)
        return chain
    }

    /// Decodes and checks one record. `sequence` is the key it was stored under,
    /// which the record must repeat. With `previous`, the chain link is checked too.
    public static func decode(_ raw: UnsafeRawBufferPointer, sequence: UInt64, previous: ChainHash?)
        throws(StorageError)
        -> EventRecord
    {
        try view(raw, sequence: sequence, previous: previous).record
    }

    /// Checks one record exactly like `decode` but copies nothing out: the view's
    /// fields point into `raw`. Folding a long log needs only the event's bytes,
    /// and skipping the copies of the payload and the header's strings makes
    /// replay markedly faster.
    public static func view(_ raw: UnsafeRawBufferPointer, sequence: UInt64, previous: ChainHash?)
        throws(StorageError)
        -> RecordView
    {
        func corrupt(_ reason: String) -> StorageError { .corruptRecord(sequence: sequence, reason: reason) }
        let minimum = fixedHeaderSize + 2 + 4 + ChainHash.byteCount + 4
        guard raw.count >= minimum else { throw corrupt("record is \(raw.count) bytes, shorter than any valid record") }
        let crcOffset = raw.count - 4
        let stored = raw.loadUnaligned(fromByteOffset: crcOffset, as: UInt32.self).littleEndian
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[..<crcOffset]))
        guard stored == computed else { throw corrupt("checksum mismatch") }
        guard raw[0] == format else { throw corrupt("unknown record format \(raw[0])") }
        let flags = raw[1]
        var reader = ByteReader(raw, end: crcOffset - ChainHash.byteCount)
        reader.offset = 2
        guard let eventType = reader.read(UInt16.self), let version = reader.read(UInt16.self),
            reader.read(UInt16.self) != nil, let recordSequence = reader.read(UInt64.self),
            let time = reader.read(UInt64.self), let application = reader.readShortBytes(),
            let user = reader.readShortBytes()
        else { throw corrupt("truncated header") }
        var key: UnsafeRawBufferPointer?
        if flags & 1 != 0 {
            guard let value = reader.readShortBytes() else { throw corrupt("truncated idempotency key") }
            key = value
        }
        guard let length = reader.read(UInt32.self), let payload = reader.readBytes(Int(length)) else {
            throw corrupt("truncated payload")
        }
        guard reader.offset == reader.end else { throw corrupt("unexpected bytes after the payload") }
        guard recordSequence == sequence else {
            throw corrupt("record says sequence \(recordSequence) but is stored under \(sequence)")
        }
        let chainOffset = crcOffset - ChainHash.byteCount
        let chain = ChainHash(UnsafeRawBufferPointer(rebasing: raw[chainOffset..<crcOffset]))
        if let previous {
            let expected = previous.next(over: UnsafeRawBufferPointer(rebasing: raw[..<chainOffset]))
            guard expected == chain else { throw .chainBroken(sequence: sequence) }
        }
        return RecordView(
            sequence: recordSequence, eventType: eventType, schemaVersion: version,
            timestamp: Int64(bitPattern: time), application: application, user: user, idempotencyKey: key,
            payload: payload, chainHash: chain)
    }

    private static func appendLE<T: FixedWidthInteger>(_ out: inout [UInt8], _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func appendShortString(_ out: inout [UInt8], _ string: String) {
        var string = string
        let copied = string.withUTF8 { utf8 in
            guard utf8.count <= maximumStringBytes else { return false }
            out.append(UInt8(utf8.count))
            out.append(contentsOf: utf8)
            return true
        }
        if copied { return }
        // Callers validate lengths; cutting whole characters keeps the record decodable regardless.
        var text = Substring(string)
        while text.utf8.count > maximumStringBytes { text = text.dropLast() }
        out.append(UInt8(text.utf8.count))
        out.append(contentsOf: text.utf8)
    }
}

/// Bounds-checked little-endian reads from unaligned memory.
struct ByteReader {
    let raw: UnsafeRawBufferPointer
    let end: Int
    var offset = 0

    init(_ raw: UnsafeRawBufferPointer, end: Int) {
        self.raw = raw
        self.end = end
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard offset + size <= end else { return nil }
        defer { offset += size }
        return T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, offset + count <= end else { return nil }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count])
    }

    mutating func readShortBytes() -> UnsafeRawBufferPointer? {
        guard let length = read(UInt8.self) else { return nil }
        return readBytes(Int(length))
    }
}
