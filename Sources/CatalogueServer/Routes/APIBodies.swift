import CatalogueDomain
import Foundation

/// A request body: decoded strictly, so a misspelt field is an error, not a default.
protocol APIBody: Decodable, Sendable {
    /// Every field the body may carry.
    static var fields: Set<String> { get }
}

extension APIBody {
    /// Decodes `data`, refusing what is not one JSON object of known fields of the right types.
    static func decodeStrictly(_ data: Data) throws -> Self {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data.isEmpty ? Data("{}".utf8) : data)
        } catch {
            throw NtmsError(.invalidParameter, "the body is not valid JSON")
        }
        guard let fields = object as? [String: Any] else {
            throw NtmsError(.invalidParameter, "the body is not a JSON object")
        }
        if let unknown = fields.keys.filter({ !Self.fields.contains($0) }).sorted().first {
            throw NtmsError(
                .invalidParameter,
                "unknown field \"\(TextRules.preview(unknown))\"; this request takes "
                    + Self.fields.sorted().joined(separator: ", "))
        }
        do {
            return try JSONDecoder().decode(Self.self, from: data.isEmpty ? Data("{}".utf8) : data)
        } catch let DecodingError.typeMismatch(type, context), let DecodingError.valueNotFound(type, context) {
            throw NtmsError(.invalidParameter, "field \(Self.path(context)) must be \(Self.kind(type))")
        } catch let DecodingError.keyNotFound(key, _) {
            throw NtmsError(.invalidParameter, "field \(key.stringValue) is missing")
        } catch let DecodingError.dataCorrupted(context) {
            throw NtmsError(.invalidParameter, "field \(Self.path(context)) is not valid")
        } catch let error as NtmsError {
            throw error
        } catch {
            throw NtmsError(.invalidParameter, "the body does not fit this request")
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        return path.isEmpty ? "(the body)" : TextRules.preview(path)
    }

    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is UInt32.Type, is UInt64.Type, is Int64.Type: "a whole number in range"
        case is [String].Type: "an array of strings"
        default: "of the documented type"
        }
    }
}

struct MediaTypeBody: APIBody {
    static let fields: Set<String> = ["name", "sides"]
    var name: String
    var sides: Int
}

struct LibraryBody: APIBody {
    static let fields: Set<String> = ["name", "slots", "drives", "ports", "driver", "device"]
    var name: String
    var slots: Int
    var drives: Int
    var ports: Int?
    /// `simulated` or `mtx`.
    var driver: String?
    var device: String?
}

struct ChangerBody: APIBody {
    static let fields: Set<String> = ["driver", "device"]
    var driver: String
    var device: String?
}

struct PoolBody: APIBody {
    static let fields: Set<String> = ["path", "media_type", "from_scratch", "to_scratch", "max_allocates"]
    var path: String
    var media_type: String?
    var from_scratch: Bool?
    var to_scratch: Bool?
    var max_allocates: UInt32?
}

struct PoolPolicyBody: APIBody {
    static let fields: Set<String> = ["from_scratch", "to_scratch", "max_allocates"]
    var from_scratch: Bool?
    var to_scratch: Bool?
    var max_allocates: UInt32?
}

struct MediumBody: APIBody {
    static let fields: Set<String> = ["media_type", "barcode", "library", "slot", "label"]
    var media_type: String
    var barcode: String
    /// Absent: the medium is registered offline (on the shelf).
    var library: String?
    var slot: UInt32?
    /// `free`, `import` or `none`.
    var label: String?
}

struct AllocationBody: APIBody {
    static let fields: Set<String> = ["pool", "side", "new", "next", "error_if_unavailable", "timeout_ms"]
    var pool: String
    var side: String?
    var new: Bool?
    var next: String?
    var error_if_unavailable: Bool?
    /// Milliseconds to wait for media (0 or absent: do not wait; 4294967295: forever).
    var timeout_ms: UInt32?
}

struct MoveBody: APIBody {
    static let fields: Set<String> = ["pool"]
    var pool: String
}

struct RequestBody: APIBody {
    static let fields: Set<String> = ["type", "message", "pool", "medium", "library"]
    /// NEWMEDIA, CLEANER, DEVICESERVICE, MOVEMEDIA or MESSAGE (the default).
    var type: String?
    var message: String
    var pool: String?
    var medium: String?
    var library: String?
}

struct MountBody: APIBody {
    static let fields: Set<String> = ["side", "drive"]
    /// A side or a logical medium.
    var side: String
    var drive: UInt32?
}

struct DismountBody: APIBody {
    static let fields: Set<String> = ["medium", "deferred"]
    /// A medium or a logical medium.
    var medium: String
    var deferred: Bool?
}

struct InjectBody: APIBody {
    static let fields: Set<String> = ["port", "barcode", "media_type", "label"]
    var port: UInt32
    var barcode: String
    var media_type: String
    var label: String?
}

struct EjectBody: APIBody {
    static let fields: Set<String> = ["port"]
    var port: UInt32?
}

struct InventoryBody: APIBody {
    static let fields: Set<String> = ["media_type"]
    var media_type: String?
}

struct AccessChangeBody: APIBody {
    static let fields: Set<String> = ["user", "group", "everyone", "rights", "pool", "library"]
    var user: String?
    var group: String?
    var everyone: Bool?
    /// `use`, `modify`, `control` or `all`.
    var rights: [String]?
    var pool: String?
    var library: String?
}

struct TokenBody: APIBody {
    static let fields: Set<String> = ["principal", "groups", "expires"]
    var principal: String
    var groups: [String]?
    /// ISO-8601; absent never expires.
    var expires: String?
}

struct EmptyBody: APIBody {
    static let fields: Set<String> = []
}
