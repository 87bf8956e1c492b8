/// Every fact the catalogue records. Each case has a stable type code and a
/// schema version stored in the log envelope; `docs/events.md` lists them.
/// Events say what was decided (which side, which new identifiers, which
/// resulting state), so `evolve` never has to choose anything.
public enum CatalogueEvent: Sendable, Equatable {
    // The three largest payloads are boxed: an event is moved several times per
    // record on replay, and unboxed they made every event 160 bytes, not 61.
    case catalogueCreated(CatalogueCreated)
    case mediaTypeRegistered(MediaTypeRegistered)
    case libraryAdded(LibraryAdded)
    case poolCreated(PoolCreated)
    case poolPolicyChanged(PoolPolicyChanged)
    indirect case mediumImported(MediumImported)
    case mediumMoved(MediumMoved)
    case sideAllocated(SideAllocated)
    case sideAllocatedNext(SideAllocatedNext)
    case sideDeallocated(SideDeallocated)
    case poolDeleted(PoolDeleted)
    case sideCompleted(SideCompleted)
    case sideDecommissioned(SideDecommissioned)
    case mediumDeleted(MediumDeleted)
    indirect case operatorRequestSubmitted(OperatorRequestSubmitted)
    case operatorRequestDisplayed(OperatorRequestDisplayed)
    case operatorRequestAcknowledged(OperatorRequestAcknowledged)
    case operatorRequestSatisfied(OperatorRequestSatisfied)
    case operatorRequestCancelled(OperatorRequestCancelled)
    case operatorRequestTimedOut(OperatorRequestTimedOut)
    case changerAttached(ChangerAttached)
    indirect case robotOperationStarted(RobotOperationStarted)
    case robotOperationFinished(RobotOperationFinished)
    case dismountDeferred(DismountDeferred)
    case mediumRemounted(MediumRemounted)
    case inventoryTaken(InventoryTaken)
    case libraryDeleted(LibraryDeleted)
    case accessListChanged(AccessListChanged)
    indirect case accessDenied(AccessDenied)
    indirect case tokenIssued(TokenIssued)
    case tokenRevoked(TokenRevoked)
    case changerConfigured(ChangerConfigured)
    case objectDisabled(ObjectDisabled)
    case objectEnabled(ObjectEnabled)
    case mediaTypeDeleted(MediaTypeDeleted)
    case mediumTypeChanged(MediumTypeChanged)
    case logicalMediaSwapped(LogicalMediaSwapped)
    case libraryDoorOpened(LibraryDoorOpened)
    case libraryDoorClosed(LibraryDoorClosed)
    case onMediaIdentifierRecorded(OnMediaIdentifierRecorded)
    case mediumBarcodeChanged(MediumBarcodeChanged)
    case cleanerSlotReserved(CleanerSlotReserved)
    case cleanerSlotReleased(CleanerSlotReleased)
    case driveCleaningRequested(DriveCleaningRequested)
    case cleaningIntervalSet(CleaningIntervalSet)
    case cleanerLost(CleanerLost)
    indirect case libraryRequestQueued(LibraryRequestQueued)
    case libraryRequestStarted(LibraryRequestStarted)
    case libraryRequestWaiting(LibraryRequestWaiting)
    case libraryRequestFinished(LibraryRequestFinished)
    case libraryRequestReordered(LibraryRequestReordered)
}

/// The kind of an event, whose raw value is the type code stored in the
/// record envelope. Never reuse or renumber a code: the log keeps them forever.
public enum EventType: UInt16, Sendable, CaseIterable {
    case catalogueCreated = 1
    case mediaTypeRegistered = 2
    case libraryAdded = 3
    case poolCreated = 4
    case poolPolicyChanged = 5
    case mediumImported = 6
    case mediumMoved = 7
    case sideAllocated = 8
    case sideAllocatedNext = 9
    case sideDeallocated = 10
    case poolDeleted = 11
    case sideCompleted = 12
    case sideDecommissioned = 13
    case mediumDeleted = 14
    case operatorRequestSubmitted = 15
    case operatorRequestDisplayed = 16
    case operatorRequestAcknowledged = 17
    case operatorRequestSatisfied = 18
    case operatorRequestCancelled = 19
    case operatorRequestTimedOut = 20
    case changerAttached = 21
    case robotOperationStarted = 22
    case robotOperationFinished = 23
    case dismountDeferred = 24
    case mediumRemounted = 25
    case inventoryTaken = 26
    case libraryDeleted = 27
    case accessListChanged = 28
    case accessDenied = 29
    case tokenIssued = 30
    case tokenRevoked = 31
    case changerConfigured = 32
    case objectDisabled = 33
    case objectEnabled = 34
    case mediaTypeDeleted = 35
    case mediumTypeChanged = 36
    case logicalMediaSwapped = 37
    case libraryDoorOpened = 38
    case libraryDoorClosed = 39
    case onMediaIdentifierRecorded = 40
    case mediumBarcodeChanged = 41
    case cleanerSlotReserved = 42
    case cleanerSlotReleased = 43
    case driveCleaningRequested = 44
    case cleaningIntervalSet = 45
    case cleanerLost = 46
    case libraryRequestQueued = 47
    case libraryRequestStarted = 48
    case libraryRequestWaiting = 49
    case libraryRequestFinished = 50
    case libraryRequestReordered = 51

    /// The event's name in the catalogue (`docs/events.md`), the CLI and JSON:
    /// the case and its payload type, capitalised.
    public var name: String {
        switch self {
        case .catalogueCreated: "CatalogueCreated"
        case .mediaTypeRegistered: "MediaTypeRegistered"
        case .libraryAdded: "LibraryAdded"
        case .poolCreated: "PoolCreated"
        case .poolPolicyChanged: "PoolPolicyChanged"
        case .mediumImported: "MediumImported"
        case .mediumMoved: "MediumMoved"
        case .sideAllocated: "SideAllocated"
        case .sideAllocatedNext: "SideAllocatedNext"
        case .sideDeallocated: "SideDeallocated"
        case .poolDeleted: "PoolDeleted"
        case .sideCompleted: "SideCompleted"
        case .sideDecommissioned: "SideDecommissioned"
        case .mediumDeleted: "MediumDeleted"
        case .operatorRequestSubmitted: "OperatorRequestSubmitted"
        case .operatorRequestDisplayed: "OperatorRequestDisplayed"
        case .operatorRequestAcknowledged: "OperatorRequestAcknowledged"
        case .operatorRequestSatisfied: "OperatorRequestSatisfied"
        case .operatorRequestCancelled: "OperatorRequestCancelled"
        case .operatorRequestTimedOut: "OperatorRequestTimedOut"
        case .changerAttached: "ChangerAttached"
        case .robotOperationStarted: "RobotOperationStarted"
        case .robotOperationFinished: "RobotOperationFinished"
        case .dismountDeferred: "DismountDeferred"
        case .mediumRemounted: "MediumRemounted"
        case .inventoryTaken: "InventoryTaken"
        case .libraryDeleted: "LibraryDeleted"
        case .accessListChanged: "AccessListChanged"
        case .accessDenied: "AccessDenied"
        case .tokenIssued: "TokenIssued"
        case .tokenRevoked: "TokenRevoked"
        case .changerConfigured: "ChangerConfigured"
        case .objectDisabled: "ObjectDisabled"
        case .objectEnabled: "ObjectEnabled"
        case .mediaTypeDeleted: "MediaTypeDeleted"
        case .mediumTypeChanged: "MediumTypeChanged"
        case .logicalMediaSwapped: "LogicalMediaSwapped"
        case .libraryDoorOpened: "LibraryDoorOpened"
        case .libraryDoorClosed: "LibraryDoorClosed"
        case .onMediaIdentifierRecorded: "OnMediaIdentifierRecorded"
        case .mediumBarcodeChanged: "MediumBarcodeChanged"
        case .cleanerSlotReserved: "CleanerSlotReserved"
        case .cleanerSlotReleased: "CleanerSlotReleased"
        case .driveCleaningRequested: "DriveCleaningRequested"
        case .cleaningIntervalSet: "CleaningIntervalSet"
        case .cleanerLost: "CleanerLost"
        case .libraryRequestQueued: "LibraryRequestQueued"
        case .libraryRequestStarted: "LibraryRequestStarted"
        case .libraryRequestWaiting: "LibraryRequestWaiting"
        case .libraryRequestFinished: "LibraryRequestFinished"
        case .libraryRequestReordered: "LibraryRequestReordered"
        }
    }
}

extension CatalogueEvent {
    public var type: EventType {
        switch self {
        case .catalogueCreated: .catalogueCreated
        case .mediaTypeRegistered: .mediaTypeRegistered
        case .libraryAdded: .libraryAdded
        case .poolCreated: .poolCreated
        case .poolPolicyChanged: .poolPolicyChanged
        case .mediumImported: .mediumImported
        case .mediumMoved: .mediumMoved
        case .sideAllocated: .sideAllocated
        case .sideAllocatedNext: .sideAllocatedNext
        case .sideDeallocated: .sideDeallocated
        case .poolDeleted: .poolDeleted
        case .sideCompleted: .sideCompleted
        case .sideDecommissioned: .sideDecommissioned
        case .mediumDeleted: .mediumDeleted
        case .operatorRequestSubmitted: .operatorRequestSubmitted
        case .operatorRequestDisplayed: .operatorRequestDisplayed
        case .operatorRequestAcknowledged: .operatorRequestAcknowledged
        case .operatorRequestSatisfied: .operatorRequestSatisfied
        case .operatorRequestCancelled: .operatorRequestCancelled
        case .operatorRequestTimedOut: .operatorRequestTimedOut
        case .changerAttached: .changerAttached
        case .robotOperationStarted: .robotOperationStarted
        case .robotOperationFinished: .robotOperationFinished
        case .dismountDeferred: .dismountDeferred
        case .mediumRemounted: .mediumRemounted
        case .inventoryTaken: .inventoryTaken
        case .libraryDeleted: .libraryDeleted
        case .accessListChanged: .accessListChanged
        case .accessDenied: .accessDenied
        case .tokenIssued: .tokenIssued
        case .tokenRevoked: .tokenRevoked
        case .changerConfigured: .changerConfigured
        case .objectDisabled: .objectDisabled
        case .objectEnabled: .objectEnabled
        case .mediaTypeDeleted: .mediaTypeDeleted
        case .mediumTypeChanged: .mediumTypeChanged
        case .logicalMediaSwapped: .logicalMediaSwapped
        case .libraryDoorOpened: .libraryDoorOpened
        case .libraryDoorClosed: .libraryDoorClosed
        case .onMediaIdentifierRecorded: .onMediaIdentifierRecorded
        case .mediumBarcodeChanged: .mediumBarcodeChanged
        case .cleanerSlotReserved: .cleanerSlotReserved
        case .cleanerSlotReleased: .cleanerSlotReleased
        case .driveCleaningRequested: .driveCleaningRequested
        case .cleaningIntervalSet: .cleaningIntervalSet
        case .cleanerLost: .cleanerLost
        case .libraryRequestQueued: .libraryRequestQueued
        case .libraryRequestStarted: .libraryRequestStarted
        case .libraryRequestWaiting: .libraryRequestWaiting
        case .libraryRequestFinished: .libraryRequestFinished
        case .libraryRequestReordered: .libraryRequestReordered
        }
    }

    /// The type code stored in the record envelope.
    public var typeCode: UInt16 { type.rawValue }

    /// The payload schema version this build writes for the event.
    public var schemaVersion: UInt16 { 1 }

    /// The event's name in the catalogue (`docs/events.md`), the CLI and JSON.
    public var name: String { type.name }
}
