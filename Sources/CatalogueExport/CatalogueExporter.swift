import CatalogueDomain
import CatalogueEngine
import Foundation
import GRDB

/// How many rows one exported table received.
public struct ExportedTable: Sendable, Equatable {
    public var name: String
    public var rows: Int
}

/// What an export wrote.
public struct ExportSummary: Sendable, Equatable {
    /// The export's path, in place.
    public var path: String
    public var format: ExportFormat
    /// The last event the export covers: its state is the state right after it.
    public var sequence: UInt64
    /// Every table in the order written, the events table last.
    public var tables: [ExportedTable]
}

/// Progress of a long export: a table's rows so far, reported every
/// `ExportProgress.interval` rows and when the table is done.
public struct ExportProgress: Sendable, Equatable {
    public var table: String
    public var rows: Int
    public var finished: Bool
    public static let interval = 100_000
}

/// Writes the catalogue's objects and its log for business-intelligence
/// tools: SQLite, CSV or JSON lines (see `ExportFormat`, docs/reporting.md).
public enum CatalogueExporter {
    /// Exports the state now, or as of `point`, with the events up to it.
    ///
    /// The export is written beside `path` under a temporary name and renamed
    /// into place once complete, so a reader never sees half an export and a
    /// failure leaves nothing behind. An existing `path` is replaced only with
    /// `replacing`.
    ///
    /// - Throws: `ERROR_FILE_EXISTS` (80) when `path` exists and `replacing`
    ///   is false; `ERROR_PATH_NOT_FOUND` (3) when its directory does not
    ///   exist; `ERROR_ACCESS_DENIED` (5) when it may not be written;
    ///   `ERROR_DISK_FULL` (112) when the space runs out; `ERROR_WRITE_FAULT`
    ///   (29) for another write failure; what `Catalogue.state(asOf:)` throws
    ///   for a point outside the log; `ERROR_DATABASE_FAILURE` (4313) when a
    ///   record fails verification.
    public static func export(
        from catalogue: Catalogue, asOf point: LogPoint? = nil, format: ExportFormat, to path: String,
        replacing: Bool = false, progress: (ExportProgress) -> Void = { _ in }
    ) throws(NtmsError) -> ExportSummary {
        let destination = try ExportDestination(path, replacing: replacing)
        let snapshot =
            try point.map { point throws(NtmsError) in try catalogue.state(asOf: point).snapshot }
            ?? catalogue.snapshot
        let state = snapshot.state
        let last = snapshot.head.sequence
        var tables: [ExportedTable] = []
        do {
            try format.write(to: destination.temporary) { output in
                for table in ExportSchema.objectTables {
                    tables.append(
                        try writeTable(table, to: output, progress) { emit in try table.rows?(state, emit) })
                }
                tables.append(
                    try writeTable(ExportSchema.events, to: output, progress) { emit in
                        try catalogue.forEachEvent(from: 1, through: last) { logged throws(NtmsError) in
                            do { try emit(ExportSchema.eventRow(logged)) } catch { throw exportError(error) }
                        }
                    })
            }
            try destination.place(directory: format.isDirectory)
        } catch {
            destination.discard()
            throw exportError(error)
        }
        return ExportSummary(path: path, format: format, sequence: last, tables: tables)
    }

    /// Writes one table's rows, as `rows` emits them, reporting progress.
    private static func writeTable(
        _ table: ExportTable, to output: any TableOutput, _ progress: (ExportProgress) -> Void,
        rows: (_ emit: ([ExportValue]) throws -> Void) throws -> Void
    ) throws -> ExportedTable {
        var count = 0
        try output.begin(table)
        // `rows` only calls the emitter while it runs, so lending `progress` to it is safe.
        try withoutActuallyEscaping(progress) { progress in
            try rows { row in
                try output.write(row)
                count += 1
                if count % ExportProgress.interval == 0 {
                    progress(ExportProgress(table: table.name, rows: count, finished: false))
                }
            }
        }
        try output.end(table)
        progress(ExportProgress(table: table.name, rows: count, finished: true))
        return ExportedTable(name: table.name, rows: count)
    }

    /// The NTMS error for a failure while writing an export.
    static func exportError(_ error: any Error) -> NtmsError {
        switch error {
        case let error as NtmsError: return error
        case let error as ExportIOError:
            return fileError(errno: error.code, "could not \(error.operation) \(error.path)")
        case let error as DatabaseError:
            let message = "SQLite could not write the export: \(error.message ?? "\(error.resultCode)")"
            switch error.resultCode {
            case .SQLITE_FULL: return NtmsError(.diskFull, message + "; free some space and export again")
            case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
                return NtmsError(.accessDenied, "permission denied: " + message)
            default: return NtmsError(.writeFault, message)
            }
        default:
            return NtmsError(.writeFault, "could not write the export: \(error)")
        }
    }

    static func fileError(errno code: Int32, _ what: String) -> NtmsError {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOSPC, EDQUOT: return NtmsError(.diskFull, "\(what): \(reason); free some space and export again")
        case EACCES, EPERM, EROFS: return NtmsError(.accessDenied, "permission denied: \(what) (\(reason))")
        case ENOENT, ENOTDIR: return NtmsError(.pathNotFound, "\(what): \(reason)")
        default: return NtmsError(.writeFault, "\(what): \(reason)")
        }
    }
}

/// The export's place and the temporary name it is written under, in the
/// same directory so that the final rename is atomic.
struct ExportDestination {
    let path: String
    let parent: String
    let temporary: String
    let replacing: Bool

    init(_ path: String, replacing: Bool) throws(NtmsError) {
        guard !path.isEmpty else { throw NtmsError(.invalidParameter, "the export needs a path to write to") }
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        let parent = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw NtmsError(.pathNotFound, "the directory \(parent) does not exist; create it first")
        }
        // The name as given: URL resolves `.` and `..` away, and replacing those would replace a working directory.
        let given = (path as NSString).lastPathComponent
        guard ![".", "..", "/"].contains(given) else {
            throw NtmsError(.invalidParameter, "the export needs a name of its own, not \(path)")
        }
        if Self.exists(path) {
            guard replacing else { throw NtmsError(.fileExists, "\(path) exists; give --force to replace it") }
            try Self.requireExport(path)
        }
        self.path = path
        self.parent = parent
        self.replacing = replacing
        temporary = parent + "/." + name + ".partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Moves the finished export into place: a file over a file atomically;
    /// otherwise the old one is moved aside first and removed after.
    func place(directory: Bool) throws {
        // The export is as private as a new store; its contents reach the disk before its name does.
        try Self.settle(temporary, mode: directory ? 0o700 : 0o600)
        if Self.exists(path) {
            guard replacing else {
                throw NtmsError(.fileExists, "\(path) appeared during the export; nothing replaced")
            }
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            if !directory, !isDirectory.boolValue {
                try rename(temporary, to: path)
            } else {
                let aside = temporary + ".old"
                try rename(path, to: aside)
                do {
                    try rename(temporary, to: path)
                } catch {
                    // The earlier export goes back where it was.
                    _ = Glibc.rename(aside, path)
                    throw error
                }
                try? FileManager.default.removeItem(atPath: aside)
            }
        } else {
            try rename(temporary, to: path)
        }
        try Self.settle(parent, mode: nil)
    }

    /// Sets `path`'s mode and flushes it (a file's data, a directory's entries) to disk.
    private static func settle(_ path: String, mode: mode_t?) throws {
        if let mode, chmod(path, mode) != 0 {
            throw CatalogueExporter.fileError(errno: errno, "could not set the mode of \(path)")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CatalogueExporter.fileError(errno: errno, "could not open \(path)") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw CatalogueExporter.fileError(errno: errno, "could not flush \(path)") }
    }

    /// `--force` replaces an earlier export, never anything else: a directory
    /// must hold nothing but an export's table files.
    private static func requireExport(_ path: String) throws(NtmsError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return
        }
        let tables = Set(
            (ExportSchema.objectTables + [ExportSchema.events]).flatMap { [$0.name + ".csv", $0.name + ".jsonl"] })
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [""]
        guard entries.allSatisfy(tables.contains) else {
            throw NtmsError(
                .fileExists,
                "\(path) is a directory holding more than an export's tables; not replaced, even with --force")
        }
    }

    /// Removes whatever the failed export wrote.
    func discard() { try? FileManager.default.removeItem(atPath: temporary) }

    private func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else {
            throw CatalogueExporter.fileError(errno: errno, "could not move the export into place at \(path)")
        }
    }

    private static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }
}
