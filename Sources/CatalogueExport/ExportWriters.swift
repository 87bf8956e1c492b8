import CSV
import CatalogueJSON
import Foundation
import GRDB
import GRDBSQLite

/// Where the exporter sends tables: one table at a time, rows in order.
protocol TableOutput: AnyObject {
    func begin(_ table: ExportTable) throws
    func write(_ row: [ExportValue]) throws
    func end(_ table: ExportTable) throws
}

/// The export formats.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// One SQLite database file: a table per object kind and one for the
    /// events, with types, keys, indexes and views.
    case sqlite
    /// A directory with one CSV file per table, each with a header row.
    case csv
    /// A directory with one JSON-lines file per table: an object per row, keyed by column.
    case jsonl

    /// Whether the export is a directory of files rather than one file.
    var isDirectory: Bool { self != .sqlite }

    /// Writes the tables `produce` sends into `path`, which does not exist yet.
    func write(to path: String, _ produce: (any TableOutput) throws -> Void) throws {
        switch self {
        case .sqlite: try SQLiteOutput.write(to: path, produce)
        case .csv, .jsonl:
            guard mkdir(path, 0o700) == 0 else { throw ExportIOError(operation: "create", path: path, code: errno) }
            let output = DirectoryOutput(directory: path, format: self)
            try produce(output)
        }
    }
}

/// A SQLite database through GRDB: each table created with its types and
/// keys, filled by one prepared statement in one transaction, then indexed.
final class SQLiteOutput: TableOutput {
    private let db: Database
    private var insert: Statement?

    private init(db: Database) { self.db = db }

    static func write(to path: String, _ produce: (any TableOutput) throws -> Void) throws {
        let queue = try DatabaseQueue(path: path, configuration: ExportSchema.sqliteConfiguration)
        try queue.inDatabase { db in
            try db.inTransaction {
                try produce(SQLiteOutput(db: db))
                for view in ExportSchema.views { try db.execute(sql: view) }
                return .commit
            }
        }
        try queue.close()
    }

    func begin(_ table: ExportTable) throws {
        try db.execute(sql: table.sqliteDefinition)
        insert = try db.makeStatement(sql: table.sqliteInsert)
    }

    /// Binds the row straight to the prepared statement through SQLite's C
    /// API: building GRDB's `StatementArguments` for each row costs more than
    /// the insert itself.
    func write(_ row: [ExportValue]) throws {
        guard let statement = insert?.sqliteStatement else { return }
        sqlite3_reset(statement)
        for (offset, value) in row.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(statement, index)
            case .integer(let number): code = sqlite3_bind_int64(statement, index, number)
            case .real(let number): code = sqlite3_bind_double(statement, index, number)
            case .boolean(let flag): code = sqlite3_bind_int64(statement, index, flag ? 1 : 0)
            case .text(let text): code = Self.bind(text, statement, index)
            case .json(let json): code = Self.bind(json.jsonLine, statement, index)
            }
            guard code == SQLITE_OK else { throw databaseError(code) }
        }
        let stepped = sqlite3_step(statement)
        guard stepped == SQLITE_DONE else { throw databaseError(stepped) }
    }

    private static func bind(_ text: String, _ statement: SQLiteStatement, _ index: Int32) -> Int32 {
        // SQLite copies the bytes (SQLITE_TRANSIENT), since the buffer is only lent.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        var text = text
        return text.withUTF8 { bytes in
            guard let start = bytes.baseAddress, bytes.count > 0 else {
                // A null pointer would bind NULL, not the empty text.
                return sqlite3_bind_text(statement, index, "", 0, transient)
            }
            return start.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(statement, index, $0, Int32(bytes.count), transient)
            }
        }
    }

    private func databaseError(_ code: Int32) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
    }

    func end(_ table: ExportTable) throws {
        insert = nil
        for index in table.sqliteIndexes { try db.execute(sql: index) }
    }
}

extension ExportSchema {
    /// How SQLite exports are written. References are declared for tools but
    /// not enforced while loading a consistent state, and a half-written
    /// export is deleted, never recovered, so it needs no journal.
    public static var sqliteConfiguration: Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF")
        }
        return configuration
    }
}

extension ExportTable {
    /// `CREATE TABLE` with the columns' types, NOT NULL, references and the primary key.
    public var sqliteDefinition: String {
        var definitions = columns.map { column in
            var definition = "\(column.name.quotedDatabaseIdentifier) \(column.kind.sqliteType)"
            if !column.nullable { definition += " NOT NULL" }
            if let target = column.references { definition += " REFERENCES \(target.quotedDatabaseIdentifier)" }
            return definition
        }
        definitions.append("PRIMARY KEY (\(primaryKey.map(\.quotedDatabaseIdentifier).joined(separator: ", ")))")
        return "CREATE TABLE \(name.quotedDatabaseIdentifier) (\(definitions.joined(separator: ", ")))"
    }

    /// The prepared `INSERT` of one row.
    public var sqliteInsert: String {
        let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        return "INSERT INTO \(name.quotedDatabaseIdentifier) VALUES (\(marks))"
    }

    /// `CREATE INDEX` for each index, run once the rows are in.
    public var sqliteIndexes: [String] {
        indexes.map { indexed in
            let indexName = ([name] + indexed).joined(separator: "_")
            return """
                CREATE INDEX \(indexName.quotedDatabaseIdentifier) ON \(name.quotedDatabaseIdentifier) \
                (\(indexed.map(\.quotedDatabaseIdentifier).joined(separator: ", ")))
                """
        }
    }
}

/// CSV or JSON lines, one file per table in a directory, written in large
/// blocks: CSV.swift formats each block in memory, so its quoting rules apply
/// without a system call per character.
final class DirectoryOutput: TableOutput {
    private let directory: String
    private let format: ExportFormat
    private var file: ExportFile?
    private var pending: [[ExportValue]] = []
    private var columns: [ExportColumn] = []
    static let blockRows = 4096

    init(directory: String, format: ExportFormat) {
        self.directory = directory
        self.format = format
    }

    func begin(_ table: ExportTable) throws {
        file = try ExportFile(creating: directory + "/" + table.name + "." + format.rawValue)
        columns = table.columns
        if format == .csv { pending.append(columns.map { .text($0.name) }) }
    }

    func write(_ row: [ExportValue]) throws {
        pending.append(row)
        if pending.count >= Self.blockRows { try flush() }
    }

    func end(_ table: ExportTable) throws {
        try flush()
        try file?.close()
        file = nil
    }

    private func flush() throws {
        guard let file, !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        switch format {
        case .csv:
            let writer = try CSVWriter(stream: .toMemory())
            for row in pending { try writer.write(row: row.map(\.csvField)) }
            writer.stream.close()
            // Each block's writer separates only its own rows; the line break between blocks and the last one are ours.
            let block = writer.stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data ?? Data()
            try file.write(block)
            try file.write(Data("\n".utf8))
        case .jsonl:
            var block = ""
            for row in pending {
                var object: [String: JSONValue] = [:]
                for (column, value) in zip(columns, row) { object[column.name] = value.jsonValue }
                block += JSONValue.object(object).jsonLine
                block += "\n"
            }
            try file.write(Data(block.utf8))
        case .sqlite:
            break
        }
    }
}

/// A file written with plain POSIX calls, so each failure keeps its errno
/// (ENOSPC, EACCES) for the NTMS error, and flushed to disk on close.
final class ExportFile {
    private var descriptor: Int32
    let path: String

    init(creating path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ExportIOError(operation: "create", path: path, code: errno) }
    }

    deinit { if descriptor >= 0 { _ = Glibc.close(descriptor) } }

    func write(_ data: Data) throws {
        try data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ExportIOError(operation: "write", path: path, code: errno)
                }
                offset += written
            }
        }
    }

    func close() throws {
        defer { descriptor = -1 }
        guard fsync(descriptor) == 0 else {
            let code = errno
            _ = Glibc.close(descriptor)
            throw ExportIOError(operation: "write", path: path, code: code)
        }
        guard Glibc.close(descriptor) == 0 else { throw ExportIOError(operation: "write", path: path, code: errno) }
    }
}

/// A failed system call on an export file.
struct ExportIOError: Error {
    var operation: String
    var path: String
    var code: Int32
}

extension ExportColumn.Kind {
    /// The declared type: SQLite's affinity from it keeps integers, reals and
    /// text as they are; times are ISO-8601 text, which SQLite's date functions read.
    var sqliteType: String {
        switch self {
        case .integer: "INTEGER"
        case .real: "REAL"
        case .text, .time, .json: "TEXT"
        case .boolean: "BOOLEAN"
        }
    }
}

extension ExportValue {
    /// The value as SQLite stores it.
    public var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let value): value.databaseValue
        case .real(let value): value.databaseValue
        case .text(let value): value.databaseValue
        case .boolean(let value): value.databaseValue
        case .json(let value): value.jsonLine.databaseValue
        }
    }

    var csvField: String {
        switch self {
        case .null: ""
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let value): value
        case .boolean(let value): value ? "true" : "false"
        case .json(let value): value.jsonLine
        }
    }

    var jsonValue: JSONValue {
        switch self {
        case .null: .null
        case .integer(let value): .integer(value)
        case .real(let value): .double(value)
        case .text(let value): .string(value)
        case .boolean(let value): .bool(value)
        case .json(let value): value
        }
    }
}
