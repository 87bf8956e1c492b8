import CatalogueDomain

extension JSONValue {
    /// The value as one line of JSON, exactly as `JSONEncoder` writes it with
    /// `JSONModel`'s escapes (keys sorted by their UTF-8 bytes, the encoder's
    /// escapes, every character that is not displayable as `\u`): the encoder
    /// costs several times an export row's insert or a point read's lookup.
    /// A `double` alone is written by the encoder, whose number formatting is
    /// its own.
    public var jsonLine: String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .integer(let value): out.append(contentsOf: String(value).utf8)
        case .unsigned(let value): out.append(contentsOf: String(value).utf8)
        case .double(let value): out.append(contentsOf: JSONModel.lineThroughFoundation(value).utf8)
        case .string(let value): Self.write(string: value, to: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (index, key) in fields.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.write(string: key, to: &out)
                out.append(UInt8(ascii: ":"))
                fields[key]?.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func write(string text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Printable ASCII other than the quote and the backslash, the common case, is copied as it is.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) {
            out.append(contentsOf: text.utf8)
        } else {
            for scalar in text.unicodeScalars { write(scalar: scalar, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func write(scalar: Unicode.Scalar, to out: inout [UInt8]) {
        switch scalar.value {
        case 0x22: out.append(contentsOf: #"\""#.utf8)
        case 0x5C: out.append(contentsOf: #"\\"#.utf8)
        case 0x08: out.append(contentsOf: #"\b"#.utf8)
        case 0x09: out.append(contentsOf: #"\t"#.utf8)
        case 0x0A: out.append(contentsOf: #"\n"#.utf8)
        case 0x0C: out.append(contentsOf: #"\f"#.utf8)
        case 0x0D: out.append(contentsOf: #"\r"#.utf8)
        case 0..<0x20: out.append(contentsOf: ("\\u" + JSONModel.hex4(UInt16(scalar.value))).utf8)
        default:
            if TextRules.isDisplayable(scalar) {
                out.append(contentsOf: String(scalar).utf8)
            } else {
                for unit in String(scalar).utf16 { out.append(contentsOf: ("\\u" + JSONModel.hex4(unit)).utf8) }
            }
        }
    }
}
