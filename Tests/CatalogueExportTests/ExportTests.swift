import CatalogueDomain
import CatalogueEngine
import Foundation
import GRDB
import Testing

@testable import CatalogueExport

/// Exports for business-intelligence tools: every object and event, typed,
/// keyed and indexed, written whole or not at all.
@Suite struct ExportTests {
    /// A store with media in two pools, allocations (one given back) and an open operator request.
    final class Fixture {
        let root: String
        let catalogue: Catalogue

        init(_ label: String = #function) async throws {
            let safe = label.filter { $0.isLetter || $0.isNumber }
            root = NSTemporaryDirectory() + "mc-export-\(safe.prefix(40))-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            var options = CatalogueOptions()
            options.initialAccess = [AccessEntry(.everyone, .all)]
            catalogue = try await Catalogue.open(at: root + "/store", create: true, options: options)
            let session = try catalogue.session(application: "backup", user: "svc")
            let type = try await session.registerMediaType(name: "LTO", sides: 1)
            let robot = try await session.addLibrary(name: "Robot \"A\", left", slots: 10, drives: 2)
            let pool = try await session.createPool(
                path: "\\Backup", mediaType: type, policy: PoolPolicy(allocateFromScratch: true))
            for slot in 1...6 {
                _ = try await session.registerMedium(
                    barcode: "T0000\(slot)", mediaType: type, location: .slot(robot, UInt32(slot)))
            }
            let first = try await session.allocate(AllocationRequest(pool: pool))
            _ = try await session.allocate(AllocationRequest(pool: pool))
            try await session.deallocate(first.logicalMedium)
            _ = try await session.submitRequest(.message, message: "check the door, \"left\" side")
        }

        func path(_ name: String) -> String { root + "/" + name }

        func remove() {
            catalogue.close()
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    static let allTables = ExportSchema.objectTables + [ExportSchema.events]

    @Test func anSQLiteExportHoldsEveryObjectAndEventWithTypesKeysAndViews() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let state = fixture.catalogue.snapshot.state
        let summary = try CatalogueExporter.export(
            from: fixture.catalogue, format: .sqlite, to: fixture.path("catalogue.sqlite"))
        #expect(summary.sequence == fixture.catalogue.snapshot.head.sequence)
        // As private as the store it came from.
        let mode = try FileManager.default.attributesOfItem(atPath: fixture.path("catalogue.sqlite"))[.posixPermissions]
        #expect(mode as? Int == 0o600)
        let database = try DatabaseQueue(path: fixture.path("catalogue.sqlite"))
        try await database.read { db throws in
            let counts = try Dictionary(
                uniqueKeysWithValues: Self.allTables.map {
                    ($0.name, try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0.name)") ?? -1)
                })
            #expect(counts["media"] == state.media.count)
            #expect(counts["sides"] == state.sides.count)
            #expect(counts["logical_media"] == 1)
            #expect(counts["pools"] == state.pools.count)
            #expect(counts["requests"] == state.requests.count)
            #expect(counts["events"] == Int(summary.sequence))
            #expect(summary.tables.map(\.name) == Self.allTables.map(\.name))
            #expect(summary.tables.allSatisfy { counts[$0.name] == $0.rows })
            // Every reference leads somewhere.
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            let medium = try #require(
                try Row.fetchOne(
                    db,
                    sql: """
                        SELECT typeof(online) AS online_type, online, typeof(location_number) AS number_type,
                               location_number, last_allocated, last_mounted FROM media WHERE barcode = 'T00002'
                        """))
            #expect(medium["online_type"] == "integer")
            #expect(medium["online"] == 1)
            #expect(medium["number_type"] == "integer")
            #expect(medium["location_number"] == 2)
            #expect((medium["last_allocated"] as String?)?.hasSuffix("Z") == true)
            #expect((medium["last_mounted"] as String?) == nil)
            let held = try Row.fetchAll(
                db, sql: "SELECT barcode, pool, application FROM side_details WHERE lmid IS NOT NULL")
            #expect(held.count == 1)
            #expect(held.first?["pool"] == "\\Backup")
            #expect(held.first?["application"] == "backup")
            let allocatedLmids = try String.fetchAll(
                db, sql: "SELECT json_extract(fields, '$.lmid') FROM events WHERE event = 'SideAllocated'")
            #expect(allocatedLmids.count == 2)
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'")
            #expect(indexes.contains("media_pool_id"))
            #expect(indexes.contains("events_time"))
        }
        try database.close()
    }

    @Test func csvAndJsonLinesWriteOneFilePerTableWithEveryColumnTyped() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let csv = try CatalogueExporter.export(from: fixture.catalogue, format: .csv, to: fixture.path("csv"))
        let jsonl = try CatalogueExporter.export(from: fixture.catalogue, format: .jsonl, to: fixture.path("jsonl"))
        #expect(csv.tables == jsonl.tables)
        for directory in ["csv", "jsonl"] {
            let mode = try FileManager.default.attributesOfItem(atPath: fixture.path(directory))[.posixPermissions]
            #expect(mode as? Int == 0o700, "\(directory)")
        }
        for (table, exported) in zip(Self.allTables, csv.tables) {
            let text = try String(contentsOfFile: fixture.path("csv/\(table.name).csv"), encoding: .utf8)
            #expect(text.hasPrefix(table.columns.map(\.name).joined(separator: ",") + "\n"))
            #expect(text.split(separator: "\n").count == exported.rows + 1, "\(table.name)")
            let lines = try String(contentsOfFile: fixture.path("jsonl/\(table.name).jsonl"), encoding: .utf8)
                .split(separator: "\n")
            #expect(lines.count == exported.rows, "\(table.name)")
            for line in lines {
                let object = try JSONDecoder().decode([String: JSONKind].self, from: Data(line.utf8))
                #expect(Set(object.keys) == Set(table.columns.map(\.name)), "\(table.name)")
                for column in table.columns {
                    let found = try #require(object[column.name])
                    guard found != .null else {
                        #expect(column.nullable, "\(table.name).\(column.name)")
                        continue
                    }
                    let expected: JSONKind =
                        switch column.kind {
                        case .integer, .real: .number
                        case .boolean: .bool
                        case .text, .time: .string
                        case .json: .object
                        }
                    #expect(found == expected, "\(table.name).\(column.name)")
                }
            }
        }
        let request = try String(contentsOfFile: fixture.path("csv/requests.csv"), encoding: .utf8)
        #expect(request.contains(#","check the door, ""left"" side","#))
    }

    @Test func anExportAsOfAnEventHoldsThatStateAndOnlyTheEventsUpToIt() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let point = fixture.catalogue.snapshot.head.sequence - 4
        let past = try fixture.catalogue.state(asOf: .sequence(point)).snapshot.state
        let summary = try CatalogueExporter.export(
            from: fixture.catalogue, asOf: .sequence(point), format: .sqlite, to: fixture.path("past.sqlite"))
        #expect(summary.sequence == point)
        let database = try DatabaseQueue(path: fixture.path("past.sqlite"))
        let counts = try await database.read { db throws -> [Int?] in
            try [
                "SELECT max(sequence) FROM events", "SELECT count(*) FROM logical_media",
                "SELECT count(*) FROM requests",
            ]
            .map { try Int.fetchOne(db, sql: $0) }
        }
        #expect(counts == [Int(point), past.logicalMedia.count, past.requests.count])
        try database.close()
    }

    @Test func anExistingExportIsKeptUnlessReplacingIsAskedAndNoTemporaryIsLeft() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        for format in ExportFormat.allCases {
            let target = fixture.path("out-\(format.rawValue)")
            _ = try CatalogueExporter.export(
                from: fixture.catalogue, asOf: .sequence(3), format: format, to: target)
            let refused = #expect(throws: NtmsError.self) {
                try CatalogueExporter.export(from: fixture.catalogue, format: format, to: target)
            }
            #expect(refused?.code == .fileExists)
            let replaced = try CatalogueExporter.export(
                from: fixture.catalogue, format: format, to: target, replacing: true)
            #expect(replaced.sequence == fixture.catalogue.snapshot.head.sequence)
        }
        let database = try DatabaseQueue(path: fixture.path("out-sqlite"))
        let events = try await database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM events") }
        #expect((events ?? 0) > 3)
        try database.close()
        let names = try FileManager.default.contentsOfDirectory(atPath: fixture.root)
        #expect(names.filter { $0.hasPrefix(".") }.isEmpty, "\(names)")
    }

    @Test func forceReplacesOnlyAnEarlierExportNeverADirectoryOfOtherFiles() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let documents = fixture.path("documents")
        try FileManager.default.createDirectory(atPath: documents, withIntermediateDirectories: false)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: documents + "/notes.txt"))
        for format in ExportFormat.allCases {
            let refused = #expect(throws: NtmsError.self) {
                try CatalogueExporter.export(from: fixture.catalogue, format: format, to: documents, replacing: true)
            }
            #expect(refused?.code == .fileExists, "\(format)")
        }
        #expect(try String(contentsOfFile: documents + "/notes.txt", encoding: .utf8) == "keep me")
        for name in [".", "..", "/"] {
            let refused = #expect(throws: NtmsError.self) {
                try CatalogueExporter.export(from: fixture.catalogue, format: .csv, to: name, replacing: true)
            }
            #expect(refused?.code == .invalidParameter, "\(name)")
        }
        // An earlier export of another format is replaced.
        _ = try CatalogueExporter.export(from: fixture.catalogue, format: .jsonl, to: fixture.path("out"))
        _ = try CatalogueExporter.export(
            from: fixture.catalogue, format: .csv, to: fixture.path("out"), replacing: true)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: fixture.path("out")).allSatisfy { $0.hasSuffix(".csv") }
        )
    }

    @Test func aMissingDirectoryIsNamedAndAPointOutsideTheLogChangesNothing() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let missing = #expect(throws: NtmsError.self) {
            try CatalogueExporter.export(from: fixture.catalogue, format: .csv, to: fixture.path("no/such/dir"))
        }
        #expect(missing?.code == .pathNotFound)
        let beyond = #expect(throws: NtmsError.self) {
            try CatalogueExporter.export(
                from: fixture.catalogue, asOf: .sequence(10_000), format: .sqlite, to: fixture.path("x.sqlite"))
        }
        #expect(beyond?.code == .invalidParameter)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.root) == ["store"])
    }

    @Test func theReportingDocsListEveryTableWithItsKeyAndColumnsInOrder() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/reporting.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for table in Self.allTables {
            let row =
                "| `\(table.name)` | `\(table.primaryKey.joined(separator: ", "))` | "
                + table.columns.map(\.name).joined(separator: ", ") + " |"
            #expect(text.contains(row), "docs/reporting.md lacks: \(row)")
        }
    }

    @Test(.enabled(if: SmallFileSystem.possible, "needs root to mount a small tmpfs"))
    func anExportThatRunsOutOfSpaceFailsWithDiskFullAndLeavesNothingBehind() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let full = try SmallFileSystem(at: fixture.path("small"), bytes: 16 * 1024)
        defer { full.remove() }
        for format in ExportFormat.allCases {
            let error = #expect(throws: NtmsError.self) {
                try CatalogueExporter.export(from: fixture.catalogue, format: format, to: full.path + "/export")
            }
            #expect(error?.code == .diskFull, "\(format): \(String(describing: error))")
            #expect(try FileManager.default.contentsOfDirectory(atPath: full.path).isEmpty, "\(format)")
        }
    }
}

/// The JSON type of a value, as a JSON-lines reader sees it.
enum JSONKind: Decodable, Equatable {
    case null, bool, number, string, array, object

    init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer()
        if value.decodeNil() {
            self = .null
        } else if (try? value.decode(Bool.self)) != nil {
            self = .bool
        } else if (try? value.decode(Double.self)) != nil {
            self = .number
        } else if (try? value.decode(String.self)) != nil {
            self = .string
        } else if (try? value.decode([JSONKind].self)) != nil {
            self = .array
        } else {
            _ = try value.decode([String: JSONKind].self)
            self = .object
        }
    }
}

/// A tmpfs of a few kilobytes (root only), to run an export out of space.
struct SmallFileSystem {
    let path: String

    static let possible: Bool = {
        guard geteuid() == 0 else { return false }
        let probe = NSTemporaryDirectory() + "mc-tmpfs-probe-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard let mount = try? SmallFileSystem(at: probe, bytes: 4096) else { return false }
        mount.remove()
        return true
    }()

    init(at path: String, bytes: Int) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.run(["/bin/mount", "-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path])
    }

    func remove() {
        try? Self.run(["/bin/umount", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    static func run(_ command: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
