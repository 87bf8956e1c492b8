import CatalogueDomain
import CatalogueHardware
import Foundation
import Testing

@testable import CatalogueEngine

/// Enable/DisableNtmsObject through the engine, a real store and the simulated robot.
@Suite struct EnablementEngineTests {
    @Test func aDisabledLibraryIsRefusedBeforeItsRobotIsTouched() async throws {
        let f = try await RobotFixture.make(media: 2)
        defer { f.close() }
        try await f.session.disable(.library(f.library))
        let disabled = "library Robot is disabled; enable it before using its robot"
        // A fault the robot would report if asked anything: it must stay unused.
        try f.robot.inject(.unitAttention)
        await #expect(throws: NtmsError(.deviceNotAvailable, disabled)) { _ = try await f.session.mount(f.sides[0]) }
        await #expect(throws: NtmsError(.deviceNotAvailable, disabled)) { _ = try await f.session.inventory(f.library) }
        await #expect(throws: NtmsError(.deviceNotAvailable, disabled)) { _ = try await f.session.eject(f.media[1]) }
        #expect(try f.robot.contents().faults == [.unitAttention])
        try await f.session.enable(.library(f.library))
        try f.robot.modify { $0.faults.removeAll() }
        let mounted = try await f.session.mount(f.sides[0])
        #expect(mounted.moved)
        try f.expectConsistent()
    }

    @Test func repeatedFailedMountsDisableTheDriveRaiseServiceAndLaterMountsUseTheOther() async throws {
        let f = try await RobotFixture.make(media: 2)
        defer { f.close() }
        let drive0 = DriveAddress(library: f.library, number: 0)
        for _ in 0..<Drive.failuresBeforeDisable {
            try f.robot.modify { $0.faults = [.moveFails] }
            await #expect(throws: NtmsError.self) { _ = try await f.session.mount(f.sides[0], drive: 0) }
        }
        #expect(f.state.drives[drive0]?.enabled == false)
        let service = f.state.requests.values.filter { $0.type == .deviceService && $0.state.isOpen }
        #expect(service.count == 1 && service.first?.secondArgument == 0)
        // The library's recovery inventory runs first; the mount then takes drive 1.
        let mounted = try await f.session.mount(f.sides[0])
        #expect(mounted.drive.number == 1)
        try f.expectConsistent()

        // The drive is serviced and enabled: it is chosen again.
        try await f.session.enable(.drive(drive0))
        let second = try await f.session.mount(f.sides[1])
        #expect(second.drive.number == 0)
        try f.expectConsistent()
    }

    @Test func theStateSurvivesReopeningFromTheLogAndFromACheckpoint() async throws {
        let f = try await RobotFixture.make(media: 3)
        defer { f.close() }
        try await f.session.deallocate(try #require(f.state.sides[f.sides[2]]?.logicalMedium))
        try await f.session.disable(.medium(f.media[2]))
        try await f.session.disable(.drive(DriveAddress(library: f.library, number: 1)), serviceMessage: "")
        let before = f.state
        let covered = try f.catalogue.saveCheckpoint()
        f.catalogue.close()
        for options in [CatalogueOptions(), CatalogueOptions(checkpoints: .disabled)] {
            let reopened = try await f.store.open(options: options)
            #expect(reopened.openReport.checkpoint == (options.checkpoints.loadOnOpen ? covered : nil))
            #expect(reopened.snapshot.state == before)
            #expect(reopened.snapshot.state.allocationCandidates(in: f.pool).isEmpty)
            reopened.close()
        }
    }

    @Test func closingTheDoorInventoriesWhatAnOperatorMovedByHand() async throws {
        let f = try await RobotFixture.make(media: 2)
        defer { f.close() }
        try await f.session.openDoor(f.library)
        await #expect(throws: NtmsError.self) { _ = try await f.session.mount(f.sides[0]) }
        // The operator moves one cartridge and takes the other out.
        try await f.robot.move(from: .slot(1), to: .slot(5))
        try f.robot.modify { $0.slots[1] = nil }
        let report = try await f.session.closeDoor(f.library)
        #expect(report.taken.moved.map(\.medium) == [f.media[0]])
        #expect(report.taken.missing == [f.media[1]])
        #expect(f.medium(0).location == .slot(f.library, 5) && f.medium(1).location == .shelf)
        #expect(f.state.libraries[f.library]?.needsInventory == false)
        _ = try await f.session.mount(f.sides[0])
        try f.expectConsistent()
    }
}
