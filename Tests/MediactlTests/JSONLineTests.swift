import CatalogueJSON
import Testing

/// `JSONValue.jsonLine`, the encoder-free writer exports use, writes exactly
/// what `JSONModel.line` writes through `JSONEncoder`.
@Suite struct JSONLineTests {
    /// Scalars that exercise every escape: JSON's own, controls, DEL and C1,
    /// separators, bidirectional overrides, combining marks, astral and private use.
    static let scalars: [Unicode.Scalar] = [
        "a", "Z", "0", " ", "/", "\"", "\\", "\u{0}", "\u{8}", "\u{9}", "\u{A}", "\u{B}", "\u{C}", "\u{D}", "\u{1F}",
        "\u{7F}", "\u{85}", "\u{A0}", "é", "\u{301}", "\u{200B}", "\u{2028}", "\u{202E}", "\u{FEFF}", "\u{FFFD}",
        "\u{E000}", "😀", "\u{10FFFF}", "中",
    ]

    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }

        mutating func string() -> String {
            var text = String.UnicodeScalarView()
            for _ in 0..<next(6) { text.append(JSONLineTests.scalars[next(JSONLineTests.scalars.count)]) }
            return String(text)
        }

        mutating func value(depth: Int) -> JSONValue {
            switch next(depth > 2 ? 7 : 9) {
            case 0: return .null
            case 1: return .bool(next(2) == 0)
            case 2: return .integer([Int64.min, -1, 0, 7, Int64.max][next(5)])
            case 3: return .unsigned([0, 1, UInt64.max][next(3)])
            case 4: return .double([0, -0.5, 2.035135744, 1e-7, 1e21, 3, .pi][next(7)])
            case 5, 6: return .string(string())
            case 7: return .array((0..<next(4)).map { _ in value(depth: depth + 1) })
            default:
                return .object(
                    Dictionary((0..<next(5)).map { _ in (string(), value(depth: depth + 1)) }) { first, _ in first })
            }
        }
    }

    @Test func theEncoderFreeLineEqualsTheEncodersForEveryKindOfValue() {
        var generator = Generator(state: 0x0DDB_A11)
        for _ in 0..<3000 {
            let value = generator.value(depth: 0)
            #expect(value.jsonLine == JSONModel.line(value), "\(value)")
        }
    }

    @Test func aValueWithADoubleWritesItAsTheEncoderDoes() {
        let value = JSONValue.object(["busy": .double(2.5), "n": .integer(1)])
        #expect(value.jsonLine == JSONModel.line(value))
        #expect(value.jsonLine == #"{"busy":2.5,"n":1}"#)
    }
}
