/// One element as `mtx status` prints it, in mtx's own numbering: drives
/// (data transfer elements) from 0, storage elements from 1, import/export
/// elements sharing the storage numbering wherever the library puts them.
public struct MtxElement: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case drive
        case storage
        case importExport
    }

    public var kind: Kind
    public var number: UInt32
    public var isFull: Bool
    public var volumeTag: String?
    public var alternateVolumeTag: String?
    /// For a full drive: the storage element mtx says it came from; nil when unknown.
    public var sourceElement: UInt32?
}

/// The parsed output of `mtx status`.
public struct MtxStatus: Sendable, Equatable {
    public var device: String
    public var driveCount: Int
    /// Storage elements including import/export ones, as the header counts them.
    public var storageCount: Int
    public var importExportCount: Int
    public var elements: [MtxElement]
    /// Lines that were not understood and counts that do not add up.
    public var warnings: [String]

    public var drives: [MtxElement] { elements.filter { $0.kind == .drive } }
    public var storage: [MtxElement] { elements.filter { $0.kind != .drive } }
}

/// Parses `mtx status` output. Written against the captured samples and the
/// pitfalls listed for them: indentation and trailing blanks vary, drive lines
/// write `VolumeTag = X` and slot lines `VolumeTag=X`, a full element may have
/// no tag, a drive's source may be unknown or claimed twice, import/export
/// elements may sit anywhere in the numbering, tags are arbitrary strings, old
/// versions omit the drive index, and an alternate tag may follow the primary.
public enum MtxStatusParser {
    public static func parse(_ text: String) throws(ChangerError) -> MtxStatus {
        var header: (device: String, drives: Int, slots: Int, importExport: Int)?
        var elements: [MtxElement] = []
        var warnings: [String] = []
        var nextUnnumberedDrive: UInt32 = 0
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingBlanks()
            guard !line.isEmpty else { continue }
            if let parsed = parseHeader(line) {
                header = parsed
            } else if line.hasPrefix("Data Transfer Element") {
                guard var drive = parseDrive(line) else {
                    warnings.append("not understood: \(line)")
                    continue
                }
                if drive.number == .max {
                    drive.number = nextUnnumberedDrive
                }
                nextUnnumberedDrive = drive.number + 1
                elements.append(drive)
            } else if line.hasPrefix("Storage Element") {
                guard let element = parseStorage(line) else {
                    warnings.append("not understood: \(line)")
                    continue
                }
                elements.append(element)
            } else if line.hasPrefix("mtx:") {
                throw ChangerError(.unavailable, "the changer reported an error: \(line)")
            } else if header != nil {
                // Before the header: a shell prompt or command echo in a capture. After it: report.
                warnings.append("not understood: \(line)")
            }
        }
        guard let header else {
            throw ChangerError(.unavailable, "`mtx status` printed no `Storage Changer` header")
        }
        var seen = Set<String>()
        for element in elements where !seen.insert("\(element.kind == .drive ? "D" : "S")\(element.number)").inserted {
            warnings.append("element \(element.number) is reported twice")
        }
        let driveLines = elements.filter { $0.kind == .drive }.count
        let storageLines = elements.count - driveLines
        let ieLines = elements.filter { $0.kind == .importExport }.count
        if driveLines != header.drives {
            warnings.append("the header announces \(header.drives) drives but \(driveLines) were reported")
        }
        if storageLines != header.slots {
            warnings.append("the header announces \(header.slots) storage elements but \(storageLines) were reported")
        }
        if ieLines != header.importExport, storageLines == header.slots {
            warnings.append(
                "the header announces \(header.importExport) import/export elements but \(ieLines) were reported")
        }
        return MtxStatus(
            device: header.device, driveCount: header.drives, storageCount: header.slots,
            importExportCount: header.importExport, elements: elements, warnings: warnings)
    }

    /// `Storage Changer DEVICE:2 Drives, 24 Slots ( 1 Import/Export )`; the device may contain colons.
    private static func parseHeader(_ line: Substring) -> (String, Int, Int, Int)? {
        guard
            let match = line.wholeMatch(
                of: #/Storage Changer (.*):(\d+) Drives?, (\d+) Slots? \( *(\d+) Import/Export *\)/#),
            let drives = Int(match.2), let slots = Int(match.3), let importExport = Int(match.4)
        else { return nil }
        return (String(match.1), drives, slots, importExport)
    }

    /// `Data Transfer Element 0:Full (Storage Element 8 Loaded):VolumeTag = 042142L9`; the index may be missing.
    private static func parseDrive(_ line: Substring) -> MtxElement? {
        guard let match = line.wholeMatch(of: #/Data Transfer Element ?(\d*):(Empty|Full)(.*)/#) else { return nil }
        let number: UInt32
        if match.1.isEmpty {
            number = .max  // old mtx: numbered in order by the caller
        } else {
            guard let parsed = UInt32(match.1) else { return nil }
            number = parsed
        }
        let isFull = match.2 == "Full"
        var rest = match.3.trimmingBlanks()
        var source: UInt32?
        if isFull, let loaded = rest.prefixMatch(of: #/ *\((?:Storage Element (\d+)|Unknown Storage Element) Loaded\)/#)
        {
            source = loaded.1.flatMap { UInt32($0) }
            rest = rest[loaded.range.upperBound...]
        }
        guard let (tag, alternate) = parseTags(rest) else { return nil }
        return MtxElement(
            kind: .drive, number: number, isFull: isFull, volumeTag: tag, alternateVolumeTag: alternate,
            sourceElement: source)
    }

    /// `Storage Element 24 IMPORT/EXPORT:Full :VolumeTag=HER003L9`.
    private static func parseStorage(_ line: Substring) -> MtxElement? {
        guard let match = line.wholeMatch(of: #/Storage Element (\d+)( IMPORT/EXPORT)? *:(Empty|Full)(.*)/#),
            let number = UInt32(match.1), number > 0
        else { return nil }
        guard let (tag, alternate) = parseTags(match.4) else { return nil }
        return MtxElement(
            kind: match.2 == nil ? .storage : .importExport, number: number, isFull: match.3 == "Full",
            volumeTag: tag, alternateVolumeTag: alternate, sourceElement: nil)
    }

    /// `[ :VolumeTag=X][:AlternateVolumeTag=Y]`, either spacing around `=`, blanks trimmed.
    private static func parseTags(_ text: Substring) -> (String?, String?)? {
        let rest = text.trimmingBlanks()
        if rest.isEmpty { return (nil, nil) }
        guard let match = rest.wholeMatch(of: #/ *:VolumeTag *= *(.*?)(?: *:AlternateVolumeTag *= *(.*))?/#) else {
            // An alternate tag alone.
            if let alternate = rest.wholeMatch(of: #/ *:AlternateVolumeTag *= *(.*)/#) {
                return (nil, nonEmpty(alternate.1))
            }
            return nil
        }
        return (nonEmpty(match.1), match.2.flatMap(nonEmpty))
    }

    private static func nonEmpty(_ text: Substring) -> String? {
        let trimmed = text.trimmingBlanks()
        return trimmed.isEmpty ? nil : String(trimmed)
    }
}

extension Substring {
    /// Without leading and trailing spaces, tabs and carriage returns.
    func trimmingBlanks() -> Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
