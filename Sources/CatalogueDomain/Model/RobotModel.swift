/// Robot operations: what a changer is asked to move, recorded as an intent
/// before the robot moves and as an outcome after, so a crash in between is
/// visible on the next open (the operation is still open).
public enum OperationKind: IdentifierKind { public static let prefix = "op" }
public typealias OperationID = Identifier<OperationKind>

/// How the engine talks to a library's changer.
public enum ChangerKind: UInt8, Sendable, CaseIterable {
    /// The simulated robot whose state lives in the store directory.
    case simulated = 1
    /// A SCSI changer driven through the `mtx` command.
    case mtx = 2

    public var name: String { self == .simulated ? "simulated" : "mtx" }
}

/// How the engine drives one library's mtx changer, beyond its device: what
/// a changer model needs (a scan before status, drives taken offline before
/// unloading) and how long each kind of command may take.
public struct ChangerSettings: Sendable, Equatable {
    /// The mtx binary; empty: `mtx` on the PATH, else in /usr/sbin.
    public var mtxPath = ""
    /// Run `mtx inventory` before each status, for changers that report stale contents otherwise.
    public var inventoryBeforeStatus = false
    /// Take a drive's tape offline (`mt -f TAPE offline`) before unloading it.
    public var offlineBeforeUnload = false
    /// Each drive's tape device, by drive number, for `offline`.
    public var driveDevices: [UInt32: String] = [:]
    /// Seconds a status may take; 0: the driver's default.
    public var statusTimeout: UInt32 = 0
    /// Seconds a move may take; 0: the driver's default.
    public var moveTimeout: UInt32 = 0
    /// Seconds `mtx inventory` may take; 0: the driver's default.
    public var inventoryTimeout: UInt32 = 0

    public init() {}

    /// The longest timeout accepted: a day.
    public static let maximumTimeout: UInt32 = 86_400
    /// mtx gives each SCSI command five minutes; a status or a move is allowed that and a minute more,
    /// so mtx reports its own timeout rather than being killed first (the mtx driver's defaults too).
    public static let defaultStatusTimeout: UInt32 = 360
    public static let defaultMoveTimeout: UInt32 = 360
    /// `mtx inventory` makes the library scan every element: tens of minutes on a large one.
    public static let defaultInventoryTimeout: UInt32 = 1800

    /// The timeouts in force: the ones set, else the defaults.
    public var effectiveStatusTimeout: UInt32 { statusTimeout == 0 ? Self.defaultStatusTimeout : statusTimeout }
    public var effectiveMoveTimeout: UInt32 { moveTimeout == 0 ? Self.defaultMoveTimeout : moveTimeout }
    public var effectiveInventoryTimeout: UInt32 {
        inventoryTimeout == 0 ? Self.defaultInventoryTimeout : inventoryTimeout
    }
}

/// The changer a library is given: its driver and, for mtx, its device path.
public struct ChangerAttachment: Sendable, Equatable {
    public var kind: ChangerKind
    public var device: String

    public init(kind: ChangerKind, device: String = "") {
        self.kind = kind
        self.device = device
    }
}

/// RSM's physical medium states, `NtmsMediaState`.
public enum PhysicalState: UInt8, Sendable, CaseIterable {
    case idle = 0
    /// An operation on it was accepted: it is being moved.
    case inUse = 1
    case mounted = 2
    /// In a drive and ready for I/O.
    case loaded = 3
    /// Still in a drive, no longer in use (a deferred dismount).
    case unloaded = 4
    /// A robot operation on it failed and where it is was not confirmed.
    case operationError = 5
    /// Waiting on an operator request (an offline medium someone wants mounted).
    case operatorRequest = 6

    public var name: String {
        switch self {
        case .idle: "IDLE"
        case .inUse: "INUSE"
        case .mounted: "MOUNTED"
        case .loaded: "LOADED"
        case .unloaded: "UNLOADED"
        case .operationError: "OPERROR"
        case .operatorRequest: "OPREQ"
        }
    }
}

/// RSM's drive states, `NtmsDriveState`.
public enum DriveState: UInt8, Sendable, CaseIterable {
    case dismounted = 0
    case mounted = 1
    case loaded = 2
    case unloaded = 5
    case beingCleaned = 6
    /// A deferred dismount left a medium in the drive; the drive may be reused.
    case dismountable = 7

    public var name: String {
        switch self {
        case .dismounted: "DISMOUNTED"
        case .mounted: "MOUNTED"
        case .loaded: "LOADED"
        case .unloaded: "UNLOADED"
        case .beingCleaned: "BEING_CLEANED"
        case .dismountable: "DISMOUNTABLE"
        }
    }
}

/// A drive of a library, addressed by library and number (from 0).
public struct DriveAddress: Sendable, Hashable, Comparable {
    public var library: LibraryID
    public var number: UInt32

    public init(library: LibraryID, number: UInt32) {
        self.library = library
        self.number = number
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.library.rawValue, lhs.number) < (rhs.library.rawValue, rhs.number)
    }
}

public struct Drive: Sendable, Equatable {
    public var address: DriveAddress
    public var state: DriveState
    /// The medium in the drive (or on its way in), and the side mounted.
    public var medium: MediumID?
    public var side: SideID?
    /// The event count when the drive was last mounted or dismounted: the
    /// least recently used empty drive is chosen first.
    public var lastUsed: UInt64
    public var mountCount: UInt32
    /// Time a medium was mounted in it for use, summed over finished mounts (nanoseconds).
    public var busyNanoseconds: Int64 = 0
    /// When the current mount for use began; nil when the drive is not in use.
    public var busySince: Int64?
    /// False once disabled: never chosen or named for a mount.
    public var enabled: Bool = true
    /// Mounts and dismounts into or out of it that failed since the last one that succeeded.
    public var consecutiveFailures: UInt32 = 0
    /// Mounts since it was last cleaned (or since it was added).
    public var mountsSinceCleaning: UInt32 = 0
    /// An operator or its driver reported that it needs cleaning.
    public var cleaningRequested: Bool = false
    /// When it was last cleaned; nil: never by this catalogue.
    public var lastCleaned: Int64? = nil
}

/// What a robot operation does.
public enum RobotTask: UInt8, Sendable, CaseIterable {
    case mount = 1
    case dismount = 2
    case inject = 3
    case eject = 4
    /// InjectNtmsCleaner: a cleaning cartridge from a port into the cleaner slot.
    case injectCleaner = 5
    /// EjectNtmsCleaner: the cleaning cartridge from the cleaner slot to a port.
    case ejectCleaner = 6
    /// CleanNtmsDrive: the cleaner into the drive and back to its slot.
    case clean = 7
    /// The cleaner back to its slot from the drive an interrupted cleaning left it in.
    case returnCleaner = 8

    public var name: String {
        switch self {
        case .mount: "mount"
        case .dismount: "dismount"
        case .inject: "inject"
        case .eject: "eject"
        case .injectCleaner: "inject-cleaner"
        case .ejectCleaner: "eject-cleaner"
        case .clean: "clean"
        case .returnCleaner: "return-cleaner"
        }
    }
}

/// An operation the robot was asked to do and has not reported back on.
public struct RobotOperation: Sendable, Equatable {
    public var id: OperationID
    public var task: RobotTask
    public var library: LibraryID
    /// Nil only for injecting a cartridge the catalogue does not know yet.
    public var medium: MediumID?
    public var side: SideID?
    public var from: MediumLocation
    public var to: MediumLocation
    /// For an inject: what the cartridge is, to register it when it arrives.
    public var barcode: String
    public var mediaType: MediaTypeID?
    public var label: MediaLabel
    /// The medium's state before, restored when the robot reports nothing moved.
    public var previousState: PhysicalState
    /// For an injected cleaner: its cleanings; nil: unlimited.
    public var cleanerUses: UInt32? = nil
}

/// What a changer reported, in catalogue terms: what the engine hands to `decide`
/// for an inventory (the domain knows no drivers).
public struct InventoryReading: Sendable, Equatable {
    public struct Element: Sendable, Equatable {
        public var location: MediumLocation
        public var isFull: Bool
        public var barcode: String?
        /// The on-media label the changer read from the cartridge (a simulated one can); nil: none read.
        public var onMediaLabel: OnMediaIdentifier?

        public init(location: MediumLocation, isFull: Bool, barcode: String?, onMediaLabel: OnMediaIdentifier? = nil) {
            self.location = location
            self.isFull = isFull
            self.barcode = barcode
            self.onMediaLabel = onMediaLabel
        }
    }

    public var elements: [Element]
    /// True when the changer left elements unreported.
    public var incomplete: Bool

    public init(elements: [Element], incomplete: Bool) {
        self.elements = elements
        self.incomplete = incomplete
    }
}
