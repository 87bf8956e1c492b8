import CatalogueDomain
import CatalogueEngine
import CatalogueJSON

/// One value of an exported row.
public enum ExportValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case boolean(Bool)
    /// A JSON value: text in SQLite and CSV, nested as it is in JSON lines.
    case json(JSONValue)

    static func time(_ nanoseconds: Int64?) -> ExportValue { nanoseconds.map { .text(JSONModel.time($0)) } ?? .null }
    static func text(_ value: String?) -> ExportValue { value.map(ExportValue.text) ?? .null }
    static func id<Kind>(_ id: Identifier<Kind>?) -> ExportValue { id.map { .text($0.description) } ?? .null }
    static func count(_ value: some BinaryInteger) -> ExportValue { .integer(Int64(value)) }
}

/// One column of an exported table.
public struct ExportColumn: Sendable {
    /// How the column's values are typed: SQLite's storage class, and the JSON type in JSON lines.
    public enum Kind: Sendable {
        case integer
        case real
        case text
        /// 0 or 1 in SQLite, `true`/`false` in CSV and JSON.
        case boolean
        /// ISO-8601 UTC text, which SQLite's date functions read.
        case time
        /// A JSON object: text that SQLite's JSON functions read; nested in JSON lines.
        case json
    }

    public let name: String
    public let kind: Kind
    public let nullable: Bool
    /// The table whose `id` it names, for a foreign key.
    public let references: String?

    init(_ name: String, _ kind: Kind, nullable: Bool = false, references: String? = nil) {
        self.name = name
        self.kind = kind
        self.nullable = nullable
        self.references = references
    }
}

/// One exported table: its columns, key and indexes, and how its rows are read from the state.
public struct ExportTable: Sendable {
    public let name: String
    public let columns: [ExportColumn]
    public let primaryKey: [String]
    /// Columns indexed for the usual joins and filters.
    public let indexes: [[String]]
    /// Emits the rows from the state, one value per column; nil for the
    /// events table, whose rows come from the log.
    let rows: (@Sendable (CatalogueState, ([ExportValue]) throws -> Void) throws -> Void)?

    /// Hands each of the table's rows in `state` to `body`; the events table has none there.
    public func forEachRow(in state: CatalogueState, _ body: ([ExportValue]) throws -> Void) throws {
        try rows?(state, body)
    }

    init(
        name: String, columns: [ExportColumn], primaryKey: [String], indexes: [[String]],
        rows: (@Sendable (CatalogueState, ([ExportValue]) throws -> Void) throws -> Void)? = nil
    ) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
        self.indexes = indexes
        self.rows = rows
    }
}

/// The tables every export writes, in an order where each table's references come first.
public enum ExportSchema {
    public static let objectTables: [ExportTable] = [
        mediaTypes, libraries, pools, media, sides, logicalMedia, drives, requests,
    ]

    static let mediaTypes = ExportTable(
        name: "media_types",
        columns: [
            .init("id", .text), .init("name", .text), .init("side_count", .integer),
            .init("free_pool_id", .text, references: "pools"), .init("import_pool_id", .text, references: "pools"),
            .init("unrecognized_pool_id", .text, references: "pools"),
        ], primaryKey: ["id"], indexes: [["name"]]
    ) { state, emit in
        for type in state.mediaTypes.values {
            try emit([
                .id(type.id), .text(type.name), .count(type.sideCount), .id(type.freePool), .id(type.importPool),
                .id(type.unrecognizedPool),
            ])
        }
    }

    static let libraries = ExportTable(
        name: "libraries",
        columns: [
            .init("id", .text), .init("name", .text), .init("type", .text), .init("slots", .integer),
            .init("drives", .integer), .init("ports", .integer), .init("changer", .text, nullable: true),
            .init("device", .text, nullable: true), .init("needs_inventory", .boolean),
            .init("added", .time, nullable: true),
        ], primaryKey: ["id"], indexes: [["name"]]
    ) { state, emit in
        for library in state.libraries.values {
            try emit([
                .id(library.id), .text(library.name), .text(library.type.name), .count(library.slotCount),
                .count(library.driveCount), .count(library.portCount), .text(library.changer?.name),
                .text(library.device.isEmpty ? nil : library.device), .boolean(library.needsInventory),
                .time(library.added > 0 ? library.added : nil),
            ])
        }
    }

    static let pools = ExportTable(
        name: "pools",
        columns: [
            .init("id", .text), .init("path", .text), .init("parent_id", .text, nullable: true, references: "pools"),
            .init("type", .text), .init("media_type_id", .text, nullable: true, references: "media_types"),
            .init("from_scratch", .boolean), .init("to_scratch", .boolean), .init("max_allocates", .integer),
            .init("media", .integer), .init("pools", .integer),
        ], primaryKey: ["id"], indexes: [["path"], ["parent_id"]]
    ) { state, emit in
        for pool in state.pools.values {
            try emit([
                .id(pool.id), .text(pool.path), .id(pool.parent), .text(pool.type.name), .id(pool.mediaType),
                .boolean(pool.policy.allocateFromScratch), .boolean(pool.policy.deallocateToScratch),
                .count(pool.policy.maxAllocates), .count(pool.mediumCount), .count(pool.childCount),
            ])
        }
    }

    static let media = ExportTable(
        name: "media",
        columns: [
            .init("id", .text), .init("barcode", .text), .init("media_type_id", .text, references: "media_types"),
            .init("pool_id", .text, references: "pools"), .init("location_kind", .text),
            .init("library_id", .text, nullable: true, references: "libraries"),
            .init("location_number", .integer, nullable: true), .init("online", .boolean),
            .init("physical_state", .text), .init("side_count", .integer), .init("mount_count", .integer),
            .init("last_mounted", .time, nullable: true), .init("last_dismounted", .time, nullable: true),
            .init("last_allocated", .time, nullable: true),
        ], primaryKey: ["id"], indexes: [["barcode"], ["pool_id"], ["library_id"]]
    ) { state, emit in
        for medium in state.media.values {
            let kind: String
            let number: UInt32?
            switch medium.location {
            case .shelf: (kind, number) = ("shelf", nil)
            case .slot(_, let n): (kind, number) = ("slot", n)
            case .drive(_, let n): (kind, number) = ("drive", n)
            case .port(_, let n): (kind, number) = ("port", n)
            }
            let usage = state.mediumUsage[medium.id]
            try emit([
                .id(medium.id), .text(medium.barcode), .id(medium.mediaType), .id(medium.pool), .text(kind),
                .id(medium.location.library), number.map(ExportValue.count) ?? .null,
                .boolean(state.isOnline(medium)), .text(medium.physicalState.name), .count(medium.sideCount),
                .count(usage?.mountCount ?? 0), .time(usage?.lastMounted), .time(usage?.lastDismounted),
                .time(usage?.lastAllocated),
            ])
        }
    }

    static let sides = ExportTable(
        name: "sides",
        columns: [
            .init("id", .text), .init("medium_id", .text, references: "media"), .init("side_letter", .text),
            .init("state", .text), .init("allocate_count", .integer),
            .init("lmid", .text, nullable: true, references: "logical_media"),
        ], primaryKey: ["id"], indexes: [["medium_id"], ["state"]]
    ) { state, emit in
        for side in state.sides.values {
            try emit([
                .id(side.id), .id(side.medium), .text(side.letter), .text(side.state.name),
                .count(side.allocateCount), .id(side.logicalMedium),
            ])
        }
    }

    static let logicalMedia = ExportTable(
        name: "logical_media",
        columns: [
            .init("lmid", .text), .init("side_id", .text, references: "sides"),
            .init("pool_id", .text, references: "pools"), .init("exclusive", .boolean), .init("allocated", .time),
            .init("application", .text), .init("user", .text),
        ], primaryKey: ["lmid"], indexes: [["side_id"], ["pool_id"], ["application"]]
    ) { state, emit in
        for logical in state.logicalMedia.values {
            try emit([
                .id(logical.id), .id(logical.side), .id(logical.pool), .boolean(logical.exclusive),
                .time(logical.allocated), .text(logical.application), .text(logical.user),
            ])
        }
    }

    static let drives = ExportTable(
        name: "drives",
        columns: [
            .init("library_id", .text, references: "libraries"), .init("drive", .integer), .init("state", .text),
            .init("medium_id", .text, nullable: true, references: "media"),
            .init("side_id", .text, nullable: true, references: "sides"), .init("mounts", .integer),
            .init("busy_seconds", .real), .init("busy_since", .time, nullable: true),
        ], primaryKey: ["library_id", "drive"], indexes: []
    ) { state, emit in
        for drive in state.drives.values.sorted(by: { $0.address < $1.address }) {
            try emit([
                .id(drive.address.library), .count(drive.address.number), .text(drive.state.name), .id(drive.medium),
                .id(drive.side), .count(drive.mountCount), .real(Double(drive.busyNanoseconds) / 1e9),
                .time(drive.busySince),
            ])
        }
    }

    static let requests = ExportTable(
        name: "requests",
        columns: [
            .init("id", .text), .init("type", .text), .init("state", .text),
            .init("pool_id", .text, nullable: true, references: "pools"),
            .init("medium_id", .text, nullable: true, references: "media"),
            .init("library_id", .text, nullable: true, references: "libraries"), .init("message", .text),
            .init("submitted", .time), .init("application", .text), .init("user", .text),
            .init("deadline", .time, nullable: true), .init("closed", .time, nullable: true),
            .init("close_reason", .text, nullable: true),
        ], primaryKey: ["id"], indexes: [["state"]]
    ) { state, emit in
        for request in state.requests.values {
            let argument = request.firstArgument
            let pool = request.type == .newMedia ? argument.map(PoolID.init) : nil
            let medium = request.type == .moveMedia ? argument.map(MediumID.init) : nil
            let library =
                request.type == .cleaner || request.type == .deviceService ? argument.map(LibraryID.init) : nil
            try emit([
                .id(request.id), .text(request.type.name), .text(request.state.name), .id(pool), .id(medium),
                .id(library), .text(request.message), .time(request.submitted), .text(request.application),
                .text(request.user), .time(request.deadline), .time(request.closed),
                .text(request.closeReason?.name),
            ])
        }
    }

    /// Every event up to the exported state's, with its fields as a JSON object.
    public static let events = ExportTable(
        name: "events",
        columns: [
            .init("sequence", .integer), .init("time", .time), .init("event", .text), .init("application", .text),
            .init("user", .text), .init("idempotency_key", .text, nullable: true), .init("fields", .json),
        ], primaryKey: ["sequence"], indexes: [["event"], ["time"]])

    /// The events table's row for one logged event.
    public static func eventRow(_ logged: LoggedEvent) -> [ExportValue] {
        [
            .integer(Int64(logged.sequence)), .time(logged.timestamp), .text(logged.event.name),
            .text(logged.application), .text(logged.user), .text(logged.idempotencyKey),
            .json(.object(JSONValue.object(logged.event.fields))),
        ]
    }

    /// Joins for the usual questions, in SQLite exports.
    public static let views = [
        """
        CREATE VIEW side_details AS
        SELECT s.id AS side_id, s.side_letter, s.state, s.allocate_count, m.id AS medium_id, m.barcode,
               t.name AS media_type, p.path AS pool, m.location_kind, l.name AS library, m.location_number,
               m.online, lm.lmid, lm.application, lm.user, lm.allocated
        FROM sides s
        JOIN media m ON m.id = s.medium_id
        JOIN media_types t ON t.id = m.media_type_id
        JOIN pools p ON p.id = m.pool_id
        LEFT JOIN libraries l ON l.id = m.library_id
        LEFT JOIN logical_media lm ON lm.lmid = s.lmid
        """,
        """
        CREATE VIEW pool_side_counts AS
        SELECT p.path AS pool, p.id AS pool_id, s.state, count(*) AS sides
        FROM sides s
        JOIN media m ON m.id = s.medium_id
        JOIN pools p ON p.id = m.pool_id
        GROUP BY p.id, s.state
        """,
    ]
}
