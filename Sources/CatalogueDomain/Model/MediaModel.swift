/// RSM's side (partition) states, `NtmsPartitionState`, with their numeric values.
public enum SideState: UInt8, Sendable, CaseIterable {
    case unknown = 0
    case unprepared = 1
    case incompatible = 2
    case decommissioned = 3
    case available = 4
    case allocated = 5
    case complete = 6
    case foreign = 7
    case `import` = 8
    case reserved = 9

    /// The name operators see (`AVAILABLE`, `ALLOCATED`, ...).
    public var name: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .unprepared: "UNPREPARED"
        case .incompatible: "INCOMPATIBLE"
        case .decommissioned: "DECOMMISSIONED"
        case .available: "AVAILABLE"
        case .allocated: "ALLOCATED"
        case .complete: "COMPLETE"
        case .foreign: "FOREIGN"
        case .import: "IMPORT"
        case .reserved: "RESERVED"
        }
    }

    /// Allocated, Complete and Reserved sides pin their medium to its pool.
    public var holdsMedium: Bool { self == .allocated || self == .complete || self == .reserved }
}

/// Pool types, `NTMS_POOLTYPE_*`.
public enum PoolType: UInt8, Sendable {
    /// The Free pool of a media type (NTMS_POOLTYPE_SCRATCH).
    case free = 1
    /// The Unrecognized pool (NTMS_POOLTYPE_FOREIGN).
    case unrecognized = 2
    case `import` = 3
    /// A system folder (`\Free`, `\Import`, `\Unrecognized`) holding one pool per media type.
    case systemFolder = 4
    case application = 100

    public var name: String {
        switch self {
        case .free: "FREE"
        case .unrecognized: "UNRECOGNIZED"
        case .import: "IMPORT"
        case .systemFolder: "SYSTEM"
        case .application: "APPLICATION"
        }
    }

    public var isSystem: Bool { self != .application }
}

/// A pool's allocation and deallocation policy.
public struct PoolPolicy: Sendable, Equatable {
    /// NTMS_ALLOCATE_FROMSCRATCH: draw from the Free pool when this pool has nothing Available.
    public var allocateFromScratch: Bool
    /// NTMS_DEALLOCATE_TOSCRATCH: send media back to Free once no side holds it.
    public var deallocateToScratch: Bool
    /// Allocations a side may go through before it is decommissioned; 0 = unlimited.
    public var maxAllocates: UInt32

    public init(allocateFromScratch: Bool = false, deallocateToScratch: Bool = false, maxAllocates: UInt32 = 0) {
        self.allocateFromScratch = allocateFromScratch
        self.deallocateToScratch = deallocateToScratch
        self.maxAllocates = maxAllocates
    }
}

/// How a cartridge's label was recognised when it entered the catalogue.
public enum MediaLabel: UInt8, Sendable, CaseIterable {
    /// An RSM free label: Free pool, sides Available.
    case free = 0
    /// A known label type with an unknown id: Import pool, sides Import.
    case `import` = 1
    /// No recognisable label: Unrecognized pool, sides Foreign.
    case none = 2
}

public struct MediaType: Sendable, Equatable {
    public var id: MediaTypeID
    public var name: String
    public var sideCount: UInt8
    public var freePool: PoolID
    public var importPool: PoolID
    public var unrecognizedPool: PoolID
}

public enum LibraryType: UInt8, Sendable {
    case offline = 1
    case online = 2

    public var name: String { self == .offline ? "OFFLINE" : "ONLINE" }
}

public struct Library: Sendable, Equatable {
    public var id: LibraryID
    public var name: String
    public var type: LibraryType
    public var slotCount: UInt32
    public var driveCount: UInt32
    public var portCount: UInt32
    /// How the engine drives its robot; nil for the shelf and for libraries without one.
    public var changer: ChangerKind? = nil
    public var device: String = ""
    /// How an mtx changer is driven (`library set`); the defaults until set.
    public var changerSettings = ChangerSettings()
    /// A robot operation failed uncertainly or was interrupted: the next use starts with an inventory.
    public var needsInventory: Bool = false
    /// False once DisableNtmsObject took it out of use: it does no robot work and its media are not allocated.
    public var enabled: Bool = true
    /// AccessNtmsLibraryDoor opened it: no robot work until it is closed, and
    /// what its slots hold is unknown until the inventory that follows.
    public var doorOpen: Bool = false
    /// The slot reserved for the cleaning cartridge (ReserveNtmsCleanerSlot); no medium goes there.
    public var cleanerSlot: UInt32? = nil
    /// The cleaning cartridge in the cleaner slot, if one was injected.
    public var cleaner: CleanerCartridge? = nil
    /// Mounts a drive may have between cleanings; 0: cleaned only when someone reports the need.
    public var cleaningInterval: UInt32 = 0
    /// When it was added (its record's time, nanoseconds since 1970); 0 for the shelf.
    public var added: Int64 = 0
}

/// Where a physical medium is. Offline media sit on the shelf (the offline library).
public enum MediumLocation: Sendable, Hashable {
    case shelf
    case slot(LibraryID, UInt32)
    case drive(LibraryID, UInt32)
    case port(LibraryID, UInt32)

    public var library: LibraryID? {
        switch self {
        case .shelf: nil
        case .slot(let library, _), .drive(let library, _), .port(let library, _): library
        }
    }
}

public struct Pool: Sendable, Equatable {
    public var id: PoolID
    /// `\`-separated path, unique in the catalogue ignoring case (`\Backup\Daily`).
    public var path: String

    /// What two paths that name the same pool share: RSM compares pool paths
    /// ignoring case, so `\free` beside `\Free` would be two pools an operator
    /// cannot tell apart.
    public static func lookupKey(_ path: String) -> String { path.lowercased() }
    public var parent: PoolID?
    public var type: PoolType
    /// Set for pools that hold media; nil for folders.
    public var mediaType: MediaTypeID?
    public var policy: PoolPolicy
    public var childCount: Int
    public var mediumCount: Int

    /// The last path component.
    public var name: String { path.split(separator: "\\").last.map(String.init) ?? path }
}

public struct Medium: Sendable, Equatable {
    // Stored in this order (not the initializer's) so that the record packs into
    // 72 bytes instead of 80: a million of them sit in the catalogue's memory.
    public var id: MediumID
    public var barcode: String
    public var mediaType: MediaTypeID
    public var pool: PoolID
    /// Side identifiers are consecutive: side n is `firstSide + n`.
    public var firstSide: SideID
    /// While in a drive: the slot it came from and goes back to.
    public var home: UInt32?
    public var sideCount: UInt8
    /// RSM's physical medium state.
    public var physicalState: PhysicalState
    public var location: MediumLocation

    public init(
        id: MediumID, barcode: String, mediaType: MediaTypeID, pool: PoolID, location: MediumLocation,
        firstSide: SideID, sideCount: UInt8, physicalState: PhysicalState = .idle, home: UInt32? = nil
    ) {
        self.id = id
        self.barcode = barcode
        self.mediaType = mediaType
        self.pool = pool
        self.firstSide = firstSide
        self.home = home
        self.sideCount = sideCount
        self.physicalState = physicalState
        self.location = location
    }

    public var sides: [SideID] { (0..<UInt64(sideCount)).map { SideID(firstSide.rawValue + $0) } }
}

public struct Side: Sendable, Equatable {
    public var id: SideID
    public var medium: MediumID
    /// 0 = side A, 1 = side B.
    public var number: UInt8
    public var state: SideState
    public var allocateCount: UInt32
    /// The logical medium's number, 0 for none (no identifier is 0: decoding
    /// refuses it): an optional would take a ninth byte, 40 bytes a record instead of 32.
    private var logicalMediumNumber: UInt64

    public var logicalMedium: LogicalMediumID? {
        get { logicalMediumNumber == 0 ? nil : LogicalMediumID(logicalMediumNumber) }
        set { logicalMediumNumber = newValue?.rawValue ?? 0 }
    }

    public init(
        id: SideID, medium: MediumID, number: UInt8, state: SideState, allocateCount: UInt32,
        logicalMedium: LogicalMediumID?
    ) {
        self.id = id
        self.medium = medium
        self.number = number
        self.state = state
        self.allocateCount = allocateCount
        self.logicalMediumNumber = logicalMedium?.rawValue ?? 0
    }

    /// `A`, `B`, ...
    public var letter: String { String(UnicodeScalar(UInt8(ascii: "A") + number)) }
}

/// An allocation: the handle an application keeps for its data (RSM's LMID).
public struct LogicalMedium: Sendable, Equatable {
    public var id: LogicalMediumID
    public var side: SideID
    public var pool: PoolID
    /// Allocated with NEW or NEXT: the medium's other sides belong to this owner.
    public var exclusive: Bool
    /// When it was allocated (the record's time, nanoseconds since 1970).
    public var allocated: Int64
    /// The application and user whose allocation created it.
    public var application: String
    public var user: String
}

/// An allocation candidate's place in the choice order: lowest allocate count
/// first (wear levelling), then lowest side id, which is the oldest
/// registration and, within a medium, side A before side B.
public struct AllocationCandidate: Comparable, Hashable, Sendable {
    public var allocateCount: UInt32
    public var side: SideID

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.allocateCount, lhs.side.rawValue) < (rhs.allocateCount, rhs.side.rawValue)
    }
}

extension Library {
    /// Whether `location` is one of this library's elements: slots and ports from 1, drives from 0.
    public func has(_ location: MediumLocation) -> Bool {
        guard location.library == id else { return false }
        switch location {
        case .shelf: return false
        case .slot(_, let n): return n >= 1 && n <= slotCount
        case .port(_, let n): return n >= 1 && n <= portCount
        case .drive(_, let n): return n < driveCount
        }
    }
}
