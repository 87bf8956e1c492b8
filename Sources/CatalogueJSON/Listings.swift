import CatalogueDomain
import CatalogueEngine
import Foundation

/// The filters a listing takes (`mediactl show`, the API's list routes),
/// resolved against the state: a name that names nothing is an NTMS error.
public struct ListingFilters: Sendable {
    public var pool: PoolID?
    /// A state's name, compared without regard to case (AVAILABLE, LOADED, IDLE, ...).
    public var state: String?
    public var library: LibraryID?
    public var mediaType: MediaTypeID?

    /// Resolves the filters' names (paths, bar codes, ids) in `catalogue`.
    ///
    /// - Throws: the resolver's NTMS error for a name that names nothing.
    public init(
        pool: String? = nil, state: String? = nil, library: String? = nil, mediaType: String? = nil,
        in catalogue: CatalogueState
    ) throws(NtmsError) {
        let names = NameResolver(state: catalogue)
        self.pool = try pool.map { name throws(NtmsError) in try names.pool(name).id }
        self.state = state
        self.library = try library.map { name throws(NtmsError) in try names.library(name).id }
        self.mediaType = try mediaType.map { name throws(NtmsError) in try names.mediaType(name).id }
    }

    func admits(_ medium: Medium) -> Bool {
        (pool == nil || medium.pool == pool) && (library == nil || medium.location.library == library)
            && (mediaType == nil || medium.mediaType == mediaType)
    }

    func admits(state name: String) -> Bool {
        guard let state else { return true }
        return name.caseInsensitiveCompare(state) == .orderedSame
    }
}

/// The catalogue's listings as rows of the JSON model, in a stable order:
/// one definition for the CLI and the API, so both list the same rows.
public enum Listing {
    /// Which filters each listing takes; the others are a caller's mistake.
    public static let filters: [String: Set<String>] = [
        "pools": ["media-type"], "media": ["pool", "state", "library", "media-type"],
        "sides": ["pool", "state", "library", "media-type"], "lmids": ["pool", "library", "media-type"],
        "drives": ["state"], "slots": ["state"], "libraries": [], "media-types": [],
    ]

    public static func pools(_ state: CatalogueState, _ filters: ListingFilters) -> [PoolJSON] {
        state.pools.values.sorted { $0.path < $1.path }
            .filter { filters.mediaType == nil || $0.mediaType == filters.mediaType }.map { PoolJSON($0, state) }
    }

    /// Media whose physical state or any side's state matches the state filter.
    public static func media(_ state: CatalogueState, _ filters: ListingFilters) -> [MediumJSON] {
        state.media.values.sorted { $0.id < $1.id }.filter { medium in
            filters.admits(medium)
                && (filters.admits(state: medium.physicalState.name)
                    || state.sides(of: medium).contains { filters.admits(state: $0.state.name) })
        }.map { MediumJSON($0, state) }
    }

    public static func sides(_ state: CatalogueState, _ filters: ListingFilters) -> [SideJSON] {
        state.sides.values.sorted { $0.id < $1.id }.compactMap { side -> SideJSON? in
            guard let medium = state.media[side.medium], filters.admits(medium), filters.admits(state: side.state.name)
            else { return nil }
            return SideJSON(side, medium, state)
        }
    }

    public static func logicalMedia(_ state: CatalogueState, _ filters: ListingFilters) -> [LogicalMediumJSON] {
        state.logicalMedia.values.sorted { $0.id < $1.id }.filter { logical in
            guard let side = state.sides[logical.side], let medium = state.media[side.medium] else { return false }
            return (filters.pool == nil || logical.pool == filters.pool)
                && (filters.library == nil || medium.location.library == filters.library)
                && (filters.mediaType == nil || medium.mediaType == filters.mediaType)
        }.compactMap { LogicalMediumJSON($0, state) }
    }

    public static func libraries(_ state: CatalogueState) -> [LibraryJSON] {
        state.libraries.values.sorted { $0.id < $1.id }.map(LibraryJSON.init)
    }

    public static func mediaTypes(_ state: CatalogueState) -> [MediaTypeJSON] {
        state.mediaTypes.values.sorted { $0.id < $1.id }.map { MediaTypeJSON($0, state) }
    }

    /// A library's drives in address order.
    public static func drives(of library: Library, _ state: CatalogueState, _ filters: ListingFilters) -> [DriveJSON] {
        (0..<library.driveCount).compactMap { state.drives[DriveAddress(library: library.id, number: $0)] }
            .filter { filters.admits(state: $0.state.name) }.map { DriveJSON($0, state) }
    }

    /// A library's slots, then its ports; an empty element's state is EMPTY.
    public static func slots(of library: Library, _ state: CatalogueState, _ filters: ListingFilters) -> [SlotJSON] {
        func row(_ element: String, _ number: UInt32, _ location: MediumLocation) -> SlotJSON {
            SlotJSON(element: element, number: number, medium: state.medium(at: location))
        }
        let slots = library.slotCount == 0 ? [] : (1...library.slotCount).map { row("slot", $0, .slot(library.id, $0)) }
        let ports = library.portCount == 0 ? [] : (1...library.portCount).map { row("port", $0, .port(library.id, $0)) }
        return (slots + ports).filter { filters.admits(state: $0.physical_state ?? "EMPTY") }
    }
}

extension JSONModel {
    /// A time as the CLI and the API take one: ISO-8601 in UTC
    /// (`2026-12-01T10:00:00Z`, fractions allowed) or a date (`2026-12-01`,
    /// midnight UTC), in nanoseconds since 1970; nil for anything else or a
    /// time outside 1685–2255 (the nanosecond clock's reach, with room).
    public static func nanoseconds(parsing text: String) -> Int64? {
        let full = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let plain = Date.ISO8601FormatStyle()
        let day = Date.ISO8601FormatStyle().year().month().day()
        guard let date = (try? full.parse(text)) ?? (try? plain.parse(text)) ?? (try? day.parse(text)),
            timeRange.contains(date)
        else { return nil }
        return Int64((date.timeIntervalSince1970 * 1_000_000_000).rounded())
    }

    static let timeRange: ClosedRange<Date> =
        Date(timeIntervalSince1970: -9.0e9)...Date(timeIntervalSince1970: 9.0e9)

    /// An `as-of` point: an event's sequence number, or a time meaning the
    /// last event at or before the end of its last written digit (a time
    /// copied from `watch`, in milliseconds, includes the event it came from;
    /// a bare date stays midnight).
    public static func logPoint(parsing text: String) -> LogPoint? {
        if let sequence = UInt64(text) { return .sequence(sequence) }
        guard let time = nanoseconds(parsing: text) else { return nil }
        return .time(time + precisionSpan(text))
    }

    /// Nanoseconds to the end of the time's last written digit.
    static func precisionSpan(_ text: String) -> Int64 {
        guard text.contains("T") else { return 0 }
        guard let dot = text.firstIndex(of: ".") else { return 999_999_999 }
        let digits = text[text.index(after: dot)...].prefix { $0.isNumber }.count
        guard digits < 9 else { return 0 }
        var span: Int64 = 1
        for _ in digits..<9 { span *= 10 }
        return span - 1
    }
}
