import CatalogueDomain
import CatalogueEngine
import Foundation
import Testing

@testable import CatalogueJSON

/// `JSONValue.jsonLine` and `JSONModel.line`, which writes through it, write
/// exactly what `JSONEncoder` writes with the model's escapes.
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
            #expect(value.jsonLine == JSONModel.lineThroughFoundation(value), "\(value)")
            #expect(JSONModel.line(value) == value.jsonLine)
        }
    }

    @Test func aValueWithADoubleWritesItAsTheEncoderDoes() {
        let value = JSONValue.object(["busy": .double(2.5), "n": .integer(1)])
        #expect(value.jsonLine == JSONModel.lineThroughFoundation(value))
        #expect(value.jsonLine == #"{"busy":2.5,"n":1}"#)
        #expect(JSONModel.line(2.035135744) == JSONModel.lineThroughFoundation(2.035135744))
    }

    /// Every kind of answer a real catalogue gives (objects, listings,
    /// requests, work items, reports with fractions, every event), with
    /// absent values, nested objects, arrays and text that needs escapes.
    @Test func everyAnswerOfARealCatalogueIsWrittenAsTheFoundationEncoderWritesIt() async throws {
        let root = NSTemporaryDirectory() + "mc-jsonline-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var options = CatalogueOptions()
        options.initialAccess = [AccessEntry(.everyone, .all)]
        let catalogue = try await Catalogue.open(at: root + "/store", create: true, options: options)
        defer { catalogue.close() }
        let session = try catalogue.session(application: "backup", user: "svc")
        let type = try await session.registerMediaType(name: "LTO", sides: 1)
        let robot = try await session.addLibrary(name: "Robot \"A\", left", slots: 10, drives: 2)
        let pool = try await session.createPool(
            path: "\\Nächtlich", mediaType: type, policy: PoolPolicy(allocateFromScratch: true))
        for slot in 1...4 {
            _ = try await session.registerMedium(
                barcode: "T0000\(slot)", mediaType: type, location: .slot(robot, UInt32(slot)))
        }
        let first = try await session.allocate(AllocationRequest(pool: pool))
        let second = try await session.allocate(AllocationRequest(pool: pool))
        try await session.deallocate(first.logicalMedium)
        _ = try await session.submitRequest(.message, message: "check the door, \"left\" side \\ 😀")
        try await session.grantAccess(.use, to: .group("backup"), on: .pool(pool))
        _ = try await session.issueToken(for: Principal(user: "svc"), expires: nil)

        let state = catalogue.snapshot.state
        let filters = try ListingFilters(pool: nil, state: nil, library: nil, mediaType: nil, in: state)
        var lines: [(tree: String, foundation: String)] = []
        func check(_ values: [some Encodable]) {
            for value in values { lines.append((JSONModel.line(value), JSONModel.lineThroughFoundation(value))) }
            lines.append((JSONModel.line(values), JSONModel.lineThroughFoundation(values)))
        }
        check(Listing.pools(state, filters))
        check(Listing.media(state, filters))
        check(Listing.sides(state, filters))
        check(Listing.logicalMedia(state, filters))
        check(Listing.libraries(state))
        check(Listing.mediaTypes(state))
        let library = try #require(state.libraries[robot])
        check(Listing.drives(of: library, state, filters))
        check(Listing.slots(of: library, state, filters))
        check(state.requests.values.map { RequestJSON($0, state) })
        check(state.libraryRequests(of: robot, finished: true).map { LibraryRequestJSON($0, state) })
        check([AllocationJSON(second, state)])
        check(state.scratchCounts().map { ScratchJSON($0, state) })
        check(state.driveUtilisation(at: catalogue.now + 1_234_567_891).map { DriveUseJSON($0, state) })
        check(try catalogue.events(from: 1, through: catalogue.snapshot.head.sequence).map(EventJSON.init))
        check([ErrorJSON(NtmsError(.mediaUnavailable, "none \u{85}left"))])
        #expect(lines.count > 60)
        for (tree, foundation) in lines { #expect(tree == foundation) }
    }
}
