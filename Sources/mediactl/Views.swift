import CatalogueDomain

// JSON shapes of the CLI contract. Field names are snake_case on purpose:
// scripts depend on them, so change them only with the docs.

struct MediaTypeJSON: Encodable {
    var id: String
    var name: String
    var sides: Int
    var free_pool: String
    var import_pool: String
    var unrecognized_pool: String

    init(_ type: MediaType, _ state: CatalogueState) {
        id = type.id.description
        name = type.name
        sides = Int(type.sideCount)
        free_pool = state.pools[type.freePool]?.path ?? ""
        import_pool = state.pools[type.importPool]?.path ?? ""
        unrecognized_pool = state.pools[type.unrecognizedPool]?.path ?? ""
    }
}

struct LibraryJSON: Encodable {
    var id: String
    var name: String
    var type: String
    var slots: UInt32
    var drives: UInt32
    var ports: UInt32
    var changer: String
    var device: String
    var needs_inventory: Bool

    init(_ library: Library) {
        id = library.id.description
        name = library.name
        type = library.type.name
        slots = library.slotCount
        drives = library.driveCount
        ports = library.portCount
        changer = library.changer?.name ?? ""
        device = library.device
        needs_inventory = library.needsInventory
    }

    var text: String {
        "\(id)  \(name)  \(type)  slots \(slots)  drives \(drives)  ports \(ports)"
            + (changer.isEmpty ? "" : "  changer \(changer)\(device.isEmpty ? "" : " \(device)")")
            + (needs_inventory ? "  NEEDS INVENTORY" : "")
    }
}

struct PoolJSON: Encodable {
    var id: String
    var path: String
    var type: String
    var media_type: String?
    var from_scratch: Bool
    var to_scratch: Bool
    var max_allocates: UInt32
    var media: Int
    var pools: Int

    init(_ pool: Pool, _ state: CatalogueState) {
        id = pool.id.description
        path = pool.path
        type = pool.type.name
        media_type = pool.mediaType.flatMap { state.mediaTypes[$0]?.name }
        from_scratch = pool.policy.allocateFromScratch
        to_scratch = pool.policy.deallocateToScratch
        max_allocates = pool.policy.maxAllocates
        media = pool.mediumCount
        pools = pool.childCount
    }

    var text: String {
        var flags: [String] = []
        if from_scratch { flags.append("from-scratch") }
        if to_scratch { flags.append("to-scratch") }
        if max_allocates > 0 { flags.append("max-allocates \(max_allocates)") }
        return "\(id)  \(path)  \(type)  \(media_type ?? "folder")  media \(media)"
            + (flags.isEmpty ? "" : "  " + flags.joined(separator: " "))
    }
}

struct SideJSON: Encodable {
    var id: String
    var side: String
    var state: String
    var medium: String
    var barcode: String
    var allocate_count: UInt32
    var lmid: String?

    init(_ side: Side, _ medium: Medium) {
        id = side.id.description
        self.side = side.letter
        state = side.state.name
        self.medium = medium.id.description
        barcode = medium.barcode
        allocate_count = side.allocateCount
        lmid = side.logicalMedium?.description
    }

    var text: String {
        "\(id)  \(barcode):\(side)  \(state)  allocations \(allocate_count)" + (lmid.map { "  \($0)" } ?? "")
    }
}

struct MediumJSON: Encodable {
    struct SideSummary: Encodable {
        var id: String
        var side: String
        var state: String
    }

    var id: String
    var barcode: String
    var media_type: String
    var pool: String
    var location: String
    var online: Bool
    var physical_state: String
    var sides: [SideSummary]

    init(_ medium: Medium, _ state: CatalogueState) {
        id = medium.id.description
        barcode = medium.barcode
        media_type = state.mediaTypes[medium.mediaType]?.name ?? ""
        pool = state.pools[medium.pool]?.path ?? ""
        location = Self.describe(medium.location, state)
        online = state.isOnline(medium)
        physical_state = medium.physicalState.name
        sides = state.sides(of: medium).map {
            SideSummary(id: $0.id.description, side: $0.letter, state: $0.state.name)
        }
    }

    static func describe(_ location: MediumLocation, _ state: CatalogueState) -> String {
        func name(_ id: LibraryID) -> String { state.libraries[id]?.name ?? id.description }
        switch location {
        case .shelf: return "shelf"
        case .slot(let library, let n): return "\(name(library)) slot \(n)"
        case .drive(let library, let n): return "\(name(library)) drive \(n)"
        case .port(let library, let n): return "\(name(library)) port \(n)"
        }
    }

    var text: String {
        "\(id)  \(barcode)  \(media_type)  \(pool)  \(location)\(physical_state == "IDLE" ? "" : " (\(physical_state))")  "
            + sides.map { "\($0.side)=\($0.state)" }.joined(separator: " ")
    }
}

struct LogicalMediumJSON: Encodable {
    var lmid: String
    var side: String
    var side_letter: String
    var medium: String
    var barcode: String
    var pool: String
    var exclusive: Bool

    init?(_ logical: LogicalMedium, _ state: CatalogueState) {
        guard let side = state.sides[logical.side], let medium = state.media[side.medium] else { return nil }
        lmid = logical.id.description
        self.side = side.id.description
        side_letter = side.letter
        self.medium = medium.id.description
        barcode = medium.barcode
        pool = state.pools[logical.pool]?.path ?? ""
        exclusive = logical.exclusive
    }

    var text: String { "\(lmid)  \(barcode):\(side_letter)  \(pool)" + (exclusive ? "  exclusive" : "") }
}

struct AllocationJSON: Encodable {
    var lmid: String
    var side: String
    var side_letter: String
    var medium: String
    var barcode: String
    var pool: String
    var allocated_from: String

    init(_ allocation: Allocation, _ state: CatalogueState) {
        lmid = allocation.logicalMedium.description
        side = allocation.side.description
        side_letter = state.sides[allocation.side]?.letter ?? "?"
        medium = allocation.medium.description
        barcode = state.media[allocation.medium]?.barcode ?? ""
        pool = state.pools[allocation.pool]?.path ?? ""
        allocated_from = state.pools[allocation.allocatedFrom]?.path ?? ""
    }

    var text: String { "\(lmid)  \(barcode):\(side_letter)  \(pool)  (from \(allocated_from))" }
}

struct DriveJSON: Encodable {
    var drive: UInt32
    var state: String
    var medium: String
    var side: String
    var mounts: UInt32

    init(_ drive: Drive, _ state: CatalogueState) {
        self.drive = drive.address.number
        self.state = drive.state.name
        let medium = drive.medium.flatMap { state.media[$0] }
        self.medium = medium?.barcode ?? ""
        side = drive.side.flatMap { state.sides[$0] }.map { "\(medium?.barcode ?? ""):\($0.letter)" } ?? ""
        mounts = drive.mountCount
    }

    var text: String { "drive \(drive)  \(state)  \(side.isEmpty ? medium : side)  mounts \(mounts)" }
}

struct SlotJSON: Encodable {
    var element: String
    var number: UInt32
    var medium: String
    var state: String

    var text: String { "\(element) \(number)  \(medium.isEmpty ? "empty" : "\(medium)  \(state)")" }
}
