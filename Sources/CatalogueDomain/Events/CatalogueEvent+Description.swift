extension CatalogueEvent {
    /// The event's fields by name, identifiers in their text form, for history,
    /// watch output and auditors' tools.
    public var fields: [(name: String, value: String)] {
        func ids<Kind>(_ list: [Identifier<Kind>]) -> String { list.map(\.description).joined(separator: ",") }
        switch self {
        case .catalogueCreated(let e):
            return [
                ("offline_library", "\(e.offlineLibrary)"), ("free_folder", "\(e.freeFolder)"),
                ("import_folder", "\(e.importFolder)"), ("unrecognized_folder", "\(e.unrecognizedFolder)"),
            ]
        case .mediaTypeRegistered(let e):
            return [
                ("media_type", "\(e.mediaType)"), ("name", e.name), ("sides", "\(e.sideCount)"),
                ("free_pool", "\(e.freePool)"), ("import_pool", "\(e.importPool)"),
                ("unrecognized_pool", "\(e.unrecognizedPool)"),
            ]
        case .libraryDeleted(let e):
            return [("library", "\(e.library)")]
        case .libraryAdded(let e):
            return [
                ("library", "\(e.library)"), ("name", e.name), ("slots", "\(e.slotCount)"),
                ("drives", "\(e.driveCount)"), ("ports", "\(e.portCount)"),
            ]
        case .poolCreated(let e):
            return [
                ("pool", "\(e.pool)"), ("path", e.path), ("parent", e.parent?.description ?? ""),
                ("media_type", e.mediaType?.description ?? ""),
            ] + policyFields(e.policy)
        case .poolPolicyChanged(let e):
            return [("pool", "\(e.pool)")] + policyFields(e.policy)
        case .poolDeleted(let e):
            return [("pool", "\(e.pool)")]
        case .mediumImported(let e):
            return [
                ("medium", "\(e.medium)"), ("barcode", e.barcode), ("media_type", "\(e.mediaType)"),
                ("pool", "\(e.pool)"), ("location", "\(e.location)"), ("first_side", "\(e.firstSide)"),
                ("sides", "\(e.sideCount)"), ("side_state", e.sideState.name),
            ]
        case .mediumMoved(let e):
            return [
                ("medium", "\(e.medium)"), ("from", "\(e.from)"), ("to", "\(e.to)"), ("reason", e.reason.name),
                ("relabelled_sides", ids(e.relabelledSides)), ("relabelled_state", e.relabelledState.name),
            ]
        case .mediumDeleted(let e):
            return [("medium", "\(e.medium)")]
        case .sideAllocated(let e):
            return [
                ("side", "\(e.side)"), ("lmid", "\(e.logicalMedium)"), ("pool", "\(e.pool)"),
                ("allocated_from", "\(e.allocatedFrom)"), ("new", "\(e.exclusive)"),
                ("reserved_sides", ids(e.reservedSides)),
            ]
        case .sideAllocatedNext(let e):
            return [
                ("side", "\(e.side)"), ("lmid", "\(e.logicalMedium)"), ("pool", "\(e.pool)"),
                ("previous_lmid", "\(e.previous)"),
            ]
        case .sideDeallocated(let e):
            return [
                ("lmid", "\(e.logicalMedium)"), ("side", "\(e.side)"), ("new_state", e.newState.name),
                ("released_sides", ids(e.releasedSides)),
            ]
        case .sideCompleted(let e):
            return [("lmid", "\(e.logicalMedium)"), ("side", "\(e.side)")]
        case .sideDecommissioned(let e):
            return [("side", "\(e.side)")]
        case .operatorRequestSubmitted(let e):
            return [
                ("request", "\(e.request)"), ("type", e.type.name), ("arg1", e.firstArgument.map { "\($0)" } ?? ""),
                ("arg2", e.secondArgument.map { "\($0)" } ?? ""), ("message", e.message),
                ("submitted", "\(e.submitted)"), ("application", e.application), ("user", e.user),
                ("deadline", e.deadline.map { "\($0)" } ?? ""),
                ("waiter", e.waiter.map { "pid \($0.processID) session \($0.session)" } ?? ""),
            ]
        case .operatorRequestDisplayed(let e):
            return [("request", "\(e.request)")]
        case .operatorRequestAcknowledged(let e):
            return [("request", "\(e.request)")]
        case .operatorRequestSatisfied(let e):
            return [("request", "\(e.request)"), ("time", "\(e.time)"), ("by_engine", "\(e.byEngine)")]
        case .operatorRequestCancelled(let e):
            return [("request", "\(e.request)"), ("time", "\(e.time)"), ("reason", e.reason.name)]
        case .operatorRequestTimedOut(let e):
            return [("request", "\(e.request)"), ("time", "\(e.time)")]
        case .changerAttached, .robotOperationStarted, .robotOperationFinished, .dismountDeferred, .mediumRemounted,
            .inventoryTaken:
            return roboticsFields
        }
    }

    /// Every identifier the event names (all kinds share one number space).
    public var referencedIdentifiers: [UInt64] {
        switch self {
        case .catalogueCreated(let e):
            return [
                e.offlineLibrary.rawValue, e.freeFolder.rawValue, e.importFolder.rawValue,
                e.unrecognizedFolder.rawValue,
            ]
        case .mediaTypeRegistered(let e):
            return [e.mediaType.rawValue, e.freePool.rawValue, e.importPool.rawValue, e.unrecognizedPool.rawValue]
        case .libraryAdded(let e):
            return [e.library.rawValue]
        case .libraryDeleted(let e):
            return [e.library.rawValue]
        case .poolCreated(let e):
            return [e.pool.rawValue] + [e.parent?.rawValue, e.mediaType?.rawValue].compactMap { $0 }
        case .poolPolicyChanged(let e):
            return [e.pool.rawValue]
        case .poolDeleted(let e):
            return [e.pool.rawValue]
        case .mediumImported(let e):
            let sides = (0..<UInt64(e.sideCount)).map { e.firstSide.rawValue + $0 }
            return [e.medium.rawValue, e.mediaType.rawValue, e.pool.rawValue]
                + (e.location.library.map { [$0.rawValue] } ?? []) + sides
        case .mediumMoved(let e):
            return [e.medium.rawValue, e.from.rawValue, e.to.rawValue] + e.relabelledSides.map(\.rawValue)
        case .mediumDeleted(let e):
            return [e.medium.rawValue]
        case .sideAllocated(let e):
            return [e.side.rawValue, e.logicalMedium.rawValue, e.pool.rawValue, e.allocatedFrom.rawValue]
                + e.reservedSides.map(\.rawValue)
        case .sideAllocatedNext(let e):
            return [e.side.rawValue, e.logicalMedium.rawValue, e.pool.rawValue, e.previous.rawValue]
        case .sideDeallocated(let e):
            return [e.logicalMedium.rawValue, e.side.rawValue] + e.releasedSides.map(\.rawValue)
        case .sideCompleted(let e):
            return [e.logicalMedium.rawValue, e.side.rawValue]
        case .sideDecommissioned(let e):
            return [e.side.rawValue]
        case .operatorRequestSubmitted(let e):
            return [e.request.rawValue] + [e.firstArgument, e.secondArgument].compactMap { $0 }
        case .operatorRequestDisplayed(let e):
            return [e.request.rawValue]
        case .operatorRequestAcknowledged(let e):
            return [e.request.rawValue]
        case .operatorRequestSatisfied(let e):
            return [e.request.rawValue]
        case .operatorRequestCancelled(let e):
            return [e.request.rawValue]
        case .operatorRequestTimedOut(let e):
            return [e.request.rawValue]
        case .changerAttached, .robotOperationStarted, .robotOperationFinished, .dismountDeferred, .mediumRemounted,
            .inventoryTaken:
            return roboticsIdentifiers
        }
    }

    private func policyFields(_ policy: PoolPolicy) -> [(name: String, value: String)] {
        [
            ("from_scratch", "\(policy.allocateFromScratch)"), ("to_scratch", "\(policy.deallocateToScratch)"),
            ("max_allocates", "\(policy.maxAllocates)"),
        ]
    }
}

extension MediumLocation: CustomStringConvertible {
    public var description: String {
        switch self {
        case .shelf: "shelf"
        case .slot(let library, let n): "\(library) slot \(n)"
        case .drive(let library, let n): "\(library) drive \(n)"
        case .port(let library, let n): "\(library) port \(n)"
        }
    }
}
