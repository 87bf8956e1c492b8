import CatalogueDomain
import CatalogueHardware
import Foundation

/// Where a mount put the medium.
public struct MountResult: Sendable, Equatable {
    /// The drive that holds the medium.
    public var drive: DriveAddress
    /// False when a deferred dismount had left the medium in the drive.
    public var moved: Bool
}

/// What an inventory found.
public struct InventoryReport: Sendable, Equatable {
    /// The recorded reconciliation: media moved, media missing, cartridges not identified.
    public var taken: InventoryTaken
    /// Media found where the catalogue had them.
    public var confirmed: Int
    /// Cartridges registered as new (Unrecognized pool until an operator says otherwise).
    public var registered: [MediumID]
    /// What the changer's reading left unclear (unreported elements, lines not understood).
    public var warnings: [String]
}

/// Robot operations (MountNtmsMedia, DismountNtmsMedia, InjectNtmsMedia,
/// EjectNtmsMedia, inventory). Each runs in its changer's turn, holding the
/// library's cross-process lock: the writer records the intent, the changer
/// moves outside the writer, the writer records the outcome. An operation left
/// open by a crashed process, or one whose outcome was uncertain, makes the
/// next operation on that library start with an inventory.
///
/// Besides the errors each method lists, every robot operation can throw what
/// the changer reports, mapped to NTMS errors: `ERROR_DEVICE_NOT_AVAILABLE`
/// (4319) when the library has no changer or the changer failed,
/// `ERROR_NOT_READY` (21) when the library needs an inventory or the changer
/// is not ready, `ERROR_TIMEOUT` (1460) when the changer did not finish in
/// time, `ERROR_BUSY` (170) when another command holds it. A failure after
/// the robot may have moved marks the medium OPERROR and the library for an
/// inventory; a refusal before any move changes nothing.
extension Session {
    /// Gives a library a changer driver (`mediactl library add --driver`).
    ///
    /// - Throws: `ERROR_INVALID_LIBRARY` (4301) for no such online library;
    ///   `ERROR_INVALID_PARAMETER` (87) for a device that does not suit the
    ///   kind; `ERROR_BUSY` (170) while a robot operation is in progress.
    ///   An mtx changer whose geometry differs from the library's is refused
    ///   with `ERROR_INVALID_PARAMETER` (87) unless `checkingGeometry` is false.
    ///   `settings`, when given, are checked for the changer before it is
    ///   attached and set right after it (see `configureChanger(_:_:)`), so
    ///   refused settings attach nothing.
    public func attachChanger(
        _ library: LibraryID, kind: ChangerKind, device: String = "", checkingGeometry: Bool = true,
        settings: ChangerSettings? = nil
    ) async throws(NtmsError) {
        let state = catalogue.newestSnapshot.state
        if let settings, var attached = state.libraries[library] {
            attached.changer = kind
            attached.device = device
            try state.validate(settings, for: attached)
        }
        if kind == .mtx, checkingGeometry, device.hasPrefix("/"), let existing = state.libraries[library] {
            try await checkGeometry(
                of: ChangerAttachment(kind: kind, device: device), against: existing.geometry, library: existing.name,
                mtxPath: settings?.mtxPath ?? existing.changerSettings.mtxPath)
        }
        _ = try await execute(.attachChanger(library, kind, device: device))
        if let settings { try await configureChanger(library, settings) }
    }

    /// Sets how a library's mtx changer is driven: the mtx binary, `mtx
    /// inventory` before each status, drives taken offline before unloading,
    /// and the timeouts. The next robot command uses them.
    ///
    /// - Throws: `ERROR_INVALID_LIBRARY` (4301) for no such online library;
    ///   `ERROR_INVALID_PARAMETER` (87) for a library without an mtx changer,
    ///   a path that is not absolute, offline without every drive's device or
    ///   a timeout over a day; `ERROR_INVALID_DRIVE` (15) for a drive the
    ///   library does not have.
    public func configureChanger(_ library: LibraryID, _ settings: ChangerSettings) async throws(NtmsError) {
        _ = try await execute(.configureChanger(library, settings))
    }

    /// What the mtx changer at `device` says it has, read once with `mtx status`:
    /// `mediactl library add --driver mtx` without sizes takes these.
    ///
    /// `mtxPath` names the mtx binary (empty: `mtx` on the PATH, else /usr/sbin).
    ///
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) for a simulated changer (it is
    ///   made to the library's sizes); the changer's errors when it cannot be read.
    public func changerGeometry(of changer: ChangerAttachment, mtxPath: String = "") async throws(NtmsError)
        -> ChangerGeometry
    {
        try checkOpen()
        guard changer.kind == .mtx else {
            throw NtmsError(.invalidParameter, "a simulated changer is made to the library's sizes; give them")
        }
        let status = try await catalogue.changers.probe(device: changer.device, mtxPath: mtxPath)
        guard let geometry = status.geometry else {
            throw NtmsError(.deviceNotAvailable, "the changer at \(changer.device) did not say what it has")
        }
        return geometry
    }

    /// Adds an online library with `changer`. An mtx changer is read once
    /// with `mtx status`: without slots or drives, the sizes not given are
    /// its; with both, ports not given are none. The sizes are then compared
    /// with that reading. Without the check (or for a simulated changer)
    /// nothing is read, so slots and drives must be given.
    ///
    /// - Throws: what `addLibrary(name:slots:drives:ports:changer:checkingGeometry:idempotencyKey:)`
    ///   throws; `ERROR_INVALID_PARAMETER` (87) for sizes missing when the
    ///   changer is not read; the changer's errors when it cannot be read.
    @discardableResult
    public func addLibrary(
        name: String, changer: ChangerAttachment, slots: Int?, drives: Int?, ports: Int?,
        checkingGeometry: Bool = true, idempotencyKey: String? = nil
    ) async throws(NtmsError) -> LibraryID {
        // A device mtx cannot use is refused before mtx is asked about it.
        try catalogue.newestSnapshot.state.validateChanger(changer)
        guard changer.kind == .mtx, checkingGeometry else {
            guard let slots, let drives else {
                throw NtmsError(
                    .invalidParameter,
                    "give the library's slots and drives: only an mtx changer that is read tells them")
            }
            return try await addLibrary(
                name: name, slots: slots, drives: drives, ports: ports ?? 0, changer: changer,
                checkingGeometry: checkingGeometry, idempotencyKey: idempotencyKey)
        }
        let reported = try await changerGeometry(of: changer)
        // Slots and drives given describe the library; ports not given then mean none.
        let given =
            if let slots, let drives {
                ChangerGeometry(drives: drives, slots: slots, ports: ports ?? 0)
            } else {
                ChangerGeometry(
                    drives: drives ?? reported.drives, slots: slots ?? reported.slots, ports: ports ?? reported.ports)
            }
        try Self.refuseMismatch(reported, given, device: changer.device, library: name)
        return try await addLibrary(
            name: name, slots: given.slots, drives: given.drives, ports: given.ports, changer: changer,
            checkingGeometry: false, idempotencyKey: idempotencyKey)
    }

    /// Refuses a changer that does not have what the library is to have.
    func checkGeometry(
        of changer: ChangerAttachment, against configured: ChangerGeometry, library name: String, mtxPath: String = ""
    ) async throws(NtmsError) {
        try Self.refuseMismatch(
            try await changerGeometry(of: changer, mtxPath: mtxPath), configured, device: changer.device, library: name)
    }

    private static func refuseMismatch(
        _ reported: ChangerGeometry, _ configured: ChangerGeometry, device: String, library name: String
    ) throws(NtmsError) {
        guard reported == configured else {
            throw NtmsError(
                .invalidParameter,
                "the changer at \(device) has \(reported); library \(name) was given \(configured). "
                    + "Give the changer's sizes, or skip the check (mediactl: --no-check) to set it up offline")
        }
    }

    /// The warning for an inventory whose changer differs from the library; nil when they agree.
    static func geometryMismatch(_ reported: ChangerGeometry, _ library: Library) -> String? {
        let configured = library.geometry
        guard reported != configured else { return nil }
        return "the changer reports \(reported) but library \(library.name) has \(configured): "
            + "elements beyond the library are not catalogued; correct the library or the device"
    }

    /// MountNtmsMedia of one allocated (or complete) side, into `drive` or the
    /// least recently used empty drive. An offline medium raises a MOVEMEDIA
    /// request instead.
    ///
    /// The mount is a work item of the library's queue, taken up in order of
    /// `priority` (-15 to 15) and arrival. When the drive, every drive or the
    /// medium is busy, it waits in the queue (WAITING) for up to `timeout`
    /// and is taken up again as soon as a drive or the medium comes free;
    /// no timeout (`.none`) fails at once, as NTMS_MOUNT_ERROR_IF_UNAVAILABLE does.
    ///
    /// - Throws: `ERROR_INVALID_MEDIA` (4300) for no such side;
    ///   `ERROR_INVALID_STATE` (5023) for a side that is not allocated or a
    ///   medium in a port; `ERROR_INVALID_DRIVE` (15) for a drive the library
    ///   does not have; `ERROR_INVALID_PARAMETER` (87) for a priority outside
    ///   -15 to 15; `ERROR_BUSY` (170), without a timeout, when the drive or
    ///   every drive is taken or the medium is already mounted elsewhere;
    ///   `ERROR_TIMEOUT` (1460) when that lasted the whole timeout;
    ///   `ERROR_CANCELLED` (1223) when the work item was cancelled or the
    ///   session closed while it waited.
    ///
    /// `onWait` is told the work item and why, each time the mount starts waiting.
    public func mount(
        _ side: SideID, drive: UInt32? = nil, timeout: WaitTimeout = .none,
        priority: Int = LibraryRequestPriority.normal,
        onWait: @escaping @Sendable (LibraryRequestID, String) -> Void = { _, _ in }
    ) async throws(NtmsError) -> MountResult {
        let state = catalogue.newestSnapshot.state
        guard let sideObject = state.sides[side], let medium = state.media[sideObject.medium] else {
            throw NtmsError(.invalidMedia, "no side \(side)")
        }
        guard let libraryID = medium.location.library else {
            // Offline: decide raises (or finds) the MOVEMEDIA request.
            let outcome = try await execute(.beginMount(side, drive: drive))
            throw offline(medium, outcome)
        }
        let deadline: ContinuousClock.Instant =
            switch timeout {
            case .milliseconds(let milliseconds): .now + .milliseconds(Int64(milliseconds))
            // Beyond any wait a process lives through.
            case .infinite: .now + .seconds(Int64(Int32.max))
            }
        return try await withWorkItem(libraryID, .mount, medium: medium.id, drive: drive, priority: priority) {
            request async throws(NtmsError) in
            while true {
                let attempt = try await self.inTurn(request, libraryID) { work async throws(NtmsError) in
                    try await self.attemptMount(side, of: medium, in: libraryID, drive: drive, work: work)
                }
                let refusal: NtmsError
                switch attempt {
                case .mounted(let result): return result
                case .busy(let busy): refusal = busy
                }
                guard ContinuousClock.now < deadline else {
                    guard timeout != .none else {
                        throw NtmsError(
                            .busy, refusal.message + " (a mount with a timeout waits for it in the library's queue)")
                    }
                    throw NtmsError(
                        .timeout, "\(request) waited \(timeout) in the library's queue: \(refusal.message)")
                }
                _ = try await self.execute(.waitLibraryRequest(request, reason: refusal.message))
                onWait(request, refusal.message)
                try await self.waitForMountable(side, drive: drive, request: request, until: deadline)
            }
        }
    }

    /// What one turn of a mount came to.
    private enum MountAttempt: Sendable {
        case mounted(MountResult)
        /// The drive, every drive or the medium is busy: nothing was recorded.
        case busy(NtmsError)
    }

    private func attemptMount(
        _ side: SideID, of medium: Medium, in libraryID: LibraryID, drive: UInt32?, work: RobotWork
    ) async throws(NtmsError) -> MountAttempt {
        if drive == nil { try await freeDeferredDriveIfNeeded(libraryID, keeping: medium.id, work: work) }
        if case .failure(let refusal) = catalogue.newestSnapshot.state.decide(.beginMount(side, drive: drive)),
            refusal.code == .busy
        {
            return .busy(refusal)
        }
        try await cleanBeforeMountIfDue(libraryID, side: side, keeping: medium.id, requested: drive, work: work)
        let outcome = try await perform(.beginMount(side, drive: drive), in: work)
        switch outcome {
        case .operation(let id):
            let target = catalogue.newestSnapshot.state.operations[id]?.to.driveAddress
            _ = try await run(id, work: work)
            guard let target else { throw NtmsError(.invalidState, "operation \(id) has no drive") }
            return .mounted(MountResult(drive: target, moved: true))
        case .done:
            guard let address = catalogue.newestSnapshot.state.media[medium.id]?.location.driveAddress else {
                throw NtmsError(.invalidState, "\(medium.barcode) was remounted but is in no drive")
            }
            return .mounted(MountResult(drive: address, moved: false))
        default:
            throw offline(medium, outcome)
        }
    }

    /// Waits, out of the changer's way, until the mount may go ahead: its
    /// drive or medium came free, or a drive holds a medium a deferred
    /// dismount left (the mount then sends it home). Returns at `deadline`
    /// too; throws `ERROR_CANCELLED` when the item is cancelled meanwhile.
    private func waitForMountable(
        _ side: SideID, drive: UInt32?, request: LibraryRequestID, until deadline: ContinuousClock.Instant
    ) async throws(NtmsError) {
        let catalogue = self.catalogue
        func mountable() throws(NtmsError) -> Bool {
            let state = catalogue.newestSnapshot.state
            if case .cancelled = state.libraryRequests[request]?.state {
                throw NtmsError(.cancelled, "\(request) was cancelled while it waited")
            }
            // CloseNtmsSession cancels a call still waiting on it; so does cancelling the caller's task.
            guard !isClosed, !Task.isCancelled else {
                throw NtmsError(.cancelled, "the caller gave up (its session closed) while \(request) waited")
            }
            guard case .failure(let refusal) = state.decide(.beginMount(side, drive: drive)), refusal.code == .busy
            else { return true }
            guard drive == nil, let library = state.sides[side].flatMap({ state.media[$0.medium] })?.location.library
            else { return false }
            return state.drives.values.contains {
                $0.address.library == library && $0.enabled && $0.state == .dismountable && $0.medium != nil
            }
        }
        while ContinuousClock.now < deadline {
            guard try !mountable() else { return }
            // Woken by every change; at least once a second for what no change announces.
            try await awaitCatalogueChange(until: min(deadline, ContinuousClock.now + .seconds(1)), unless: mountable)
        }
    }

    /// DismountNtmsMedia: back to its home slot, or, deferred, left in the drive
    /// (a later mount of it needs no move; another mount may reuse the drive).
    ///
    /// - Throws: `ERROR_INVALID_MEDIA` (4300) for no such medium;
    ///   `ERROR_INVALID_STATE` (5023) for a medium not in a drive;
    ///   `ERROR_BUSY` (170) for one a robot operation is moving.
    public func dismount(_ medium: MediumID, deferred: Bool = false) async throws(NtmsError) {
        guard let current = catalogue.newestSnapshot.state.media[medium] else {
            throw NtmsError(.invalidMedia, "no medium \(medium)")
        }
        guard let libraryID = current.location.library else {
            throw NtmsError(.invalidState, "\(current.barcode) is not in a drive")
        }
        try await withRobot(libraryID, .dismount, medium: medium) { work async throws(NtmsError) in
            if case .operation(let id) = try await self.perform(.beginDismount(medium, deferred: deferred), in: work) {
                _ = try await self.run(id, work: work)
            }
        }
    }

    /// InjectNtmsMedia of the cartridge in `port` into the lowest free slot. A
    /// medium the catalogue knows (offline) comes back online; a new one is
    /// registered and classified by `label`.
    ///
    /// - Throws: `ERROR_ALREADY_EXISTS` (183) for a bar code catalogued
    ///   inside a library; `ERROR_LIBRARY_FULL` (4322) when no slot is free;
    ///   `ERROR_INVALID_PARAMETER` (87) for a port the library does not have
    ///   or a malformed bar code; `ERROR_EMPTY` (4306) when the port holds no
    ///   cartridge.
    ///
    /// An `onMediaLabel` read from the cartridge identifies a medium the
    /// catalogue knows by that label (UpdateNtmsOmidInfo) when its bar code is
    /// not known: the medium comes back to its pool with its allocations and
    /// takes the cartridge's bar code. An unknown label makes a new cartridge IMPORT.
    @discardableResult
    public func inject(
        library libraryID: LibraryID, port: UInt32, barcode: String, mediaType: MediaTypeID, label: MediaLabel = .free,
        onMediaLabel: OnMediaIdentifier? = nil
    ) async throws(NtmsError) -> MediumID {
        let known = catalogue.newestSnapshot.state.medium(withBarcode: barcode)?.id
        return try await withRobot(libraryID, .inject, medium: known, port: port) { work async throws(NtmsError) in
            let finished = try await self.runOperation(
                .beginInject(
                    libraryID, port: port, barcode: barcode, mediaType: mediaType, label: label,
                    onMediaLabel: onMediaLabel),
                work: work)
            if case .medium(let registered) = finished { return registered }
            guard let known = self.catalogue.newestSnapshot.state.medium(withBarcode: barcode) else {
                throw NtmsError(.invalidState, "\(barcode) was injected but is not catalogued")
            }
            return known.id
        }
    }

    /// InjectNtmsMedia as an operator does it at the library: a simulated robot
    /// has no operator, so the cartridge is put into its port first and taken
    /// back out when the inject is refused. For a real changer, `inject`.
    ///
    /// - Throws: what `inject(library:port:barcode:mediaType:label:onMediaLabel:)` throws;
    ///   the simulated robot's error when the port is not empty or does not exist.
    public func injectAsOperator(
        library libraryID: LibraryID, port: UInt32, barcode: String, mediaType: MediaTypeID, label: MediaLabel = .free,
        onMediaLabel: OnMediaIdentifier? = nil
    ) async throws(NtmsError) -> MediumID {
        let tapeLabel = onMediaLabel.map { TapeLabel(type: $0.labelType, id: $0.labelID, info: $0.info) }
        return try await withCartridgeInPort(libraryID, port: port, barcode: barcode, label: tapeLabel) {
            () async throws(NtmsError) in
            try await self.inject(
                library: libraryID, port: port, barcode: barcode, mediaType: mediaType, label: label,
                onMediaLabel: onMediaLabel)
        }
    }

    /// EjectNtmsMedia to `port` (default: the first empty one). The medium goes
    /// offline; returns the port it waits in.
    ///
    /// - Throws: `ERROR_INVALID_MEDIA` (4300) for no such medium;
    ///   `ERROR_INVALID_STATE` (5023) for a medium already offline or not in a
    ///   slot; `ERROR_INVALID_PARAMETER` (87) for a port the library does not
    ///   have, or a library without ports; `ERROR_BUSY` (170) when the port,
    ///   or every port, is full, or the medium is mounted or being moved.
    @discardableResult
    public func eject(_ medium: MediumID, port: UInt32? = nil) async throws(NtmsError) -> UInt32 {
        guard let current = catalogue.newestSnapshot.state.media[medium] else {
            throw NtmsError(.invalidMedia, "no medium \(medium)")
        }
        guard let libraryID = current.location.library else {
            throw NtmsError(.invalidState, "\(current.barcode) is already offline")
        }
        // Checked before the robot is asked which ports are empty: a port that does not exist is not "full".
        if let port { try catalogue.newestSnapshot.state.libraries[libraryID]?.checkPort(port) }
        return try await withRobot(libraryID, .eject, medium: medium, port: port) { work async throws(NtmsError) in
            // Ports are emptied by hand, so ask the changer which are empty now.
            let status = try await changerCall { () async throws(ChangerError) in try await work.turn.status() }
            let empty = status.ports.filter { !$0.isFull }.compactMap { element -> UInt32? in
                if case .port(let n) = element.element { n } else { nil }
            }
            let chosen: UInt32
            if let port {
                guard empty.contains(port) || status.ports.isEmpty else {
                    throw NtmsError(.busy, "port \(port) is full; empty it first")
                }
                chosen = port
            } else {
                guard let first = empty.first else {
                    throw NtmsError(
                        status.ports.isEmpty ? .invalidParameter : .busy,
                        status.ports.isEmpty
                            ? "the library has no import/export port" : "every port is full; empty one first")
                }
                chosen = first
            }
            _ = try await self.runOperation(.beginEject(medium, port: chosen), work: work)
            return chosen
        }
    }

    /// Reads the changer and reconciles the catalogue with it: media found
    /// elsewhere are moved, media not found go offline, new cartridges are
    /// registered (as `mediaType`, else the library's most common type).
    ///
    /// - Throws: `ERROR_INVALID_LIBRARY` (4301) for no such online library.
    public func inventory(_ libraryID: LibraryID, mediaType: MediaTypeID? = nil) async throws(NtmsError)
        -> InventoryReport
    {
        try await withRobot(libraryID, .inventory, recover: false) { work async throws(NtmsError) in
            try await self.takeInventory(libraryID, mediaType: mediaType, work: work)
        }
    }

    /// AccessNtmsLibraryDoor: records that the library's door is open. Until
    /// it is closed the robot does nothing (ERROR_NOT_READY) and the catalogue
    /// treats what the slots hold as unknown. Nothing is sent to the changer:
    /// a library's door is opened at the library.
    ///
    /// - Throws: `ERROR_INVALID_STATE` (5023) when it is already open;
    ///   `ERROR_BUSY` (170) while the robot is moving;
    ///   `ERROR_DEVICE_NOT_AVAILABLE` (4319) for a disabled library.
    public func openDoor(_ libraryID: LibraryID) async throws(NtmsError) {
        _ = try await execute(.accessDoor(libraryID, open: true))
    }

    /// Records that the library's door is closed, then takes the inventory
    /// that tells what the operator changed, and returns it.
    ///
    /// - Throws: `ERROR_INVALID_STATE` (5023) when it is not open; what
    ///   `inventory(_:mediaType:)` throws (the door stays closed, and the next
    ///   robot command inventories first).
    public func closeDoor(_ libraryID: LibraryID, mediaType: MediaTypeID? = nil) async throws(NtmsError)
        -> InventoryReport
    {
        _ = try await execute(.accessDoor(libraryID, open: false))
        return try await inventory(libraryID, mediaType: mediaType)
    }

    // MARK: The robot's turn

    /// Records the intent a robot command decides, moves the robot for it and
    /// records the outcome, which it returns.
    func runOperation(_ command: CatalogueCommand, work: RobotWork) async throws(NtmsError) -> CommandOutcome {
        let outcome = try await perform(command, in: work)
        guard case .operation(let id) = outcome else { throw unexpectedOutcome(outcome) }
        return try await run(id, work: work)
    }

    /// Moves the robot for a recorded intent and records the outcome.
    func run(_ id: OperationID, work: RobotWork) async throws(NtmsError) -> CommandOutcome {
        guard let operation = catalogue.newestSnapshot.state.operations[id], let from = operation.from.changerElement,
            let to = operation.to.changerElement
        else { throw NtmsError(.invalidState, "robot operation \(id) is not in progress") }
        let library = catalogue.newestSnapshot.state.libraries[operation.library]?.name ?? operation.library.description
        let begin = DispatchTime.now().uptimeNanoseconds
        // A cleaning takes the cleaner in and back out; a failure after the first move leaves it unknown where.
        let moves = operation.task == .clean ? [(from, to), (to, from)] : [(from, to)]
        var moved = 0
        do throws(ChangerError) {
            for (source, destination) in moves {
                try await work.turn.move(from: source, to: destination)
                moved += 1
            }
        } catch {
            let failure = error.ntmsError
            let code = UInt32(bitPattern: failure.code.rawValue)
            // Refusals the changer makes before moving leave everything where it was.
            let result: OperationResult =
                error.nothingMoved && moved == 0
                ? .failedUnchanged(code: code, message: failure.message)
                : .failedUncertain(code: code, message: failure.message)
            catalogue.metrics.recordRobotOperation(
                library: library, task: operation.task.name, result: CatalogueMetrics.label(result),
                nanoseconds: DispatchTime.now().uptimeNanoseconds &- begin)
            // If even this fails, the operation stays open and the next use starts with an inventory.
            _ = try? await perform(.finishOperation(id, result), in: work)
            throw failure
        }
        catalogue.metrics.recordRobotOperation(
            library: library, task: operation.task.name, result: CatalogueMetrics.label(.succeeded),
            nanoseconds: DispatchTime.now().uptimeNanoseconds &- begin)
        return try await perform(.finishOperation(id, .succeeded), in: work)
    }

    func takeInventory(_ libraryID: LibraryID, mediaType: MediaTypeID?, work: RobotWork)
        async throws(NtmsError) -> InventoryReport
    {
        let library = catalogue.newestSnapshot.state.libraries[libraryID]?.name ?? libraryID.description
        let begin = DispatchTime.now().uptimeNanoseconds
        let status: ChangerStatus
        do {
            status = try await changerCall { () async throws(ChangerError) in try await work.turn.status() }
        } catch {
            catalogue.metrics.recordRobotOperation(
                library: library, task: "inventory", result: "uncertain",
                nanoseconds: DispatchTime.now().uptimeNanoseconds &- begin)
            throw error
        }
        catalogue.metrics.recordRobotOperation(
            library: library, task: "inventory", result: CatalogueMetrics.label(.succeeded),
            nanoseconds: DispatchTime.now().uptimeNanoseconds &- begin)
        var warnings = status.warnings
        var incomplete = !status.warnings.isEmpty
        if let reported = status.geometry, let configured = catalogue.newestSnapshot.state.libraries[libraryID],
            let mismatch = Self.geometryMismatch(reported, configured)
        {
            // Elements beyond the library are not catalogued (decide names them); ones the
            // changer lacks are not reported, so what the catalogue places there is left alone.
            warnings.append(mismatch)
            incomplete = true
        }
        let reading = InventoryReading(
            elements: status.elements.map {
                .init(
                    location: $0.element.location(in: libraryID), isFull: $0.isFull, barcode: $0.barcode,
                    onMediaLabel: $0.label.map { OnMediaIdentifier(labelType: $0.type, labelID: $0.id, info: $0.info) })
            },
            incomplete: incomplete)
        let before = catalogue.newestSnapshot.state
        _ = try await perform(.recordInventory(libraryID, reading, mediaType: mediaType), in: work)
        let head = catalogue.newestSnapshot.head.sequence
        let recent = try catalogue.events(from: before.eventCount + 1, through: head)
        guard
            let index = recent.lastIndex(where: {
                if case .inventoryTaken(let e) = $0.event { e.library == libraryID } else { false }
            }),
            case .inventoryTaken(let taken) = recent[index].event
        else { throw NtmsError(.invalidState, "the inventory of \(libraryID) was recorded but not found in the log") }
        var registered: [MediumID] = []
        for logged in recent[(index + 1)...] {
            guard case .mediumImported(let imported) = logged.event else { break }
            registered.append(imported.medium)
        }
        try await returnCleanerIfOutOfItsSlot(libraryID, reading, work: work)
        let here = before.media.values.filter { $0.location.library == libraryID }.count
        let left = taken.moved.filter { $0.from.library == libraryID }.count + taken.missing.count
        return InventoryReport(taken: taken, confirmed: here - left, registered: registered, warnings: warnings)
    }

    /// A cleaning interrupted between its two moves leaves the cleaner in the
    /// drive: the inventory found it there, so it goes back to its slot.
    private func returnCleanerIfOutOfItsSlot(_ libraryID: LibraryID, _ reading: InventoryReading, work: RobotWork)
        async throws(NtmsError)
    {
        let state = catalogue.newestSnapshot.state
        guard let cleaner = state.libraries[libraryID]?.cleaner,
            let found = reading.elements.first(where: { $0.isFull && $0.barcode == cleaner.barcode }),
            let drive = found.location.driveAddress
        else { return }
        if case .operation(let id) = try await perform(.beginCleanerReturn(drive), in: work) {
            _ = try await run(id, work: work)
        }
    }

    /// When every drive is taken and one holds a medium left by a deferred
    /// dismount, that medium goes home first (RSM reuses Dismountable drives).
    private func freeDeferredDriveIfNeeded(_ libraryID: LibraryID, keeping medium: MediumID, work: RobotWork)
        async throws(NtmsError)
    {
        let state = catalogue.newestSnapshot.state
        guard let library = state.libraries[libraryID], state.media[medium]?.location.driveAddress == nil else {
            return
        }
        let drives = (0..<library.driveCount).compactMap { state.drives[DriveAddress(library: libraryID, number: $0)] }
            .filter(\.enabled)
        guard !drives.contains(where: { $0.state == .dismounted && $0.medium == nil }),
            let reusable = drives.filter({ $0.state == .dismountable && $0.medium != nil }).min(by: {
                ($0.lastUsed, $0.address.number) < ($1.lastUsed, $1.address.number)
            }),
            let occupant = reusable.medium
        else { return }
        if case .operation(let id) = try await perform(.beginDismount(occupant, deferred: false), in: work) {
            _ = try await run(id, work: work)
        }
    }

    /// A drive due for cleaning is cleaned before the mount that would take it,
    /// when the library has a usable cleaner; otherwise one CLEANER request is
    /// raised and the mount goes on.
    private func cleanBeforeMountIfDue(
        _ libraryID: LibraryID, side: SideID, keeping medium: MediumID, requested: UInt32?, work: RobotWork
    ) async throws(NtmsError) {
        let state = catalogue.newestSnapshot.state
        guard state.media[medium]?.location.driveAddress == nil, let library = state.libraries[libraryID],
            let address = try? state.chooseDrive(in: library, requested: requested),
            let drive = state.drives[address], state.needsCleaning(drive),
            // A mount that will be refused anyway (a disabled medium, a side not allocated) costs no cleaning.
            case .success = state.decide(.beginMount(side, drive: requested))
        else { return }
        if case .operation(let id) = try await perform(.beginClean(address, automatic: true), in: work) {
            _ = try await run(id, work: work)
        }
    }

    private func offline(_ medium: Medium, _ outcome: CommandOutcome) -> NtmsError {
        if case .request(let request) = outcome {
            return NtmsError(
                .mediaOffline,
                "\(medium.barcode) is offline; operator request \(request) asks for it to be brought into a library")
        }
        return unexpectedOutcome(outcome)
    }

    func unexpectedOutcome(_ outcome: CommandOutcome) -> NtmsError {
        NtmsError(.invalidState, "unexpected answer \(outcome) from the catalogue")
    }
}

extension Catalogue {
    /// The simulated robot of a library whose changer is simulated, for
    /// operators' hands (putting a cartridge in a port), its timing and faults.
    ///
    /// - Throws: `ERROR_INVALID_LIBRARY` (4301) for no such online library;
    ///   `ERROR_DEVICE_NOT_AVAILABLE` (4319) when its changer is not simulated
    ///   or its state file cannot be used; `ERROR_ACCESS_DENIED` (5) on a
    ///   read-only catalogue.
    public func simulatedRobot(for libraryID: LibraryID) throws(NtmsError) -> SimulatedChanger {
        try requireWritable("using its simulated robots")
        let state = snapshot.state
        guard let library = state.libraries[libraryID] else {
            throw NtmsError(.invalidLibrary, "no library \(libraryID)")
        }
        guard library.changer == .simulated, let robot = try changers.entry(for: library, in: state).simulated else {
            throw NtmsError(.invalidOperation, "library \(library.name) does not have a simulated changer")
        }
        return robot
    }
}

extension Library {
    /// The library's element counts, as a changer reports its own.
    var geometry: ChangerGeometry {
        ChangerGeometry(drives: Int(driveCount), slots: Int(slotCount), ports: Int(portCount))
    }
}
