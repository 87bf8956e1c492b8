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
