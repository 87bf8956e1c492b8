import CatalogueDomain
import CatalogueEngine

/// An NTMS error, as `--json` prints it on stderr and a network API answers it.
public struct ErrorJSON: Codable, Sendable, Equatable {
    /// The Win32 name, for example `ERROR_MEDIA_UNAVAILABLE`.
    public var error: String
    /// The Win32 number, for example 4308.
    public var code: Int32
    public var message: String

    public init(_ error: NtmsError) {
        self.error = error.code.name
        code = error.code.rawValue
        message = error.message
    }
}

/// One logged event with its typed fields.
public struct EventJSON: Codable, Sendable, Equatable {
    public var sequence: UInt64
    public var time: String
    /// The event's name, for example `SideAllocated` (docs/events.md).
    public var event: String
    public var application: String
    public var user: String
    public var idempotency_key: String?
    /// The event's own fields: identifiers and text as strings, counts as
    /// numbers, flags as booleans, times as ISO-8601, locations as objects.
    public var fields: [String: JSONValue]

    public init(_ logged: LoggedEvent) {
        sequence = logged.sequence
        time = JSONModel.time(logged.timestamp)
        event = logged.event.name
        application = logged.application
        user = logged.user
        idempotency_key = logged.idempotencyKey
        fields = JSONValue.object(logged.event.fields)
    }
}

/// `mediactl version`.
public struct VersionJSON: Codable, Sendable, Equatable {
    public var version: String
    public var schema_version: Int

    public init(version: String) {
        self.version = version
        schema_version = JSONModel.schemaVersion
    }
}

/// `mediactl init`.
public struct StoreJSON: Codable, Sendable, Equatable {
    public var store: String
    public var head: UInt64
    /// The group that may read the store; null when it is private (or was not changed).
    public var group: String?

    public init(store: String, head: UInt64, group: String?) {
        self.store = store
        self.head = head
        self.group = group
    }
}

/// DeleteNtmsMedia's answer: the deleted medium's id and bar code.
public struct DeletedMediumJSON: Codable, Sendable, Equatable {
    public var deleted: String
    public var barcode: String

    public init(_ medium: Medium) {
        deleted = medium.id.description
        barcode = medium.barcode
    }
}

/// DeleteNtmsMediaPool's answer: the deleted pool's id and path.
public struct DeletedPoolJSON: Codable, Sendable, Equatable {
    public var deleted: String
    public var path: String

    public init(_ pool: Pool) {
        deleted = pool.id.description
        path = pool.path
    }
}

/// `library delete`'s answer: the deleted library's id and name.
public struct DeletedLibraryJSON: Codable, Sendable, Equatable {
    public var deleted: String
    public var name: String

    public init(_ library: Library) {
        deleted = library.id.description
        name = library.name
    }
}

public struct DeletedMediaTypeJSON: Codable, Sendable, Equatable {
    public var deleted: String
    public var name: String

    public init(_ type: MediaType) {
        deleted = type.id.description
        name = type.name
    }
}

/// SwapNtmsMedia's answer: both logical media, each with the side it now stands for.
public struct SwapJSON: Codable, Sendable, Equatable {
    public var first: LogicalMediumJSON
    public var second: LogicalMediumJSON

    public init?(_ first: LogicalMediumID, _ second: LogicalMediumID, _ state: CatalogueState) {
        guard let one = state.logicalMedia[first].flatMap({ LogicalMediumJSON($0, state) }),
            let other = state.logicalMedia[second].flatMap({ LogicalMediumJSON($0, state) })
        else { return nil }
        self.first = one
        self.second = other
    }
}

/// `mediactl audit` (keys unchanged since the first release).
public struct AuditJSON: Codable, Sendable, Equatable {
    public struct Checkpoint: Codable, Sendable, Equatable {
        public var sequence: UInt64
        public var bytes: Int
        /// `matches`, `unusable`, `mismatch` or `beyond-log`.
        public var verdict: String
        public var detail: String
    }

    public struct ChainHash: Codable, Sendable, Equatable {
        public var sequence: UInt64
        public var hash: String
        /// `HASH@N`, as `--expect` takes it.
        public var anchor: String
    }

    public struct AnchorCheck: Codable, Sendable, Equatable {
        public var sequence: UInt64
        public var expected: String
        /// The hash the log has at that event; null when the log ends before it.
        public var found: String?
        public var holds: Bool
    }

    public var events: UInt64
    public var head: UInt64
    public var head_hash: String
    public var ok: Bool
    public var problem: String?
    public var first_bad_sequence: UInt64?
    public var objects: [String: Int]
    public var invariant_violations: [String]
    public var checkpoints: [Checkpoint]
    public var chain_hashes: [ChainHash]
    public var anchors: [AnchorCheck]

    public init(_ report: AuditReport) {
        events = report.events
        head = report.head
        head_hash = report.headHash
        ok = report.ok
        problem = report.problem
        first_bad_sequence = report.firstBadSequence
        objects = Dictionary(report.objectCounts.map { ($0.kind, $0.count) }) { first, _ in first }
        invariant_violations = report.invariantViolations
        checkpoints = report.checkpoints.map {
            Checkpoint(sequence: $0.sequence, bytes: $0.byteCount, verdict: $0.verdict.rawValue, detail: $0.detail)
        }
        chain_hashes = report.chainHashes.map { ChainHash(sequence: $0.sequence, hash: $0.hash, anchor: "\($0)") }
        anchors = report.anchors.map {
            AnchorCheck(sequence: $0.anchor.sequence, expected: $0.anchor.hash, found: $0.found, holds: $0.holds)
        }
    }
}

/// One stored checkpoint, as `checkpoint list` shows it.
public struct CheckpointJSON: Codable, Sendable, Equatable {
    public var sequence: UInt64
    public var bytes: Int
    public var usable: Bool
    public var detail: String

    public init(_ listing: CheckpointListing) {
        sequence = listing.sequence
        bytes = listing.byteCount
        usable = listing.usable
        detail = listing.detail
    }
}

/// `checkpoint save` and `checkpoint drop`.
public struct CheckpointChangeJSON: Codable, Sendable, Equatable {
    /// The event the saved checkpoint covers; null for a drop.
    public var sequence: UInt64?
    /// Checkpoints removed; 0 for a save.
    public var removed: Int

    public init(sequence: UInt64?, removed: Int) {
        self.sequence = sequence
        self.removed = removed
    }
}

/// MountNtmsMedia's answer.
public struct MountJSON: Codable, Sendable, Equatable {
    public var side: String
    public var side_letter: String
    public var medium: String
    public var barcode: String
    public var library: String
    public var library_name: String
    public var drive: UInt32
    /// False when the side was still in the drive (a deferred dismount) and the robot did not move.
    public var robot_moved: Bool

    public init(side: SideID, result: MountResult, _ state: CatalogueState) {
        let found = state.sides[side]
        self.side = side.description
        side_letter = found?.letter ?? "?"
        medium = found?.medium.description ?? ""
        barcode = found.flatMap { state.media[$0.medium]?.barcode } ?? ""
        library = result.drive.library.description
        library_name = state.libraries[result.drive.library]?.name ?? ""
        drive = result.drive.number
        robot_moved = result.moved
    }
}

/// EjectNtmsMedia's answer: the port the medium was put in. The catalogue
/// has it on the shelf from then on: it is out of the robot's reach.
public struct EjectJSON: Codable, Sendable, Equatable {
    public var medium: String
    public var barcode: String
    public var library: String
    public var library_name: String
    public var port: UInt32

    /// `medium` as it was before the eject, in its library.
    public init(_ medium: Medium, port: UInt32, _ state: CatalogueState) {
        self.medium = medium.id.description
        barcode = medium.barcode
        library = medium.location.library?.description ?? ""
        library_name = medium.location.library.flatMap { state.libraries[$0]?.name } ?? ""
        self.port = port
    }
}

/// DismountNtmsMedia's answer: where the medium is now.
public struct MediumMovedJSON: Codable, Sendable, Equatable {
    public var medium: String
    public var barcode: String
    public var location: LocationJSON
    /// A deferred dismount left it in its drive.
    public var deferred: Bool

    public init(_ medium: Medium, deferred: Bool, _ state: CatalogueState) {
        self.medium = medium.id.description
        barcode = medium.barcode
        location = LocationJSON(medium.location, in: state)
        self.deferred = deferred
    }
}

/// What an inventory found and changed.
public struct InventoryJSON: Codable, Sendable, Equatable {
    public struct MediumReference: Codable, Sendable, Equatable {
        public var medium: String
        public var barcode: String
    }

    public struct Moved: Codable, Sendable, Equatable {
        public var medium: String
        public var barcode: String
        public var from: LocationJSON
        public var to: LocationJSON
    }

    public struct Unidentified: Codable, Sendable, Equatable {
        public var location: LocationJSON
        /// Null when the cartridge has no readable label.
        public var barcode: String?
        public var reason: String
    }

    public var library: String
    public var library_name: String
    /// Media found where the catalogue had them.
    public var confirmed: Int
    public var moved: [Moved]
    /// Media not found, now offline.
    public var missing: [MediumReference]
    /// New cartridges registered by the inventory.
    public var registered: [MediumReference]
    public var unidentified: [Unidentified]
    /// The changer did not report every element.
    public var incomplete: Bool
    public var warnings: [String]

    public init(_ report: InventoryReport, library: LibraryID, before: CatalogueState, after: CatalogueState) {
        func reference(_ id: MediumID) -> MediumReference {
            MediumReference(
                medium: id.description, barcode: after.media[id]?.barcode ?? before.media[id]?.barcode ?? "")
        }
        self.library = library.description
        library_name = after.libraries[library]?.name ?? ""
        confirmed = report.confirmed
        moved = report.taken.moved.map {
            Moved(
                medium: $0.medium.description, barcode: reference($0.medium).barcode,
                from: LocationJSON($0.from, in: after), to: LocationJSON($0.to, in: after))
        }
        missing = report.taken.missing.map(reference)
        registered = report.registered.map(reference)
        unidentified = report.taken.unidentified.map {
            Unidentified(
                location: LocationJSON($0.location, in: after), barcode: $0.barcode.isEmpty ? nil : $0.barcode,
                reason: $0.reason)
        }
        incomplete = report.taken.incomplete
        warnings = report.warnings
    }
}

/// A change made to a simulated robot behind the catalogue's back.
public struct SimulationJSON: Codable, Sendable, Equatable {
    public var library: String
    public var library_name: String
    /// What was done, in words.
    public var change: String

    public init(library: Library, change: String) {
        self.library = library.id.description
        library_name = library.name
        self.change = change
    }
}

/// `mediactl export`: what was written where.
public struct ExportJSON: Codable, Sendable, Equatable {
    /// One table of the export and its row count.
    public struct Table: Codable, Sendable, Equatable {
        public var name: String
        public var rows: Int

        public init(name: String, rows: Int) {
            self.name = name
            self.rows = rows
        }
    }

    /// Where the export was written: a file (sqlite) or a directory (csv, jsonl).
    public var destination: String
    /// `sqlite`, `csv` or `jsonl`.
    public var format: String
    /// The last event the export covers.
    public var sequence: UInt64
    public var tables: [Table]

    public init(destination: String, format: String, sequence: UInt64, tables: [Table]) {
        self.destination = destination
        self.format = format
        self.sequence = sequence
        self.tables = tables
    }
}

/// An object a command just made or changed, read back for the answer: a
/// concurrent caller may have deleted it in between, which is an NTMS error,
/// not a crash.
///
/// - Throws: `ERROR_OBJECT_NOT_FOUND` (4312) when `value` is nil.
public func present<T>(_ value: T?) throws(NtmsError) -> T {
    guard let value else {
        throw NtmsError(.objectNotFound, "the object was deleted by another caller before the answer was read")
    }
    return value
}

/// Enable/DisableNtmsObject's answer: the object and its state now.
public struct EnablementJSON: Codable, Sendable, Equatable {
    /// `library`, `drive` or `medium`.
    public var object_type: String
    /// The library, or the drive's; null for a medium.
    public var library: String?
    public var library_name: String?
    public var drive: UInt32?
    public var medium: String?
    public var barcode: String?
    public var enabled: Bool
    /// The DEVICESERVICE request a disable for service raised; null otherwise.
    public var service_request: String?

    public init(_ target: EnablementTarget, serviceRequest: OperatorRequestID? = nil, _ state: CatalogueState) {
        object_type = target.kindName
        switch target {
        case .library(let id):
            library = id.description
            library_name = state.libraries[id]?.name
            enabled = state.libraries[id]?.enabled ?? false
        case .drive(let address):
            library = address.library.description
            library_name = state.libraries[address.library]?.name
            drive = address.number
            enabled = state.drives[address]?.enabled ?? false
        case .medium(let id):
            medium = id.description
            barcode = state.media[id]?.barcode
            enabled = !state.disabledMedia.contains(id)
        }
        service_request = serviceRequest?.description
    }
}
