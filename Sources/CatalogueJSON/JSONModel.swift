import CatalogueDomain
import Foundation

/// The catalogue's JSON model: one set of `Codable` types for every object,
/// event, result and error that the CLI prints and a network API will serve.
///
/// Its rules (docs/json-model.md has the field dictionary):
/// - a field name means one thing everywhere;
/// - a reference carries the id and the readable name;
/// - absent values are `null`, never left out;
/// - numbers are numbers, booleans are booleans, times are ISO-8601 UTC;
/// - listings are arrays.
public enum JSONModel {
    /// The version of the model and of its JSON Schema (`docs/schema/v1`).
    /// Adding a field or an output keeps it; renaming, removing or changing
    /// the meaning of one raises it.
    public static let schemaVersion = 1

    /// The model's JSON Schema (`docs/schema/v1/mediactl.schema.json`), as bundled with this build.
    public static var schemaText: String {
        guard let url = Bundle.module.url(forResource: "mediactl.schema", withExtension: "json"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "{}" }
        return text
    }

    /// A time in nanoseconds since 1970 as ISO-8601 UTC with milliseconds.
    public static func time(_ nanoseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(nanoseconds) / 1_000_000_000)
        return date.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// One line of JSON with sorted keys. Characters that are not displayable
    /// are written as `\u` escapes: C1 controls, bidirectional overrides and
    /// line separators from the log must not reach a terminal either. Written
    /// through a `JSONValue` tree, byte for byte what `lineThroughFoundation`
    /// writes at a fraction of its cost.
    public static func line<T: Encodable>(_ value: T) -> String {
        guard let tree = try? JSONValueEncoder.encode(value) else { return "null" }
        return tree.jsonLine
    }

    /// The same line through `JSONEncoder`: the reference the tree writer is
    /// tested against, and the writer of a lone `Double`, whose formatting is
    /// the encoder's own. The encoder escapes only C0 controls, so a second
    /// pass escapes the rest; JSON's own structure is ASCII, so they occur only
    /// in strings.
    static func lineThroughFoundation<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        return TextRules.escaped(String(decoding: data, as: UTF8.self)) { scalar in
            String(scalar).utf16.map { "\\u" + hex4($0) }.joined()
        }
    }

    static func hex4(_ unit: UInt16) -> String {
        let digits = String(unit, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}

// The model writes an absent value as `null`: the synthesized encoders of
// this module call `encodeIfPresent` for optionals, and these overloads, seen
// only inside the module, encode the nil instead of leaving the key out, so a
// CSV header taken from any row has every column.
extension KeyedEncodingContainer {
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try encode(value, forKey: key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encode(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encode(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encode(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encode(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encode(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encode(value, forKey: key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encode(value, forKey: key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encode(value, forKey: key) }
}
