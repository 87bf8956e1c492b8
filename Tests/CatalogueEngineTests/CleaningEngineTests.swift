import CatalogueDomain
import CatalogueHardware
import Foundation
import Testing

@testable import CatalogueEngine

/// Cleaning through the engine, a real store and the simulated robot.
@Suite struct CleaningEngineTests {
    @Test func aDriveDueForCleaningIsCleanedBeforeItsNextMountAndTheCleanerGoesBack() async throws {
        let f = try await RobotFixture.make(slots: 8, drives: 1, media: 2)
        defer { f.close() }
        try await f.session.reserveCleanerSlot(f.library, slot: 8)
        try await f.session.injectCleaner(library: f.library, port: 1, barcode: "CLN001L1", uses: 3)
        #expect(try f.robot.contents().slots[7]?.barcode == "CLN001L1")
        try await f.session.setCleaningInterval(f.library, mounts: 1)
        _ = try await f.session.mount(f.sides[0])
        try await f.session.dismount(f.media[0])
        let drive = DriveAddress(library: f.library, number: 0)
        #expect(f.state.drives[drive]?.mountsSinceCleaning == 1)

        let mounted = try await f.session.mount(f.sides[1])
        #expect(mounted.drive == drive)
        #expect(f.state.drives[drive]?.lastCleaned != nil && f.state.drives[drive]?.mountsSinceCleaning == 1)
        #expect(f.state.libraries[f.library]?.cleaner?.usesLeft == 2)
        #expect(try f.robot.contents().slots[7]?.barcode == "CLN001L1")
        try f.expectConsistent()

        // Inventory leaves the cleaner where it is and lists nothing unknown.
        try await f.session.dismount(f.media[1])
        let report = try await f.session.inventory(f.library)
        #expect(report.taken.unidentified.isEmpty && f.state.libraries[f.library]?.cleaner != nil)
        try await f.session.ejectCleaner(library: f.library, port: 1)
        #expect(try f.robot.contents().ports[0]?.barcode == "CLN001L1")
    }

    @Test func aDueDriveWithoutACleanerIsMountedAndOneCleanerRequestIsRaised() async throws {
        let f = try await RobotFixture.make(drives: 1, media: 2)
        defer { f.close() }
        try await f.session.requestCleaning(DriveAddress(library: f.library, number: 0))
        _ = try await f.session.mount(f.sides[0])
        try await f.session.dismount(f.media[0])
        _ = try await f.session.mount(f.sides[1])
        let cleaner = f.state.requests.values.filter { $0.type == .cleaner && $0.state.isOpen }
        #expect(cleaner.count == 1)
        try f.expectConsistent()
    }

    @Test func aCleaningInterruptedWithTheCleanerInTheDriveIsRecoveredByTheNextRobotUse() async throws {
        let f = try await RobotFixture.make(slots: 8, drives: 1, media: 1)
        defer { f.close() }
        try await f.session.reserveCleanerSlot(f.library, slot: 8)
        try await f.session.injectCleaner(library: f.library, port: 1, barcode: "CLN001L1", uses: 3)
        let drive = DriveAddress(library: f.library, number: 0)
        // The intent is recorded and the cleaner reaches the drive; then the process dies.
        guard case .operation = try await f.session.execute(.beginClean(drive, automatic: false)) else {
            Issue.record("no cleaning started")
            return
        }
        try await f.robot.move(from: .slot(8), to: .drive(0))
        #expect(f.state.drives[drive]?.state == .beingCleaned)

        // The next mount starts with the recovery inventory, which puts the cleaner back.
        let mounted = try await f.session.mount(f.sides[0])
        #expect(mounted.drive == drive)
        #expect(try f.robot.contents().slots[7]?.barcode == "CLN001L1")
        #expect(f.state.libraries[f.library]?.cleaner == CleanerCartridge(barcode: "CLN001L1", usesLeft: 3))
        #expect(f.state.operations.isEmpty)
        try f.expectConsistent()
    }
}
