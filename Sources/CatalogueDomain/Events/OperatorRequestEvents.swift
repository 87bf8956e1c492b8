// The events of operator requests; `CatalogueEvent` lists every event.

/// SubmitNtmsOperatorRequest, or AllocateNtmsMedia asking for new media.
public struct OperatorRequestSubmitted: Sendable, Equatable {
    public var request: OperatorRequestID
    public var type: OperatorRequestType
    public var firstArgument: UInt64?
    public var secondArgument: UInt64?
    public var message: String
    public var submitted: Int64
    public var application: String
    public var user: String
    /// For a waiting allocation: when it gives up (nil: never) and who waits.
    public var deadline: Int64?
    public var waiter: WaiterToken?
}

/// An operator console showed the request (SUBMITTED to ACTIVE).
public struct OperatorRequestDisplayed: Sendable, Equatable {
    public var request: OperatorRequestID
}

/// An operator took the request on (to INPROGRESS).
public struct OperatorRequestAcknowledged: Sendable, Equatable {
    public var request: OperatorRequestID
}

/// SatisfyNtmsOperatorRequest, or the engine serving a waiting allocation (to COMPLETE).
public struct OperatorRequestSatisfied: Sendable, Equatable {
    public var request: OperatorRequestID
    public var time: Int64
    public var byEngine: Bool
}

/// CancelNtmsOperatorRequest, or the request's waiter went away (to REFUSED).
public struct OperatorRequestCancelled: Sendable, Equatable {
    public var request: OperatorRequestID
    public var time: Int64
    public var reason: RequestCloseReason
}

/// A waiting allocation's deadline passed first (to REFUSED).
public struct OperatorRequestTimedOut: Sendable, Equatable {
    public var request: OperatorRequestID
    public var time: Int64
}
