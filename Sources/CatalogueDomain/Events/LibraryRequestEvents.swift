// The events of the library work queue; `CatalogueEvent` lists every event.

/// A robot operation entered its library's queue, before `before` (nil: at the end).
public struct LibraryRequestQueued: Sendable, Equatable {
    public var request: LibraryRequestID
    public var spec: LibraryRequestSpec
    public var application: String
    public var user: String
    /// Nanoseconds since 1970.
    public var time: Int64
    public var before: LibraryRequestID?
}

/// The changer took a queued (or waiting) item up; it leaves the queue.
public struct LibraryRequestStarted: Sendable, Equatable {
    public var request: LibraryRequestID
    public var time: Int64
}

/// A mount found its drive (or medium) busy: it waits, back in the queue before `before`.
public struct LibraryRequestWaiting: Sendable, Equatable {
    public var request: LibraryRequestID
    public var time: Int64
    public var reason: String
    public var before: LibraryRequestID?
}

/// A work item ended: PASSED, FAILED or CANCELLED, with the NTMS error of the last two.
public struct LibraryRequestFinished: Sendable, Equatable {
    public var request: LibraryRequestID
    public var time: Int64
    public var state: LibraryRequestState
    public var errorCode: UInt32
    public var message: String
}

/// SetNtmsRequestOrder: a pending item moved before `before` (nil: to the end).
public struct LibraryRequestReordered: Sendable, Equatable {
    public var request: LibraryRequestID
    public var before: LibraryRequestID?
}

extension CatalogueEvent {
    /// Whether the event is one of the library work queue's.
    public var isLibraryRequestEvent: Bool {
        switch self {
        case .libraryRequestQueued, .libraryRequestStarted, .libraryRequestWaiting, .libraryRequestFinished,
            .libraryRequestReordered:
            true
        default:
            false
        }
    }
}
