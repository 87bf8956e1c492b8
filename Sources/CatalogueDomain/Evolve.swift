import HashTreeCollections
import SortedCollections

extension CatalogueState {
    /// Folds one event into the state. Pure and total: events are facts, so this
    /// never fails and never consults a clock, randomness or hardware; the same
    /// log always yields the same state.
    public mutating func apply(_ event: CatalogueEvent) {
        eventCount += 1
        switch event {
        case .catalogueCreated(let e):
            creation = e
            reserve(e.offlineLibrary, e.freeFolder, e.importFolder, e.unrecognizedFolder)
            addLibrary(Library(id: e.offlineLibrary, name: "Offline", type: .offline, slotCount: 0, driveCount: 0, portCount: 0))
            for (id, name) in [(e.freeFolder, "Free"), (e.importFolder, "Import"), (e.unrecognizedFolder, "Unrecognized")] {
                addPool(Pool(id: id, path: "\\" + name, parent: nil, type: .systemFolder, mediaType: nil, policy: PoolPolicy(), childCount: 0, mediumCount: 0))
            }

        case .mediaTypeRegistered(let e):
            reserve(e.mediaType, e.freePool, e.importPool, e.unrecognizedPool)
            mediaTypes[e.mediaType] = MediaType(
                id: e.mediaType, name: e.name, sideCount: e.sideCount, freePool: e.freePool, importPool: e.importPool,
                unrecognizedPool: e.unrecognizedPool)
            mediaTypeByName[e.name] = e.mediaType
            let folders = creation.map { [($0.freeFolder, e.freePool, PoolType.free), ($0.importFolder, e.importPool, .import), ($0.unrecognizedFolder, e.unrecognizedPool, .unrecognized)] } ?? []
            for (folder, pool, type) in folders {
                let path = (pools[folder]?.path ?? "") + "\\" + e.name
                addPool(Pool(id: pool, path: path, parent: folder, type: type, mediaType: e.mediaType, policy: PoolPolicy(), childCount: 0, mediumCount: 0))
            }

        case .libraryAdded(let e):
            reserve(e.library)
            addLibrary(Library(id: e.library, name: e.name, type: .online, slotCount: e.slotCount, driveCount: e.driveCount, portCount: e.portCount))

        case .poolCreated(let e):
            reserve(e.pool)
            addPool(Pool(id: e.pool, path: e.path, parent: e.parent, type: .application, mediaType: e.mediaType, policy: e.policy, childCount: 0, mediumCount: 0))

        case .poolPolicyChanged(let e):
            pools[e.pool]?.policy = e.policy

        case .mediumImported(let e):
            reserve(e.medium)
            reserve(SideID(e.firstSide.rawValue + UInt64(e.sideCount) - 1))
            let medium = Medium(id: e.medium, barcode: e.barcode, mediaType: e.mediaType, pool: e.pool, location: e.location, firstSide: e.firstSide, sideCount: e.sideCount)
            media[e.medium] = medium
            mediumByBarcode[e.barcode] = e.medium
            if e.location != .shelf { mediumAtLocation[e.location] = e.medium }
            pools[e.pool]?.mediumCount += 1
            for (number, id) in medium.sides.enumerated() {
                let side = Side(id: id, medium: e.medium, number: UInt8(number), state: e.sideState, allocateCount: 0, logicalMedium: nil)
                sides[id] = side
                index(side, of: medium)
            }

        case .mediumMoved(let e):
            guard var medium = media[e.medium] else { return }
            unindexSides(of: medium)
            pools[medium.pool]?.mediumCount -= 1
            medium.pool = e.to
            pools[e.to]?.mediumCount += 1
            media[e.medium] = medium
            indexSides(of: medium)

        case .sideAllocated(let e):
            reserve(e.logicalMedium)
            updateSide(e.side) { side in
                side.state = .allocated
                side.allocateCount &+= 1
                side.logicalMedium = e.logicalMedium
            }
            for sibling in e.reservedSides { updateSide(sibling) { $0.state = .reserved } }
            logicalMedia[e.logicalMedium] = LogicalMedium(id: e.logicalMedium, side: e.side, pool: e.pool, exclusive: e.exclusive)

        case .sideAllocatedNext(let e):
            reserve(e.logicalMedium)
            updateSide(e.side) { side in
                side.state = .allocated
                side.allocateCount &+= 1
                side.logicalMedium = e.logicalMedium
            }
            logicalMedia[e.logicalMedium] = LogicalMedium(id: e.logicalMedium, side: e.side, pool: e.pool, exclusive: true)

        case .sideDeallocated(let e):
            logicalMedia[e.logicalMedium] = nil
            updateSide(e.side) { side in
                side.state = e.newState
                side.logicalMedium = nil
            }
            for sibling in e.releasedSides { updateSide(sibling) { $0.state = .available } }
        }
    }

    /// Keeps `nextIdentifier` past every identifier an event introduces.
    private mutating func reserve<each Kind>(_ ids: repeat Identifier<each Kind>) {
        for id in repeat each ids {
            nextIdentifier = max(nextIdentifier, id.rawValue + 1)
        }
    }

    private mutating func addLibrary(_ library: Library) {
        libraries[library.id] = library
        libraryByName[library.name] = library.id
    }

    private mutating func addPool(_ pool: Pool) {
        pools[pool.id] = pool
        poolByPath[pool.path] = pool.id
        if let parent = pool.parent { pools[parent]?.childCount += 1 }
    }

    /// Changes one side and keeps the allocation index in step with it.
    private mutating func updateSide(_ id: SideID, _ change: (inout Side) -> Void) {
        guard var side = sides[id], let medium = media[side.medium] else { return }
        unindex(side, of: medium)
        change(&side)
        sides[id] = side
        index(side, of: medium)
    }

    private mutating func index(_ side: Side, of medium: Medium) {
        guard side.state == .available, isOnline(medium) else { return }
        availableSides[medium.pool, default: SortedSet()].insert(
            AllocationCandidate(allocateCount: side.allocateCount, side: side.id))
    }

    private mutating func unindex(_ side: Side, of medium: Medium) {
        guard side.state == .available else { return }
        let candidate = AllocationCandidate(allocateCount: side.allocateCount, side: side.id)
        guard availableSides[medium.pool]?.remove(candidate) != nil else { return }
        if availableSides[medium.pool]?.isEmpty == true { availableSides[medium.pool] = nil }
    }

    private mutating func indexSides(of medium: Medium) {
        for id in medium.sides { if let side = sides[id] { index(side, of: medium) } }
    }

    private mutating func unindexSides(of medium: Medium) {
        for id in medium.sides { if let side = sides[id] { unindex(side, of: medium) } }
    }
}
