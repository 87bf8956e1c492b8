import Foundation

@testable import CatalogueStorage

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = #function) {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        path = NSTemporaryDirectory() + "mc-\(safe.prefix(40))-\(UUID().uuidString.prefix(8))"
    }

    /// A path inside the directory for a store that does not exist yet.
    var store: String { path + "/store" }

    func create() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

extension EventLog {
    /// Appends `count` records (each payload its sequence number, then filler)
    /// in one transaction, and records the new head.
    func appendTestRecords(count: Int, payloadSize: Int = 20) throws {
        try write { writer in
            var head = try writer.reader.head()
            for _ in 0..<count {
                let header = RecordHeader(
                    sequence: head.sequence + 1, eventType: 1, schemaVersion: 1, timestamp: 0, application: "test",
                    user: "tester")
                let payload =
                    withUnsafeBytes(of: head.sequence + 1) { Array($0) } + Array(repeating: 0x5A, count: payloadSize)
                head = try writer.append(header, payload: payload, after: head)
            }
            try writer.recordHead(head)
        }
    }
}
