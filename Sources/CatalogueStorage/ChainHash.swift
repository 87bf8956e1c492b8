import CCRC32C
import Crypto

/// SHA-256 link of the log's hash chain: hash(previous link || record bytes).
/// Changing or removing any record changes every link after it, and the head.
public struct ChainHash: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    public var bytes: [UInt8]

    /// The link before the first record.
    public static let genesis = ChainHash(bytes: [UInt8](repeating: 0, count: byteCount))

    public init(bytes: [UInt8]) {
        precondition(bytes.count == Self.byteCount, "a chain hash is 32 bytes")
        self.bytes = bytes
    }

    init(_ raw: UnsafeRawBufferPointer) {
        self.bytes = Array(raw.prefix(Self.byteCount))
    }

    /// The next link: SHA-256 over this link followed by `record`.
    func next(over record: UnsafeRawBufferPointer) -> ChainHash {
        var hasher = SHA256()
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: record)
        return ChainHash(bytes: Array(hasher.finalize()))
    }

    public var description: String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

/// CRC-32C as used for record checksums.
public enum CRC32C {
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        mc_crc32c(crc, bytes.baseAddress, bytes.count)
    }

    /// The table-driven path alone, for checking the hardware path against it.
    public static func portableChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        mc_crc32c_portable(crc, bytes.baseAddress, bytes.count)
    }
}
