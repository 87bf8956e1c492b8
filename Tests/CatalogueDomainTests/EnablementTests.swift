import CatalogueDomain
import Testing

/// Enable/DisableNtmsObject: what a disabled library, drive or medium refuses,
/// and how the allocation indexes follow.
@Suite struct EnablementTests {
    private func drive(_ f: RobotLibrary, _ number: UInt32) -> DriveAddress {
        DriveAddress(library: f.robot, number: number)
    }

    @Test func aDisabledMediumIsNeitherAllocatedNorMountedUntilEnabled() throws {
        var f = try RobotLibrary()
        let spare = try f.h.medium("SPARE1", type: f.type, at: .slot(f.robot, 1))
        try f.h.run(.moveMedium(spare.id, to: f.pool))
        try f.h.run(.disable(.medium(spare.id)))
        #expect(f.h.state.allocationCandidates(in: f.pool).isEmpty)
        #expect(f.error(.allocate(AllocationRequest(pool: f.pool, errorIfUnavailable: true))) == .mediaUnavailable)
        #expect(f.error(.allocate(AllocationRequest(pool: f.pool, side: spare.sides[0]))) == .mediaNotAvailable)
        #expect(f.h.state.invariantViolations().isEmpty)

        try f.h.run(.enable(.medium(spare.id)))
        let allocation = try f.h.allocate(AllocationRequest(pool: f.pool))
        #expect(allocation.medium == spare.id)
        try f.h.run(.disable(.medium(spare.id)))
        #expect(f.error(.beginMount(allocation.side, drive: nil)) == .mediaNotAvailable)
        #expect(f.error(.beginEject(spare.id, port: 1)) == .mediaNotAvailable)
    }

    @Test func disablingTwiceOrEnablingAnEnabledObjectIsAnInvalidState() throws {
        var f = try RobotLibrary()
        let medium = try f.h.medium("TWICE1", type: f.type, at: .shelf)
        for target in [EnablementTarget.library(f.robot), .drive(drive(f, 0)), .medium(medium.id)] {
            #expect(f.h.expectFailure(.enable(target), .invalidState))
            try f.h.run(.disable(target))
            #expect(f.h.expectFailure(.disable(target), .invalidState))
        }
    }

    @Test func theShelfAndUnknownObjectsCannotBeDisabled() throws {
        let f = try RobotLibrary()
        let shelf = try #require(f.h.state.offlineLibrary)
        #expect(f.h.expectFailure(.disable(.library(shelf)), .libraryOffline))
        #expect(f.h.expectFailure(.disable(.library(LibraryID(9_999))), .invalidLibrary))
        #expect(f.h.expectFailure(.disable(.drive(drive(f, 2))), .invalidDrive))
        #expect(f.h.expectFailure(.disable(.medium(MediumID(9_999))), .invalidMedia))
    }

    @Test func aDisabledLibraryRefusesRobotWorkAndItsMediaAreNotAllocated() throws {
        var f = try RobotLibrary()
        let held = try f.allocatedMedium("HELD1", slot: 1)
        let spare = try f.h.medium("SPARE2", type: f.type, at: .slot(f.robot, 2))
        try f.h.run(.moveMedium(spare.id, to: f.pool))
        try f.h.run(.disable(.library(f.robot)))
        #expect(f.h.state.allocationCandidates(in: f.pool).isEmpty)
        #expect(f.h.state.invariantViolations().isEmpty)
        #expect(f.error(.allocate(AllocationRequest(pool: f.pool, side: spare.sides[0]))) == .deviceNotAvailable)
        #expect(f.error(.beginMount(held.side, drive: nil)) == .deviceNotAvailable)
        #expect(f.error(.beginEject(held.medium, port: 1)) == .deviceNotAvailable)
        #expect(
            f.error(.beginInject(f.robot, port: 1, barcode: "NEW001", mediaType: f.type, label: .free))
                == .deviceNotAvailable)
        #expect(
            f.error(.recordInventory(f.robot, InventoryReading(elements: [], incomplete: false), mediaType: nil))
                == .deviceNotAvailable)

        try f.h.run(.enable(.library(f.robot)))
        #expect(f.h.state.allocationCandidates(in: f.pool).map(\.side) == [spare.sides[0]])
        #expect(f.h.state.invariantViolations().isEmpty)
    }

    @Test func aDisabledDriveIsNeverChosenAndNamingItIsRefused() throws {
        var f = try RobotLibrary()
        let first = try f.allocatedMedium("DRV001", slot: 1)
        let second = try f.allocatedMedium("DRV002", slot: 2)
        try f.h.run(.disable(.drive(drive(f, 0))))
        #expect(f.error(.beginMount(first.side, drive: 0)) == .resourceDisabled)
        try f.mounted(first)
        #expect(f.h.state.media[first.medium]?.location == .drive(f.robot, 1))
        // The one enabled drive is taken: busy, not disabled.
        #expect(f.error(.beginMount(second.side, drive: nil)) == .busy)
        try f.h.run(.disable(.drive(drive(f, 1))))
        try f.dismounted(first)
        #expect(f.error(.beginMount(second.side, drive: nil)) == .resourceDisabled)
    }

    @Test func threeFailedMountsInARowDisableTheDriveAndAskForService() throws {
        var f = try RobotLibrary()
        let allocation = try f.allocatedMedium("FAIL01", slot: 1)
        for attempt in 1...Int(Drive.failuresBeforeDisable) {
            guard case .operation(let id) = try f.h.run(.beginMount(allocation.side, drive: 0)) else {
                Issue.record("no mount started")
                return
            }
            try f.h.run(.finishOperation(id, .failedUnchanged(code: 21, message: "not ready")))
            let drive = try #require(f.h.state.drives[drive(f, 0)])
            #expect(drive.enabled == (attempt < Int(Drive.failuresBeforeDisable)))
        }
        guard case .objectDisabled(let disabled) = f.h.log.suffix(2).first else {
            Issue.record("the drive was not disabled")
            return
        }
        #expect(disabled.target == .drive(drive(f, 0)) && disabled.reason == .repeatedFailures)
        let request = try #require(f.h.state.requests.values.first { $0.type == .deviceService })
        #expect(request.firstArgument == f.robot.rawValue && request.secondArgument == 0)
        #expect(f.error(.beginMount(allocation.side, drive: 0)) == .resourceDisabled)

        // Enabling it starts the count again; a success also resets it.
        try f.h.run(.enable(.drive(drive(f, 0))))
        #expect(f.h.state.drives[drive(f, 0)]?.consecutiveFailures == 0)
    }

    @Test func aSuccessBetweenFailuresKeepsTheDriveInUse() throws {
        var f = try RobotLibrary()
        let allocation = try f.allocatedMedium("FLAKY1", slot: 1)
        for round in 0..<4 {
            guard case .operation(let id) = try f.h.run(.beginMount(allocation.side, drive: 0)) else {
                Issue.record("no mount started")
                return
            }
            if round == 2 {
                try f.h.run(.finishOperation(id, .succeeded))
                try f.dismounted(allocation)
            } else {
                try f.h.run(.finishOperation(id, .failedUnchanged(code: 21, message: "not ready")))
            }
        }
        #expect(f.h.state.drives[drive(f, 0)]?.enabled == true)
        #expect(f.h.state.drives[drive(f, 0)]?.consecutiveFailures == 1)
    }

    @Test func disablingForServiceRaisesOneDeviceServiceRequestInTheSameDecision() throws {
        let f = try RobotLibrary()
        let decision = try f.h.state.decide(.disable(.library(f.robot), serviceMessage: "replace the gripper")).get()
        #expect(decision.events.count == 2)
        guard case .request(let id) = decision.outcome,
            case .operatorRequestSubmitted(let submitted) = decision.events[1]
        else {
            Issue.record("no DEVICESERVICE request")
            return
        }
        #expect(
            submitted.request == id && submitted.type == .deviceService && submitted.message == "replace the gripper")
        #expect(f.h.expectFailure(.disable(.drive(drive(f, 0)), serviceMessage: "bad\u{1B}[2J"), .invalidParameter))
    }

    @Test func enablementNeedsModifyOnTheLibraryAndServiceAlsoControl() throws {
        var f = try RobotLibrary()
        try f.h.run(.grantAccess(.library(f.robot), .user("ops"), .modify))
        let ops = DecisionContext(principal: Principal(user: "ops", groups: []))
        let nobody = DecisionContext(principal: Principal(user: "nobody", groups: []))
        #expect(f.h.state.accessDenial(for: .disable(.drive(drive(f, 0))), context: ops) == nil)
        #expect(f.h.state.accessDenial(for: .disable(.drive(drive(f, 0))), context: nobody)?.missing == .modify)
        #expect(
            f.h.state.accessDenial(for: .disable(.drive(drive(f, 0)), serviceMessage: ""), context: ops)?.missing
                == .control)
    }

    @Test func aDeletedMediumLeavesTheDisabledSet() throws {
        var f = try RobotLibrary()
        let medium = try f.h.medium("GONE01", type: f.type, at: .shelf)
        try f.h.run(.disable(.medium(medium.id)))
        try f.h.run(.deleteMedium(medium.id))
        #expect(f.h.state.disabledMedia.isEmpty)
    }

    @Test func replayAndGroupedFoldsAgreeOnTheIndexesAfterALibraryToggle() throws {
        var f = try RobotLibrary()
        for slot in 1...5 {
            let medium = try f.h.medium("TOG\(slot)", type: f.type, at: .slot(f.robot, UInt32(slot)))
            try f.h.run(.moveMedium(medium.id, to: f.pool))
        }
        try f.h.run(.disable(.medium(f.h.state.medium(withBarcode: "TOG2")!.id)))
        try f.h.run(.disable(.library(f.robot)))
        try f.h.run(.enable(.library(f.robot)))
        for deferring in [true, false] {
            var replay = Replay(deferringIndexes: deferring)
            for event in f.h.log { replay.evolve(event) }
            #expect(replay.state == f.h.state)
        }
        #expect(f.h.state.allocationCandidates(in: f.pool).count == 4)
        #expect(f.h.state.invariantViolations().isEmpty)
    }
}

/// AccessNtmsLibraryDoor: an open door stops the robot and makes the slots unknown until an inventory.
@Suite struct LibraryDoorTests {
    @Test func anOpenDoorRefusesRobotWorkUntilClosedAndAnInventoryFollows() throws {
        var f = try RobotLibrary()
        let held = try f.allocatedMedium("DOOR01", slot: 1)
        try f.h.run(.accessDoor(f.robot, open: true))
        #expect(f.h.state.libraries[f.robot]?.doorOpen == true)
        #expect(f.h.state.libraries[f.robot]?.needsInventory == true)
        #expect(f.error(.beginMount(held.side, drive: nil)) == .notReady)
        #expect(f.error(.beginEject(held.medium, port: 1)) == .notReady)
        let reading = InventoryReading(
            elements: [.init(location: .slot(f.robot, 2), isFull: true, barcode: "DOOR01")], incomplete: false)
        #expect(f.error(.recordInventory(f.robot, reading, mediaType: nil)) == .notReady)
        #expect(f.h.expectFailure(.accessDoor(f.robot, open: true), .invalidState))

        try f.h.run(.accessDoor(f.robot, open: false))
        #expect(f.h.state.libraries[f.robot]?.doorOpen == false)
        // Still unknown until the inventory, which finds the cartridge where the operator put it.
        #expect(f.h.state.libraries[f.robot]?.needsInventory == true)
        try f.h.run(.recordInventory(f.robot, reading, mediaType: nil))
        #expect(f.h.state.media[held.medium]?.location == .slot(f.robot, 2))
        #expect(f.h.state.libraries[f.robot]?.needsInventory == false)
        #expect(f.h.expectFailure(.accessDoor(f.robot, open: false), .invalidState))
    }

    @Test func theDoorStaysShutWhileTheRobotMovesOrTheLibraryIsDisabled() throws {
        var f = try RobotLibrary()
        let held = try f.allocatedMedium("DOOR02", slot: 1)
        guard case .operation(let id) = try f.h.run(.beginMount(held.side, drive: nil)) else {
            Issue.record("no mount started")
            return
        }
        #expect(f.h.expectFailure(.accessDoor(f.robot, open: true), .busy))
        try f.h.run(.finishOperation(id, .succeeded))
        try f.h.run(.disable(.library(f.robot)))
        #expect(f.h.expectFailure(.accessDoor(f.robot, open: true), .deviceNotAvailable))
    }
}
