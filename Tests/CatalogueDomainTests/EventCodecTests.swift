import CatalogueDomain
import Testing

@Suite struct EventCodecTests {
    /// One event of every type, as a real session produces them.
    static func sampleEvents() throws -> [CatalogueEvent] {
        var f = try Fixture(policy: PoolPolicy(allocateFromScratch: true, deallocateToScratch: true, maxAllocates: 9))
        _ = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        _ = try f.h.medium("MO0002", type: f.type, at: .shelf, label: .import)
        let a = try f.h.allocate(AllocationRequest(pool: f.daily, new: true))
        let b = try f.h.allocate(AllocationRequest(pool: f.daily, next: a.logicalMedium))
        try f.h.run(.deallocate(b.logicalMedium))
        try f.h.run(.deallocate(a.logicalMedium))
        try f.h.run(.setPoolPolicy(pool: f.daily, policy: PoolPolicy(maxAllocates: 3)))
        let spare = try f.h.medium("MO0003", type: f.type, at: .slot(f.robot, 3))
        let c = try f.h.allocate(AllocationRequest(pool: f.daily, side: spare.sides[0]))
        try f.h.run(.complete(c.logicalMedium))
        try f.h.run(.decommission(spare.sides[1]))
        let shelved = f.h.state.medium(withBarcode: "MO0002")!
        try f.h.run(.moveMedium(shelved.id, to: f.freePool))
        try f.h.run(.deleteMedium(shelved.id))
        let empty = try f.h.pool("\\Backup\\Empty", type: f.type)
        try f.h.run(.deletePool(empty))
        let unused = try f.h.library("Spare")
        try f.h.run(.deleteLibrary(unused))
        try sampleRequests(&f)
        try sampleRobotics(&f, allocated: c)
        try sampleAccess(&f)
        return f.h.log
    }

    /// Every access event: a list set, a list dropped, and a refusal.
    static func sampleAccess(_ f: inout Fixture) throws {
        try f.h.run(.grantAccess(.pool(f.daily), .group("backup"), [.use, .control]))
        try f.h.run(.inheritAccess(.pool(f.daily)))
        let outsider = DecisionContext(principal: Principal(user: "mallory", groups: ["guests", "staff"]))
        let command = CatalogueCommand.allocate(AllocationRequest(pool: f.daily))
        guard let denial = f.h.state.accessDenial(for: command, context: outsider) else {
            throw NtmsError(.invalidHandle, "an outsider was not refused")
        }
        f.h.state.evolve([.accessDenied(denial)])
        f.h.log.append(.accessDenied(denial))
        let hash = [UInt8](repeating: 7, count: 32)
        guard
            case .token(let token) = try f.h.run(
                .issueToken(principal: outsider.principal!, secretHash: hash, expires: nil))
        else { throw NtmsError(.invalidHandle, "no token") }
        try f.h.run(.revokeToken(token))
    }

    /// Every request event: submitted, displayed, acknowledged, satisfied, cancelled, timed out.
    static func sampleRequests(_ f: inout Fixture) throws {
        guard
            case .request(let first) = try f.h.run(
                .submitRequest(type: .message, message: "load tapes", firstArgument: nil, secondArgument: nil)),
            case .request(let second) = try f.h.run(
                .submitRequest(type: .message, message: "clean drive 1", firstArgument: 7, secondArgument: nil))
        else { throw NtmsError(.invalidHandle, "no request") }
        try f.h.run(.displayRequests([first]))
        try f.h.run(.acknowledgeRequest(first))
        try f.h.run(.satisfyRequest(first))
        try f.h.run(.cancelRequest(second))
        let waiter = WaiterToken(bootID: "boot", processID: 42, processStart: 9, session: 1)
        let wait = AllocationWait(deadline: 1_000, waiter: waiter)
        let empty = try f.h.pool("\\Backup\\Waiting", type: f.type)
        guard case .waiting(let third) = try f.h.run(.allocateOrWait(AllocationRequest(pool: empty), wait)) else {
            throw NtmsError(.invalidHandle, "the allocation did not wait")
        }
        // The deadline passes: decided at a later time than the harness's.
        let expiry = try f.h.state.decide(.expireRequests([third]), context: DecisionContext(now: 2_000)).get()
        f.h.state.evolve(expiry.events)
        f.h.log.append(contentsOf: expiry.events)
    }

    /// Every robot event: a changer attached, a mount started and finished, a
    /// deferred dismount, a remount and an inventory.
    static func sampleRobotics(_ f: inout Fixture, allocated: Allocation) throws {
        try f.h.run(.attachChanger(f.robot, .mtx, device: "/dev/changer"))
        var settings = ChangerSettings()
        settings.mtxPath = "/usr/sbin/mtx"
        settings.offlineBeforeUnload = true
        settings.driveDevices = [0: "/dev/nst0", 1: "/dev/nst1"]
        settings.moveTimeout = 900
        try f.h.run(.configureChanger(f.robot, settings))
        try f.h.run(.attachChanger(f.robot, .simulated, device: ""))
        guard case .operation(let mount) = try f.h.run(.beginMount(allocated.side, drive: nil)) else {
            throw NtmsError(.invalidHandle, "no mount started")
        }
        try f.h.run(.finishOperation(mount, .succeeded))
        try f.h.run(.beginDismount(allocated.medium, deferred: true))
        try f.h.run(.beginMount(allocated.side, drive: nil))
        let reading = InventoryReading(
            elements: [
                .init(location: .slot(f.robot, 3), isFull: true, barcode: "MO0003"),
                .init(location: .slot(f.robot, 9), isFull: true, barcode: nil),
            ], incomplete: true)
        try f.h.run(.recordInventory(f.robot, reading, mediaType: f.type))
        try f.h.run(.disable(.drive(DriveAddress(library: f.robot, number: 1)), serviceMessage: "replace drive 1"))
        try f.h.run(.disable(.medium(allocated.medium)))
        try f.h.run(.disable(.library(f.robot)))
        try f.h.run(.enable(.library(f.robot)))
        try f.h.run(.enable(.medium(allocated.medium)))
        let old = try f.h.medium("SWAP01", type: f.type, at: .slot(f.robot, 7))
        let new = try f.h.medium("SWAP02", type: f.type, at: .slot(f.robot, 8))
        let data = try f.h.allocate(AllocationRequest(pool: f.daily, side: old.sides[0]))
        let copy = try f.h.allocate(AllocationRequest(pool: f.daily, side: new.sides[0]))
        try f.h.run(.swapLogicalMedia(data.logicalMedium, copy.logicalMedium))
        try f.h.run(.recordOnMediaIdentifier(data.logicalMedium, OnMediaIdentifier(labelType: "MTF", labelID: "SET-1")))
        let other = try f.h.mediaType("MO-9.1GB", sides: 2)
        let relabelled = try f.h.medium("TYPE01", type: f.type, at: .slot(f.robot, 9))
        try f.h.run(.changeMediaType(relabelled.id, to: f.h.state.mediaTypes[other]!.freePool))
        try f.h.run(.deleteMediaType(try f.h.mediaType("UNUSED", sides: 1)))
        try f.h.run(.accessDoor(f.robot, open: true))
        try f.h.run(.accessDoor(f.robot, open: false))
        // The closing inventory finds the labelled cartridge under a new bar code.
        let relabelledReading = InventoryReading(
            elements: [
                .init(
                    location: .slot(f.robot, 8), isFull: true, barcode: "RELAB2",
                    onMediaLabel: OnMediaIdentifier(labelType: "MTF", labelID: "SET-1"))
            ], incomplete: true)
        try f.h.run(.recordInventory(f.robot, relabelledReading, mediaType: f.type))
        // Cleaning: the slot, a cleaner with limited uses, a cleaning, a report, an interval, a lost cleaner.
        try f.h.run(.reserveCleanerSlot(f.robot, slot: 40))
        guard
            case .operation(let cleanerIn) = try f.h.run(
                .beginCleanerInject(f.robot, port: 1, barcode: "CLN001", uses: 9))
        else { throw NtmsError(.invalidHandle, "no cleaner inject") }
        try f.h.run(.finishOperation(cleanerIn, .succeeded))
        let cleanDrive = DriveAddress(library: f.robot, number: 1)
        try f.h.run(.enable(.drive(cleanDrive)))
        guard case .operation(let cleaning) = try f.h.run(.beginClean(cleanDrive, automatic: false))
        else { throw NtmsError(.invalidHandle, "no cleaning") }
        try f.h.run(.finishOperation(cleaning, .succeeded))
        try f.h.run(.requestCleaning(cleanDrive))
        try f.h.run(.setCleaningInterval(f.robot, mounts: 50))
        try f.h.run(
            .recordInventory(
                f.robot,
                InventoryReading(
                    elements: [.init(location: .slot(f.robot, 40), isFull: false, barcode: nil)], incomplete: true),
                mediaType: f.type))
        try f.h.run(.releaseCleanerSlot(f.robot))
        try sampleWorkQueue(&f, allocated: allocated)
    }

    /// Every work-queue event: items queued, one taken up, one waiting, one
    /// moved to the front, one cancelled and one finished.
    static func sampleWorkQueue(_ f: inout Fixture, allocated: Allocation) throws {
        let owner = WaiterToken(bootID: "boot", processID: 42, processStart: 9, session: 3)
        func queue(_ operation: LibraryOperation, priority: Int) throws -> LibraryRequestID {
            let spec = LibraryRequestSpec(
                library: f.robot, operation: operation, medium: allocated.medium, drive: 0, port: nil,
                priority: priority, owner: owner)
            guard case .libraryRequest(let id) = try f.h.run(.queueLibraryRequest(spec)) else {
                throw NtmsError(.invalidHandle, "nothing queued")
            }
            return id
        }
        let mount = try queue(.mount, priority: 7)
        let eject = try queue(.eject, priority: -15)
        let inventory = try queue(.inventory, priority: 0)
        try f.h.run(.libraryRequestStep(mount, .requestCleaning(DriveAddress(library: f.robot, number: 0))))
        try f.h.run(.waitLibraryRequest(mount, reason: "every drive is busy"))
        try f.h.run(.reorderLibraryRequest(eject, .first))
        try f.h.run(.cancelLibraryRequest(eject))
        try f.h.run(.finishLibraryRequest(inventory, .failed(code: 21, message: "the door is open")))
    }

    @Test func everyEventTypeRoundTripsThroughItsPayload() throws {
        let events = try Self.sampleEvents()
        #expect(Set(events.map(\.type)) == Set(EventType.allCases))
        for event in events {
            let decoded = try CatalogueEvent.decode(
                typeCode: event.typeCode, schemaVersion: event.schemaVersion, payload: event.encodedPayload())
            #expect(decoded == event)
        }
    }

    @Test func truncatedOrPaddedPayloadsAreRejected() throws {
        for event in try Self.sampleEvents() {
            let payload = event.encodedPayload()
            for length in 0..<payload.count {
                #expect(throws: PayloadDecodingError.self) {
                    try CatalogueEvent.decode(
                        typeCode: event.typeCode, schemaVersion: 1, payload: Array(payload.prefix(length)))
                }
            }
            #expect(throws: PayloadDecodingError.self) {
                try CatalogueEvent.decode(typeCode: event.typeCode, schemaVersion: 1, payload: payload + [0])
            }
        }
    }

    @Test func anOperationFailureCodeOutsideTheNtmsRangeIsDescribedByItsNumber() throws {
        // Operation 20 failed uncertainly with code 0x9B8BF2F4 (above Int32.max), empty message: a fuzzer's find.
        let event = try CatalogueEvent.decode(
            typeCode: EventType.robotOperationFinished.rawValue, schemaVersion: 1,
            payload: [0x14, 0x02, 0xF4, 0xF2, 0x8B, 0x9B, 0x0A, 0x00])
        guard case .robotOperationFinished(let finished) = event, case .failedUncertain(let code, _) = finished.result
        else {
            Issue.record("decoded \(event) instead of an uncertain operation failure")
            return
        }
        #expect(code > UInt32(Int32.max))
        #expect(event.fields.first { $0.name == "error" }?.value == .integer(Int64(code)))
    }

    @Test func unknownTypesAndVersionsAreRejected() {
        #expect(throws: PayloadDecodingError.self) {
            try CatalogueEvent.decode(typeCode: 999, schemaVersion: 1, payload: [])
        }
        #expect(throws: PayloadDecodingError.self) {
            try CatalogueEvent.decode(typeCode: EventType.catalogueCreated.rawValue, schemaVersion: 2, payload: [])
        }
    }

    @Test func replayingTheEventsRebuildsTheSameState() throws {
        var f = try Fixture()
        _ = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        _ = try f.h.allocate(AllocationRequest(pool: f.daily, new: true))
        var replayed = CatalogueState()
        for event in f.h.log { replayed.evolve(event) }
        #expect(replayed == f.h.state)
    }

    @Test func outcomesRoundTrip() throws {
        let outcomes: [CommandOutcome] = [
            .done, .mediaType(MediaTypeID(3)), .library(LibraryID(4)), .pool(PoolID(5)), .medium(MediumID(6)),
            .allocation(
                Allocation(
                    logicalMedium: LogicalMediumID(9), side: SideID(7), medium: MediumID(6), pool: PoolID(5),
                    allocatedFrom: PoolID(2))),
        ]
        for outcome in outcomes { #expect(try CommandOutcome.decode(outcome.encoded()) == outcome) }
    }
}
