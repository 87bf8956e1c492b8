/// One field of an event, with its type: what history, watch and the JSON
/// model show of it.
public enum EventFieldValue: Sendable, Equatable {
    /// Text, an identifier in its text form (`pool-10`) or a state's name.
    case text(String)
    case integer(Int64)
    case unsigned(UInt64)
    case flag(Bool)
    /// Nanoseconds since 1970, UTC.
    case time(Int64)
    case location(MediumLocation)
    case list([EventFieldValue])
    /// A nested record, its fields in order.
    case record([EventField])
    /// The event has no value here (an optional part it does not carry).
    case absent

    /// Identifiers, as a list of their text forms.
    static func identifiers<Kind>(_ list: [Identifier<Kind>]) -> EventFieldValue {
        .list(list.map { .text($0.description) })
    }

    /// An optional identifier: its text form, or absent.
    static func identifier<Kind>(_ id: Identifier<Kind>?) -> EventFieldValue {
        id.map { .text($0.description) } ?? .absent
    }
}

/// A named, typed field of an event.
public struct EventField: Sendable, Equatable {
    public var name: String
    public var value: EventFieldValue

    public init(_ name: String, _ value: EventFieldValue) {
        self.name = name
        self.value = value
    }
}

extension CatalogueEvent {
    /// The event's fields by name, typed, identifiers in their text form, for
    /// history, watch output and auditors' tools.
    public var fields: [EventField] {
        func id(_ name: String, _ value: some CustomStringConvertible) -> EventField {
            EventField(name, .text(value.description))
        }
        switch self {
        case .catalogueCreated(let e):
            return [
                id("offline_library", e.offlineLibrary), id("free_folder_id", e.freeFolder),
                id("import_folder_id", e.importFolder), id("unrecognized_folder_id", e.unrecognizedFolder),
            ]
        case .mediaTypeRegistered(let e):
            return [
                id("media_type", e.mediaType), EventField("name", .text(e.name)),
                EventField("side_count", .integer(Int64(e.sideCount))), id("free_pool_id", e.freePool),
                id("import_pool_id", e.importPool), id("unrecognized_pool_id", e.unrecognizedPool),
            ]
        case .libraryDeleted(let e):
            return [id("library", e.library)]
        case .libraryAdded(let e):
            return [
                id("library", e.library), EventField("name", .text(e.name)),
                EventField("slots", .integer(Int64(e.slotCount))), EventField("drives", .integer(Int64(e.driveCount))),
                EventField("ports", .integer(Int64(e.portCount))),
            ]
        case .poolCreated(let e):
            return [
                id("pool_id", e.pool), EventField("path", .text(e.path)),
                EventField("parent_id", .identifier(e.parent)),
                EventField("media_type", .identifier(e.mediaType)),
            ] + policyFields(e.policy)
        case .poolPolicyChanged(let e):
            return [id("pool_id", e.pool)] + policyFields(e.policy)
        case .poolDeleted(let e):
            return [id("pool_id", e.pool)]
        case .mediumImported(let e):
            return [
                id("medium", e.medium), EventField("barcode", .text(e.barcode)), id("media_type", e.mediaType),
                id("pool_id", e.pool), EventField("location", .location(e.location)), id("first_side", e.firstSide),
                EventField("side_count", .integer(Int64(e.sideCount))),
                EventField("side_state", .text(e.sideState.name)),
            ]
        case .mediumMoved(let e):
            return [
                id("medium", e.medium), id("from_pool_id", e.from), id("to_pool_id", e.to),
                EventField("reason", .text(e.reason.name)),
                EventField("relabelled_sides", .identifiers(e.relabelledSides)),
                EventField("relabelled_state", .text(e.relabelledState.name)),
            ]
        case .mediumDeleted(let e):
            return [id("medium", e.medium)]
        case .sideAllocated(let e):
            return [
                id("side", e.side), id("lmid", e.logicalMedium), id("pool_id", e.pool),
                id("allocated_from_id", e.allocatedFrom), EventField("new", .flag(e.exclusive)),
                EventField("reserved_sides", .identifiers(e.reservedSides)),
            ]
        case .sideAllocatedNext(let e):
            return [
                id("side", e.side), id("lmid", e.logicalMedium), id("pool_id", e.pool), id("previous_lmid", e.previous),
            ]
        case .sideDeallocated(let e):
            return [
                id("lmid", e.logicalMedium), id("side", e.side), EventField("new_state", .text(e.newState.name)),
                EventField("released_sides", .identifiers(e.releasedSides)),
            ]
        case .sideCompleted(let e):
            return [id("lmid", e.logicalMedium), id("side", e.side)]
        case .sideDecommissioned(let e):
            return [id("side", e.side)]
        case .operatorRequestSubmitted(let e):
            return [
                id("request", e.request), EventField("type", .text(e.type.name)),
                EventField("arg1", e.firstArgument.map(EventFieldValue.unsigned) ?? .absent),
                EventField("arg2", e.secondArgument.map(EventFieldValue.unsigned) ?? .absent),
                EventField("message", .text(e.message)), EventField("submitted", .time(e.submitted)),
                EventField("application", .text(e.application)), EventField("user", .text(e.user)),
                EventField("deadline", e.deadline.map(EventFieldValue.time) ?? .absent),
                EventField(
                    "waiter",
                    e.waiter.map {
                        .record([
                            EventField("pid", .unsigned(UInt64($0.processID))),
                            EventField("session", .unsigned($0.session)),
                        ])
                    } ?? .absent),
            ]
        case .operatorRequestDisplayed(let e):
            return [id("request", e.request)]
        case .operatorRequestAcknowledged(let e):
            return [id("request", e.request)]
        case .operatorRequestSatisfied(let e):
            return [
                id("request", e.request), EventField("time", .time(e.time)), EventField("by_engine", .flag(e.byEngine)),
            ]
        case .operatorRequestCancelled(let e):
            return [
                id("request", e.request), EventField("time", .time(e.time)), EventField("reason", .text(e.reason.name)),
            ]
        case .operatorRequestTimedOut(let e):
            return [id("request", e.request), EventField("time", .time(e.time))]
        case .changerAttached, .changerConfigured, .libraryDoorOpened, .libraryDoorClosed, .robotOperationStarted,
            .robotOperationFinished, .dismountDeferred,
            .mediumRemounted,
            .inventoryTaken:
            return roboticsFields
        case .accessListChanged, .accessDenied, .tokenIssued, .tokenRevoked:
            return accessFields
        case .objectDisabled, .objectEnabled:
            return enablementFields
        case .mediaTypeDeleted, .mediumTypeChanged, .logicalMediaSwapped, .onMediaIdentifierRecorded,
            .mediumBarcodeChanged:
            return mediaServicesFields
        case .cleanerSlotReserved, .cleanerSlotReleased, .driveCleaningRequested, .cleaningIntervalSet, .cleanerLost:
            return cleaningFields
        case .libraryRequestQueued, .libraryRequestStarted, .libraryRequestWaiting, .libraryRequestFinished,
            .libraryRequestReordered:
            return libraryRequestFields
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
        case .changerAttached, .changerConfigured, .libraryDoorOpened, .libraryDoorClosed, .robotOperationStarted,
            .robotOperationFinished, .dismountDeferred,
            .mediumRemounted,
            .inventoryTaken:
            return roboticsIdentifiers
        case .accessListChanged, .accessDenied, .tokenIssued, .tokenRevoked:
            return accessIdentifiers
        case .objectDisabled, .objectEnabled:
            return enablementIdentifiers
        case .mediaTypeDeleted, .mediumTypeChanged, .logicalMediaSwapped, .onMediaIdentifierRecorded,
            .mediumBarcodeChanged:
            return mediaServicesIdentifiers
        case .cleanerSlotReserved, .cleanerSlotReleased, .driveCleaningRequested, .cleaningIntervalSet, .cleanerLost:
            return cleaningIdentifiers
        case .libraryRequestQueued, .libraryRequestStarted, .libraryRequestWaiting, .libraryRequestFinished,
            .libraryRequestReordered:
            return libraryRequestIdentifiers
        }
    }

    private func policyFields(_ policy: PoolPolicy) -> [EventField] {
        [
            EventField("from_scratch", .flag(policy.allocateFromScratch)),
            EventField("to_scratch", .flag(policy.deallocateToScratch)),
            EventField("max_allocates", .integer(Int64(policy.maxAllocates))),
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

extension EventFieldValue: CustomStringConvertible {
    /// The value as one line of text, for history and logs: numbers in
    /// decimal, times as nanoseconds, lists comma-separated, records in braces.
    public var description: String {
        switch self {
        case .text(let text): text
        case .integer(let value): "\(value)"
        case .unsigned(let value): "\(value)"
        case .flag(let value): "\(value)"
        case .time(let nanoseconds): "\(nanoseconds)"
        case .location(let location): location.description
        case .list(let values): values.map(\.description).joined(separator: ",")
        case .record(let fields): "{" + fields.map { "\($0.name)=\($0.value)" }.joined(separator: " ") + "}"
        case .absent: ""
        }
    }
}
