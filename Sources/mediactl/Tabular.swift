import ArgumentParser
import CSV
import CatalogueDomain
import CatalogueJSON
import Foundation

/// How a listing is printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// Aligned columns for a terminal.
    case table
    /// RFC 4180 CSV with a header row: one column per field, nested fields as `location.kind`.
    case csv
    /// A JSON array, as `--json` prints it.
    case json
}

/// Rows of the JSON model as flat columns: the fields in their declared
/// order, nested objects flattened to `parent.child`, lists joined with `;`,
/// null as an empty cell.
struct Tabular {
    var columns: [String]
    var rows: [[String]]

    init<Row: Encodable>(_ values: [Row]) {
        let objects = values.map { Self.object($0) }
        let names = values.first.map { Self.columns(of: $0, flat: objects[0]) } ?? []
        columns = names
        rows = objects.map { flat in names.map { flat[$0] ?? "" } }
    }

    /// The row's keys in declaration order (the JSON model's property names
    /// are its keys), each nested object's keys sorted after its name.
    private static func columns<Row: Encodable>(of row: Row, flat: [String: String]) -> [String] {
        Mirror(reflecting: row).children.compactMap(\.label).flatMap { key in
            flat.keys.filter { $0 == key || $0.hasPrefix(key + ".") }.sorted()
        }
    }

    /// The row's cells by flattened name, through the model's own encoding.
    private static func object<Row: Encodable>(_ row: Row) -> [String: String] {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(JSONModel.line(row).utf8)),
            case .object(let fields) = value
        else { return [:] }
        return flatten(fields)
    }

    private static func flatten(_ object: [String: JSONValue], prefix: String = "") -> [String: String] {
        var flat: [String: String] = [:]
        for (key, value) in object {
            if case .object(let nested) = value {
                flat.merge(flatten(nested, prefix: prefix + key + ".")) { first, _ in first }
            } else {
                flat[prefix + key] = cell(value)
            }
        }
        return flat
    }

    private static func cell(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .bool(let flag): flag ? "true" : "false"
        case .integer(let number): "\(number)"
        case .unsigned(let number): "\(number)"
        case .double(let number): "\(number)"
        case .string(let text): text
        case .array(let list): list.map(cell).joined(separator: ";")
        case .object(let fields): fields.keys.sorted().map { "\($0)=\(cell(fields[$0]!))" }.joined(separator: " ")
        }
    }

    /// The row indexes in order of `column`: numerically when every cell is a
    /// number, else as text; ties keep their order.
    func order(by column: String, descending: Bool) throws -> [Int] {
        guard let index = columns.firstIndex(of: column) else {
            throw UsageError(
                message: "no column \(column) to sort by; the columns are \(columns.joined(separator: ", "))")
        }
        let numeric = rows.allSatisfy { Double($0[index]) != nil || $0[index].isEmpty }
        func before(_ lhs: String, _ rhs: String) -> Bool {
            numeric
                ? (Double(lhs) ?? -.infinity) < (Double(rhs) ?? -.infinity)
                : lhs.localizedStandardCompare(rhs) == .orderedAscending
        }
        let order = rows.indices.map { (position: $0, cell: rows[$0][index]) }
        return order.sorted { lhs, rhs in
            if before(lhs.cell, rhs.cell) { return !descending }
            if before(rhs.cell, lhs.cell) { return descending }
            return lhs.position < rhs.position
        }.map(\.position)
    }

    /// CSV with a header row.
    var csv: String {
        guard let writer = try? CSVWriter(stream: .toMemory()) else { return "" }
        try? writer.write(row: columns)
        for row in rows { try? writer.write(row: row) }
        writer.stream.close()
        let data = writer.stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Aligned columns with a header; every cell escaped for the terminal.
    var table: String {
        let cells = ([columns] + rows).map { $0.map { TextRules.escaped($0) } }
        let widths = columns.indices.map { index in cells.map { $0[index].count }.max() ?? 0 }
        return cells.map { row in
            row.indices.map { index in
                index == row.count - 1
                    ? row[index] : row[index].padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

extension Output {
    /// Prints rows in `format`; `json` is the JSON model's array, whatever the filters removed.
    static func emit(_ tabular: Tabular, json: String, format: OutputFormat) {
        switch format {
        case .json: print(json)
        case .csv: print(tabular.csv, terminator: tabular.csv.hasSuffix("\n") ? "" : "\n")
        case .table: print(tabular.rows.isEmpty ? "(none)" : tabular.table)
        }
    }
}
