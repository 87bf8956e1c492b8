/// Payload encoding of MediaTypeDeleted, MediumTypeChanged, LogicalMediaSwapped (type
/// codes 35-37), OnMediaIdentifierRecorded and MediumBarcodeChanged (40-41), in the event codec's style.
extension CatalogueEvent {
    func encodeMediaServices(into out: inout BinaryWriter) {
        switch self {
        case .mediaTypeDeleted(let e):
            out.write(e.mediaType)
        case .mediumTypeChanged(let e):
            out.write(e.medium)
            out.write(e.from)
            out.write(e.to)
        case .logicalMediaSwapped(let e):
            out.write(e.first)
            out.write(e.firstSide)
            out.write(e.second)
            out.write(e.secondSide)
        case .onMediaIdentifierRecorded(let e):
            out.write(e.side)
            out.write(e.identifier.labelType)
            out.write(e.identifier.labelID)
            out.write(e.identifier.info)
        case .mediumBarcodeChanged(let e):
            out.write(e.medium)
            out.write(e.from)
            out.write(e.to)
        default:
            preconditionFailure("\(name) is not a media-services event")
        }
    }

    static func decodeMediaServices(_ type: EventType, _ r: inout BinaryReader) throws(PayloadDecodingError)
        -> CatalogueEvent
    {
        switch type {
        case .mediaTypeDeleted:
            return .mediaTypeDeleted(MediaTypeDeleted(mediaType: try r.readID()))
        case .mediumTypeChanged:
            return .mediumTypeChanged(
                MediumTypeChanged(medium: try r.readID(), from: try r.readID(), to: try r.readID()))
        case .logicalMediaSwapped:
            return .logicalMediaSwapped(
                LogicalMediaSwapped(
                    first: try r.readID(), firstSide: try r.readID(), second: try r.readID(),
                    secondSide: try r.readID()))
        case .onMediaIdentifierRecorded:
            return .onMediaIdentifierRecorded(
                OnMediaIdentifierRecorded(
                    side: try r.readID(),
                    identifier: OnMediaIdentifier(
                        labelType: try r.readString(), labelID: try r.readString(), info: try r.readString())))
        case .mediumBarcodeChanged:
            return .mediumBarcodeChanged(
                MediumBarcodeChanged(medium: try r.readID(), from: try r.readString(), to: try r.readString()))
        default:
            throw PayloadDecodingError("\(type.name) is not a media-services event")
        }
    }

    var mediaServicesFields: [EventField] {
        func id(_ name: String, _ value: some CustomStringConvertible) -> EventField {
            EventField(name, .text(value.description))
        }
        switch self {
        case .mediaTypeDeleted(let e):
            return [id("media_type", e.mediaType)]
        case .mediumTypeChanged(let e):
            return [id("medium", e.medium), id("from_media_type", e.from), id("to_media_type", e.to)]
        case .logicalMediaSwapped(let e):
            return [
                id("first_lmid", e.first), id("first_side", e.firstSide), id("second_lmid", e.second),
                id("second_side", e.secondSide),
            ]
        case .onMediaIdentifierRecorded(let e):
            return [
                id("side", e.side), EventField("label_type", .text(e.identifier.labelType)),
                EventField("label_id", .text(e.identifier.labelID)), EventField("label_info", .text(e.identifier.info)),
            ]
        case .mediumBarcodeChanged(let e):
            return [id("medium", e.medium), EventField("from", .text(e.from)), EventField("to", .text(e.to))]
        default:
            return []
        }
    }

    var mediaServicesIdentifiers: [UInt64] {
        switch self {
        case .mediaTypeDeleted(let e): [e.mediaType.rawValue]
        case .mediumTypeChanged(let e): [e.medium.rawValue, e.from.rawValue, e.to.rawValue]
        case .logicalMediaSwapped(let e):
            [e.first.rawValue, e.firstSide.rawValue, e.second.rawValue, e.secondSide.rawValue]
        case .onMediaIdentifierRecorded(let e): [e.side.rawValue]
        case .mediumBarcodeChanged(let e): [e.medium.rawValue]
        default: []
        }
    }
}
