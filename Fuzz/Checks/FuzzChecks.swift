import CatalogueDomain
import CatalogueEngine
import CatalogueHardware
import CatalogueJSON
import CatalogueStorage
import Foundation

/// The properties the fuzz targets check. Any input may be refused with an
/// error; none may crash, and whatever decodes must survive a round trip.
public enum FuzzChecks {
    /// The record every fuzzed event is folded with: a fixed time and caller, as a log would give.
    static let envelope = EventEnvelope(time: 1_764_000_000_000_000_000, application: "fuzz", user: "fuzzer")

    /// Input: two bytes of event type, then a payload. Also tried whole as a
    /// log record and as a stored command answer.
    public static func eventDecoder(_ bytes: [UInt8]) {
        if bytes.count >= 2 {
            let type = UInt16(bytes[0]) | UInt16(bytes[1] & 0x1F) << 8
            if let event = try? CatalogueEvent.decode(
                typeCode: type, schemaVersion: 1, payload: Array(bytes.dropFirst(2)))
            {
                let again = try? CatalogueEvent.decode(
                    typeCode: event.typeCode, schemaVersion: event.schemaVersion, payload: event.encodedPayload())
                precondition(again == event, "event \(event.name) does not survive re-encoding")
                _ = event.fields
                _ = event.referencedIdentifiers
            }
        }
        let sequence =
            bytes.count >= 16
            ? bytes[8..<16].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) } : 1
        if let record = try? bytes.withUnsafeBytes({ try RecordCodec.decode($0, sequence: sequence, previous: nil) }) {
            let encoded = RecordCodec.encode(record.header, payload: record.payload, previous: .genesis).bytes
            let again = try? encoded.withUnsafeBytes {
                try RecordCodec.decode($0, sequence: sequence, previous: .genesis)
            }
            precondition(
                again?.header == record.header && again?.payload == record.payload,
                "a record does not survive re-encoding")
        }
        if let outcome = try? CommandOutcome.decode(bytes) {
            precondition(
                (try? CommandOutcome.decode(outcome.encoded())) == outcome, "an outcome does not survive re-encoding")
        }
    }

    /// Input: a stored checkpoint, and the same bytes as a bare state payload.
    /// Whatever decodes must survive a round trip and be checkable without trapping.
    public static func checkpoint(_ bytes: [UInt8]) {
        if case .success(let checkpoint) = bytes.withUnsafeBytes({ CheckpointCodec.decode($0) }) {
            let again = CheckpointCodec.encode(checkpoint).withUnsafeBytes { CheckpointCodec.decode($0) }
            precondition(again == .success(checkpoint), "a checkpoint container does not survive re-encoding")
            statePayload(checkpoint.payload)
        }
        statePayload(bytes)
    }

    private static func statePayload(_ bytes: [UInt8]) {
        guard let state = try? CatalogueState(checkpointPayload: bytes) else { return }
        let again = try? CatalogueState(checkpointPayload: state.checkpointPayload())
        precondition(again == state, "a checkpointed state does not survive re-encoding")
        _ = state.invariantViolations()
        _ = state.allocationCandidates(in: PoolID(1))
        for side in state.sides.values.prefix(8) { _ = side.letter }
    }

    /// Input: what `mtx status` might print. Any text is parsed or refused with
    /// an NTMS error; what parses never reports an element twice without a warning.
    public static func mtxStatus(_ bytes: [UInt8]) {
        guard let status = try? MtxStatusParser.parse(String(decoding: bytes, as: UTF8.self)) else { return }
        var seen = Set<String>()
        var repeated = false
        for element in status.elements where !seen.insert("\(element.kind == .drive)\(element.number)").inserted {
            repeated = true
        }
        precondition(!repeated || !status.warnings.isEmpty, "a repeated element went unreported")
        precondition(status.storage.allSatisfy { $0.number > 0 }, "storage elements are numbered from 1")
    }

    /// Input: text an operator might type for a name, a path, a bar code, a
    /// timeout, a message, a device path or an audit anchor. Nothing may crash,
    /// and no text that breaks `TextRules` may ever be accepted. (Bytes that are
    /// not UTF-8 arrive repaired, with U+FFFD, as Swift would decode them.)
    /// Any bytes as an HTTP request body: every body type decodes them or
    /// refuses them with ERROR_INVALID_PARAMETER, and the error body a
    /// client would get is one line of JSON with nothing undisplayable in it.
    public static func requestBodies(_ bytes: [UInt8]) {
        for outcome in APIRequestDecoding.decodeEveryBody(Data(bytes)) {
            guard let error = outcome else { continue }
            precondition(error.code == .invalidParameter, "a body was refused with \(error)")
            let line = JSONModel.line(ErrorJSON(error))
            precondition(!line.contains("\n") && TextRules.isDisplayable(line), "error body \(line)")
            precondition((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "error body \(line)")
        }
    }

    public static func names(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        precondition(TextRules.isDisplayable(TextRules.escaped(text)), "escaping left text undisplayable")
        precondition(TextRules.preview(text).unicodeScalars.count <= 48 * 10 + 1, "a preview is short")
        if let anchor = ChainAnchor(text) {
            precondition(ChainAnchor(anchor.description) == anchor && anchor.hash.utf8.count == 64, "anchor \(text)")
        }
        roundTrip(SideID.self, text)
        roundTrip(MediumID.self, text)
        roundTrip(PoolID.self, text)
        roundTrip(LogicalMediumID.self, text)
        roundTrip(OperatorRequestID.self, text)
        if let timeout = WaitTimeout(text) { precondition(WaitTimeout(timeout.cliText) == timeout, "timeout \(text)") }
        _ = OperatorRequestType(name: text)

        let state = fixture
        let names = NameResolver(state: state)
        _ = try? names.side(text)
        _ = try? names.medium(text)
        _ = try? names.pool(text)
        _ = try? names.library(text)
        _ = try? names.mediaType(text)
        _ = try? names.logicalMedium(text)

        let type = state.mediaType(named: "MO")!.id
        let commands: [CatalogueCommand] = [
            .createPool(path: text, mediaType: type, policy: PoolPolicy()),
            .createPool(path: "\\Backup\\" + text, mediaType: nil, policy: PoolPolicy()),
            .registerMedium(barcode: text, mediaType: type, location: .shelf, label: .free),
            .registerMediaType(name: text, sideCount: 2),
            .addLibrary(name: text, slots: 4, drives: 1, ports: 0),
            .submitRequest(type: .message, message: text, firstArgument: nil, secondArgument: nil),
        ]
        let robot = state.library(named: "Robot")!.id
        let accepted =
            commands + [
                .addLibrary(name: "Lib", slots: 1, drives: 0, ports: 0, changer: .init(kind: .mtx, device: text)),
                .attachChanger(robot, .mtx, device: text),
            ]
        for command in accepted {
            guard case .success(let decision) = state.decide(command) else { continue }
            var next = state
            for event in decision.events { next.evolve(event, Self.envelope) }
            precondition(next.invariantViolations().isEmpty, "\(command) broke an invariant")
            precondition(acceptedTextKeepsTheRules(command), "\(command) accepted text that breaks the rules")
        }
    }

    /// The text a command carries, checked against the rules the hard way.
    private static func acceptedTextKeepsTheRules(_ command: CatalogueCommand) -> Bool {
        func name(_ text: String) -> Bool {
            !text.isEmpty && text.utf8.count <= NameLimits.objectName && !text.contains("\\")
                && text.first != " " && text.last != " "
                && text.unicodeScalars.allSatisfy { scalar in
                    scalar == " "
                        || !scalar.properties.isWhitespace && scalar.value >= 0x21 && scalar.value != 0x7F
                            && !(0x80...0x9F).contains(scalar.value) && scalar.properties.generalCategory != .format
                            && scalar.value != 0xFFFD
                }
        }
        switch command {
        case .registerMediaType(let text, _), .addLibrary(let text, _, _, _, nil):
            return name(text)
        case .addLibrary(_, _, _, _, let changer?):
            return changer.device.hasPrefix("/") && TextRules.isDisplayable(changer.device)
        case .attachChanger(_, _, let device):
            return device.hasPrefix("/") && TextRules.isDisplayable(device)
        case .createPool(let path, _, _):
            return path.hasPrefix("\\") && path.utf8.count <= NameLimits.poolPath
                && path.dropFirst().split(separator: "\\", omittingEmptySubsequences: false).allSatisfy {
                    name(String($0))
                }
        case .registerMedium(let barcode, _, _, _):
            return !barcode.isEmpty && barcode.utf8.count <= NameLimits.barcode
                && barcode.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
        case .submitRequest(_, let message, _, _):
            return message.utf8.count <= NameLimits.requestMessage && TextRules.isDisplayable(message)
                && !message.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
        default:
            return true
        }
    }

    private static func roundTrip<Kind>(_: Identifier<Kind>.Type, _ text: String) {
        guard let id = Identifier<Kind>(text) else { return }
        precondition(Identifier<Kind>(id.description) == id && id.description == text, "identifier \(text)")
    }

    /// A small catalogue to resolve names against.
    static let fixture: CatalogueState = {
        var state = CatalogueState()
        func run(_ command: CatalogueCommand) {
            guard case .success(let decision) = state.decide(command) else { fatalError("fixture: \(command)") }
            for event in decision.events { state.evolve(event, Self.envelope) }
        }
        run(.createCatalogue())
        run(.registerMediaType(name: "MO", sideCount: 2))
        let type = state.mediaType(named: "MO")!.id
        run(.addLibrary(name: "Robot", slots: 8, drives: 1, ports: 1))
        let robot = state.library(named: "Robot")!.id
        run(.createPool(path: "\\Backup", mediaType: nil, policy: PoolPolicy()))
        run(.createPool(path: "\\Backup\\Daily", mediaType: type, policy: PoolPolicy(allocateFromScratch: true)))
        run(.registerMedium(barcode: "MO0001", mediaType: type, location: .slot(robot, 1), label: .free))
        run(.registerMedium(barcode: "A:B", mediaType: type, location: .slot(robot, 2), label: .import))
        run(.allocate(AllocationRequest(pool: state.pool(atPath: "\\Backup\\Daily")!.id, new: true)))
        return state
    }()

    /// Sample inputs for the seed corpora.
    public static func seeds(for target: String) -> [[UInt8]] {
        switch target {
        case "FuzzEventDecoder":
            var inputs: [[UInt8]] = []
            var state = CatalogueState()
            var events: [CatalogueEvent] = []
            func run(_ command: CatalogueCommand) {
                guard case .success(let decision) = state.decide(command) else { return }
                for event in decision.events {
                    state.evolve(event, Self.envelope)
                    events.append(event)
                }
            }
            run(.createCatalogue())
            run(.registerMediaType(name: "MO", sideCount: 2))
            run(.addLibrary(name: "Robot", slots: 8, drives: 1, ports: 1))
            run(
                .createPool(
                    path: "\\Backup", mediaType: state.mediaType(named: "MO")!.id,
                    policy: PoolPolicy(allocateFromScratch: true)))
            run(
                .registerMedium(
                    barcode: "MO0001", mediaType: state.mediaType(named: "MO")!.id,
                    location: .slot(state.library(named: "Robot")!.id, 1), label: .free))
            run(.allocate(AllocationRequest(pool: state.pool(atPath: "\\Backup")!.id, new: true)))
            run(.submitRequest(type: .message, message: "hello", firstArgument: nil, secondArgument: nil))
            let robot = state.library(named: "Robot")!.id
            run(.attachChanger(robot, .simulated, device: ""))
            if let side = state.logicalMedia.first?.value.side {
                run(.beginMount(side, drive: nil))
                if let operation = state.operations.keys.first { run(.finishOperation(operation, .succeeded)) }
                if let medium = state.sides[side]?.medium { run(.beginDismount(medium, deferred: true)) }
            }
            run(
                .recordInventory(
                    robot,
                    InventoryReading(
                        elements: [
                            .init(location: .slot(robot, 2), isFull: true, barcode: "NEW1"),
                            .init(location: .slot(robot, 3), isFull: true, barcode: nil),
                        ], incomplete: true), mediaType: nil))
            run(
                .beginInject(
                    robot, port: 1, barcode: "INJ1", mediaType: state.mediaType(named: "MO")!.id, label: .import))
            if let operation = state.operations.keys.first {
                run(.finishOperation(operation, .failedUncertain(code: 1460, message: "timed out")))
            }
            run(.grantAccess(.library(robot), .group("operators"), [.use, .control]))
            run(.inheritAccess(.library(robot)))
            run(
                .issueToken(
                    principal: Principal(user: "svc", groups: ["backup"]), secretHash: [UInt8](repeating: 1, count: 32),
                    expires: 9_000_000_000_000_000_000))
            if let token = state.tokens.keys.first { run(.revokeToken(token)) }
            events.append(
                .accessDenied(
                    AccessDenied(
                        principal: Principal(user: "mallory", groups: ["guests"]), action: "AllocateNtmsMedia",
                        object: .pool(state.pool(atPath: "\\Backup")!.id), missing: .control)))
            for event in events {
                inputs.append([UInt8(event.typeCode & 0xFF), UInt8(event.typeCode >> 8)] + event.encodedPayload())
                let header = RecordHeader(
                    sequence: 1, eventType: event.typeCode, schemaVersion: 1, timestamp: 1, application: "fuzz",
                    user: "seed",
                    idempotencyKey: "k")
                inputs.append(RecordCodec.encode(header, payload: event.encodedPayload(), previous: .genesis).bytes)
            }
            inputs.append(
                CommandOutcome.allocation(
                    Allocation(
                        logicalMedium: LogicalMediumID(9), side: SideID(7), medium: MediumID(6), pool: PoolID(5),
                        allocatedFrom: PoolID(2))
                ).encoded())
            return inputs
        case "FuzzMtxStatus":
            return [
                "  Storage Changer /dev/sg25:2 Drives, 24 Slots ( 1 Import/Export )\nData Transfer Element 0:Full (Storage Element 8 Loaded):VolumeTag = 042142L9\n      Storage Element 1:Full :VolumeTag=HER006L9\n      Storage Element 24 IMPORT/EXPORT:Full :VolumeTag=HER003L9\n",
                "Storage Changer /dev/sg4:1 Drive, 4 Slots ( 0 Import/Export )\nData Transfer Element:Full (Unknown Storage Element Loaded):VolumeTag = OLD001L4\n      Storage Element 1:Full :VolumeTag=A:AlternateVolumeTag=B\n      Storage Element 3:Full \n",
                "mtx: Request Sense: Sense Key=Unit Attention\n",
            ].map { Array($0.utf8) }
        case "FuzzRequestBodies":
            return [
                #"{"pool":"\\Backup","side":"MO0001:A","new":true,"timeout_ms":4294967295}"#,
                #"{"name":"LTO-9","sides":1}"#, #"{"path":"\\A\\B","media_type":"LTO","max_allocates":5}"#,
                #"{"user":"alice","rights":["use","control"],"pool":"\\Backup"}"#,
                #"{"principal":"svc","groups":["backup"],"expires":"2030-01-01T00:00:00Z"}"#,
                #"{"pool":7}"#, #"{"pool":"x","bogus":null}"#, #"[1,2]"#, "", "{", #"{"port":-1}"#,
                #"{"message":"\u001b[2J","type":"MESSAGE"}"#,
            ].map { Array($0.utf8) }
        case "FuzzCheckpoint":
            var state = fixture
            let payload = state.checkpointPayload()
            let container = CheckpointCodec.encode(
                Checkpoint(
                    head: LogHead(sequence: state.eventCount, chainHash: .genesis),
                    stateVersion: CatalogueState.checkpointVersion, payload: payload))
            if case .success(let decision) = state.decide(
                .submitRequest(type: .newMedia, message: "more tapes", firstArgument: 9, secondArgument: nil))
            {
                for event in decision.events { state.evolve(event, Self.envelope) }
            }
            return [payload, container, state.checkpointPayload(), CatalogueState().checkpointPayload()]
        default:
            return [
                "side-12", "MO0001:A", "MO0001:b", "A:B:A", "\\Backup\\Daily", "lmid-7", "infinite", "4294967295",
                "request-3", "pool-+5", "A\u{202E}1", "clear\u{1B}[2J", "a" + String(repeating: "\u{301}", count: 300),
                "LTO\u{200B}", "/dev/sg3", "\(String(repeating: "ab", count: 32))@12", "\\free",
            ]
            .map { Array($0.utf8) }
        }
    }
}

extension WaitTimeout {
    /// How the CLI spells the timeout.
    var cliText: String {
        switch self {
        case .infinite: "infinite"
        case .milliseconds(let ms): "\(ms)"
        }
    }
}
