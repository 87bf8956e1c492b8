import CatalogueDomain
import CatalogueStorage

/// How much one caller allocated and gave back over a period.
public struct CallerActivity: Sendable, Equatable {
    /// The application its records name.
    public var application: String
    /// The user its records name.
    public var user: String
    /// Sides it allocated in the period (SideAllocated and SideAllocatedNext).
    public var allocations: Int
    /// Logical media it gave back in the period.
    public var deallocations: Int
}

extension Catalogue {
    /// The last event committed at or before `time` (nanoseconds since 1970),
    /// without scanning the log: a binary search over the records' times.
    /// 0 when the first event is later.
    ///
    /// - Throws: `ERROR_DATABASE_FAILURE` (4313) when a record read fails its checksum.
    public func sequence(atOrBefore time: Int64) throws(NtmsError) -> UInt64 {
        let head = snapshot.head.sequence
        do {
            return try log.read { reader in try reader.lastSequence(atOrBefore: time, head: head) }
        } catch {
            throw ntmsError(from: error)
        }
    }

    /// Allocations and deallocations per application and user over
    /// `from..<to` (nanoseconds since 1970), read from the log between the
    /// events at those times, most allocations first.
    ///
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) when `from` is not before
    ///   `to`; `ERROR_DATABASE_FAILURE` (4313) when a record fails verification.
    public func activity(from: Int64, to: Int64) throws(NtmsError) -> [CallerActivity] {
        guard from < to else { throw NtmsError(.invalidParameter, "a period's start must come before its end") }
        let head = snapshot.head.sequence
        var tally: [String: CallerActivity] = [:]
        do {
            _ = try log.read { reader in
                // The period's events, found by their times in the same transaction that reads them.
                let beforeFirst = from == .min ? 0 : try reader.lastSequence(atOrBefore: from - 1, head: head)
                let last = try reader.lastSequence(atOrBefore: to - 1, head: head)
                return try reader.forEachRecordView(afterSequence: beforeFirst, through: last) { record in
                    guard record.timestamp >= from, record.timestamp < to else { return }
                    let allocation: Bool
                    switch EventType(rawValue: record.eventType) {
                    case .sideAllocated?, .sideAllocatedNext?: allocation = true
                    case .sideDeallocated?: allocation = false
                    default: return
                    }
                    let header = record.header
                    let key = header.application + "\u{0}" + header.user
                    var entry =
                        tally[key]
                        ?? CallerActivity(
                            application: header.application, user: header.user, allocations: 0, deallocations: 0)
                    if allocation { entry.allocations += 1 } else { entry.deallocations += 1 }
                    tally[key] = entry
                }
            }
        } catch {
            throw ntmsError(from: error)
        }
        return tally.values.sorted {
            ($1.allocations, $0.application, $0.user) < ($0.allocations, $1.application, $1.user)
        }
    }
}
