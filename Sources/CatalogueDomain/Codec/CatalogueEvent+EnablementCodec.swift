/// Payload encoding of ObjectDisabled and ObjectEnabled (type codes 33-34), in the event codec's style.
extension CatalogueEvent {
    func encodeEnablement(into out: inout BinaryWriter) {
        switch self {
        case .objectDisabled(let e):
            out.write(e.target)
            out.write(e.reason.rawValue)
        case .objectEnabled(let e):
            out.write(e.target)
        default:
            preconditionFailure("\(name) is not an enablement event")
        }
    }

    static func decodeEnablement(_ type: EventType, _ r: inout BinaryReader) throws(PayloadDecodingError)
        -> CatalogueEvent
    {
        switch type {
        case .objectDisabled:
            return .objectDisabled(
                ObjectDisabled(target: try r.readEnablementTarget(), reason: try r.readEnum(DisableReason.self)))
        case .objectEnabled:
            return .objectEnabled(ObjectEnabled(target: try r.readEnablementTarget()))
        default:
            throw PayloadDecodingError("\(type.name) is not an enablement event")
        }
    }

    var enablementFields: [EventField] {
        switch self {
        case .objectDisabled(let e): e.target.fields + [EventField("reason", .text(e.reason.name))]
        case .objectEnabled(let e): e.target.fields
        default: []
        }
    }

    var enablementIdentifiers: [UInt64] {
        switch self {
        case .objectDisabled(let e): [e.target.identifier]
        case .objectEnabled(let e): [e.target.identifier]
        default: []
        }
    }
}

extension EnablementTarget {
    /// `library`, `drive` (a drive also has `number`) or `medium`, then the object.
    var fields: [EventField] {
        switch self {
        case .library(let id):
            [EventField("object_type", .text(kindName)), EventField("library", .text(id.description))]
        case .drive(let address):
            [
                EventField("object_type", .text(kindName)), EventField("library", .text(address.library.description)),
                EventField("drive", .unsigned(UInt64(address.number))),
            ]
        case .medium(let id):
            [EventField("object_type", .text(kindName)), EventField("medium", .text(id.description))]
        }
    }

    /// The identifier it names (a drive's library).
    var identifier: UInt64 {
        switch self {
        case .library(let id): id.rawValue
        case .drive(let address): address.library.rawValue
        case .medium(let id): id.rawValue
        }
    }
}

extension BinaryWriter {
    /// A tag (1 library, 2 drive, 3 medium), then the library, drive address or medium.
    mutating func write(_ target: EnablementTarget) {
        switch target {
        case .library(let id):
            write(UInt8(1))
            write(id)
        case .drive(let address):
            write(UInt8(2))
            write(address)
        case .medium(let id):
            write(UInt8(3))
            write(id)
        }
    }
}

extension BinaryReader {
    mutating func readEnablementTarget() throws(PayloadDecodingError) -> EnablementTarget {
        switch try readUInt8() {
        case 1: .library(try readID())
        case 2: .drive(try readDrive())
        case 3: .medium(try readID())
        case let tag: throw PayloadDecodingError("invalid enablement target \(tag)")
        }
    }
}
