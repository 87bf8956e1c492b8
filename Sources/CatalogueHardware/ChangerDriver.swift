/// A place a cartridge can be inside a changer, numbered the way the catalogue
/// numbers them: storage slots and import/export ports from 1, drives from 0.
/// Each driver translates these to its device's own addresses.
public enum ChangerElement: Sendable, Hashable, Codable, CustomStringConvertible {
    case slot(UInt32)
    case drive(UInt32)
    case port(UInt32)

    public var description: String {
        switch self {
        case .slot(let n): "slot \(n)"
        case .drive(let n): "drive \(n)"
        case .port(let n): "port \(n)"
        }
    }
}

/// What one element holds, as the changer reports it.
/// The label an application wrote at the start of a tape, as a changer that can
/// read one reports it (the simulated robot; mtx reads only bar codes).
public struct TapeLabel: Sendable, Equatable, Codable {
    public var type: String
    public var id: String
    public var info: String

    public init(type: String, id: String, info: String = "") {
        self.type = type
        self.id = id
        self.info = info
    }
}

public struct ElementContent: Sendable, Equatable, Codable {
    public var element: ChangerElement
    /// From the changer's full/empty flag, never from whether a bar code was read:
    /// a cartridge without a label is still there.
    public var isFull: Bool
    /// The primary volume tag (bar code), when the changer read one.
    public var barcode: String?
    /// For a full drive: where the changer believes the cartridge came from. It
    /// may be unknown or wrong (two drives claiming one slot happens), so the
    /// catalogue never relies on it alone.
    public var source: ChangerElement?
    /// The cartridge's tape label, when the changer can read one.
    public var label: TapeLabel?

    public init(
        element: ChangerElement, isFull: Bool, barcode: String? = nil, source: ChangerElement? = nil,
        label: TapeLabel? = nil
    ) {
        self.element = element
        self.isFull = isFull
        self.barcode = barcode
        self.source = source
        self.label = label
    }
}

/// How many elements of each kind a changer has.
public struct ChangerGeometry: Sendable, Equatable, CustomStringConvertible {
    public var drives: Int
    /// Storage slots, import/export elements not counted.
    public var slots: Int
    /// Import/export elements.
    public var ports: Int

    public init(drives: Int, slots: Int, ports: Int) {
        self.drives = drives
        self.slots = slots
        self.ports = ports
    }

    /// `4 drives, 29 slots and 4 ports`.
    public var description: String {
        func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
        return "\(count(drives, "drive")), \(count(slots, "slot")) and \(count(ports, "port"))"
    }
}

/// One reading of every element a changer reported.
public struct ChangerStatus: Sendable, Equatable {
    public var drives: [ElementContent]
    public var slots: [ElementContent]
    public var ports: [ElementContent]
    /// Elements the device announced but did not report, and other oddities:
    /// a reconciliation must treat those elements as unknown, not as empty.
    public var warnings: [String]
    /// What the device says it has (mtx: its status header); nil when it does not say.
    public var geometry: ChangerGeometry?

    public init(
        drives: [ElementContent], slots: [ElementContent], ports: [ElementContent], warnings: [String] = [],
        geometry: ChangerGeometry? = nil
    ) {
        self.drives = drives
        self.slots = slots
        self.ports = ports
        self.warnings = warnings
        self.geometry = geometry
    }

    /// Every element, drives first.
    public var elements: [ElementContent] { drives + slots + ports }

    public func content(of element: ChangerElement) -> ElementContent? {
        elements.first { $0.element == element }
    }
}

/// Drives one robotic changer. Implementations do one thing at a time only
/// because `Changer` (the actor) never calls them concurrently; they need not
/// serialise themselves. Every failure is an NTMS error.
public protocol ChangerDriver: Sendable {
    /// For messages: `simulated Robot`, `mtx /dev/sg3`.
    var name: String { get }
    /// Reads the occupancy and bar codes of every element.
    func status() async throws(ChangerError) -> ChangerStatus
    /// Moves the cartridge in `source` to the empty element `destination`.
    func move(from source: ChangerElement, to destination: ChangerElement) async throws(ChangerError)
    /// Asks the changer to rescan its elements (some models need it after a door was opened).
    func rescan() async throws(ChangerError)
}
