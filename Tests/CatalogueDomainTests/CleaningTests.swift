import CatalogueDomain
import Testing

/// Drive cleaning: the cleaner slot, the cleaning cartridge, CleanNtmsDrive and when a drive is due.
@Suite struct CleaningTests {
    /// Runs a robot command and reports success for its operation.
    @discardableResult
    private func robot(_ f: inout RobotLibrary, _ command: CatalogueCommand) throws -> OperationID {
        guard case .operation(let id) = try f.h.run(command) else { throw NtmsError(.invalidHandle, "no operation") }
        try f.h.run(.finishOperation(id, .succeeded))
        return id
    }

    @Test func theCleanerSlotIsOneEmptyPresentSlotThatMediaNeverUse() throws {
        var f = try RobotLibrary(slots: 4)
        _ = try f.h.medium("FULL01", type: f.type, at: .slot(f.robot, 1))
        #expect(f.h.expectFailure(.reserveCleanerSlot(f.robot, slot: 1), .resourceNotAvailable))
        #expect(f.h.expectFailure(.reserveCleanerSlot(f.robot, slot: 9), .resourceNotPresent))
        #expect(f.h.expectFailure(.releaseCleanerSlot(f.robot), .cleanerSlotNotSet))
        try f.h.run(.reserveCleanerSlot(f.robot, slot: 2))
        #expect(f.h.expectFailure(.reserveCleanerSlot(f.robot, slot: 3), .cleanerSlotSet))
        #expect(
            f.h.expectFailure(
                .registerMedium(barcode: "NEW001", mediaType: f.type, location: .slot(f.robot, 2), label: .free),
                .resourceNotAvailable))
        // An inject takes the first free slot that is not the cleaner's.
        guard
            case .operation(let id) = try f.h.run(
                .beginInject(f.robot, port: 1, barcode: "NEW002", mediaType: f.type, label: .free))
        else {
            Issue.record("no inject")
            return
        }
        #expect(f.h.state.operations[id]?.to == .slot(f.robot, 3))
    }

    @Test func aCleanerIsInjectedCleansDrivesUntilSpentAndIsEjected() throws {
        var f = try RobotLibrary(slots: 4)
        #expect(
            f.h.expectFailure(.beginCleanerInject(f.robot, port: 1, barcode: "CLN001", uses: 2), .cleanerSlotNotSet))
        try f.h.run(.reserveCleanerSlot(f.robot, slot: 4))
        #expect(
            f.h.expectFailure(.beginCleanerInject(f.robot, port: 1, barcode: "CLN001", uses: 0), .cleanerCartridgeSpent)
        )
        try robot(&f, .beginCleanerInject(f.robot, port: 1, barcode: "CLN001", uses: 2))
        #expect(f.h.state.libraries[f.robot]?.cleaner == CleanerCartridge(barcode: "CLN001", usesLeft: 2))
        #expect(
            f.h.expectFailure(
                .beginCleanerInject(f.robot, port: 1, barcode: "CLN002", uses: nil), .cleanerCartridgeInstalled))
        #expect(f.h.expectFailure(.releaseCleanerSlot(f.robot), .cleanerCartridgeInstalled))

        let drive = DriveAddress(library: f.robot, number: 0)
        guard case .operation(let cleaning) = try f.h.run(.beginClean(drive, automatic: false)) else {
            Issue.record("no cleaning")
            return
        }
        #expect(f.h.state.drives[drive]?.state == .beingCleaned)
        #expect(f.h.state.operations[cleaning]?.from == .slot(f.robot, 4))
        try f.h.run(.finishOperation(cleaning, .succeeded))
        #expect(f.h.state.drives[drive]?.state == .dismounted && f.h.state.drives[drive]?.lastCleaned != nil)
        try robot(&f, .beginClean(drive, automatic: false))
        #expect(f.h.state.libraries[f.robot]?.cleaner?.isSpent == true)
        #expect(f.h.expectFailure(.beginClean(drive, automatic: false), .cleanerCartridgeSpent))
        try robot(&f, .beginCleanerEject(f.robot, port: 1))
        #expect(f.h.state.libraries[f.robot]?.cleaner == nil)
        #expect(f.h.expectFailure(.beginClean(drive, automatic: false), .unableToClean))
        try f.h.run(.releaseCleanerSlot(f.robot))
        #expect(f.h.state.libraries[f.robot]?.cleanerSlot == nil)
    }

    @Test func aDriveIsDueAfterItsIntervalOrWhenReportedAndCleaningResetsIt() throws {
        var f = try RobotLibrary()
        let allocation = try f.allocatedMedium("DUE001", slot: 1)
        let drive = DriveAddress(library: f.robot, number: 0)
        try f.h.run(.setCleaningInterval(f.robot, mounts: 2))
        for _ in 0..<2 {
            try f.mounted(allocation, drive: 0)
            try f.dismounted(allocation)
        }
        #expect(f.h.state.drives[drive]?.mountsSinceCleaning == 2)
        #expect(f.h.state.needsCleaning(f.h.state.drives[drive]!))
        try f.h.run(.reserveCleanerSlot(f.robot, slot: 10))
        try robot(&f, .beginCleanerInject(f.robot, port: 1, barcode: "CLN009", uses: nil))
        try robot(&f, .beginClean(drive, automatic: true))
        #expect(f.h.state.drives[drive]?.mountsSinceCleaning == 0)
        #expect(!f.h.state.needsCleaning(f.h.state.drives[drive]!))
        #expect(f.h.state.libraries[f.robot]?.cleaner?.usesLeft == nil)
        let other = DriveAddress(library: f.robot, number: 1)
        try f.h.run(.requestCleaning(other))
        #expect(f.h.state.needsCleaning(f.h.state.drives[other]!))
    }

    @Test func withoutAUsableCleanerAnAutomaticCleaningRaisesOneCleanerRequest() throws {
        var f = try RobotLibrary()
        let drive = DriveAddress(library: f.robot, number: 0)
        guard case .request(let first) = try f.h.run(.beginClean(drive, automatic: true)) else {
            Issue.record("no CLEANER request")
            return
        }
        #expect(f.h.state.requests[first]?.type == .cleaner)
        guard case .request(let again) = try f.h.run(.beginClean(drive, automatic: true)) else {
            Issue.record("no answer")
            return
        }
        #expect(again == first)
        #expect(f.h.state.requests.values.filter { $0.type == .cleaner }.count == 1)
    }

    @Test func anInventoryKnowsTheCleanerInItsSlotAndNotesWhenItIsGone() throws {
        var f = try RobotLibrary(slots: 4)
        try f.h.run(.reserveCleanerSlot(f.robot, slot: 4))
        try robot(&f, .beginCleanerInject(f.robot, port: 1, barcode: "CLN001", uses: 5))
        let present = InventoryReading(
            elements: [.init(location: .slot(f.robot, 4), isFull: true, barcode: "CLN001")], incomplete: false)
        let decision = try f.h.state.decide(.recordInventory(f.robot, present, mediaType: nil)).get()
        guard case .inventoryTaken(let taken) = decision.events.first else {
            Issue.record("no inventory")
            return
        }
        #expect(taken.unidentified.isEmpty && decision.events.count == 1)
        let gone = InventoryReading(
            elements: [.init(location: .slot(f.robot, 4), isFull: false, barcode: nil)], incomplete: false)
        try f.h.run(.recordInventory(f.robot, gone, mediaType: nil))
        #expect(f.h.state.libraries[f.robot]?.cleaner == nil)
        #expect(f.h.log.contains { if case .cleanerLost = $0 { true } else { false } })
    }

    @Test func aRemountCountsTowardCleaningLikeAMount() throws {
        var f = try RobotLibrary()
        let allocation = try f.allocatedMedium("REM001", slot: 1)
        try f.mounted(allocation, drive: 0)
        try f.h.run(.beginDismount(allocation.medium, deferred: true))
        try f.h.run(.beginMount(allocation.side, drive: nil))
        #expect(f.h.state.drives[DriveAddress(library: f.robot, number: 0)]?.mountsSinceCleaning == 2)
    }
}
