/// Resolves the names operators type (identifiers such as `side-13`, pool
/// paths, library and media-type names, bar codes, `BARCODE:A`) against a state.
/// An identifier form wins over a bar code that looks the same.
public struct NameResolver: Sendable {
    public let state: CatalogueState

    public init(state: CatalogueState) { self.state = state }

    public func mediaType(_ text: String) throws(NtmsError) -> MediaType {
        if let id = MediaTypeID(text), let type = state.mediaTypes[id] { return type }
        guard let type = state.mediaType(named: text) else { throw NtmsError(.objectNotFound, "no media type \(text)") }
        return type
    }

    public func library(_ text: String) throws(NtmsError) -> Library {
        if let id = LibraryID(text), let library = state.libraries[id] { return library }
        guard let library = state.library(named: text) else { throw NtmsError(.invalidLibrary, "no library \(text)") }
        return library
    }

    public func pool(_ text: String) throws(NtmsError) -> Pool {
        if let id = PoolID(text), let pool = state.pools[id] { return pool }
        guard let pool = state.pool(atPath: text) else { throw NtmsError(.invalidMediaPool, "no pool \(text)") }
        return pool
    }

    /// A medium by identifier (`medium-12`) or bar code.
    public func medium(_ text: String) throws(NtmsError) -> Medium {
        if let id = MediumID(text), let medium = state.media[id] { return medium }
        guard let medium = state.medium(withBarcode: text) else { throw NtmsError(.invalidMedia, "no medium \(text)") }
        return medium
    }

    /// A side by identifier (`side-13`) or `BARCODE:A` / `BARCODE:B`.
    public func side(_ text: String) throws(NtmsError) -> Side {
        if let id = SideID(text), let side = state.sides[id] { return side }
        guard let colon = text.lastIndex(of: ":") else {
            throw NtmsError(.invalidParameter, "a side is named side-N or BARCODE:A / BARCODE:B, not \(text)")
        }
        let barcode = String(text[..<colon])
        let letter = text[text.index(after: colon)...].uppercased()
        let medium = try medium(barcode)
        guard letter.unicodeScalars.count == 1, let scalar = letter.unicodeScalars.first,
            ("A"..."Z").contains(scalar),
            let side = state.sides(of: medium).first(where: { $0.number == UInt8(scalar.value - 65) })
        else { throw NtmsError(.invalidMedia, "medium \(barcode) has no side \(letter)") }
        return side
    }

    /// What enable and disable name: a library, one of its drives (by number), or a medium.
    public func enablementTarget(_ kind: EnablementKind, _ name: String, drive: UInt32? = nil) throws(NtmsError)
        -> EnablementTarget
    {
        switch kind {
        case .library:
            guard drive == nil else { throw NtmsError(.invalidParameter, "a library is named without a drive number") }
            return .library(try library(name).id)
        case .drive:
            guard let drive else { throw NtmsError(.invalidParameter, "a drive is named by its library and number") }
            return .drive(DriveAddress(library: try library(name).id, number: drive))
        case .medium:
            guard drive == nil else { throw NtmsError(.invalidParameter, "a medium is named without a drive number") }
            return .medium(try medium(name).id)
        }
    }

    /// A work item's identifier (`work-12`), by its form only: whether the
    /// queue still keeps it is for the command to say.
    ///
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) for text of another form.
    public static func libraryRequestID(_ text: String) throws(NtmsError) -> LibraryRequestID {
        guard let id = LibraryRequestID(text) else {
            throw NtmsError(.invalidParameter, "a work item is work-N, not \"\(TextRules.preview(text))\"")
        }
        return id
    }

    /// An LMID (`lmid-4`), or a side spec whose side is allocated.
    public func logicalMedium(_ text: String) throws(NtmsError) -> LogicalMedium {
        if let id = LogicalMediumID(text) {
            guard let logical = state.logicalMedia[id] else {
                throw NtmsError(.invalidMedia, "no logical medium \(text)")
            }
            return logical
        }
        let side = try side(text)
        guard let id = side.logicalMedium, let logical = state.logicalMedia[id] else {
            throw NtmsError(.invalidMedia, "\(text) is \(side.state.name), not allocated")
        }
        return logical
    }
}
