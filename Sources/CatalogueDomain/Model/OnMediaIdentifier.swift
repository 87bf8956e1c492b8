/// An on-media identifier (RSM's OMID): the label an application wrote at the
/// start of a side and reported with UpdateNtmsOmidInfo. A cartridge whose bar
/// code is unknown or missing is recognised by it when it comes back.
public struct OnMediaIdentifier: Sendable, Hashable {
    /// The label's format, for example `MTF` or an application's name (NTMS_OMIDLABELTYPE: 64 bytes).
    public var labelType: String
    /// The label's identity within its format (NTMS_OMIDLABELID: 255 bytes).
    public var labelID: String
    /// The file system or other detail, when the label carries one (NTMS_OMIDLABELINFO: 256 bytes); may be empty.
    public var info: String

    public init(labelType: String, labelID: String, info: String = "") {
        self.labelType = labelType
        self.labelID = labelID
        self.info = info
    }

    /// A label given as optional parts (a command line, a request body): none of
    /// them is no label; a type without an id, or the reverse, is a mistake.
    public static func given(type: String?, id: String?, info: String?) throws(NtmsError) -> OnMediaIdentifier? {
        switch (type, id) {
        case (let type?, let id?): return OnMediaIdentifier(labelType: type, labelID: id, info: info ?? "")
        case (nil, nil) where info == nil: return nil
        default: throw NtmsError(.invalidParameter, "an on-media label needs both a label type and a label id")
        }
    }

    /// What identifies a label: its type and id (the info is a description).
    public var key: Key { Key(labelType: labelType, labelID: labelID) }

    public struct Key: Sendable, Hashable {
        public var labelType: String
        public var labelID: String
    }

    public static let maximumTypeBytes = 64
    public static let maximumIDBytes = 255
    public static let maximumInfoBytes = 256

    /// Why the identifier is not acceptable, or nil: type and id non-empty, all three within
    /// RSM's sizes and displayable on one line.
    public var problem: String? {
        for (text, name, limit, required) in [
            (labelType, "label type", Self.maximumTypeBytes, true), (labelID, "label id", Self.maximumIDBytes, true),
            (info, "label info", Self.maximumInfoBytes, false),
        ] {
            if required, text.isEmpty { return "an on-media \(name) is needed" }
            if text.utf8.count > limit {
                return "an on-media \(name) is at most \(limit) bytes, not \(text.utf8.count)"
            }
            if !TextRules.isDisplayable(text) {
                return "an on-media \(name) is one line without control, format or bidirectional characters"
            }
        }
        return nil
    }
}
