/// Compact binary encoding for event payloads and stored answers: LEB128
/// integers, length-prefixed UTF-8 strings. Replay speed is why it is not JSON.
public struct BinaryWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Continues `bytes`, which it takes over (no copy) until `hand(to:)`.
    public init(continuing bytes: inout [UInt8]) { swap(&self.bytes, &bytes) }

    /// Gives the bytes written so far back to `bytes`, leaving this writer empty.
    public mutating func hand(to bytes: inout [UInt8]) {
        bytes = []
        swap(&self.bytes, &bytes)
    }

    public mutating func write(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    public mutating func write(_ value: Int64) { write(UInt64(bitPattern: value)) }
    public mutating func write(_ value: UInt32) { write(UInt64(value)) }
    public mutating func write(_ value: UInt8) { bytes.append(value) }
    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    public mutating func write(_ value: String) {
        write(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    public mutating func write<Kind>(_ id: Identifier<Kind>) { write(id.rawValue) }

    /// nil is written as 0, which no identifier uses.
    public mutating func write<Kind>(_ id: Identifier<Kind>?) { write(id?.rawValue ?? 0) }

    public mutating func write<Kind>(_ ids: [Identifier<Kind>]) {
        write(UInt64(ids.count))
        for id in ids { write(id) }
    }
}

/// Why a payload could not be decoded.
public struct PayloadDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// `bytes.withUnsafeBytes`, keeping the decoding error's type (the standard
/// library's version only rethrows untyped errors).
func withPayloadBytes<Result>(
    _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(PayloadDecodingError) -> Result
) throws(PayloadDecodingError) -> Result {
    let outcome = bytes.withUnsafeBytes { raw in Swift.Result { () throws(PayloadDecodingError) in try body(raw) } }
    return try outcome.get()
}

/// Reads a payload in place: valid only while the bytes it was given are, so
/// use it inside the `withUnsafeBytes` (or storage transaction) that lent them.
public struct BinaryReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Runs `body` with a reader over `bytes`.
    public static func reading<Result>(
        _ bytes: [UInt8], _ body: (inout BinaryReader) throws(PayloadDecodingError) -> Result
    ) throws(PayloadDecodingError) -> Result {
        try withPayloadBytes(bytes) { raw throws(PayloadDecodingError) in
            var reader = BinaryReader(raw)
            return try body(&reader)
        }
    }

    public var isAtEnd: Bool { offset == bytes.count }

    /// Bytes not read yet: a bound for any count read next, since each element takes at least one.
    public var remaining: Int { bytes.count - offset }

    @inline(__always)
    public mutating func readUInt64() throws(PayloadDecodingError) -> UInt64 {
        // Most fields (tags, flags, small counts) are one byte: read those inline.
        if offset < bytes.count, bytes[offset] < 0x80 {
            defer { offset += 1 }
            return UInt64(bytes[offset])
        }
        return try readLongUInt64()
    }

    private mutating func readLongUInt64() throws(PayloadDecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw PayloadDecodingError("truncated integer") }
            let byte = bytes[offset]
            offset += 1
            guard shift < 64, !(shift == 63 && byte > 1) else { throw PayloadDecodingError("integer too long") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    public mutating func readInt64() throws(PayloadDecodingError) -> Int64 { Int64(bitPattern: try readUInt64()) }

    public mutating func readUInt32() throws(PayloadDecodingError) -> UInt32 {
        let value = try readUInt64()
        guard let narrow = UInt32(exactly: value) else { throw PayloadDecodingError("value \(value) exceeds 32 bits") }
        return narrow
    }

    @inline(__always)
    public mutating func readUInt8() throws(PayloadDecodingError) -> UInt8 {
        guard offset < bytes.count else { throw PayloadDecodingError("truncated byte") }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readBool() throws(PayloadDecodingError) -> Bool {
        switch try readUInt8() {
        case 0: return false
        case 1: return true
        case let other: throw PayloadDecodingError("invalid boolean \(other)")
        }
    }

    public mutating func readString() throws(PayloadDecodingError) -> String {
        let count = try readUInt64()
        guard count <= UInt64(bytes.count - offset) else { throw PayloadDecodingError("truncated string") }
        let end = offset + Int(count)
        defer { offset = end }
        guard let text = String(validating: bytes[offset..<end], as: UTF8.self) else {
            throw PayloadDecodingError("string is not valid UTF-8")
        }
        return text
    }

    public mutating func readID<Kind>(_: Identifier<Kind>.Type = Identifier<Kind>.self) throws(PayloadDecodingError)
        -> Identifier<Kind>
    {
        let raw = try readUInt64()
        guard raw != 0 else { throw PayloadDecodingError("\(Kind.prefix) identifier is zero") }
        return Identifier(raw)
    }

    public mutating func readOptionalID<Kind>(_: Identifier<Kind>.Type = Identifier<Kind>.self)
        throws(PayloadDecodingError) -> Identifier<Kind>?
    {
        let raw = try readUInt64()
        return raw == 0 ? nil : Identifier(raw)
    }

    public mutating func readIDs<Kind>(_: Identifier<Kind>.Type = Identifier<Kind>.self) throws(PayloadDecodingError)
        -> [Identifier<Kind>]
    {
        let count = try readUInt64()
        // Each identifier takes at least one byte: a larger count is corrupt, not a reason to allocate.
        guard count <= UInt64(bytes.count - offset) else { throw PayloadDecodingError("truncated identifier list") }
        var ids: [Identifier<Kind>] = []
        ids.reserveCapacity(Int(count))
        for _ in 0..<count { ids.append(try readID()) }
        return ids
    }

    public mutating func readEnum<T: RawRepresentable>(_: T.Type) throws(PayloadDecodingError) -> T
    where T.RawValue == UInt8 {
        let raw = try readUInt8()
        guard let value = T(rawValue: raw) else { throw PayloadDecodingError("invalid \(T.self) value \(raw)") }
        return value
    }
}
