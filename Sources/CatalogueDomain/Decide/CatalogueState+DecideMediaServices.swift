// ChangeNtmsMediaType, DeleteNtmsMediaType, SwapNtmsMedia and UpdateNtmsOmidInfo.
extension CatalogueState {
    /// The type change of a move into a pool of another type: only for a
    /// medium in an online library (RSM reads the new type's label there),
    /// with as many sides as the new type has, and no side held.
    func decideTypeChange(of medium: Medium, to typeID: MediaTypeID) throws(NtmsError) -> CatalogueEvent {
        guard let type = mediaTypes[typeID] else { throw NtmsError(.invalidParameter, "no media type \(typeID)") }
        guard isOnline(medium) else {
            throw NtmsError(.libraryOffline, "\(medium.barcode) is offline; its type changes only in an online library")
        }
        guard type.sideCount == medium.sideCount else {
            throw NtmsError(
                .mediaIncompatible,
                "\(medium.barcode) has \(medium.sideCount) side(s); \(type.name) media have \(type.sideCount)")
        }
        guard !sides(of: medium).contains(where: { $0.state.holdsMedium }) else {
            throw NtmsError(.busy, "\(medium.barcode) has sides that are allocated, complete or reserved")
        }
        guard medium.physicalState == .idle else {
            throw NtmsError(.busy, "\(medium.barcode) is \(medium.physicalState.name)")
        }
        return .mediumTypeChanged(MediumTypeChanged(medium: medium.id, from: medium.mediaType, to: typeID))
    }

    /// DeleteNtmsMediaType: refused while any pool of the type holds media, an
    /// application pool is of it, or a robot operation registers a cartridge as it.
    func decideTypeDeletion(_ typeID: MediaTypeID) throws(NtmsError) -> Decision {
        guard let type = mediaTypes[typeID] else { throw NtmsError(.objectNotFound, "no media type \(typeID)") }
        // A medium always sits in a pool of its own type, so counting the type's pools' media counts them all.
        for pool in pools.values where pool.mediaType == typeID {
            if pool.type == .application {
                throw NtmsError(.notEmpty, "pool \(pool.path) is of type \(type.name); delete it first")
            }
            if pool.mediumCount > 0 {
                throw NtmsError(.notEmpty, "\(pool.path) holds \(pool.mediumCount) \(type.name) media")
            }
        }
        if operations.values.contains(where: { $0.mediaType == typeID }) {
            throw NtmsError(.busy, "a robot operation in progress registers a \(type.name) cartridge")
        }
        return Decision(events: [.mediaTypeDeleted(MediaTypeDeleted(mediaType: typeID))], outcome: .done)
    }

    /// SwapNtmsMedia: both logical media allocated (ALLOCATED or COMPLETE), in
    /// one pool, neither medium being moved or in a drive, and neither a NEW
    /// allocation of a multi-sided medium (its sides belong together).
    func decideSwap(_ first: LogicalMediumID, _ second: LogicalMediumID) throws(NtmsError) -> Decision {
        guard first != second else { throw NtmsError(.invalidParameter, "a logical medium cannot swap with itself") }
        var held: [(LogicalMedium, Medium)] = []
        for id in [first, second] {
            guard let logical = logicalMedia[id], let side = sides[logical.side], let medium = media[side.medium] else {
                throw NtmsError(.invalidMedia, "no logical medium \(id)")
            }
            guard side.state == .allocated || side.state == .complete else {
                throw NtmsError(.invalidState, "the side behind \(id) is \(side.state.name)")
            }
            guard medium.physicalState == .idle, medium.location.driveAddress == nil else {
                throw NtmsError(.busy, "\(medium.barcode), behind \(id), is \(medium.physicalState.name)")
            }
            if logical.exclusive, medium.sideCount > 1 {
                throw NtmsError(
                    .invalidMedia, "\(id) was allocated with NEW: the sides of \(medium.barcode) stay together")
            }
            held.append((logical, medium))
        }
        guard held[0].0.pool == held[1].0.pool else {
            throw NtmsError(
                .invalidMediaPool,
                "\(first) is in \(pools[held[0].0.pool]?.path ?? "?"), \(second) in \(pools[held[1].0.pool]?.path ?? "?"); "
                    + "only logical media of one pool swap")
        }
        let event = LogicalMediaSwapped(
            first: first, firstSide: held[1].0.side, second: second, secondSide: held[0].0.side)
        return Decision(events: [.logicalMediaSwapped(event)], outcome: .done)
    }

    /// UpdateNtmsOmidInfo: only for an allocated (or complete) side, whose owner
    /// wrote the label; a label already recorded for another side is refused, so
    /// a label names one cartridge.
    func decideOnMediaIdentifier(_ sideID: SideID, _ identifier: OnMediaIdentifier) throws(NtmsError) -> Decision {
        guard let side = sides[sideID], let medium = media[side.medium] else {
            throw NtmsError(.invalidMedia, "no side \(sideID)")
        }
        if let problem = identifier.problem { throw NtmsError(.invalidParameter, problem) }
        guard side.state == .allocated || side.state == .complete else {
            throw NtmsError(
                .invalidState,
                "side \(side.letter) of \(medium.barcode) is \(side.state.name); only its owner's label is recorded")
        }
        if let holder = sideByOnMediaLabel[identifier.key], holder != sideID {
            let other = sides[holder].flatMap { s in media[s.medium].map { "side \(s.letter) of \($0.barcode)" } }
            throw NtmsError(.alreadyExists, "\(other ?? "\(holder)") already carries that label")
        }
        guard onMediaIdentifiers[sideID] != identifier else { return Decision(events: [], outcome: .done) }
        return Decision(
            events: [.onMediaIdentifierRecorded(OnMediaIdentifierRecorded(side: sideID, identifier: identifier))],
            outcome: .done)
    }

    /// The medium an on-media label read from a cartridge identifies, if any.
    func medium(identifiedBy label: OnMediaIdentifier?) -> Medium? {
        label.flatMap { side(withOnMediaLabel: $0.key) }.flatMap { media[$0.medium] }
    }
}
