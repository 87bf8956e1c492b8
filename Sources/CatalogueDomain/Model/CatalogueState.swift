import HashTreeCollections
import SortedCollections

/// The folded catalogue: every object and the indexes decisions need. A value
/// built from persistent collections, so a copy shares everything and a change
/// copies only a path: the engine publishes a new one after each commit while
/// readers keep the old.
public struct CatalogueState: Sendable, Equatable {
    /// Set by the first event; nil for an empty log.
    public internal(set) var creation: CatalogueCreated?
    /// The next unused identifier number (all kinds share it).
    public internal(set) var nextIdentifier: UInt64 = 1
    /// How many events have been folded.
    public internal(set) var eventCount: UInt64 = 0

    public internal(set) var mediaTypes = IdentifierTable<MediaTypeKind, MediaType>()
    public internal(set) var libraries = IdentifierTable<LibraryKind, Library>()
    public internal(set) var pools = IdentifierTable<PoolKind, Pool>()
    public internal(set) var media = IdentifierTable<MediumKind, Medium>()
    public internal(set) var sides = IdentifierTable<SideKind, Side>()
    public internal(set) var logicalMedia = IdentifierTable<LogicalMediumKind, LogicalMedium>()
    /// Operator requests, open and finished (finished ones stay for history and listing).
    public internal(set) var requests = IdentifierTable<OperatorRequestKind, OperatorRequest>()
    /// Drives of every online library.
    public internal(set) var drives = TreeDictionary<DriveAddress, Drive>()
    /// Robot operations started and not yet finished (after a crash: the reason for an inventory).
    public internal(set) var operations = TreeDictionary<OperationID, RobotOperation>()
    /// How each medium that was ever mounted or allocated has been used.
    public internal(set) var mediumUsage = IdentifierTable<MediumKind, MediumUsage>()
    /// Open requests of waiting allocations, per pool, oldest first.
    public internal(set) var waitingRequests = TreeDictionary<PoolID, SortedSet<OperatorRequestID>>()
    /// The objects that have their own access list; the others inherit (see `governingAccessList(for:)`).
    public internal(set) var accessLists = TreeDictionary<SecuredObject, AccessList>()
    /// How many commands were refused for want of a right.
    public internal(set) var accessDenialCount: UInt64 = 0
    /// Allocations and deallocations each pool has had, ever: what metrics count.
    public internal(set) var poolActivity = TreeDictionary<PoolID, PoolActivity>()
    /// Open operator requests, oldest first (identifiers grow with submission).
    public internal(set) var openRequestIDs = SortedSet<OperatorRequestID>()
    /// Physical media taken out of use (DisableNtmsObject): a set, since few are and a
    /// flag in every medium would make each of a million records larger.
    public internal(set) var disabledMedia = TreeSet<MediumID>()
    /// The on-media labels applications reported for their sides (UpdateNtmsOmidInfo).
    public internal(set) var onMediaIdentifiers = TreeDictionary<SideID, OnMediaIdentifier>()
    var sideByOnMediaLabel = TreeDictionary<OnMediaIdentifier.Key, SideID>()
    /// The library work queue's items: every active one and each library's
    /// last `LibraryRequest.retainedPerLibrary` finished ones.
    public internal(set) var libraryRequests = TreeDictionary<LibraryRequestID, LibraryRequest>()
    /// Each library's pending (QUEUED and WAITING) items, in the order the changer takes them.
    public internal(set) var libraryQueues = TreeDictionary<LibraryID, [LibraryRequestID]>()
    /// Items queued, waiting or on the robot, of every library.
    public internal(set) var activeLibraryRequests = TreeSet<LibraryRequestID>()
    /// Each library's finished items, oldest first.
    var finishedLibraryRequests = TreeDictionary<LibraryID, [LibraryRequestID]>()
    /// Bearer tokens of the HTTP API, revoked and expired ones included.
    public internal(set) var tokens = TreeDictionary<TokenID, AccessToken>()
    var tokenByHash = TreeDictionary<[UInt8], TokenID>()

    var mediaTypeByName = TreeDictionary<String, MediaTypeID>()
    var libraryByName = TreeDictionary<String, LibraryID>()
    /// Keyed by `Pool.lookupKey(_:)`: pool paths compare ignoring case, as RSM's do.
    var poolByPath = TreeDictionary<String, PoolID>()
    var mediumByBarcode = TreeDictionary<String, MediumID>()
    var mediumAtLocation = TreeDictionary<MediumLocation, MediumID>()
    /// Online, enabled Available sides per pool, in choice order.
    var availableSides = AllocationIndex()
    /// The same for multi-sided media whose every side is Available: what
    /// NTMS_ALLOCATE_NEW may take without a scan. One entry per medium, its side
    /// that comes first in choice order: the first entry of the index is then the
    /// same side as with every side listed, in half the memory.
    /// (Single-sided media use `availableSides`.)
    var wholeMediumSides = AllocationIndex()

    public init() {}

    /// How many allocations (NEXT ones included) and deallocations a pool has had.
    public struct PoolActivity: Sendable, Equatable {
        public var allocations: UInt64 = 0
        public var deallocations: UInt64 = 0
    }

    // MARK: Lookups

    public func mediaType(named name: String) -> MediaType? { mediaTypeByName[name].flatMap { mediaTypes[$0] } }
    public func library(named name: String) -> Library? { libraryByName[name].flatMap { libraries[$0] } }
    public func pool(atPath path: String) -> Pool? { poolByPath[Pool.lookupKey(path)].flatMap { pools[$0] } }
    public func medium(withBarcode barcode: String) -> Medium? { mediumByBarcode[barcode].flatMap { media[$0] } }
    public func medium(at location: MediumLocation) -> Medium? { mediumAtLocation[location].flatMap { media[$0] } }
    /// The side whose on-media label has this type and id.
    public func side(withOnMediaLabel key: OnMediaIdentifier.Key) -> Side? {
        sideByOnMediaLabel[key].flatMap { sides[$0] }
    }

    /// The token whose secret hashes to `secretHash`, valid or not.
    public func token(withSecretHash secretHash: [UInt8]) -> AccessToken? {
        tokenByHash[secretHash].flatMap { tokens[$0] }
    }

    /// The shelf: the one offline library every catalogue has.
    public var offlineLibrary: LibraryID? { creation?.offlineLibrary }

    /// A medium is online when it is inside an online library.
    public func isOnline(_ medium: Medium) -> Bool {
        guard let library = medium.location.library else { return false }
        return libraries[library]?.type == .online
    }

    /// Whether a medium is in use: neither it nor the library it is in is disabled.
    public func isEnabled(_ medium: Medium) -> Bool {
        !disabledMedia.contains(medium.id) && medium.location.library.flatMap { libraries[$0]?.enabled } ?? true
    }

    /// What allocation may take sides of: online and enabled media. One library
    /// lookup: the index upkeep and the rebuild on open call it for every medium.
    func isAllocatable(_ medium: Medium) -> Bool {
        guard let id = medium.location.library, let library = libraries[id] else { return false }
        return library.type == .online && library.enabled && !disabledMedia.contains(medium.id)
    }

    /// The waiting allocation on a pool that is served first: the oldest.
    public func oldestWaitingRequest(in pool: PoolID) -> OperatorRequestID? { waitingRequests[pool]?.firstElement }

    /// The sides of a medium, in side order.
    public func sides(of medium: Medium) -> [Side] { medium.sides.compactMap { sides[$0] } }

    /// Online Available sides of a pool in the order allocation takes them.
    public func allocationCandidates(in pool: PoolID) -> [AllocationCandidate] {
        availableSides[pool].map(Array.init) ?? []
    }

    /// The first side allocation would take from a pool. With `wholeMedium`
    /// (NTMS_ALLOCATE_NEW) only sides of media with every side Available qualify;
    /// a pool holds one media type, so one index answers either way.
    func firstCandidate(in pool: PoolID, wholeMedium: Bool) -> Side? {
        let sideCount = pools[pool]?.mediaType.flatMap { mediaTypes[$0]?.sideCount } ?? 1
        let multiSided = sideCount > 1
        let index = wholeMedium && multiSided ? wholeMediumSides : availableSides
        return index[pool]?.firstElement.flatMap { sides[$0.side] }
    }
}
