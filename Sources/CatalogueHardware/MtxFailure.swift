/// The SCSI sense a changer returned, as mtx prints it in a `Request Sense`
/// dump: the sense key by name and the additional sense code and qualifier.
public struct SCSISense: Sendable, Equatable, CustomStringConvertible {
    /// mtx's name for the key: `Not Ready`, `Illegal Request`, `Unit Attention`, ...
    public var key: String
    /// ASC, when mtx printed it.
    public var code: UInt8?
    /// ASCQ, when mtx printed it.
    public var qualifier: UInt8?

    public init(key: String, code: UInt8? = nil, qualifier: UInt8? = nil) {
        self.key = key
        self.code = code
        self.qualifier = qualifier
    }

    /// `Not Ready, ASC/ASCQ 04/12 (logical unit not ready, offline)`.
    public var description: String {
        guard let code else { return key }
        let pair = String(format: "%02X/%02X", code, qualifier ?? 0)
        let name = Self.names[UInt16(code) << 8 | UInt16(qualifier ?? 0)].map { " (\($0))" } ?? ""
        return "\(key), ASC/ASCQ \(pair)\(name)"
    }

    var isUnitAttention: Bool { key == "Unit Attention" }

    /// The additional sense codes a changer commonly returns, by ASC << 8 | ASCQ (SPC and SMC).
    static let names: [UInt16: String] = [
        0x0400: "logical unit not ready, cause not reportable",
        0x0401: "logical unit becoming ready",
        0x0403: "logical unit not ready, manual intervention required",
        0x0412: "logical unit not ready, offline",
        0x0483: "logical unit not ready, door open",
        0x1500: "random positioning error",
        0x1501: "mechanical positioning error",
        0x2000: "invalid command operation code",
        0x2101: "invalid element address",
        0x2400: "invalid field in CDB",
        0x2800: "not ready to ready change, medium may have changed",
        0x2801: "import or export element accessed",
        0x2900: "power on, reset, or bus device reset occurred",
        0x3003: "cleaning cartridge installed",
        0x3A00: "medium not present",
        0x3B0D: "medium destination element full",
        0x3B0E: "medium source element empty",
        0x3B11: "medium magazine not accessible",
        0x3B12: "medium magazine removed",
        0x3F01: "microcode has been changed",
        0x4400: "internal target failure",
        0x5302: "medium removal prevented",
        0x8300: "label missing or unreadable",
    ]
}

/// A failed mtx run read the way mtx writes one: `Request Sense` dumps of
/// conditions it may have recovered from, then the line it gave up on. The
/// line decides; a dump decides only when nothing but "… failed" follows it.
struct MtxFailure {
    /// The last line that is not part of a sense dump: what mtx gave up on.
    var fatalLine: String?
    /// The last sense dump's key and codes.
    var sense: SCSISense?
    /// The last dump is a Unit Attention and nothing but a command's failure
    /// follows it: the changer answered the command with it, so one retry may pass.
    var unitAttentionIsFinal = false

    init(_ result: CommandResult) {
        func lines(_ text: String) -> [String] {
            text.split(whereSeparator: \.isNewline).map { String($0.trimmingBlanks()) }.filter { !$0.isEmpty }
        }
        let errors = lines(result.standardError)
        var lastDumpLine: Int?
        var key: String?
        var code: UInt8?
        var qualifier: UInt8?
        for (index, line) in errors.enumerated() {
            guard let field = line.range(of: "Request Sense:").map({ line[$0.upperBound...] }) else { continue }
            lastDumpLine = index
            let text = field.trimmingBlanks()
            // Each dump starts with its report's length: forget the previous dump's codes.
            if text.hasPrefix("Long Report") { (key, code, qualifier) = (nil, nil, nil) }
            if let value = Self.value(of: "Sense Key", in: text) { key = value }
            if let value = Self.value(of: "Additional Sense Code", in: text) { code = UInt8(value, radix: 16) }
            if let value = Self.value(of: "Additional Sense Qualifier", in: text) {
                qualifier = UInt8(value, radix: 16)
            }
        }
        sense = key.map { SCSISense(key: $0, code: code, qualifier: qualifier) }
        let after = errors[((lastDumpLine ?? -1) + 1)...]
        fatalLine = after.last ?? lines(result.standardOutput).last { !$0.hasSuffix("...done") }
        unitAttentionIsFinal =
            sense?.isUnitAttention == true && after.allSatisfy { $0.lowercased().contains("fail") }
    }

    /// `Sense Key=Not Ready` or `Additional Sense Code = 04`: the text after `=`.
    private static func value(of name: String, in text: Substring) -> String? {
        guard text.hasPrefix(name) else { return nil }
        let rest = text.dropFirst(name.count).drop { $0 == " " }
        guard rest.first == "=" else { return nil }
        return String(rest.dropFirst().trimmingBlanks())
    }

    /// The changer error for this failure of `mtx -f DEVICE COMMAND`.
    func error(command: String, device: String) -> ChangerError {
        let what = "`mtx -f \(device) \(command)` failed"
        let senseText = sense.map { " (sense: \($0))" } ?? ""
        if let fatalLine, let refusal = Self.refusal(fatalLine) {
            return ChangerError(refusal, "\(what): \(fatalLine)\(senseText)", nothingMoved: true)
        }
        if unitAttentionIsFinal {
            // Commands are not carried out while a Unit Attention is pending, but its
            // cause (a door opened, a reset) may have moved cartridges: inventory.
            return ChangerError(
                .notReady, "\(what): the changer reports Unit Attention\(senseText)", nothingMoved: false)
        }
        if let fatalLine, fatalLine.contains("Drive needs offline before move") {
            // The library would not take the cartridge from a drive that still holds it.
            return ChangerError(.notReady, "\(what): \(fatalLine)\(senseText)", nothingMoved: true)
        }
        let detail = fatalLine ?? "no message"
        if let sense, let (kind, nothingMoved) = Self.outcome(of: sense) {
            return ChangerError(kind, "\(what): \(detail)\(senseText)", nothingMoved: nothingMoved)
        }
        return ChangerError(.unavailable, "\(what): \(detail)\(senseText)", nothingMoved: false)
    }

    /// The kind of a refusal mtx makes from its own checks or the changer's
    /// answer before anything moves; nil for any other line.
    static func refusal(_ line: String) -> ChangerError.Kind? {
        let lowered = line.lowercased()
        if lowered.contains("<storage-element-number>") || lowered.contains("<drive-number>")
            || lowered.contains("<element-number>")
        {
            return .noSuchElement
        }
        if lowered.contains("already full") || line.wholeMatch(of: /(mtx: )?Drive \d+ Full \(.*\)/) != nil {
            return .destinationFull
        }
        if lowered.hasSuffix(" is empty") || lowered.hasSuffix(" is empty!") { return .sourceEmpty }
        if lowered.contains("no source for tape") || lowered.contains("do not know which slot to unload") {
            return .refused
        }
        return nil
    }

    /// What a sense says about a command mtx reports only as failed.
    static func outcome(of sense: SCSISense) -> (ChangerError.Kind, nothingMoved: Bool)? {
        switch (sense.key, sense.code, sense.qualifier) {
        case ("Illegal Request", 0x21, 0x01): (.noSuchElement, true)
        case (_, 0x3B, 0x0D): (.destinationFull, true)
        case (_, 0x3B, 0x0E): (.sourceEmpty, true)
        case ("Illegal Request", _, _): (.refused, true)
        // Not ready (offline, door open, becoming ready): the changer did not start the command.
        case ("Not Ready", _, _): (.notReady, true)
        default: nil
        }
    }
}
