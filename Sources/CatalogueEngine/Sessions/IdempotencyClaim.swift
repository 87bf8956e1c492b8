import CatalogueDomain
import CatalogueStorage

/// A command's idempotency key, bound to who sent it and what it asks.
///
/// The answer is stored under the application, the user, the kind of command
/// and the key together, so two applications (or two users of one) that both
/// number their jobs from 1 never share an answer, and a key first used for
/// an allocation means nothing to a deallocation. The stored answer carries a
/// digest of the command's arguments: the same key sent again with other
/// arguments is refused rather than answered with the first command's result.
///
/// A class: it rides in every queued command, which stays one word larger instead of five.
final class IdempotencyClaim: Sendable {
    /// The caller's key, as recorded in the headers of the events it causes.
    let key: String
    /// Where the answer is stored: each scope field length-prefixed, then the key.
    /// Valid UTF-8 (each length is below 0x80), so a String: dictionaries hash it
    /// in one pass, where a byte array is hashed a byte at a time.
    let storageKey: String
    /// SHA-256 of the command's kind and arguments.
    let digest: [UInt8]
    /// The command's kind, for messages.
    let kind: String

    /// The stored answer's layout version: one byte, then the digest, then the outcome.
    static let storedAnswerVersion: UInt8 = 1

    init(key: String, application: String, user: String, command: CatalogueCommand) {
        let fingerprint = command.fingerprint
        self.key = key
        self.kind = fingerprint.kind
        var scope = ""
        for field in [application, user, fingerprint.kind] {
            // Session names are at most 64 bytes and kinds are short, so one scalar below 0x80 holds each length.
            scope.unicodeScalars.append(Unicode.Scalar(UInt8(field.utf8.count)))
            scope += field
        }
        storageKey = scope + key
        var hashed = [UInt8(fingerprint.kind.utf8.count)] + Array(fingerprint.kind.utf8)
        hashed.append(contentsOf: fingerprint.arguments)
        digest = SHA256Digest.of(hashed)
    }

    /// The bytes stored under `storageKey` for a final answer.
    func storedAnswer(_ outcome: CommandOutcome) -> [UInt8] {
        var bytes: [UInt8] = [Self.storedAnswerVersion]
        bytes.reserveCapacity(1 + digest.count + 16)
        bytes.append(contentsOf: digest)
        bytes.append(contentsOf: outcome.encoded())
        return bytes
    }

    /// What a retry is answered from stored bytes: the first answer when the
    /// arguments match, ERROR_INVALID_PARAMETER when they differ.
    func answer(fromStored stored: [UInt8]) -> Result<CommandOutcome, NtmsError> {
        let header = 1 + SHA256Digest.byteCount
        guard stored.count > header, stored[0] == Self.storedAnswerVersion else {
            return .failure(NtmsError(.databaseFailure, "the stored answer for idempotency key \(key) is malformed"))
        }
        guard stored[1..<header].elementsEqual(digest) else { return .failure(argumentsDiffer) }
        return Result { try CommandOutcome.decode(Array(stored[header...])) }.mapError {
            NtmsError(.databaseFailure, "the stored answer for idempotency key \(key) is corrupt: \($0)")
        }
    }

    /// The answer to a retry decided earlier in the same batch.
    func answer(fromEarlier earlier: (digest: [UInt8], outcome: CommandOutcome)) -> Result<CommandOutcome, NtmsError> {
        earlier.digest == digest ? .success(earlier.outcome) : .failure(argumentsDiffer)
    }

    private var argumentsDiffer: NtmsError {
        NtmsError(
            .invalidParameter,
            "idempotency key \(key) was already used for a \(kind) command with other arguments; "
                + "a new command needs a new key")
    }
}
