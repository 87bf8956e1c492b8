/// Payload encoding of the cleaning events (type codes 42-46), in the event codec's style.
extension CatalogueEvent {
    func encodeCleaning(into out: inout BinaryWriter) {
        switch self {
        case .cleanerSlotReserved(let e):
            out.write(e.library)
            out.write(e.slot)
        case .cleanerSlotReleased(let e):
            out.write(e.library)
        case .driveCleaningRequested(let e):
            out.write(e.drive)
        case .cleaningIntervalSet(let e):
            out.write(e.library)
            out.write(e.mounts)
        case .cleanerLost(let e):
            out.write(e.library)
            out.write(e.barcode)
        default:
            preconditionFailure("\(name) is not a cleaning event")
        }
    }

    static func decodeCleaning(_ type: EventType, _ r: inout BinaryReader) throws(PayloadDecodingError)
        -> CatalogueEvent
    {
        switch type {
        case .cleanerSlotReserved:
            return .cleanerSlotReserved(CleanerSlotReserved(library: try r.readID(), slot: try r.readUInt32()))
        case .cleanerSlotReleased:
            return .cleanerSlotReleased(CleanerSlotReleased(library: try r.readID()))
        case .driveCleaningRequested:
            return .driveCleaningRequested(DriveCleaningRequested(drive: try r.readDrive()))
        case .cleaningIntervalSet:
            return .cleaningIntervalSet(CleaningIntervalSet(library: try r.readID(), mounts: try r.readUInt32()))
        case .cleanerLost:
            return .cleanerLost(CleanerLost(library: try r.readID(), barcode: try r.readString()))
        default:
            throw PayloadDecodingError("\(type.name) is not a cleaning event")
        }
    }

    var cleaningFields: [EventField] {
        func library(_ id: LibraryID) -> EventField { EventField("library", .text(id.description)) }
        switch self {
        case .cleanerSlotReserved(let e): return [library(e.library), EventField("slot", .unsigned(UInt64(e.slot)))]
        case .cleanerSlotReleased(let e): return [library(e.library)]
        case .driveCleaningRequested(let e):
            return [library(e.drive.library), EventField("drive", .unsigned(UInt64(e.drive.number)))]
        case .cleaningIntervalSet(let e):
            return [library(e.library), EventField("mounts", .unsigned(UInt64(e.mounts)))]
        case .cleanerLost(let e): return [library(e.library), EventField("barcode", .text(e.barcode))]
        default: return []
        }
    }

    var cleaningIdentifiers: [UInt64] {
        switch self {
        case .cleanerSlotReserved(let e): [e.library.rawValue]
        case .cleanerSlotReleased(let e): [e.library.rawValue]
        case .driveCleaningRequested(let e): [e.drive.library.rawValue]
        case .cleaningIntervalSet(let e): [e.library.rawValue]
        case .cleanerLost(let e): [e.library.rawValue]
        default: []
        }
    }
}
