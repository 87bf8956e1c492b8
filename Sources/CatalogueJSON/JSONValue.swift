import CatalogueDomain

/// Any JSON value: an event's typed fields, whose shape depends on the event.
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(UInt64.self) {
            self = .unsigned(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .unsigned(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// An event field's value: times as ISO-8601 text, locations as location objects.
    public init(_ value: EventFieldValue) {
        switch value {
        case .text(let text): self = .string(text)
        case .integer(let number): self = .integer(number)
        case .unsigned(let number): self = .unsigned(number)
        case .flag(let flag): self = .bool(flag)
        case .time(let nanoseconds): self = .string(JSONModel.time(nanoseconds))
        case .location(let location): self = LocationJSON(location, libraryName: nil).jsonValue
        case .list(let values): self = .array(values.map(JSONValue.init))
        case .record(let fields): self = .object(JSONValue.object(fields))
        case .absent: self = .null
        }
    }

    /// Fields by name; a repeated name keeps its first value.
    public static func object(_ fields: [EventField]) -> [String: JSONValue] {
        Dictionary(fields.map { ($0.name, JSONValue($0.value)) }) { first, _ in first }
    }
}
