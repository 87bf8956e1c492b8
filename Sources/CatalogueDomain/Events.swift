/// Every fact the catalogue records. Each case has a stable type code and a
/// schema version stored in the log envelope; `docs/events.md` lists them.
/// Events say what was decided (which side, which new identifiers, which
/// resulting state), so `evolve` never has to choose anything.
public enum CatalogueEvent: Sendable, Equatable {
    // The three largest payloads are boxed: an event is moved several times per
    // record on replay, and unboxed they made every event 160 bytes, not 61.
    case catalogueCreated(CatalogueCreated)
    case mediaTypeRegistered(MediaTypeRegistered)
    case libraryAdded(LibraryAdded)
    case poolCreated(PoolCreated)
    case poolPolicyChanged(PoolPolicyChanged)
    indirect case mediumImported(MediumImported)
    case mediumMoved(MediumMoved)
    case sideAllocated(SideAllocated)
    case sideAllocatedNext(SideAllocatedNext)
    case sideDeallocated(SideDeallocated)
    case poolDeleted(PoolDeleted)
    case sideCompleted(SideCompleted)
    case sideDecommissioned(SideDecommissioned)
    case mediumDeleted(MediumDeleted)
    indirect case requestSubmitted(RequestSubmitted)
    case requestDisplayed(RequestDisplayed)
    case requestAcknowledged(RequestAcknowledged)
    case requestSatisfied(RequestSatisfied)
    case requestCancelled(RequestCancelled)
    case requestTimedOut(RequestTimedOut)
    case changerAttached(ChangerAttached)
    indirect case operationStarted(OperationStarted)
    case operationFinished(OperationFinished)
    case dismountDeferred(DismountDeferred)
    case mediumRemounted(MediumRemounted)
    case inventoryTaken(InventoryTaken)
    case libraryDeleted(LibraryDeleted)
}

/// The first event of every catalogue: the shelf and the system pool folders.
public struct CatalogueCreated: Sendable, Equatable {
    public var offlineLibrary: LibraryID
    public var freeFolder: PoolID
    public var importFolder: PoolID
    public var unrecognizedFolder: PoolID
}

/// A media type and its three system pools (Free, Import, Unrecognized).
public struct MediaTypeRegistered: Sendable, Equatable {
    public var mediaType: MediaTypeID
    public var name: String
    public var sideCount: UInt8
    public var freePool: PoolID
    public var importPool: PoolID
    public var unrecognizedPool: PoolID
}

/// An empty online library was removed; its drives go with it.
public struct LibraryDeleted: Sendable, Equatable {
    public var library: LibraryID
}

public struct LibraryAdded: Sendable, Equatable {
    public var library: LibraryID
    public var name: String
    public var slotCount: UInt32
    public var driveCount: UInt32
    public var portCount: UInt32
}

/// An application pool (with a media type) or folder pool (without one).
public struct PoolCreated: Sendable, Equatable {
    public var pool: PoolID
    public var path: String
    public var parent: PoolID?
    public var mediaType: MediaTypeID?
    public var policy: PoolPolicy
}

public struct PoolPolicyChanged: Sendable, Equatable {
    public var pool: PoolID
    public var policy: PoolPolicy
}

/// A physical medium entered the catalogue and was classified by its label.
public struct MediumImported: Sendable, Equatable {
    public var medium: MediumID
    public var barcode: String
    public var mediaType: MediaTypeID
    public var pool: PoolID
    public var location: MediumLocation
    public var firstSide: SideID
    public var sideCount: UInt8
    /// The state every side starts in (Available, Import or Foreign).
    public var sideState: SideState
}

/// Why a medium changed pools.
public enum MoveReason: UInt8, Sendable, CaseIterable {
    /// Drawn from the Free pool by an allocation (AllocateNtmsMedia with FROMSCRATCH).
    case allocationFromScratch = 1
    /// Taken from the Import pool (or another pool) by allocating one of its sides.
    case allocationOfSide = 2
    /// Returned to the Free pool once nothing held it (DEALLOCATE_TOSCRATCH).
    case deallocationToScratch = 3
    /// An explicit MoveToNtmsMediaPool.
    case operatorMove = 4

    public var name: String {
        switch self {
        case .allocationFromScratch: "allocation-from-scratch"
        case .allocationOfSide: "allocation-of-side"
        case .deallocationToScratch: "deallocation-to-scratch"
        case .operatorMove: "operator-move"
        }
    }
}

/// A whole medium (every side) moved to another pool.
public struct MediumMoved: Sendable, Equatable {
    public var medium: MediumID
    public var from: PoolID
    public var to: PoolID
    public var reason: MoveReason
    /// Sides that change state with the move (a free label written on entering
    /// the Free pool makes Import and Foreign sides Available).
    public var relabelledSides: [SideID]
    public var relabelledState: SideState

    public init(
        medium: MediumID, from: PoolID, to: PoolID, reason: MoveReason, relabelledSides: [SideID] = [],
        relabelledState: SideState = .available
    ) {
        self.medium = medium
        self.from = from
        self.to = to
        self.reason = reason
        self.relabelledSides = relabelledSides
        self.relabelledState = relabelledState
    }
}

/// A side was allocated: a new logical medium now owns it.
public struct SideAllocated: Sendable, Equatable {
    public var side: SideID
    public var logicalMedium: LogicalMediumID
    public var pool: PoolID
    /// Where the side came from: the target pool, its Free pool, or the Import pool.
    public var allocatedFrom: PoolID
    /// NTMS_ALLOCATE_NEW: the sibling sides below were reserved for this owner.
    public var exclusive: Bool
    public var reservedSides: [SideID]
}

/// NTMS_ALLOCATE_NEXT: the next reserved side of a NEW-allocated medium.
public struct SideAllocatedNext: Sendable, Equatable {
    public var side: SideID
    public var logicalMedium: LogicalMediumID
    public var pool: PoolID
    /// The logical medium the caller passed in.
    public var previous: LogicalMediumID
}

/// A logical medium was given back; its side became Available or Decommissioned.
public struct SideDeallocated: Sendable, Equatable {
    public var logicalMedium: LogicalMediumID
    public var side: SideID
    public var newState: SideState
    /// Sibling sides released from Reserved to Available.
    public var releasedSides: [SideID]
}

/// DeleteNtmsMediaPool: an empty application pool was removed.
public struct PoolDeleted: Sendable, Equatable {
    public var pool: PoolID
}

/// SetNtmsMediaComplete: the owner marked an allocated side full (read-only).
public struct SideCompleted: Sendable, Equatable {
    public var logicalMedium: LogicalMediumID
    public var side: SideID
}

/// DecommissionNtmsMedia: an Available side was retired for good.
public struct SideDecommissioned: Sendable, Equatable {
    public var side: SideID
}

/// DeleteNtmsMedia: an offline medium with nothing allocated left the catalogue.
public struct MediumDeleted: Sendable, Equatable {
    public var medium: MediumID
}

/// SubmitNtmsOperatorRequest, or AllocateNtmsMedia asking for new media.
public struct RequestSubmitted: Sendable, Equatable {
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
public struct RequestDisplayed: Sendable, Equatable {
    public var request: OperatorRequestID
}

/// An operator took the request on (to INPROGRESS).
public struct RequestAcknowledged: Sendable, Equatable {
    public var request: OperatorRequestID
}

/// SatisfyNtmsOperatorRequest, or the engine serving a waiting allocation (to COMPLETE).
public struct RequestSatisfied: Sendable, Equatable {
    public var request: OperatorRequestID
    public var time: Int64
    public var byEngine: Bool
}

/// CancelNtmsOperatorRequest, or the request's waiter went away (to REFUSED).
public struct RequestCancelled: Sendable, Equatable {
    public var request: OperatorRequestID
    public var time: Int64
    public var reason: RequestCloseReason
}

/// A waiting allocation's deadline passed first (to REFUSED).
public struct RequestTimedOut: Sendable, Equatable {
    public var request: OperatorRequestID
    public var time: Int64
}

extension CatalogueEvent {
    /// The type code stored in the record envelope. Never reuse a code.
    public var typeCode: UInt16 {
        switch self {
        case .catalogueCreated: 1
        case .mediaTypeRegistered: 2
        case .libraryAdded: 3
        case .poolCreated: 4
        case .poolPolicyChanged: 5
        case .mediumImported: 6
        case .mediumMoved: 7
        case .sideAllocated: 8
        case .sideAllocatedNext: 9
        case .sideDeallocated: 10
        case .poolDeleted: 11
        case .sideCompleted: 12
        case .sideDecommissioned: 13
        case .mediumDeleted: 14
        case .requestSubmitted: 15
        case .requestDisplayed: 16
        case .requestAcknowledged: 17
        case .requestSatisfied: 18
        case .requestCancelled: 19
        case .requestTimedOut: 20
        case .changerAttached: 21
        case .operationStarted: 22
        case .operationFinished: 23
        case .dismountDeferred: 24
        case .mediumRemounted: 25
        case .inventoryTaken: 26
        case .libraryDeleted: 27
        }
    }

    /// The payload schema version this build writes for the event.
    public var schemaVersion: UInt16 { 1 }

    /// The event's name in the catalogue (`docs/events.md`), the CLI and JSON.
    public var name: String {
        switch self {
        case .catalogueCreated: "CatalogueCreated"
        case .mediaTypeRegistered: "MediaTypeRegistered"
        case .libraryAdded: "LibraryAdded"
        case .poolCreated: "PoolCreated"
        case .poolPolicyChanged: "PoolPolicyChanged"
        case .mediumImported: "MediumImported"
        case .mediumMoved: "MediumMoved"
        case .sideAllocated: "SideAllocated"
        case .sideAllocatedNext: "SideAllocatedNext"
        case .sideDeallocated: "SideDeallocated"
        case .poolDeleted: "PoolDeleted"
        case .sideCompleted: "SideCompleted"
        case .sideDecommissioned: "SideDecommissioned"
        case .mediumDeleted: "MediumDeleted"
        case .requestSubmitted: "OperatorRequestSubmitted"
        case .requestDisplayed: "OperatorRequestDisplayed"
        case .requestAcknowledged: "OperatorRequestAcknowledged"
        case .requestSatisfied: "OperatorRequestSatisfied"
        case .requestCancelled: "OperatorRequestCancelled"
        case .requestTimedOut: "OperatorRequestTimedOut"
        case .changerAttached: "ChangerAttached"
        case .operationStarted: "RobotOperationStarted"
        case .operationFinished: "RobotOperationFinished"
        case .dismountDeferred: "DismountDeferred"
        case .mediumRemounted: "MediumRemounted"
        case .inventoryTaken: "InventoryTaken"
        case .libraryDeleted: "LibraryDeleted"
        }
    }
}
