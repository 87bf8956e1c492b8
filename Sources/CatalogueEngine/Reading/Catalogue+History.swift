import CatalogueDomain
import CatalogueStorage

/// One event as the log recorded it, for history and auditing tools.
public struct LoggedEvent: Sendable {
    /// The record's place in the log, from 1.
    public var sequence: UInt64
    /// Nanoseconds since 1970-01-01 UTC.
    public var timestamp: Int64
    /// The application of the session that caused the event ("catalogue" for the engine's own).
    public var application: String
    /// The user of that session.
    public var user: String
    /// The caller's idempotency key, when the command carried one.
    public var idempotencyKey: String?
    /// The event itself.
    public var event: CatalogueEvent
}

extension LoggedEvent {
    init(record: EventRecord, event: CatalogueEvent) {
        self.init(header: record.header, event: event)
    }

    init(header: RecordHeader, event: CatalogueEvent) {
        self.init(
            sequence: header.sequence, timestamp: header.timestamp, application: header.application, user: header.user,
            idempotencyKey: header.idempotencyKey, event: event)
    }
}

extension Catalogue {
    /// Every event that names one of `identifiers`, oldest first. Reads the log
    /// (verifying it) in one read transaction; the published state is not involved.
    ///
    /// - Throws: `ERROR_DATABASE_FAILURE` (4313) when a record fails
    ///   verification (checksum, sequence, chain or decoding), naming it.
    public func history(of identifiers: Set<UInt64>) throws(NtmsError) -> [LoggedEvent] {
        try history { event in event.referencedIdentifiers.contains(where: identifiers.contains) }
    }

    /// Every event `matches` accepts, oldest first.
    ///
    /// - Throws: `ERROR_DATABASE_FAILURE` (4313) when a record fails
    ///   verification (checksum, sequence, chain or decoding), naming it.
    public func history(where matches: (CatalogueEvent) -> Bool) throws(NtmsError) -> [LoggedEvent] {
        do {
            return try log.read { reader in
                var found: [LoggedEvent] = []
                try reader.forEachRecord(after: .empty) { record in
                    let event = try record.event()
                    guard matches(event) else { return }
                    found.append(
                        LoggedEvent(
                            sequence: record.header.sequence, timestamp: record.header.timestamp,
                            application: record.header.application, user: record.header.user,
                            idempotencyKey: record.header.idempotencyKey, event: event))
                }
                return found
            }
        } catch {
            throw ntmsError(from: error)
        }
    }
}

extension Catalogue {
    /// The history of an object named as an operator names it: any
    /// identifier (`medium-4`, `side-9`, `pool-12`, ...), a bar code (the
    /// medium and its sides, even once deleted), a side (`BARCODE:A`), a pool
    /// path, a library's or a media type's name.
    ///
    /// - Throws: `ERROR_OBJECT_NOT_FOUND` (4312) when nothing, now or in the
    ///   log, has that name; `ERROR_DATABASE_FAILURE` (4313) when a record
    ///   fails verification.
    public func history(named name: String) throws(NtmsError) -> [LoggedEvent] {
        try history(of: try identifiers(named: name))
    }

    private func identifiers(named name: String) throws(NtmsError) -> Set<UInt64> {
        let state = snapshot.state
        let names = NameResolver(state: state)
        if let medium = try? names.medium(name) { return Set([medium.id.rawValue] + medium.sides.map(\.rawValue)) }
        if name.contains(":"), let side = try? names.side(name) { return [side.id.rawValue] }
        if let pool = state.pool(atPath: name) { return [pool.id.rawValue] }
        if let library = state.library(named: name) { return [library.id.rawValue] }
        if let type = state.mediaType(named: name) { return [type.id.rawValue] }
        if let dash = name.lastIndex(of: "-"), let number = UInt64(name[name.index(after: dash)...]), number > 0 {
            return [number]
        }
        // A deleted medium: its bar code is only in the log.
        let imported = try history { event in
            if case .mediumImported(let e) = event { return e.barcode == name }
            return false
        }
        guard let last = imported.last, case .mediumImported(let e) = last.event else {
            throw NtmsError(.objectNotFound, "nothing in the catalogue is named \(TextRules.preview(name))")
        }
        return Set([e.medium.rawValue] + (0..<UInt64(e.sideCount)).map { e.firstSide.rawValue + $0 })
    }
}
