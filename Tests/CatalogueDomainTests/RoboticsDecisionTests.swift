import CatalogueDomain
import Testing

/// Robot decisions as given events, when a command, then events: no log, no
/// changer, no threads. The engine tests drive the same rules through LMDB
/// and a simulated changer.
struct RobotLibrary {
    var h = DomainHarness()
    let type: MediaTypeID
    let robot: LibraryID
    let pool: PoolID

    /// Given: a two-drive library with a simulated changer and an application pool.
    init(slots: Int = 10) throws {
        type = try h.mediaType("LTO-9", sides: 1)
        robot = try h.library("Robot", slots: slots)
        try h.run(.attachChanger(robot, .simulated, device: ""))
        pool = try h.pool("\\Backup", type: type)
    }

    /// Given: a medium in `slot`, allocated to the pool.
    mutating func allocatedMedium(_ barcode: String, slot: UInt32) throws -> Allocation {
        let medium = try h.medium(barcode, type: type, at: .slot(robot, slot))
        return try h.allocate(AllocationRequest(pool: pool, side: medium.sides[0]))
    }

    /// Given: a mount of `allocation` that finished.
    mutating func mounted(_ allocation: Allocation, drive: UInt32? = nil) throws {
        guard case .operation(let id) = try h.run(.beginMount(allocation.side, drive: drive)) else {
            throw NtmsError(.invalidHandle, "no mount started")
        }
        try h.run(.finishOperation(id, .succeeded))
    }

    /// Given: a dismount of `allocation` that finished.
    mutating func dismounted(_ allocation: Allocation) throws {
        guard case .operation(let id) = try h.run(.beginDismount(allocation.medium, deferred: false)) else {
            throw NtmsError(.invalidHandle, "no dismount started")
        }
        try h.run(.finishOperation(id, .succeeded))
    }

    /// When `command`, then these events (decided, not applied).
    func events(_ command: CatalogueCommand) throws(NtmsError) -> [CatalogueEvent] {
        try h.state.decide(command).get().events
    }

    /// When `command`, then this error.
    func error(_ command: CatalogueCommand) -> NtmsErrorCode? {
        if case .failure(let error) = h.state.decide(command) { error.code } else { nil }
    }
}

extension [CatalogueEvent] {
    var startedOperation: RobotOperation? {
        guard count == 1, case .robotOperationStarted(let started) = self[0] else { return nil }
        return started.operation
    }

    var inventory: InventoryTaken? {
        for case .inventoryTaken(let taken) in self { return taken }
        return nil
    }

    var importedBarcodes: [String] {
        compactMap { if case .mediumImported(let e) = $0 { e.barcode } else { nil } }
    }
}

@Suite struct DriveChoiceTests {
    @Test func aMountTakesTheLeastRecentlyUsedEmptyDrive() throws {
        var given = try RobotLibrary()
        let first = try given.allocatedMedium("A00001L9", slot: 1)
        let second = try given.allocatedMedium("A00002L9", slot: 2)
        try given.mounted(first)
        try given.dismounted(first)
        let operation = try #require(try given.events(.beginMount(second.side, drive: nil)).startedOperation)
        #expect(operation.to == .drive(given.robot, 1), "drive 0 was used, drive 1 never")
        #expect(operation.from == .slot(given.robot, 2))
    }

    @Test func amongDrivesNeverUsedTheLowestNumberIsTaken() throws {
        var given = try RobotLibrary()
        let first = try given.allocatedMedium("A00001L9", slot: 1)
        let operation = try #require(try given.events(.beginMount(first.side, drive: nil)).startedOperation)
        #expect(operation.to == .drive(given.robot, 0))
    }

    @Test func aRequestedDriveThatHoldsAMediumIsBusy() throws {
        var given = try RobotLibrary()
        let first = try given.allocatedMedium("A00001L9", slot: 1)
        let second = try given.allocatedMedium("A00002L9", slot: 2)
        try given.mounted(first, drive: 1)
        #expect(given.error(.beginMount(second.side, drive: 1)) == .busy)
        #expect(given.error(.beginMount(second.side, drive: 7)) == .invalidDrive)
    }

    @Test func whenEveryDriveIsTakenTheMountIsRefusedAsBusy() throws {
        var given = try RobotLibrary()
        for slot in UInt32(1)...2 { try given.mounted(given.allocatedMedium("A0000\(slot)L9", slot: slot)) }
        let third = try given.allocatedMedium("A00003L9", slot: 3)
        #expect(given.error(.beginMount(third.side, drive: nil)) == .busy)
    }

    @Test func aMediumLeftInItsDriveByADeferredDismountIsMountedAgainWithoutAMove() throws {
        var given = try RobotLibrary()
        let first = try given.allocatedMedium("A00001L9", slot: 1)
        try given.mounted(first)
        try given.h.run(.beginDismount(first.medium, deferred: true))
        let events = try given.events(.beginMount(first.side, drive: nil))
        guard events.count == 1, case .mediumRemounted(let remount) = events[0] else {
            Issue.record("expected one MediumRemounted, got \(events.map(\.name))")
            return
        }
        #expect(remount.drive == DriveAddress(library: given.robot, number: 0))
    }

    @Test func aLibraryThatNeedsAnInventoryMovesNothing() throws {
        var given = try RobotLibrary()
        let first = try given.allocatedMedium("A00001L9", slot: 1)
        guard case .operation(let id) = try given.h.run(.beginMount(first.side, drive: nil)) else {
            Issue.record("no mount started")
            return
        }
        try given.h.run(.finishOperation(id, .failedUncertain(code: 1, message: "the picker jammed")))
        let second = try given.allocatedMedium("A00002L9", slot: 2)
        #expect(given.error(.beginMount(second.side, drive: nil)) == .notReady)
    }
}

@Suite struct InventoryReconciliationTests {
    func reading(_ elements: [(MediumLocation, String?)], incomplete: Bool = false) -> InventoryReading {
        InventoryReading(
            elements: elements.map { .init(location: $0.0, isFull: true, barcode: $0.1) }, incomplete: incomplete)
    }

    @Test func aMediumFoundElsewhereIsMovedAndOneNotFoundIsMissing() throws {
        var given = try RobotLibrary()
        let moved = try given.h.medium("A00001L9", type: given.type, at: .slot(given.robot, 1))
        let gone = try given.h.medium("A00002L9", type: given.type, at: .slot(given.robot, 2))
        let taken = try #require(
            try given.events(
                .recordInventory(given.robot, reading([(.slot(given.robot, 5), "A00001L9")]), mediaType: nil)
            )
            .inventory)
        #expect(taken.moved.map(\.medium) == [moved.id])
        #expect(taken.moved.first?.from == .slot(given.robot, 1) && taken.moved.first?.to == .slot(given.robot, 5))
        #expect(taken.missing == [gone.id])
        #expect(taken.unidentified.isEmpty)
    }

    @Test func anIncompleteReadingLeavesMediaInUnreportedElementsWhereTheyWere() throws {
        var given = try RobotLibrary()
        _ = try given.h.medium("A00001L9", type: given.type, at: .slot(given.robot, 1))
        let reading = reading([(.slot(given.robot, 2), "A00002L9")], incomplete: true)
        let events = try given.events(.recordInventory(given.robot, reading, mediaType: nil))
        let taken = try #require(events.inventory)
        #expect(taken.missing.isEmpty && taken.moved.isEmpty && taken.incomplete)
        #expect(events.importedBarcodes == ["A00002L9"], "the new cartridge is registered as unrecognized")
    }

    @Test func cartridgesTheCatalogueCannotRegisterAreListedForTheOperatorWithTheReason() throws {
        let given = try RobotLibrary()
        let reading = reading([
            (.slot(given.robot, 1), nil), (.slot(given.robot, 2), "CLN001L1"), (.slot(given.robot, 3), "A00009L9"),
            (.slot(given.robot, 4), "A00009L9"), (.port(given.robot, 1), "A00010L9"),
        ])
        let events = try given.events(.recordInventory(given.robot, reading, mediaType: nil))
        let reasons = try #require(events.inventory).unidentified.map { "\($0.barcode): \($0.reason)" }
        #expect(
            reasons == [
                ": no bar code label", "CLN001L1: cleaning cartridge", "A00009L9: bar code seen twice",
                "A00009L9: bar code seen twice", "A00010L9: waiting in a port; inject it",
            ])
        #expect(events.importedBarcodes.isEmpty)
    }

    @Test func anInventoryThatFindsEverythingInPlaceChangesNothingButItsRecord() throws {
        var given = try RobotLibrary()
        _ = try given.h.medium("A00001L9", type: given.type, at: .slot(given.robot, 1))
        let events = try given.events(
            .recordInventory(given.robot, reading([(.slot(given.robot, 1), "A00001L9")]), mediaType: nil))
        let taken = try #require(events.inventory)
        #expect(events.count == 1)
        #expect(taken.moved.isEmpty && taken.missing.isEmpty && taken.unidentified.isEmpty)
    }
}
