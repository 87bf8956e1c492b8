// The events of media, pools, libraries and allocations; `CatalogueEvent` lists every event.

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
    /// ChangeNtmsMediaType: the move into a pool of the medium's new type.
    case typeChange = 5

    public var name: String {
        switch self {
        case .allocationFromScratch: "allocation-from-scratch"
        case .allocationOfSide: "allocation-of-side"
        case .deallocationToScratch: "deallocation-to-scratch"
        case .operatorMove: "operator-move"
        case .typeChange: "type-change"
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

/// UpdateNtmsOmidInfo: the label an application wrote on an allocated side;
/// it replaces the side's earlier one.
public struct OnMediaIdentifierRecorded: Sendable, Equatable {
    public var side: SideID
    public var identifier: OnMediaIdentifier
}

/// A medium recognised by its on-media label came back under another bar code.
public struct MediumBarcodeChanged: Sendable, Equatable {
    public var medium: MediumID
    public var from: String
    public var to: String
}

/// DeleteNtmsMediaType: a type no medium or application pool used left the
/// catalogue, with its Free, Import and Unrecognized pools.
public struct MediaTypeDeleted: Sendable, Equatable {
    public var mediaType: MediaTypeID
}

/// ChangeNtmsMediaType: the medium is of another type from now on; a
/// MediumMoved into a pool of that type follows in the same transaction.
public struct MediumTypeChanged: Sendable, Equatable {
    public var medium: MediumID
    public var from: MediaTypeID
    public var to: MediaTypeID
}

/// SwapNtmsMedia: two logical media exchanged the sides behind them. Each
/// logical medium keeps its identifier, pool and side state (ALLOCATED or
/// COMPLETE: its data's); the sides keep their allocation counts.
public struct LogicalMediaSwapped: Sendable, Equatable {
    public var first: LogicalMediumID
    /// The side `first` now stands for (until now `second`'s).
    public var firstSide: SideID
    public var second: LogicalMediumID
    /// The side `second` now stands for (until now `first`'s).
    public var secondSide: SideID
}
