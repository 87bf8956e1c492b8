import CatalogueDomain
import CatalogueHardware
import Foundation
import Testing

@testable import CatalogueEngine

/// A store with a simulated robot and allocated media in its slots.
struct RobotFixture {
    let store: TestStore
    let catalogue: Catalogue
    let session: Session
    let library: LibraryID
    let type: MediaTypeID
    let pool: PoolID
    /// Allocated side A of each medium, in slot order.
    var sides: [SideID] = []
    var media: [MediumID] = []

    static func make(
        _ label: String = #function, slots: Int = 8, drives: Int = 2, ports: Int = 1, media count: Int = 4,
        options: CatalogueOptions = .init()
    ) async throws -> RobotFixture {
        let store = TestStore(label)
        let catalogue = try await store.open(options: options)
        let session = try catalogue.session(application: "test", user: "tester")
        let type = try await session.registerMediaType(name: "LTO", sides: 1)
        let library = try await session.addLibrary(name: "Robot", slots: slots, drives: drives, ports: ports)
        try await session.attachChanger(library, kind: .simulated)
        let pool = try await session.createPool(
            path: "\\Backup", mediaType: type, policy: PoolPolicy(allocateFromScratch: true))
        var fixture = RobotFixture(
            store: store, catalogue: catalogue, session: session, library: library, type: type, pool: pool)
        for slot in 1...count {
            let medium = try await session.registerMedium(
                barcode: String(format: "T%05dL8", slot), mediaType: type, location: .slot(library, UInt32(slot)))
            fixture.media.append(medium)
            fixture.sides.append(
                try await session.allocate(AllocationRequest(pool: pool, side: SideID(medium.rawValue + 1))).side)
        }
        return fixture
    }

    /// The simulated robot, as another process would open it.
    var robot: SimulatedChanger {
        get throws {
            try SimulatedChanger(
                name: "Robot", path: catalogue.changers.simulatedStatePath(library), slots: 0, drives: 0, ports: 0)
        }
    }

    var state: CatalogueState { catalogue.snapshot.state }

    func medium(_ index: Int) -> Medium { state.media[media[index]]! }

    /// The catalogue and the robot agree on where every cartridge is, and the model's rules hold.
    func expectConsistent(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let contents = try robot.contents()
        for medium in state.media.values where medium.location.library == library {
            let barcode: String?
            switch medium.location {
            case .slot(_, let n): barcode = contents.slots[Int(n) - 1]?.barcode
            case .drive(_, let n): barcode = contents.drives[Int(n)]?.cartridge.barcode
            case .port(_, let n): barcode = contents.ports[Int(n) - 1]?.barcode
            case .shelf: barcode = nil
            }
            #expect(
                barcode == medium.barcode, "\(medium.barcode) at \(medium.location)", sourceLocation: sourceLocation)
        }
        #expect(state.invariantViolations() == [], sourceLocation: sourceLocation)
        #expect(try catalogue.audit().ok, sourceLocation: sourceLocation)
    }

    func close() {
        catalogue.close()
        store.remove()
    }
}

@Suite struct RoboticsTests {
    @Test func mountTakesTheLeastRecentlyUsedEmptyDriveAndDismountReturnsTheMediumHome() async throws {
        let f = try await RobotFixture.make(drives: 3)
        defer { f.close() }
        #expect(try await f.session.mount(f.sides[0]).drive.number == 0)
        #expect(f.medium(0).physicalState == .loaded)
        #expect(f.medium(0).home == 1)
        try await f.session.dismount(f.media[0])
        #expect(f.medium(0).location == .slot(f.library, 1))
        #expect(f.medium(0).physicalState == .idle)
        // Drives 1 and 2 were never used; drive 0 just was.
        #expect(try await f.session.mount(f.sides[1]).drive.number == 1)
        #expect(try await f.session.mount(f.sides[2]).drive.number == 2)
        try await f.session.dismount(f.media[1])
        // Drive 0 was freed before drive 1.
        #expect(try await f.session.mount(f.sides[3]).drive.number == 0)
        #expect(try await f.session.mount(f.sides[1], drive: 1).drive.number == 1)
        try f.expectConsistent()
        let drive = try #require(f.state.drives[DriveAddress(library: f.library, number: 0)])
        #expect(drive.state == .loaded && drive.mountCount == 2 && drive.medium == f.media[3])
    }

    @Test func aDeferredDismountKeepsTheMediumInItsDriveAndALaterMountNeedsNoMove() async throws {
        let f = try await RobotFixture.make(drives: 1)
        defer { f.close() }
        _ = try await f.session.mount(f.sides[0])
        let moves = try f.robot.contents().moves
        try await f.session.dismount(f.media[0], deferred: true)
        #expect(f.state.drives[DriveAddress(library: f.library, number: 0)]?.state == .dismountable)
        #expect(f.medium(0).physicalState == .unloaded)
        let again = try await f.session.mount(f.sides[0])
        #expect(!again.moved)
        #expect(try f.robot.contents().moves == moves)
        // The only drive holds a deferred medium: mounting another sends it home first.
        try await f.session.dismount(f.media[0], deferred: true)
        let other = try await f.session.mount(f.sides[1])
        #expect(other.moved && other.drive.number == 0)
        #expect(f.medium(0).location == .slot(f.library, 1))
        try f.expectConsistent()
    }

    @Test func mountingAnOfflineMediumRaisesOneMoveMediaRequest() async throws {
        let f = try await RobotFixture.make(media: 2)
        defer { f.close() }
        // An allocated medium leaves the library (it goes offline) and the operator takes it away.
        let shelved = f.media[0]
        let side = f.sides[0]
        _ = try await f.session.eject(shelved)
        _ = try f.robot.removeFromPort(1)
        for _ in 0..<2 {
            do {
                _ = try await f.session.mount(side)
                Issue.record("an offline medium cannot be mounted")
            } catch {
                #expect(error.code == .mediaOffline)
                #expect(error.message.contains("request-"))
            }
        }
        let requests = f.state.requests.values.filter { $0.type == .moveMedia }
        #expect(requests.count == 1)
        #expect(requests.first?.firstArgument == shelved.rawValue)
        #expect(f.state.media[shelved]?.physicalState == .operatorRequest)
        // The operator brings it in through the port; then it mounts.
        try f.robot.insertIntoPort(1, barcode: "T00001L8")
        #expect(
            try await f.session.inject(library: f.library, port: 1, barcode: "T00001L8", mediaType: f.type) == shelved)
        #expect(f.state.media[shelved]?.location == .slot(f.library, 1))
        #expect(f.state.requests[try #require(requests.first?.id)]?.state == .complete, "the request is answered")
        #expect(f.state.media[shelved]?.physicalState == .idle)
        _ = try await f.session.mount(side)
        try f.expectConsistent()
    }

    @Test func injectRegistersANewCartridgeAndEjectSendsAMediumOfflineThroughAPort() async throws {
        let f = try await RobotFixture.make(media: 2)
        defer { f.close() }
        try f.robot.insertIntoPort(1, barcode: "NEW001L8")
        let new = try await f.session.inject(
            library: f.library, port: 1, barcode: "NEW001L8", mediaType: f.type, label: .import)
        let medium = try #require(f.state.media[new])
        #expect(medium.location == .slot(f.library, 3))
        #expect(f.state.pools[medium.pool]?.type == .import)
        #expect(try f.robot.contents().ports[0] == nil)

        let port = try await f.session.eject(new)
        #expect(port == 1)
        #expect(f.state.media[new]?.location == .shelf)
        #expect(try f.robot.contents().ports[0]?.barcode == "NEW001L8")
        // The port is full until someone empties it.
        do {
            _ = try await f.session.eject(f.media[1])
            Issue.record("the only port is full")
        } catch {
            #expect(error.code == .busy)
        }
        // A mounted medium is not ejected.
        try f.robot.removeFromPort(1)
        _ = try await f.session.mount(f.sides[0])
        do {
            _ = try await f.session.eject(f.media[0])
            Issue.record("a mounted medium cannot be ejected")
        } catch {
            #expect(error.code == .busy)
        }
        try f.expectConsistent()
    }

    @Test func aFailedMoveLeavesTheMediumAccountedForAndTheNextUseTakesAnInventoryFirst() async throws {
        let f = try await RobotFixture.make()
        defer { f.close() }
        try f.robot.inject(.moveFails)
        do {
            _ = try await f.session.mount(f.sides[0])
            Issue.record("the robot was told to fail")
        } catch {
            #expect(error.code == .deviceNotAvailable)
        }
        #expect(f.medium(0).location == .slot(f.library, 1))
        #expect(f.medium(0).physicalState == .operationError)
        #expect(f.state.libraries[f.library]?.needsInventory == true)
        #expect(f.state.drives.values.allSatisfy { $0.medium == nil })
        try f.expectConsistent()
        // The next mount starts with an inventory, which confirms the cartridge where it was.
        _ = try await f.session.mount(f.sides[0])
        #expect(f.state.libraries[f.library]?.needsInventory == false)
        #expect(f.medium(0).physicalState == .loaded)
        try f.expectConsistent()
    }

    @Test func aUnitAttentionFailsTheCommandAndTheNextUseInventoriesFirst() async throws {
        let f = try await RobotFixture.make()
        defer { f.close() }
        try f.robot.inject(.unitAttention)
        do {
            _ = try await f.session.mount(f.sides[0])
            Issue.record("the robot reports Unit Attention")
        } catch {
            #expect(error.code == .notReady)
        }
        #expect(f.state.libraries[f.library]?.needsInventory == true)
        #expect(f.medium(0).location == .slot(f.library, 1))
        let result = try await f.session.mount(f.sides[0])
        #expect(result.moved)
        #expect(f.state.libraries[f.library]?.needsInventory == false)
        try f.expectConsistent()
    }

    @Test func aStuckCartridgeAndARefusedMoveKeepAnAccurateMediumState() async throws {
        let f = try await RobotFixture.make()
        defer { f.close() }
        _ = try await f.session.mount(f.sides[0])
        try f.robot.inject(.stuckInDrive(0))
        await #expect(throws: NtmsError.self) { try await f.session.dismount(f.media[0]) }
        try f.robot.modify { $0.faults.removeAll() }
        // Inventory finds it still in the drive.
        let report = try await f.session.inventory(f.library)
        #expect(report.taken.moved.isEmpty && report.taken.missing.isEmpty)
        #expect(f.medium(0).location == .drive(f.library, 0) && f.medium(0).physicalState == .loaded)
        try await f.session.dismount(f.media[0])
        // Somebody filled the home slot by hand: the robot refuses, nothing moved, no inventory needed.
        _ = try await f.session.mount(f.sides[0])
        try f.robot.modify { $0.slots[0] = .init(barcode: "INTRUDER") }
        do {
            try await f.session.dismount(f.media[0])
            Issue.record("the home slot is full")
        } catch {
            #expect(error.code == .resourceNotAvailable)
        }
        #expect(f.medium(0).physicalState == .loaded)
        #expect(f.state.libraries[f.library]?.needsInventory == false)
        #expect(f.state.invariantViolations() == [])
    }

    @Test func aRobotCommandThatTimesOutMarksTheLibraryForInventory() async throws {
        var options = CatalogueOptions()
        options.changerTimeouts = ChangerTimeouts(move: .milliseconds(200))
        let f = try await RobotFixture.make(options: options)
        defer { f.close() }
        try f.robot.inject(.hang)
        do {
            _ = try await f.session.mount(f.sides[0])
            Issue.record("the move hangs")
        } catch {
            #expect(error.code == .timeout)
        }
        #expect(f.state.libraries[f.library]?.needsInventory == true)
        #expect(f.medium(0).physicalState == .operationError)
        _ = try await f.session.mount(f.sides[0])
        try f.expectConsistent()
    }

    @Test func aCrashBetweenIntentAndOutcomeIsInventoriedBeforeTheRobotIsUsedAgain() async throws {
        let f = try await RobotFixture.make()
        // The intent is recorded and the robot moves, then the process dies before the outcome.
        guard case .operation(let id) = try await f.session.execute(.beginMount(f.sides[0], drive: nil)) else {
            Issue.record("no operation")
            return
        }
        try await f.robot.move(from: .slot(1), to: .drive(0))
        f.catalogue.close()

        let reopened = try await Catalogue.open(at: f.store.path)
        defer {
            reopened.close()
            f.store.remove()
        }
        #expect(reopened.snapshot.state.operations[id] != nil, "the unfinished intent survives the crash")
        let session = try reopened.session(application: "test", user: "tester")
        let before = reopened.snapshot.head.sequence
        _ = try await session.mount(f.sides[1])
        let events = try reopened.events(from: before + 1, through: reopened.snapshot.head.sequence).map(\.event)
            .filter { !$0.isLibraryRequestEvent }
        guard case .inventoryTaken(let taken) = events.first else {
            Issue.record(
                "the first thing after the crash is an inventory, not \(events.first.map { "\($0.name)" } ?? "nothing")"
            )
            return
        }
        #expect(taken.moved.map(\.medium) == [f.media[0]])
        let state = reopened.snapshot.state
        #expect(state.operations.isEmpty)
        #expect(state.media[f.media[0]]?.location == .drive(f.library, 0))
        #expect(state.media[f.media[1]]?.location == .drive(f.library, 1))
        #expect(state.invariantViolations() == [])
    }

    @Test func anEjectWhoseOutcomeWasLostEndsOfflineAfterTheRecoveryInventory() async throws {
        // Found by the crash harness: the robot had moved the medium to the port when the process died.
        let f = try await RobotFixture.make()
        guard case .operation = try await f.session.execute(.beginEject(f.media[1], port: 1)) else {
            Issue.record("no operation")
            return
        }
        try await f.robot.move(from: .slot(2), to: .port(1))
        f.catalogue.close()
        let reopened = try await Catalogue.open(at: f.store.path)
        defer {
            reopened.close()
            f.store.remove()
        }
        let session = try reopened.session(application: "test", user: "tester")
        let report = try await session.inventory(f.library)
        #expect(report.taken.moved.map(\.to) == [.shelf])
        #expect(report.taken.unidentified.isEmpty, "the cartridge in the port is the ejected medium, not a stranger")
        #expect(reopened.snapshot.state.media[f.media[1]]?.location == .shelf)
        #expect(reopened.snapshot.state.operations.isEmpty)
        // The operator takes it out; the next inventory finds nothing to change.
        _ = try f.robot.removeFromPort(1)
        let again = try await session.inventory(f.library)
        #expect(again.taken.moved.isEmpty && again.taken.missing.isEmpty)
        #expect(reopened.snapshot.state.invariantViolations() == [])
    }

    @Test func manyConcurrentMountsAreSerialisedAndLandInDistinctDrives() async throws {
        let f = try await RobotFixture.make(slots: 12, drives: 8, media: 8)
        defer { f.close() }
        let results = try await withThrowingTaskGroup(of: MountResult.self) { group in
            for side in f.sides { group.addTask { try await f.session.mount(side) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(results.map(\.drive)).count == 8)
        #expect(try f.robot.contents().moves == 8)
        try f.expectConsistent()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for medium in f.media { group.addTask { try await f.session.dismount(medium) } }
            try await group.waitForAll()
        }
        #expect(f.state.drives.values.allSatisfy { $0.state == .dismounted && $0.medium == nil })
        try f.expectConsistent()
    }

    @Test func inventoryReconcilesMovedMissingNewAndUnidentifiedCartridges() async throws {
        let f = try await RobotFixture.make(slots: 10, media: 4)
        defer { f.close() }
        try f.robot.modify { robot in
            robot.slots[7] = robot.slots[1]  // T00002 moved by hand from slot 2 to slot 8
            robot.slots[1] = nil
            robot.slots[2] = nil  // T00003 taken out
            robot.slots[4] = .init(barcode: "FRESH1L8")
            robot.slots[5] = .init(barcode: "CLN001L1")
            robot.slots[6] = .init(barcode: nil)
            robot.drives[1] = .init(cartridge: .init(barcode: "MYSTERY"), source: nil)
        }
        let report = try await f.session.inventory(f.library)
        #expect(report.taken.moved.map(\.medium) == [f.media[1]])
        #expect(f.medium(1).location == .slot(f.library, 8))
        #expect(report.taken.missing == [f.media[2]])
        #expect(f.medium(2).location == .shelf)
        #expect(report.confirmed == 2)
        #expect(report.registered.count == 1)
        let fresh = try #require(f.state.medium(withBarcode: "FRESH1L8"))
        #expect(f.state.pools[fresh.pool]?.type == .unrecognized)
        #expect(
            Set(report.taken.unidentified.map(\.reason)) == [
                "cleaning cartridge", "no bar code label", "unknown cartridge in a drive",
            ])
        #expect(f.state.invariantViolations() == [])
        // A second inventory finds everything where the first left it.
        let again = try await f.session.inventory(f.library)
        #expect(again.taken.moved.isEmpty && again.taken.missing.isEmpty && again.registered.isEmpty)
    }

    @Test func anMtxLibraryMovesThroughTheMtxCommand() async throws {
        let runner = RecordingMtx()
        let store = TestStore()
        defer { store.remove() }
        let f = try await MtxLibraryFixture(store, runner)
        defer { f.catalogue.close() }
        let mounted = try await f.session.mount(f.side)
        #expect(mounted.drive.number == 0)
        // Slot 2 is mtx storage element 3 (element 1 is the import/export port).
        #expect(runner.calls.last == ["-f", "/dev/sg7", "load", "3", "0"])
    }

    @Test(arguments: [
        ("mtx: Drive 0 Full (Storage Element 3 loaded)\n", true),
        (
            "mtx: Request Sense: Long Report=yes\nmtx: Request Sense: Sense Key=Hardware Error\n"
                + "mtx: Request Sense: Additional Sense Code = 15\nmtx: Request Sense: Additional Sense Qualifier = 01\n"
                + "MOVE MEDIUM from Element Address 3 to 0 Failed\n", false
        ),
    ])
    func anMtxRefusalLeavesTheMediumAloneAndAFailureAsksForAnInventory(_ output: String, _ refusal: Bool)
        async throws
    {
        let runner = RecordingMtx(failing: ["load": output])
        let store = TestStore()
        defer { store.remove() }
        let f = try await MtxLibraryFixture(store, runner)
        defer { f.catalogue.close() }
        let (catalogue, library, medium) = (f.catalogue, f.library, f.medium)
        do {
            _ = try await f.session.mount(f.side)
            Issue.record("the changer failed the load")
        } catch {
            #expect(error.code == (refusal ? .resourceNotAvailable : .deviceNotAvailable))
            #expect(error.message.contains(refusal ? "Drive 0 Full" : "mechanical positioning error"))
        }
        let state = catalogue.snapshot.state
        #expect(state.media[medium]?.location == .slot(library, 2))
        #expect(state.media[medium]?.physicalState == (refusal ? .idle : .operationError))
        #expect(state.libraries[library]?.needsInventory == !refusal)
        #expect(state.drives[DriveAddress(library: library, number: 0)]?.medium == nil)
        // Tried once: a refusal is not retried, and neither is a failure that is no Unit Attention.
        #expect(runner.calls.filter { $0.count > 2 && $0[2] == "load" } == [["-f", "/dev/sg7", "load", "3", "0"]])
    }
}

@Suite struct ChangerSettingsTests {
    /// The fixture's cartridge mounted in drive 0, then the changer set to take
    /// drive 0 (/dev/nst0) offline before unloading it.
    static func mountedOfflineBeforeUnload(
        _ store: TestStore, _ runner: RecordingMtx, _ tape: RecordingMtx, inventoryBeforeStatus: Bool
    ) async throws -> MtxLibraryFixture {
        let f = try await MtxLibraryFixture(store, runner, tape: tape)
        _ = try await f.session.mount(f.side)
        var settings = ChangerSettings()
        settings.offlineBeforeUnload = true
        settings.driveDevices = [0: "/dev/nst0"]
        settings.inventoryBeforeStatus = inventoryBeforeStatus
        try await f.session.configureChanger(f.library, settings)
        return f
    }

    @Test func aDriveIsTakenOfflineBeforeItsUnloadAndStatusFollowsAnInventory() async throws {
        let runner = RecordingMtx()
        let tape = RecordingMtx()
        let store = TestStore()
        defer { store.remove() }
        let f = try await Self.mountedOfflineBeforeUnload(store, runner, tape, inventoryBeforeStatus: true)
        defer { f.catalogue.close() }
        #expect(f.catalogue.snapshot.state.libraries[f.library]?.changerSettings.inventoryBeforeStatus == true)
        let before = runner.calls.count
        try await f.session.dismount(f.medium)
        // The new settings drive the next command: mt first, then mtx's unload into slot 2 (element 3).
        #expect(tape.calls == [["-f", "/dev/nst0", "offline"]])
        #expect(runner.calls[before...].last == ["-f", "/dev/sg7", "unload", "3", "0"])
        let beforeInventory = runner.calls.count
        _ = try await f.session.inventory(f.library)
        #expect(
            Array(runner.calls[beforeInventory...]) == [
                ["-f", "/dev/sg7", "inventory"], ["-f", "/dev/sg7", "status"],
            ])
    }

    @Test func anOfflineThatFailsLeavesTheCartridgeInItsDriveAndAsksForNoInventory() async throws {
        let runner = RecordingMtx()
        let tape = RecordingMtx(failing: ["offline": "/dev/nst0: Input/output error\n"])
        let store = TestStore()
        defer { store.remove() }
        let f = try await Self.mountedOfflineBeforeUnload(store, runner, tape, inventoryBeforeStatus: false)
        defer { f.catalogue.close() }
        do {
            try await f.session.dismount(f.medium)
            Issue.record("the offline failed")
        } catch {
            #expect(error.code == .notReady)
            #expect(error.message.contains("`mt -f /dev/nst0 offline` failed before unloading drive 0"))
        }
        let state = f.catalogue.snapshot.state
        #expect(state.media[f.medium]?.location == .drive(f.library, 0))
        #expect(state.libraries[f.library]?.needsInventory == false)
        #expect(!runner.calls.contains { $0.contains("unload") }, "mtx was not asked to unload")
    }

    @Test func settingsAreRefusedUnlessAnMtxChangerCanUseThem() async throws {
        let store = TestStore()
        defer { store.remove() }
        let f = try await MtxLibraryFixture(store, RecordingMtx())
        defer { f.catalogue.close() }
        var offline = ChangerSettings()
        offline.offlineBeforeUnload = true
        var farDrive = ChangerSettings()
        farDrive.driveDevices = [3: "/dev/nst3"]
        var relative = ChangerSettings()
        relative.mtxPath = "bin/mtx"
        var slow = ChangerSettings()
        slow.moveTimeout = ChangerSettings.maximumTimeout + 1
        for (settings, code) in [
            (offline, NtmsErrorCode.invalidParameter), (farDrive, .invalidDrive), (relative, .invalidParameter),
            (slow, .invalidParameter),
        ] {
            await #expect(throws: NtmsError.self) { try await f.session.configureChanger(f.library, settings) }
            do { try await f.session.configureChanger(f.library, settings) } catch { #expect(error.code == code) }
        }
        let manual = try await f.session.addLibrary(name: "Manual", slots: 2, drives: 1)
        do {
            try await f.session.configureChanger(manual, ChangerSettings())
            Issue.record("a library without an mtx changer took settings")
        } catch {
            #expect(error.code == .invalidParameter)
        }
        // Setting what is already set records nothing.
        let head = f.catalogue.snapshot.head
        try await f.session.configureChanger(f.library, ChangerSettings())
        #expect(f.catalogue.snapshot.head == head)
        // The driver's defaults are the settings' defaults.
        #expect(
            MtxTimeouts()
                == MtxTimeouts(
                    status: .seconds(ChangerSettings.defaultStatusTimeout),
                    move: .seconds(ChangerSettings.defaultMoveTimeout),
                    rescan: .seconds(ChangerSettings.defaultInventoryTimeout)))
    }
}

@Suite struct ChangerGeometryTests {
    /// RecordingMtx's changer: 1 drive, 3 slots and 1 port.
    static let changer = ChangerAttachment(kind: .mtx, device: "/dev/sg7")

    static func open(_ store: TestStore, _ runner: RecordingMtx) async throws -> (Catalogue, Session) {
        var options = CatalogueOptions()
        options.mtxRunner = runner
        let catalogue = try await store.open(options: options)
        return (catalogue, try catalogue.session(application: "test", user: "tester"))
    }

    @Test func anMtxLibraryOfAnotherGeometryIsRefusedNamingBothUnlessUnchecked() async throws {
        let runner = RecordingMtx()
        let store = TestStore()
        defer { store.remove() }
        let (catalogue, session) = try await Self.open(store, runner)
        defer { catalogue.close() }
        #expect(try await session.changerGeometry(of: Self.changer) == ChangerGeometry(drives: 1, slots: 3, ports: 1))
        let head = catalogue.snapshot.head
        do {
            try await session.addLibrary(name: "Small", slots: 10, drives: 1, changer: Self.changer)
            Issue.record("a library bigger than its changer was added")
        } catch {
            #expect(error.code == .invalidParameter)
            #expect(error.message.contains("has 1 drive, 3 slots and 1 port"))
            #expect(error.message.contains("was given 1 drive, 10 slots and 0 ports"))
        }
        #expect(catalogue.snapshot.head == head, "a refused library records nothing")
        let matching = try await session.addLibrary(name: "Real", slots: 3, drives: 1, ports: 1, changer: Self.changer)
        let offline = try await session.addLibrary(
            name: "Later", slots: 10, drives: 1, changer: Self.changer, checkingGeometry: false)
        #expect(catalogue.snapshot.state.libraries[matching]?.slotCount == 3)
        #expect(catalogue.snapshot.state.libraries[offline]?.slotCount == 10)
        #expect(runner.calls.allSatisfy { $0 == ["-f", "/dev/sg7", "status"] })
        #expect(runner.calls.count == 3, "one status to ask, one per checked library")
    }

    @Test func anInventoryNeverCataloguesAnElementBeyondTheLibrary() async throws {
        let runner = RecordingMtx()
        let store = TestStore()
        defer { store.remove() }
        let (catalogue, session) = try await Self.open(store, runner)
        defer { catalogue.close() }
        _ = try await session.registerMediaType(name: "LTO", sides: 1)
        // Set up smaller than the changer: its slot 2 holds A00001L8 (mtx element 3), slot 3 does not exist here.
        let library = try await session.addLibrary(
            name: "Short", slots: 1, drives: 1, ports: 1, changer: Self.changer, checkingGeometry: false)
        let report = try await session.inventory(library)
        let state = catalogue.snapshot.state
        #expect(state.medium(withBarcode: "A00001L8") == nil, "nothing is catalogued in a slot the library lacks")
        #expect(report.taken.unidentified.map(\.barcode) == ["A00001L8"])
        #expect(report.taken.unidentified.first?.reason.hasPrefix("beyond the library") == true)
        #expect(report.warnings.contains { $0.contains("the changer reports 1 drive, 3 slots and 1 port") })
        #expect(state.invariantViolations() == [])
    }
}

/// A store with an mtx library `Real` (3 slots, 1 drive, 1 port on /dev/sg7)
/// and one allocated cartridge in slot 2, driven through `runner`.
struct MtxLibraryFixture {
    let catalogue: Catalogue
    let session: Session
    let library: LibraryID
    let medium: MediumID
    let side: SideID

    init(_ store: TestStore, _ runner: RecordingMtx, tape: RecordingMtx? = nil) async throws {
        var options = CatalogueOptions()
        options.mtxRunner = runner
        options.tapeRunner = tape
        catalogue = try await store.open(options: options)
        session = try catalogue.session(application: "test", user: "tester")
        let type = try await session.registerMediaType(name: "LTO", sides: 1)
        library = try await session.addLibrary(name: "Real", slots: 3, drives: 1, ports: 1)
        try await session.attachChanger(library, kind: .mtx, device: "/dev/sg7")
        let pool = try await session.createPool(
            path: "\\B", mediaType: type, policy: PoolPolicy(allocateFromScratch: true))
        medium = try await session.registerMedium(barcode: "A00001L8", mediaType: type, location: .slot(library, 2))
        side = try await session.allocate(AllocationRequest(pool: pool, side: SideID(medium.rawValue + 1))).side
    }
}

/// Answers `mtx status` with a small library (element 1 is its port) and
/// accepts moves, or fails the first command named in `failing` with its output.
final class RecordingMtx: CommandRunner, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [[String]] = []
    private var failing: [String: String]
    var calls: [[String]] { lock.withLock { recorded } }

    init(failing: [String: String] = [:]) { self.failing = failing }

    func run(_ arguments: [String], timeout: Duration) async throws(ChangerError) -> CommandResult {
        let failure: String? = lock.withLock {
            recorded.append(arguments)
            return arguments.count > 2 ? failing.removeValue(forKey: arguments[2]) : nil
        }
        if let failure { return CommandResult(exitStatus: 1, standardOutput: "", standardError: failure) }
        guard arguments.last == "status" else {
            return CommandResult(exitStatus: 0, standardOutput: "", standardError: "")
        }
        let status = """
              Storage Changer /dev/sg7:1 Drives, 4 Slots ( 1 Import/Export )
            Data Transfer Element 0:Empty
                  Storage Element 1 IMPORT/EXPORT:Empty
                  Storage Element 2:Empty
                  Storage Element 3:Full :VolumeTag=A00001L8
                  Storage Element 4:Empty
            """
        return CommandResult(exitStatus: 0, standardOutput: status, standardError: "")
    }
}
