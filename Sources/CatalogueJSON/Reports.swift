import CatalogueDomain
import CatalogueEngine

// The rows of `mediactl report NAME`: flat where they can be, so a CSV of
// them needs no flattening beyond a location's fields.

/// `report scratch` and `report low-water`: what a pool can allocate now.
public struct ScratchJSON: Codable, Sendable, Equatable {
    public var pool: String
    public var pool_id: String
    public var media_type: String
    public var media_type_name: String
    /// Online AVAILABLE sides in the pool.
    public var available: Int
    /// Online AVAILABLE sides of its Free pool it may draw on (0 unless it allocates from scratch).
    public var from_scratch: Int
    /// What it can allocate now: `available + from_scratch`.
    public var allocatable: Int

    public init(_ count: CatalogueState.ScratchCount, _ state: CatalogueState) {
        pool = state.pools[count.pool]?.path ?? ""
        pool_id = count.pool.description
        media_type = count.mediaType.description
        media_type_name = state.mediaTypes[count.mediaType]?.name ?? ""
        available = count.available
        from_scratch = count.fromScratch
        allocatable = count.available + count.fromScratch
    }
}

/// `report near-max`: a side close to its pool's maximum allocates.
public struct NearMaxJSON: Codable, Sendable, Equatable {
    public var side: String
    public var side_letter: String
    public var medium: String
    public var barcode: String
    public var pool: String
    public var pool_id: String
    public var allocate_count: UInt32
    public var max_allocates: UInt32
    public var remaining: UInt32

    public init(_ entry: CatalogueState.SideNearLimit, _ state: CatalogueState) {
        let side = state.sides[entry.side]
        self.side = entry.side.description
        side_letter = side?.letter ?? "?"
        medium = side?.medium.description ?? ""
        barcode = side.flatMap { state.media[$0.medium]?.barcode } ?? ""
        pool = state.pools[entry.pool]?.path ?? ""
        pool_id = entry.pool.description
        allocate_count = entry.allocateCount
        max_allocates = entry.maxAllocates
        remaining = entry.remaining
    }
}

/// `report idle`: a medium not mounted for use since the cut-off.
public struct IdleMediumJSON: Codable, Sendable, Equatable {
    public var medium: String
    public var barcode: String
    public var pool: String
    public var pool_id: String
    public var location: LocationJSON
    /// Null: never mounted for use.
    public var last_mounted: String?
    /// Whole days since the last mount; null when never mounted.
    public var idle_days: Int?

    public init(_ medium: Medium, now: Int64, _ state: CatalogueState) {
        self.medium = medium.id.description
        barcode = medium.barcode
        pool = state.pools[medium.pool]?.path ?? ""
        pool_id = medium.pool.description
        location = LocationJSON(medium.location, in: state)
        let mounted = state.mediumUsage[medium.id]?.lastMounted
        last_mounted = mounted.map(JSONModel.time)
        idle_days = mounted.map { Int(max(0, now &- $0) / JSONModel.nanosecondsPerDay) }
    }
}

/// `report allocations`: one caller's allocations over the period.
public struct ActivityJSON: Codable, Sendable, Equatable {
    public var application: String
    public var user: String
    public var allocations: Int
    public var deallocations: Int

    public init(_ activity: CallerActivity) {
        application = activity.application
        user = activity.user
        allocations = activity.allocations
        deallocations = activity.deallocations
    }
}

/// `report requests`: an open operator request and how long it has waited.
public struct RequestAgeJSON: Codable, Sendable, Equatable {
    public var id: String
    public var type: String
    public var state: String
    public var submitted: String
    public var age_seconds: Int
    public var application: String
    public var user: String
    public var message: String

    public init(_ request: OperatorRequest, now: Int64) {
        id = request.id.description
        type = request.type.name
        state = request.state.name
        submitted = JSONModel.time(request.submitted)
        age_seconds = Int(max(0, now &- request.submitted) / 1_000_000_000)
        application = request.application
        user = request.user
        message = request.message
    }
}

/// `report drives`: a drive's use since its library was added.
public struct DriveUseJSON: Codable, Sendable, Equatable {
    public var library: String
    public var library_name: String
    public var drive: UInt32
    public var mounts: UInt32
    public var busy_seconds: Double
    public var elapsed_seconds: Double
    /// Busy time over elapsed time, 0 to 1.
    public var utilisation: Double

    public init(_ use: CatalogueState.DriveUtilisation, _ state: CatalogueState) {
        library = use.drive.library.description
        library_name = state.libraries[use.drive.library]?.name ?? ""
        drive = use.drive.number
        mounts = use.mounts
        busy_seconds = Double(use.busyNanoseconds) / 1_000_000_000
        elapsed_seconds = Double(use.elapsedNanoseconds) / 1_000_000_000
        utilisation = (use.utilisation * 10_000).rounded() / 10_000
    }
}

extension JSONModel {
    /// Nanoseconds in a day, for day counts.
    public static let nanosecondsPerDay: Int64 = 86_400 * 1_000_000_000
}
