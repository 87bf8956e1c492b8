import CatalogueDomain

// The catalogue's objects. Every row names its own identifier `id`; a
// reference to another object is two fields, its id and its readable name:
// `medium`/`barcode`, `side`/`side_letter`, `library`/`library_name`,
// `media_type`/`media_type_name`. Pools are named by path, as RSM's tools
// name them and as allocate's answer always did: `pool` is the path and
// `pool_id` the id (likewise `allocated_from` and `allocated_from_id`).

/// Where a medium is: on the shelf, or in a library's slot, drive or port.
public struct LocationJSON: Codable, Sendable, Equatable {
    /// `shelf`, `slot`, `drive` or `port`.
    public var kind: String
    public var library: String?
    public var library_name: String?
    /// The element's number (slots from 1, drives and ports from 0); null on the shelf.
    public var number: UInt32?

    public init(_ location: MediumLocation, libraryName: String?) {
        switch location {
        case .shelf: kind = "shelf"
        case .slot(_, let n): (kind, number) = ("slot", n)
        case .drive(_, let n): (kind, number) = ("drive", n)
        case .port(_, let n): (kind, number) = ("port", n)
        }
        library = location.library?.description
        library_name = location.library == nil ? nil : libraryName
    }

    public init(_ location: MediumLocation, in state: CatalogueState) {
        self.init(location, libraryName: location.library.flatMap { state.libraries[$0]?.name })
    }

    var jsonValue: JSONValue {
        .object([
            "kind": .string(kind), "library": library.map(JSONValue.string) ?? .null,
            "library_name": library_name.map(JSONValue.string) ?? .null,
            "number": number.map { .integer(Int64($0)) } ?? .null,
        ])
    }
}

public struct MediaTypeJSON: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var side_count: Int
    public var free_pool: String
    public var free_pool_id: String
    public var import_pool: String
    public var import_pool_id: String
    public var unrecognized_pool: String
    public var unrecognized_pool_id: String

    public init(_ type: MediaType, _ state: CatalogueState) {
        id = type.id.description
        name = type.name
        side_count = Int(type.sideCount)
        free_pool = state.pools[type.freePool]?.path ?? ""
        free_pool_id = type.freePool.description
        import_pool = state.pools[type.importPool]?.path ?? ""
        import_pool_id = type.importPool.description
        unrecognized_pool = state.pools[type.unrecognizedPool]?.path ?? ""
        unrecognized_pool_id = type.unrecognizedPool.description
    }
}

public struct LibraryJSON: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// `ONLINE` or `OFFLINE`.
    public var type: String
    public var slots: UInt32
    public var drives: UInt32
    public var ports: UInt32
    /// `simulated` or `mtx`; null without a changer.
    public var changer: String?
    /// The changer's device (mtx); null when it has none.
    public var device: String?
    public var needs_inventory: Bool
    /// False while disabled (DisableNtmsObject): no robot work, its media not allocated.
    public var enabled: Bool
    /// The door is open (AccessNtmsLibraryDoor): no robot work; an inventory follows its closing.
    public var door_open: Bool
    /// The slot reserved for the cleaning cartridge; null when none is.
    public var cleaner_slot: UInt32?
    /// The cleaning cartridge in it; null when none was injected.
    public var cleaner: CleanerJSON?
    /// Mounts a drive may have between cleanings; 0: cleaned when reported only.
    public var cleaning_interval: UInt32
    /// How an mtx changer is driven; null for another changer or none.
    public var changer_settings: ChangerSettingsJSON?

    public init(_ library: Library) {
        id = library.id.description
        name = library.name
        type = library.type.name
        slots = library.slotCount
        drives = library.driveCount
        ports = library.portCount
        changer = library.changer?.name
        device = library.device.isEmpty ? nil : library.device
        needs_inventory = library.needsInventory
        enabled = library.enabled
        door_open = library.doorOpen
        cleaner_slot = library.cleanerSlot
        cleaner = library.cleaner.map(CleanerJSON.init)
        cleaning_interval = library.cleaningInterval
        changer_settings = library.changer == .mtx ? ChangerSettingsJSON(library.changerSettings) : nil
    }
}

/// A library's cleaning cartridge.
public struct CleanerJSON: Codable, Sendable, Equatable {
    public var barcode: String
    /// Cleanings left; null: unlimited.
    public var uses_left: UInt32?

    public init(_ cleaner: CleanerCartridge) {
        barcode = cleaner.barcode
        uses_left = cleaner.usesLeft
    }
}

/// An mtx changer's settings, with the timeouts in force (the defaults when none was set).
public struct ChangerSettingsJSON: Codable, Sendable, Equatable {
    public struct DriveDevice: Codable, Sendable, Equatable {
        public var drive: UInt32
        public var device: String
    }

    /// The mtx binary; null: `mtx` on the PATH, else in /usr/sbin.
    public var mtx_path: String?
    public var inventory_before_status: Bool
    public var offline_before_unload: Bool
    /// Each drive's tape device, by drive number.
    public var drive_devices: [DriveDevice]
    public var status_timeout_seconds: UInt32
    public var move_timeout_seconds: UInt32
    public var inventory_timeout_seconds: UInt32

    public init(_ settings: ChangerSettings) {
        mtx_path = settings.mtxPath.isEmpty ? nil : settings.mtxPath
        inventory_before_status = settings.inventoryBeforeStatus
        offline_before_unload = settings.offlineBeforeUnload
        drive_devices = settings.driveDevices.sorted { $0.key < $1.key }.map {
            DriveDevice(drive: $0.key, device: $0.value)
        }
        status_timeout_seconds = settings.effectiveStatusTimeout
        move_timeout_seconds = settings.effectiveMoveTimeout
        inventory_timeout_seconds = settings.effectiveInventoryTimeout
    }
}

public struct PoolJSON: Codable, Sendable, Equatable {
    public var id: String
    public var path: String
    /// `APPLICATION`, `FREE`, `IMPORT`, `UNRECOGNIZED` or a folder's type.
    public var type: String
    /// Null for a folder pool.
    public var media_type: String?
    public var media_type_name: String?
    public var from_scratch: Bool
    public var to_scratch: Bool
    /// 0: unlimited.
    public var max_allocates: UInt32
    /// Media directly in the pool.
    public var media: Int
    /// Pools directly under it.
    public var pools: Int

    public init(_ pool: Pool, _ state: CatalogueState) {
        id = pool.id.description
        path = pool.path
        type = pool.type.name
        media_type = pool.mediaType?.description
        media_type_name = pool.mediaType.flatMap { state.mediaTypes[$0]?.name }
        from_scratch = pool.policy.allocateFromScratch
        to_scratch = pool.policy.deallocateToScratch
        max_allocates = pool.policy.maxAllocates
        media = pool.mediumCount
        pools = pool.childCount
    }
}

public struct MediumJSON: Codable, Sendable, Equatable {
    /// A side as a medium lists it.
    public struct SideSummary: Codable, Sendable, Equatable {
        public var id: String
        public var side_letter: String
        public var state: String
    }

    public var id: String
    public var barcode: String
    public var media_type: String
    public var media_type_name: String
    public var pool: String
    public var pool_id: String
    public var location: LocationJSON
    public var online: Bool
    /// False while disabled, or while the library it is in is: neither allocated nor mounted.
    public var enabled: Bool
    /// `IDLE`, `INUSE`, `MOUNTED`, `LOADED`, `UNLOADED`, `OPERROR` …
    public var physical_state: String
    public var sides: [SideSummary]
    /// Mounts for use so far.
    public var mount_count: UInt32
    public var last_mounted: String?
    public var last_dismounted: String?
    public var last_allocated: String?

    public init(_ medium: Medium, _ state: CatalogueState) {
        id = medium.id.description
        barcode = medium.barcode
        media_type = medium.mediaType.description
        media_type_name = state.mediaTypes[medium.mediaType]?.name ?? ""
        pool = state.pools[medium.pool]?.path ?? ""
        pool_id = medium.pool.description
        location = LocationJSON(medium.location, in: state)
        online = state.isOnline(medium)
        enabled = state.isEnabled(medium)
        physical_state = medium.physicalState.name
        sides = state.sides(of: medium).map {
            SideSummary(id: $0.id.description, side_letter: $0.letter, state: $0.state.name)
        }
        let usage = state.mediumUsage[medium.id] ?? MediumUsage()
        mount_count = usage.mountCount
        last_mounted = usage.lastMounted.map(JSONModel.time)
        last_dismounted = usage.lastDismounted.map(JSONModel.time)
        last_allocated = usage.lastAllocated.map(JSONModel.time)
    }
}

public struct SideJSON: Codable, Sendable, Equatable {
    public var id: String
    public var side_letter: String
    public var state: String
    public var medium: String
    public var barcode: String
    public var allocate_count: UInt32
    /// The logical medium allocated on it; null when none.
    public var lmid: String?
    /// The label its owner wrote on it (UpdateNtmsOmidInfo); null when none was reported.
    public var on_media_label: OnMediaLabelJSON?

    public init(_ side: Side, _ medium: Medium, _ catalogue: CatalogueState) {
        id = side.id.description
        side_letter = side.letter
        state = side.state.name
        self.medium = medium.id.description
        barcode = medium.barcode
        allocate_count = side.allocateCount
        lmid = side.logicalMedium?.description
        on_media_label = catalogue.onMediaIdentifiers[side.id].map(OnMediaLabelJSON.init)
    }
}

/// An on-media label: its type, its id and, for a file system, its name.
public struct OnMediaLabelJSON: Codable, Sendable, Equatable {
    public var type: String
    public var id: String
    public var info: String

    public init(_ identifier: OnMediaIdentifier) {
        type = identifier.labelType
        id = identifier.labelID
        info = identifier.info
    }
}

/// A logical medium, as `show lmids` lists it and allocate answers (with `allocated_from`).
public struct LogicalMediumJSON: Codable, Sendable, Equatable {
    public var lmid: String
    public var side: String
    public var side_letter: String
    public var medium: String
    public var barcode: String
    public var pool: String
    public var pool_id: String
    public var exclusive: Bool
    /// When it was allocated, and by which application and user.
    public var allocated: String
    public var application: String
    public var user: String

    public init?(_ logical: LogicalMedium, _ state: CatalogueState) {
        guard let side = state.sides[logical.side], let medium = state.media[side.medium] else { return nil }
        lmid = logical.id.description
        self.side = side.id.description
        side_letter = side.letter
        self.medium = medium.id.description
        barcode = medium.barcode
        pool = state.pools[logical.pool]?.path ?? ""
        pool_id = logical.pool.description
        exclusive = logical.exclusive
        allocated = JSONModel.time(logical.allocated)
        application = logical.application
        user = logical.user
    }
}

/// AllocateNtmsMedia's answer. Its keys are the ones scripts have used since
/// the first release; `pool_id` and `allocated_from_id` were added beside them.
public struct AllocationJSON: Codable, Sendable, Equatable {
    public var lmid: String
    public var side: String
    public var side_letter: String
    public var medium: String
    public var barcode: String
    public var pool: String
    public var pool_id: String
    /// The pool the side came from: the target, its Free pool or the Import pool (path).
    public var allocated_from: String
    public var allocated_from_id: String

    public init(_ allocation: Allocation, _ state: CatalogueState) {
        lmid = allocation.logicalMedium.description
        side = allocation.side.description
        side_letter = state.sides[allocation.side]?.letter ?? "?"
        medium = allocation.medium.description
        barcode = state.media[allocation.medium]?.barcode ?? ""
        pool = state.pools[allocation.pool]?.path ?? ""
        pool_id = allocation.pool.description
        allocated_from = state.pools[allocation.allocatedFrom]?.path ?? ""
        allocated_from_id = allocation.allocatedFrom.description
    }
}

public struct DriveJSON: Codable, Sendable, Equatable {
    public var library: String
    public var library_name: String
    /// The drive's number in its library, from 0.
    public var drive: UInt32
    public var state: String
    public var medium: String?
    public var barcode: String?
    public var side: String?
    public var side_letter: String?
    public var mounts: UInt32
    /// Seconds a medium was mounted in it for use, finished mounts only.
    public var busy_seconds: Double
    /// When its current use began; null when it is not in use.
    public var busy_since: String?
    /// False while disabled: never chosen for a mount.
    public var enabled: Bool
    /// Mounts and dismounts that failed since the last that succeeded; at 3 the drive is disabled.
    public var consecutive_failures: UInt32
    /// Mounts since its last cleaning.
    public var mounts_since_cleaning: UInt32
    /// Due for cleaning (reported, or its library's interval reached): cleaned before its next mount.
    public var needs_cleaning: Bool
    /// When it was last cleaned; null: never.
    public var last_cleaned: String?

    public init(_ drive: Drive, _ state: CatalogueState) {
        library = drive.address.library.description
        library_name = state.libraries[drive.address.library]?.name ?? ""
        self.drive = drive.address.number
        self.state = drive.state.name
        medium = drive.medium?.description
        barcode = drive.medium.flatMap { state.media[$0]?.barcode }
        side = drive.side?.description
        side_letter = drive.side.flatMap { state.sides[$0]?.letter }
        mounts = drive.mountCount
        busy_seconds = Double(drive.busyNanoseconds) / 1_000_000_000
        busy_since = drive.busySince.map(JSONModel.time)
        enabled = drive.enabled
        consecutive_failures = drive.consecutiveFailures
        mounts_since_cleaning = drive.mountsSinceCleaning
        needs_cleaning = state.needsCleaning(drive)
        last_cleaned = drive.lastCleaned.map(JSONModel.time)
    }
}

/// One storage element of a library: a slot, a port or a drive, and what it holds.
public struct SlotJSON: Codable, Sendable, Equatable {
    /// `slot`, `drive` or `port`.
    public var element: String
    public var number: UInt32
    public var medium: String?
    public var barcode: String?
    /// The medium's physical state; null when the element is empty.
    public var physical_state: String?

    public init(element: String, number: UInt32, medium: Medium?) {
        self.element = element
        self.number = number
        self.medium = medium?.id.description
        barcode = medium?.barcode
        physical_state = medium?.physicalState.name
    }
}

public struct RequestJSON: Codable, Sendable, Equatable {
    public var id: String
    /// `MESSAGE`, `NEWMEDIA`, `MOVEMEDIA`, `CLEANER` or `DEVICESERVICE`.
    public var type: String
    /// `SUBMITTED`, `ACTIVE`, `INPROGRESS`, `COMPLETE` or `REFUSED`.
    public var state: String
    /// The pool that needs media (NEWMEDIA); null otherwise.
    public var pool: String?
    public var pool_id: String?
    /// The medium to bring online (MOVEMEDIA); null otherwise.
    public var medium: String?
    public var barcode: String?
    /// The library concerned (CLEANER, DEVICESERVICE); null otherwise.
    public var library: String?
    public var library_name: String?
    public var message: String
    public var submitted: String
    public var application: String
    public var user: String
    public var deadline: String?
    public var closed: String?
    public var close_reason: String?

    public init(_ request: OperatorRequest, _ state: CatalogueState) {
        id = request.id.description
        type = request.type.name
        self.state = request.state.name
        let argument = request.firstArgument
        switch request.type {
        case .newMedia:
            pool_id = argument.map { PoolID($0).description }
            pool = argument.flatMap { state.pools[PoolID($0)]?.path }
        case .moveMedia:
            medium = argument.map { MediumID($0).description }
            barcode = argument.flatMap { state.media[MediumID($0)]?.barcode }
        case .cleaner, .deviceService:
            library = argument.map { LibraryID($0).description }
            library_name = argument.flatMap { state.libraries[LibraryID($0)]?.name }
        default:
            break
        }
        message = request.message
        submitted = JSONModel.time(request.submitted)
        application = request.application
        user = request.user
        deadline = request.deadline.map(JSONModel.time)
        closed = request.closed.map(JSONModel.time)
        close_reason = request.closeReason?.name
    }
}

/// One work item of a library's queue (RSM's NTMS_LIBREQUESTINFORMATION).
public struct LibraryRequestJSON: Codable, Sendable, Equatable {
    /// `work-N`.
    public var id: String
    public var library: String
    public var library_name: String
    /// `mount`, `dismount`, `inject`, `eject`, `inventory`, `clean`, `inject-cleaner` or `eject-cleaner`.
    public var operation: String
    /// `QUEUED`, `WAITING`, `INPROCESS`, `PASSED`, `FAILED` or `CANCELLED`.
    public var state: String
    /// From -15 (lowest) to 15 (highest); 0 is normal.
    public var priority: Int
    public var medium: String?
    public var barcode: String?
    public var drive: UInt32?
    public var port: UInt32?
    public var application: String
    public var user: String
    public var queued: String
    /// When the changer last took it up; null while it has not.
    public var started: String?
    public var finished: String?
    /// The NTMS error it failed or was cancelled with, by number and Win32 name; null otherwise.
    public var error_code: UInt32?
    public var error: String?
    /// Why it waits, or why it failed.
    public var message: String

    public init(_ request: LibraryRequest, _ state: CatalogueState) {
        id = request.id.description
        library = request.library.description
        library_name = state.libraries[request.library]?.name ?? ""
        operation = request.operation.name
        self.state = request.state.name
        priority = request.priority
        medium = request.medium?.description
        barcode = request.medium.flatMap { state.media[$0]?.barcode }
        drive = request.drive
        port = request.port
        application = request.application
        user = request.user
        queued = JSONModel.time(request.queued)
        started = request.started.map(JSONModel.time)
        finished = request.finished.map(JSONModel.time)
        error_code = request.errorCode == 0 ? nil : request.errorCode
        error = request.errorCode == 0 ? nil : NtmsErrorCode(rawValue: Int32(bitPattern: request.errorCode))?.name
        message = request.message
    }
}
