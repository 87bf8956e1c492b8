import CatalogueDomain
import CatalogueStorage

/// One event as the log recorded it, for history and auditing tools.
public struct LoggedEvent: Sendable {
    public var sequence: UInt64
    /// Nanoseconds since 1970-01-01 UTC.
    public var timestamp: Int64
    public var application: String
    public var user: String
    public var idempotencyKey: String?
    public var event: CatalogueEvent
}

extension Catalogue {
    /// Every event that names one of `identifiers`, oldest first. Reads the log
    /// (verifying it) in one read transaction; the published state is not involved.
    public func history(of identifiers: Set<UInt64>) throws(NtmsError) -> [LoggedEvent] {
        try history { event in event.referencedIdentifiers.contains(where: identifiers.contains) }
    }

    /// Every event `matches` accepts, oldest first.
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
