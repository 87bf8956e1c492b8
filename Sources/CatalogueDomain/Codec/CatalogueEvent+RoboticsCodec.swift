/// Payload encoding of the robot events (type codes 21-26), in the event codec's style.
extension CatalogueEvent {
    func encodeRobotics(into out: inout BinaryWriter) {
        switch self {
        case .changerAttached(let e):
            out.write(e.library)
            out.write(e.kind.rawValue)
            out.write(e.device)
        case .changerConfigured(let e):
            out.write(e.library)
            out.write(e.settings)
        case .libraryDoorOpened(let e):
            out.write(e.library)
        case .libraryDoorClosed(let e):
            out.write(e.library)
        case .robotOperationStarted(let e):
            let o = e.operation
            out.write(o.id)
            out.write(o.task.rawValue)
            out.write(o.library)
            out.write(o.medium)
            out.write(o.side)
            out.write(o.from)
            out.write(o.to)
            out.write(o.barcode)
            out.write(o.mediaType)
            out.write(o.label.rawValue)
            out.write(o.previousState.rawValue)
            // Only a cleaner's inject has more: older tasks keep their payload unchanged.
            if o.task == .injectCleaner {
                out.write(o.cleanerUses != nil)
                out.write(o.cleanerUses ?? 0)
            }
        case .robotOperationFinished(let e):
            out.write(e.operation)
            out.write(e.result)
        case .dismountDeferred(let e):
            out.write(e.medium)
            out.write(e.drive)
        case .mediumRemounted(let e):
            out.write(e.medium)
            out.write(e.side)
            out.write(e.drive)
        case .inventoryTaken(let e):
            out.write(e.library)
            out.write(UInt64(e.moved.count))
            for moved in e.moved {
                out.write(moved.medium)
                out.write(moved.from)
                out.write(moved.to)
            }
            out.write(e.missing)
            out.write(UInt64(e.unidentified.count))
            for cartridge in e.unidentified {
                out.write(cartridge.location)
                out.write(cartridge.barcode)
                out.write(cartridge.reason)
            }
            out.write(e.incomplete)
        default:
            preconditionFailure("\(name) is not a robot event")
        }
    }

    static func decodeRobotics(_ type: EventType, _ r: inout BinaryReader) throws(PayloadDecodingError)
        -> CatalogueEvent
    {
        switch type {
        case .changerAttached:
            return .changerAttached(
                ChangerAttached(
                    library: try r.readID(), kind: try r.readEnum(ChangerKind.self), device: try r.readString()))
        case .changerConfigured:
            return .changerConfigured(ChangerConfigured(library: try r.readID(), settings: try r.readChangerSettings()))
        case .libraryDoorOpened:
            return .libraryDoorOpened(LibraryDoorOpened(library: try r.readID()))
        case .libraryDoorClosed:
            return .libraryDoorClosed(LibraryDoorClosed(library: try r.readID()))
        case .robotOperationStarted:
            var operation = RobotOperation(
                id: try r.readID(), task: try r.readEnum(RobotTask.self), library: try r.readID(),
                medium: try r.readOptionalID(), side: try r.readOptionalID(), from: try r.readLocation(),
                to: try r.readLocation(), barcode: try r.readString(), mediaType: try r.readOptionalID(),
                label: try r.readEnum(MediaLabel.self), previousState: try r.readEnum(PhysicalState.self))
            if operation.task == .injectCleaner {
                let limited = try r.readBool()
                let uses = try r.readUInt32()
                operation.cleanerUses = limited ? uses : nil
            }
            return .robotOperationStarted(RobotOperationStarted(operation: operation))
        case .robotOperationFinished:
            let operation: OperationID = try r.readID()
            let result: OperationResult
            switch try r.readUInt8() {
            case 0: result = .succeeded
            case 1: result = .failedUnchanged(code: try r.readUInt32(), message: try r.readString())
            case 2: result = .failedUncertain(code: try r.readUInt32(), message: try r.readString())
            case let tag: throw PayloadDecodingError("invalid operation result \(tag)")
            }
            return .robotOperationFinished(RobotOperationFinished(operation: operation, result: result))
        case .dismountDeferred:
            return .dismountDeferred(DismountDeferred(medium: try r.readID(), drive: try r.readDrive()))
        case .mediumRemounted:
            return .mediumRemounted(
                MediumRemounted(medium: try r.readID(), side: try r.readID(), drive: try r.readDrive()))
        case .inventoryTaken:
            let library: LibraryID = try r.readID()
            let movedCount = try r.readUInt64()
            guard movedCount <= UInt64(r.remaining) else { throw PayloadDecodingError("truncated moved list") }
            var moved: [InventoryTaken.MovedMedium] = []
            for _ in 0..<movedCount {
                moved.append(.init(medium: try r.readID(), from: try r.readLocation(), to: try r.readLocation()))
            }
            let missing: [MediumID] = try r.readIDs()
            let unidentifiedCount = try r.readUInt64()
            guard unidentifiedCount <= UInt64(r.remaining) else {
                throw PayloadDecodingError("truncated cartridge list")
            }
            var unidentified: [InventoryTaken.UnidentifiedCartridge] = []
            for _ in 0..<unidentifiedCount {
                unidentified.append(
                    .init(location: try r.readLocation(), barcode: try r.readString(), reason: try r.readString()))
            }
            return .inventoryTaken(
                InventoryTaken(
                    library: library, moved: moved, missing: missing, unidentified: unidentified,
                    incomplete: try r.readBool()))
        default:
            throw PayloadDecodingError("\(type.name) is not a robot event")
        }
    }

    var roboticsFields: [EventField] {
        func id(_ name: String, _ value: some CustomStringConvertible) -> EventField {
            EventField(name, .text(value.description))
        }
        switch self {
        case .changerAttached(let e):
            return [
                id("library", e.library), EventField("changer", .text(e.kind.name)),
                EventField("device", .text(e.device)),
            ]
        case .libraryDoorOpened(let e):
            return [id("library", e.library)]
        case .libraryDoorClosed(let e):
            return [id("library", e.library)]
        case .changerConfigured(let e):
            let s = e.settings
            return [
                id("library", e.library), EventField("mtx_path", .text(s.mtxPath)),
                EventField("inventory_before_status", .flag(s.inventoryBeforeStatus)),
                EventField("offline_before_unload", .flag(s.offlineBeforeUnload)),
                EventField(
                    "drive_devices",
                    .list(
                        s.driveDevices.sorted { $0.key < $1.key }.map {
                            .record([
                                EventField("drive", .unsigned(UInt64($0.key))), EventField("device", .text($0.value)),
                            ])
                        })),
                EventField("status_timeout", .unsigned(UInt64(s.statusTimeout))),
                EventField("move_timeout", .unsigned(UInt64(s.moveTimeout))),
                EventField("inventory_timeout", .unsigned(UInt64(s.inventoryTimeout))),
            ]
        case .robotOperationStarted(let e):
            let o = e.operation
            return [
                id("operation", o.id), EventField("task", .text(o.task.name)), id("library", o.library),
                EventField("medium", .identifier(o.medium)), EventField("side", .identifier(o.side)),
                EventField("from", .location(o.from)), EventField("to", .location(o.to)),
                EventField("barcode", .text(o.barcode)), EventField("media_type", .identifier(o.mediaType)),
                EventField("previous_state", .text(o.previousState.name)),
            ]
        case .robotOperationFinished(let e):
            var fields = [id("operation", e.operation), EventField("result", .text(e.result.name))]
            switch e.result {
            case .succeeded: break
            case .failedUnchanged(let code, let message), .failedUncertain(let code, let message):
                // A code from a damaged or newer log may be any 32-bit value: show it as a number.
                let name = Int32(exactly: code).flatMap(NtmsErrorCode.init(rawValue:))?.name
                fields += [
                    EventField("error", name.map(EventFieldValue.text) ?? .integer(Int64(code))),
                    EventField("message", .text(message)),
                ]
            }
            return fields
        case .dismountDeferred(let e):
            return [
                id("medium", e.medium), id("library", e.drive.library),
                EventField("drive", .integer(Int64(e.drive.number))),
            ]
        case .mediumRemounted(let e):
            return [
                id("medium", e.medium), id("side", e.side), id("library", e.drive.library),
                EventField("drive", .integer(Int64(e.drive.number))),
            ]
        case .inventoryTaken(let e):
            return [
                id("library", e.library),
                EventField(
                    "moved",
                    .list(
                        e.moved.map {
                            .record([
                                id("medium", $0.medium), EventField("from", .location($0.from)),
                                EventField("to", .location($0.to)),
                            ])
                        })),
                EventField("missing", .identifiers(e.missing)),
                EventField(
                    "unidentified",
                    .list(
                        e.unidentified.map {
                            .record([
                                EventField("location", .location($0.location)),
                                EventField("barcode", .text($0.barcode)),
                                EventField("reason", .text($0.reason)),
                            ])
                        })),
                EventField("incomplete", .flag(e.incomplete)),
            ]
        default:
            return []
        }
    }

    var roboticsIdentifiers: [UInt64] {
        switch self {
        case .changerAttached(let e):
            return [e.library.rawValue]
        case .changerConfigured(let e):
            return [e.library.rawValue]
        case .libraryDoorOpened(let e):
            return [e.library.rawValue]
        case .libraryDoorClosed(let e):
            return [e.library.rawValue]
        case .robotOperationStarted(let e):
            let o = e.operation
            return [o.id.rawValue, o.library.rawValue] + [o.medium?.rawValue, o.side?.rawValue].compactMap { $0 }
        case .robotOperationFinished(let e):
            return [e.operation.rawValue]
        case .dismountDeferred(let e):
            return [e.medium.rawValue, e.drive.library.rawValue]
        case .mediumRemounted(let e):
            return [e.medium.rawValue, e.side.rawValue, e.drive.library.rawValue]
        case .inventoryTaken(let e):
            return [e.library.rawValue] + e.moved.map(\.medium.rawValue) + e.missing.map(\.rawValue)
        default:
            return []
        }
    }
}

extension DriveAddress: CustomStringConvertible {
    public var description: String { "\(library) drive \(number)" }
}

extension BinaryWriter {
    mutating func write(_ drive: DriveAddress) {
        write(drive.library)
        write(drive.number)
    }

    mutating func write(_ result: OperationResult) {
        switch result {
        case .succeeded:
            write(UInt8(0))
        case .failedUnchanged(let code, let message):
            write(UInt8(1))
            write(code)
            write(message)
        case .failedUncertain(let code, let message):
            write(UInt8(2))
            write(code)
            write(message)
        }
    }
}

extension BinaryReader {
    mutating func readDrive() throws(PayloadDecodingError) -> DriveAddress {
        DriveAddress(library: try readID(), number: try readUInt32())
    }
}

extension BinaryWriter {
    /// Changer settings: the path, the two flags, the drive devices by number, three timeouts.
    mutating func write(_ settings: ChangerSettings) {
        write(settings.mtxPath)
        write(settings.inventoryBeforeStatus)
        write(settings.offlineBeforeUnload)
        write(UInt64(settings.driveDevices.count))
        for (drive, device) in settings.driveDevices.sorted(by: { $0.key < $1.key }) {
            write(drive)
            write(device)
        }
        write(settings.statusTimeout)
        write(settings.moveTimeout)
        write(settings.inventoryTimeout)
    }
}

extension BinaryReader {
    mutating func readChangerSettings() throws(PayloadDecodingError) -> ChangerSettings {
        var settings = ChangerSettings()
        settings.mtxPath = try readString()
        settings.inventoryBeforeStatus = try readBool()
        settings.offlineBeforeUnload = try readBool()
        let count = try readUInt64()
        // Drive numbers are 32-bit and distinct: a larger count is damage, not a reason to allocate.
        guard count <= UInt64(UInt32.max) else { throw PayloadDecodingError("\(count) drive devices") }
        for _ in 0..<count {
            let drive = try readUInt32()
            guard settings.driveDevices.updateValue(try readString(), forKey: drive) == nil else {
                throw PayloadDecodingError("drive \(drive) has two devices")
            }
        }
        settings.statusTimeout = try readUInt32()
        settings.moveTimeout = try readUInt32()
        settings.inventoryTimeout = try readUInt32()
        return settings
    }
}
