public enum OperatorRequestKind: IdentifierKind { public static let prefix = "request" }
public typealias OperatorRequestID = Identifier<OperatorRequestKind>

/// `NtmsOpreqCommand`: what the operator is asked to do.
public enum OperatorRequestType: UInt8, Sendable, CaseIterable {
    /// Insert new media or bring Available media online (Arg1 = the pool that needs it).
    case newMedia = 1
    case cleaner = 2
    case deviceService = 3
    /// Bring an offline medium into a library (Arg1 = the medium).
    case moveMedia = 4
    /// Free text from an application.
    case message = 5

    public var name: String {
        switch self {
        case .newMedia: "NEWMEDIA"
        case .cleaner: "CLEANER"
        case .deviceService: "DEVICESERVICE"
        case .moveMedia: "MOVEMEDIA"
        case .message: "MESSAGE"
        }
    }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name.uppercased() }) else { return nil }
        self = match
    }
}

/// `NtmsOpreqState`.
public enum OperatorRequestState: UInt8, Sendable, CaseIterable {
    case submitted = 1
    /// Shown on at least one operator console.
    case active = 2
    /// An operator acknowledged it and is working on it.
    case inProgress = 3
    /// Cancelled, refused, timed out or abandoned by its waiter.
    case refused = 4
    /// Satisfied.
    case complete = 5

    public var name: String {
        switch self {
        case .submitted: "SUBMITTED"
        case .active: "ACTIVE"
        case .inProgress: "INPROGRESS"
        case .refused: "REFUSED"
        case .complete: "COMPLETE"
        }
    }

    public var isOpen: Bool { self == .submitted || self == .active || self == .inProgress }
}

/// Why a request was closed.
public enum RequestCloseReason: UInt8, Sendable, CaseIterable {
    case satisfiedByOperator = 1
    /// A qualifying side appeared and the engine served the waiting allocation itself.
    case satisfiedByEngine = 2
    case cancelledByOperator = 3
    case timedOut = 4
    /// The process that waited on it is gone (it died, or the machine restarted).
    case waiterGone = 5
    /// The session that waited on it was closed.
    case sessionClosed = 6

    public var name: String {
        switch self {
        case .satisfiedByOperator: "satisfied"
        case .satisfiedByEngine: "satisfied-by-engine"
        case .cancelledByOperator: "cancelled"
        case .timedOut: "timed-out"
        case .waiterGone: "waiter-gone"
        case .sessionClosed: "session-closed"
        }
    }
}

/// Who waits on a request: enough to tell later, from any process, whether
/// that waiter can still be alive.
public struct WaiterToken: Sendable, Hashable {
    /// The kernel's boot id: a different one means the machine restarted since.
    public var bootID: String
    public var processID: UInt32
    /// The process's start time in clock ticks since boot, so a reused pid is not mistaken for it.
    public var processStart: UInt64
    /// The session within that process.
    public var session: UInt64

    public init(bootID: String, processID: UInt32, processStart: UInt64, session: UInt64) {
        self.bootID = bootID
        self.processID = processID
        self.processStart = processStart
        self.session = session
    }
}

public struct OperatorRequest: Sendable, Equatable {
    public var id: OperatorRequestID
    public var type: OperatorRequestType
    public var state: OperatorRequestState
    /// Arg1/Arg2: identifiers of the objects concerned (a pool for NEWMEDIA, a medium for MOVEMEDIA).
    public var firstArgument: UInt64?
    public var secondArgument: UInt64?
    public var message: String
    /// Nanoseconds since 1970.
    public var submitted: Int64
    public var application: String
    public var user: String
    /// When a waiting allocation gives up (nil: never).
    public var deadline: Int64?
    public var waiter: WaiterToken?
    public var closed: Int64?
    public var closeReason: RequestCloseReason?

    /// A request as submitted: open, nothing closed yet.
    init(_ submitted: OperatorRequestSubmitted) {
        id = submitted.request
        type = submitted.type
        state = .submitted
        firstArgument = submitted.firstArgument
        secondArgument = submitted.secondArgument
        message = submitted.message
        self.submitted = submitted.submitted
        application = submitted.application
        user = submitted.user
        deadline = submitted.deadline
        waiter = submitted.waiter
    }
}

/// What a waiting allocation records with its NEWMEDIA request.
public struct AllocationWait: Sendable, Equatable {
    /// Nanoseconds since 1970; nil waits forever.
    public var deadline: Int64?
    public var waiter: WaiterToken

    public init(deadline: Int64?, waiter: WaiterToken) {
        self.deadline = deadline
        self.waiter = waiter
    }
}

/// RSM's limit for an operator request message.
extension NameLimits {
    public static let requestMessage = 256
}
