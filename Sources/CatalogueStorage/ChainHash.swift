import CCRC32C
import CSHA256

/// SHA-256 link of the log's hash chain: hash(previous link || record bytes).
/// Changing or removing any record changes every link after it, and the head.
/// Kept inline (no heap array): replay computes one per record.
public struct ChainHash: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    /// The 32 bytes in order; a homogeneous tuple is laid out contiguously.
    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// The link before the first record.
    public static let genesis = ChainHash(bytes: [UInt8](repeating: 0, count: byteCount))

    public init(bytes: [UInt8]) {
        precondition(bytes.count == Self.byteCount, "a chain hash is 32 bytes")
        withUnsafeMutableBytes(of: &storage) { target in bytes.withUnsafeBytes { target.copyMemory(from: $0) } }
    }

    private init() {}

    init(_ raw: UnsafeRawBufferPointer) {
        precondition(raw.count >= Self.byteCount, "a chain hash is 32 bytes")
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw.prefix(32))) }
    }

    public var bytes: [UInt8] { withUnsafeBytes(of: storage) { Array($0) } }

    func append(to out: inout [UInt8]) { withUnsafeBytes(of: storage) { out.append(contentsOf: $0) } }

    /// The next link: SHA-256 over this link followed by `record`.
    func next(over record: UnsafeRawBufferPointer) -> ChainHash {
        var next = ChainHash()
        withUnsafeBytes(of: storage) { link in
            withUnsafeMutableBytes(of: &next.storage) { digest in
                mc_sha256_pair(
                    link.baseAddress, link.count, record.baseAddress, record.count,
                    digest.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return next
    }

    public static func == (lhs: ChainHash, rhs: ChainHash) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1 && lhs.storage.2 == rhs.storage.2
            && lhs.storage.3 == rhs.storage.3
    }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes(of: storage) { hasher.combine(bytes: $0) }
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

/// SHA-256 of a byte string, from the same libcrypto the chain uses.
public enum SHA256Digest {
    public static let byteCount = 32

    public static func of(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: byteCount)
        bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { output in
                mc_sha256_pair(input.baseAddress, input.count, nil, 0, output.baseAddress!)
            }
        }
        return digest
    }
}
