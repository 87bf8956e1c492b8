/// What the log's record says about an event beyond its payload: when it was
/// committed and who caused it. `evolve` takes the facts reports need from
/// it (allocation times and owners, mounts, drive busy time), so the fold
/// stays pure: the time is the record's, never a clock's.
public struct EventEnvelope: Sendable, Equatable {
    /// The record's timestamp, in nanoseconds since 1970.
    public var time: Int64
    /// The application and user the record names. Read by `evolve` only for
    /// events whose `recordsCaller` is true, so readers may leave them empty
    /// for the others and skip decoding them.
    public var application: String
    public var user: String

    public init(time: Int64, application: String = "", user: String = "") {
        self.time = time
        self.application = application
        self.user = user
    }
}

extension CatalogueEvent {
    /// Whether `evolve` keeps the caller (the envelope's application and user) of this event.
    public var recordsCaller: Bool {
        switch self {
        case .sideAllocated, .sideAllocatedNext: true
        default: false
        }
    }
}

/// How a medium has been used, from the events' own times: what "idle media"
/// and wear reports read without replaying the log.
public struct MediumUsage: Sendable, Equatable {
    /// When a side of it was last mounted for use (nanoseconds since 1970).
    public var lastMounted: Int64?
    /// When it was last dismounted (a deferred dismount counts: its use ended).
    public var lastDismounted: Int64?
    /// Mounts for use, deferred remounts included.
    public var mountCount: UInt32 = 0
    /// When a side of it was last allocated.
    public var lastAllocated: Int64?

    public init() {}
}
