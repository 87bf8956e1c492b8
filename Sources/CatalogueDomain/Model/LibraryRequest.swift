// The library work queue (RSM's library requests, NTMS_LIBREQUESTINFORMATION):
// every robot operation is a work item, queued per library and taken by the
// library's changer in queue order.

public enum LibraryRequestKind: IdentifierKind { public static let prefix = "work" }
/// A library request (RSM's WorkItemId).
public typealias LibraryRequestID = Identifier<LibraryRequestKind>

/// What a work item does; raw values are RSM's `NtmsLmOperation` codes.
public enum LibraryOperation: UInt8, Sendable, CaseIterable {
    case inventory = 8
    case eject = 10
    case ejectCleaner = 11
    case inject = 12
    case injectCleaner = 13
    case clean = 15
    case dismount = 16
    case mount = 17

    public var name: String {
        switch self {
        case .inventory: "inventory"
        case .eject: "eject"
        case .ejectCleaner: "eject-cleaner"
        case .inject: "inject"
        case .injectCleaner: "inject-cleaner"
        case .clean: "clean"
        case .dismount: "dismount"
        case .mount: "mount"
        }
    }
}

/// Where a work item is in its life; raw values are RSM's `NTMS_LM_` states.
public enum LibraryRequestState: UInt8, Sendable, CaseIterable {
    /// Waiting for the changer.
    case queued = 0
    /// The changer is working on it.
    case inProcess = 1
    case passed = 2
    case failed = 3
    /// A mount waiting for a drive (or its medium) to be free, out of the changer's way.
    case waiting = 5
    /// Cancelled before it started, or its caller is gone.
    case cancelled = 7

    public var name: String {
        switch self {
        case .queued: "QUEUED"
        case .inProcess: "INPROCESS"
        case .passed: "PASSED"
        case .failed: "FAILED"
        case .waiting: "WAITING"
        case .cancelled: "CANCELLED"
        }
    }

    /// Still in the library's queue or on the robot.
    public var isActive: Bool { self == .queued || self == .inProcess || self == .waiting }

    /// In the library's queue: it can be reordered or cancelled.
    public var isPending: Bool { self == .queued || self == .waiting }
}

/// The priorities MountNtmsMedia takes (NTMS_PRIORITY_LOWEST to _HIGHEST); 0 is normal.
public enum LibraryRequestPriority {
    public static let lowest = -15
    public static let normal = 0
    public static let highest = 15
    public static let range = lowest...highest
}

/// What a caller asks the changer to do, as it enters the queue.
public struct LibraryRequestSpec: Sendable, Equatable {
    public var library: LibraryID
    public var operation: LibraryOperation
    /// The medium it moves, when known (an inject of a new cartridge has none yet).
    public var medium: MediumID?
    public var drive: UInt32?
    public var port: UInt32?
    public var priority: Int
    /// The process that waits for it: when that process is gone, the item is closed.
    public var owner: WaiterToken

    public init(
        library: LibraryID, operation: LibraryOperation, medium: MediumID? = nil, drive: UInt32? = nil,
        port: UInt32? = nil, priority: Int = LibraryRequestPriority.normal, owner: WaiterToken
    ) {
        self.library = library
        self.operation = operation
        self.medium = medium
        self.drive = drive
        self.port = port
        self.priority = priority
        self.owner = owner
    }
}

/// How a work item ended, as its caller reports it.
public enum LibraryRequestResult: Sendable, Equatable {
    case passed
    case failed(code: UInt32, message: String)
    /// Its caller gave up (its session closed) or it was cancelled: ends CANCELLED with ERROR_CANCELLED.
    case cancelled(message: String)
}

/// Where SetNtmsRequestOrder puts a queued item.
public enum LibraryRequestPosition: Sendable, Equatable {
    case first
    case before(LibraryRequestID)
}

/// One work item of a library's queue.
public struct LibraryRequest: Sendable, Equatable {
    public var id: LibraryRequestID
    public var library: LibraryID
    public var operation: LibraryOperation
    public var medium: MediumID?
    public var drive: UInt32?
    public var port: UInt32?
    public var priority: Int
    public var application: String
    public var user: String
    public var owner: WaiterToken
    public var state: LibraryRequestState
    /// Nanoseconds since 1970.
    public var queued: Int64
    /// When the changer last took it up.
    public var started: Int64?
    public var finished: Int64?
    /// The NTMS error it failed or was cancelled with; 0 otherwise.
    public var errorCode: UInt32
    /// Why it waits, or why it failed.
    public var message: String

    /// Finished items each library keeps for `queue --all`; older ones are in the log.
    public static let retainedPerLibrary = 256
}
