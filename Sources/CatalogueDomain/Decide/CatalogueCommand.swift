/// What callers ask the catalogue to do. `decide` validates a command against
/// the current state and answers with events or an NTMS error.
public enum CatalogueCommand: Sendable, Equatable {
    /// Writes the first events if the log is empty (the catalogue, and its
    /// access list: the creator holds every right, and `initialAccess` adds
    /// to it); does nothing otherwise.
    case createCatalogue(initialAccess: [AccessEntry] = [])
    case registerMediaType(name: String, sideCount: Int)
    /// An online library, with its changer when one is given: both in one decision, so a
    /// refused changer leaves no library behind.
    case addLibrary(name: String, slots: Int, drives: Int, ports: Int, changer: ChangerAttachment? = nil)
    /// An online library with nothing in it (beyond RSM, whose libraries come from the device manager).
    case deleteLibrary(LibraryID)
    /// A folder pool when `mediaType` is nil, otherwise an application pool holding media.
    case createPool(path: String, mediaType: MediaTypeID?, policy: PoolPolicy)
    case setPoolPolicy(pool: PoolID, policy: PoolPolicy)
    case registerMedium(barcode: String, mediaType: MediaTypeID, location: MediumLocation, label: MediaLabel)
    /// DeleteNtmsMediaPool: only an empty application pool.
    case deletePool(PoolID)
    case allocate(AllocationRequest)
    case deallocate(LogicalMediumID)
    /// SetNtmsMediaComplete: mark an allocated side full.
    case complete(LogicalMediumID)
    /// DecommissionNtmsMedia: retire an Available side.
    case decommission(SideID)
    /// MoveToNtmsMediaPool, following RSM's move matrix.
    case moveMedium(MediumID, to: PoolID)
    /// DeleteNtmsMedia: an offline medium with no side Allocated, Complete or Reserved.
    case deleteMedium(MediumID)
    /// ChangeNtmsMediaType: a move into a pool of another media type, whose type the medium takes.
    case changeMediaType(MediumID, to: PoolID)
    /// DeleteNtmsMediaType: a type no medium or application pool uses, with its system pools.
    case deleteMediaType(MediaTypeID)
    /// UpdateNtmsOmidInfo: the label an application wrote on the side behind its logical medium.
    case recordOnMediaIdentifier(LogicalMediumID, OnMediaIdentifier)
    /// SwapNtmsMedia: exchange the sides behind two allocated logical media.
    case swapLogicalMedia(LogicalMediumID, LogicalMediumID)
    /// AllocateNtmsMedia with a timeout: when nothing qualifies, a NEWMEDIA request is
    /// submitted for the waiter instead of failing.
    case allocateOrWait(AllocationRequest, AllocationWait)
    /// The engine serving a waiting allocation because a qualifying side appeared:
    /// allocates and closes the request as satisfied by the engine.
    case serveWaitingAllocation(OperatorRequestID, AllocationRequest)
    /// SubmitNtmsOperatorRequest.
    case submitRequest(type: OperatorRequestType, message: String, firstArgument: UInt64?, secondArgument: UInt64?)
    /// An operator console showed these requests (SUBMITTED ones become ACTIVE).
    case displayRequests([OperatorRequestID])
    case acknowledgeRequest(OperatorRequestID)
    /// SatisfyNtmsOperatorRequest.
    case satisfyRequest(OperatorRequestID)
    /// CancelNtmsOperatorRequest.
    case cancelRequest(OperatorRequestID)
    /// Waiting requests whose deadline has passed (the writer's clock says so).
    case expireRequests([OperatorRequestID])
    /// Open requests whose waiter is gone (process died, session closed).
    case abandonRequests([OperatorRequestID], reason: RequestCloseReason)

    // Robot operations: the engine records the intent (`begin...`), moves the
    // robot outside the writer, then records the outcome (`finishOperation`).

    case attachChanger(LibraryID, ChangerKind, device: String)
    /// Sets an mtx changer's settings, whole.
    case configureChanger(LibraryID, ChangerSettings)
    /// MountNtmsMedia of one side, into the given drive or the least recently used empty one.
    case beginMount(SideID, drive: UInt32?)
    /// DismountNtmsMedia; deferred leaves the medium in its drive.
    case beginDismount(MediumID, deferred: Bool)
    /// InjectNtmsMedia of one cartridge from a port into the lowest free slot. An on-media
    /// label read from it identifies a known medium whose bar code is not known; an unknown
    /// one makes a new cartridge IMPORT.
    case beginInject(
        LibraryID, port: UInt32, barcode: String, mediaType: MediaTypeID, label: MediaLabel,
        onMediaLabel: OnMediaIdentifier? = nil)
    /// EjectNtmsMedia of one medium to a port.
    case beginEject(MediumID, port: UInt32)
    case finishOperation(OperationID, OperationResult)
    /// AccessNtmsLibraryDoor: open the library's door (NTMS_DOOR_OPEN), or record that it was closed.
    case accessDoor(LibraryID, open: Bool)
    /// Reconciles the catalogue with what the changer reported; new cartridges get
    /// `mediaType` (else the type most media of the library have).
    case recordInventory(LibraryID, InventoryReading, mediaType: MediaTypeID?)

    // Drive cleaning.

    /// ReserveNtmsCleanerSlot: an empty slot becomes the library's cleaner slot.
    case reserveCleanerSlot(LibraryID, slot: UInt32)
    /// ReleaseNtmsCleanerSlot: the empty cleaner slot holds media again.
    case releaseCleanerSlot(LibraryID)
    /// InjectNtmsCleaner: a cleaning cartridge from a port into the cleaner slot; nil uses: unlimited.
    case beginCleanerInject(LibraryID, port: UInt32, barcode: String, uses: UInt32?)
    /// EjectNtmsCleaner: the cleaning cartridge to a port.
    case beginCleanerEject(LibraryID, port: UInt32)
    /// CleanNtmsDrive. Automatic (before a mount): without a usable cleaner, one
    /// CLEANER request is raised instead of an error.
    case beginClean(DriveAddress, automatic: Bool)
    /// The cleaner back to its slot from the drive an interrupted cleaning left it in.
    case beginCleanerReturn(DriveAddress)
    /// An operator or a driver reports that a drive needs cleaning.
    case requestCleaning(DriveAddress)
    /// Mounts a library's drives may have between cleanings; 0: only when reported.
    case setCleaningInterval(LibraryID, mounts: UInt32)

    // The library work queue (library requests).

    /// A robot operation enters its library's queue.
    case queueLibraryRequest(LibraryRequestSpec)
    /// A step of a work item: `command` decided as itself, and the item marked
    /// as taken up by the changer in the same decision if it was not yet.
    indirect case libraryRequestStep(LibraryRequestID, CatalogueCommand)
    /// A mount that found its drive or medium busy goes back to the queue to wait.
    case waitLibraryRequest(LibraryRequestID, reason: String)
    case finishLibraryRequest(LibraryRequestID, LibraryRequestResult)
    /// CancelNtmsLibraryRequest: only an item the changer has not started.
    case cancelLibraryRequest(LibraryRequestID)
    /// SetNtmsRequestOrder.
    case reorderLibraryRequest(LibraryRequestID, LibraryRequestPosition)
    /// Pending or running items whose process is gone (the engine's housekeeping).
    case abandonLibraryRequests([LibraryRequestID])

    // Enable/DisableNtmsObject.

    /// Takes a library, drive or medium out of use; with a `serviceMessage`, a
    /// DEVICESERVICE request asks an operator to service it.
    case disable(EnablementTarget, serviceMessage: String? = nil)
    /// Puts a disabled library, drive or medium back in use.
    case enable(EnablementTarget)

    // SetNtmsObjectSecurity, one entry at a time.

    /// Adds rights to a trustee's entry on an object.
    case grantAccess(SecuredObject, Trustee, AccessRights)
    /// Takes rights from a trustee's entry on an object.
    case revokeAccess(SecuredObject, Trustee, AccessRights)
    /// Drops a library's or pool's own list, so that it inherits again.
    case inheritAccess(SecuredObject)
    /// Records a bearer token for `principal` by its secret's SHA-256 (the
    /// engine makes the secret; nanoseconds since 1970 for `expires`).
    case issueToken(principal: Principal, secretHash: [UInt8], expires: Int64?)
    case revokeToken(TokenID)
}

/// What `decide` may know besides the state: the writer's clock and the caller.
/// Whatever it uses is written into the events, so replay never needs it.
public struct DecisionContext: Sendable {
    /// Nanoseconds since 1970.
    public var now: Int64
    public var application: String
    public var user: String
    /// Whose rights the command is checked against; nil for the engine's own
    /// decisions (housekeeping, serving a waiter), which are not checked.
    public var principal: Principal?

    public init(now: Int64 = 0, application: String = "", user: String = "", principal: Principal? = nil) {
        self.now = now
        self.application = application
        self.user = user
        self.principal = principal
    }
}

/// AllocateNtmsMedia's arguments (the timeout is the engine's business).
public struct AllocationRequest: Sendable, Equatable {
    public var pool: PoolID
    /// lpPartition: allocate exactly this side.
    public var side: SideID?
    /// NTMS_ALLOCATE_NEW: reserve the medium's other sides for this owner.
    public var new: Bool
    /// NTMS_ALLOCATE_NEXT: the logical medium of a NEW allocation whose next side is wanted.
    public var next: LogicalMediumID?
    /// NTMS_ALLOCATE_ERROR_IF_UNAVAILABLE.
    public var errorIfUnavailable: Bool

    public init(
        pool: PoolID, side: SideID? = nil, new: Bool = false, next: LogicalMediumID? = nil,
        errorIfUnavailable: Bool = false
    ) {
        self.pool = pool
        self.side = side
        self.new = new
        self.next = next
        self.errorIfUnavailable = errorIfUnavailable
    }
}

/// What a successful allocation hands back.
public struct Allocation: Sendable, Hashable {
    public var logicalMedium: LogicalMediumID
    public var side: SideID
    public var medium: MediumID
    public var pool: PoolID
    /// NTMS_ALLOCATION_INFORMATION.AllocatedFrom: the pool the side was taken from.
    public var allocatedFrom: PoolID

    public init(logicalMedium: LogicalMediumID, side: SideID, medium: MediumID, pool: PoolID, allocatedFrom: PoolID) {
        self.logicalMedium = logicalMedium
        self.side = side
        self.medium = medium
        self.pool = pool
        self.allocatedFrom = allocatedFrom
    }
}

/// The answer to a command that succeeded. Stored under an idempotency key so
/// a retry gets the same answer.
public enum CommandOutcome: Sendable, Equatable {
    case done
    case mediaType(MediaTypeID)
    case library(LibraryID)
    case pool(PoolID)
    case medium(MediumID)
    case allocation(Allocation)
    case request(OperatorRequestID)
    /// The allocation waits on this NEWMEDIA request.
    case waiting(OperatorRequestID)
    /// A robot operation was recorded as started; the robot must now move.
    case operation(OperationID)
    case token(TokenID)
    /// A work item of the library queue.
    case libraryRequest(LibraryRequestID)

    public func encoded() -> [UInt8] {
        var out = BinaryWriter()
        switch self {
        case .done: out.write(UInt8(0))
        case .mediaType(let id): out.write(UInt8(1)); out.write(id)
        case .library(let id): out.write(UInt8(2)); out.write(id)
        case .pool(let id): out.write(UInt8(3)); out.write(id)
        case .medium(let id): out.write(UInt8(4)); out.write(id)
        case .allocation(let a):
            out.write(UInt8(5))
            out.write(a.logicalMedium)
            out.write(a.side)
            out.write(a.medium)
            out.write(a.pool)
            out.write(a.allocatedFrom)
        case .request(let id): out.write(UInt8(6)); out.write(id)
        case .waiting(let id): out.write(UInt8(7)); out.write(id)
        case .operation(let id): out.write(UInt8(8)); out.write(id)
        case .token(let id): out.write(UInt8(9)); out.write(id)
        case .libraryRequest(let id): out.write(UInt8(10)); out.write(id)
        }
        return out.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(PayloadDecodingError) -> CommandOutcome {
        try BinaryReader.reading(bytes) { r throws(PayloadDecodingError) in try decode(&r) }
    }

    private static func decode(_ r: inout BinaryReader) throws(PayloadDecodingError) -> CommandOutcome {
        let outcome: CommandOutcome
        switch try r.readUInt8() {
        case 0: outcome = .done
        case 1: outcome = .mediaType(try r.readID())
        case 2: outcome = .library(try r.readID())
        case 3: outcome = .pool(try r.readID())
        case 4: outcome = .medium(try r.readID())
        case 5:
            outcome = .allocation(
                Allocation(
                    logicalMedium: try r.readID(), side: try r.readID(), medium: try r.readID(), pool: try r.readID(),
                    allocatedFrom: try r.readID()))
        case 6: outcome = .request(try r.readID())
        case 7: outcome = .waiting(try r.readID())
        case 8: outcome = .operation(try r.readID())
        case 9: outcome = .token(try r.readID())
        case 10: outcome = .libraryRequest(try r.readID())
        case let tag: throw PayloadDecodingError("invalid outcome tag \(tag)")
        }
        guard r.isAtEnd else { throw PayloadDecodingError("unexpected bytes after an outcome") }
        return outcome
    }
}

/// What `decide` returns for an accepted command.
public struct Decision: Sendable, Equatable {
    public var events: [CatalogueEvent]
    public var outcome: CommandOutcome

    public init(events: [CatalogueEvent], outcome: CommandOutcome) {
        self.events = events
        self.outcome = outcome
    }
}
