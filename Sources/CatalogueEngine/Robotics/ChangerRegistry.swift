import CatalogueDomain
import CatalogueHardware
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The changers of one open catalogue: one `Changer` actor per library, made
/// on first use from the library's recorded driver.
final class ChangerRegistry: Sendable {
    struct Entry: Sendable {
        var kind: ChangerKind
        var device: String
        var settings: ChangerSettings
        var changer: Changer
        var simulated: SimulatedChanger?

        /// Whether this entry still drives `library` as recorded; a new changer or new settings need a new one.
        func serves(_ library: Library) -> Bool {
            kind == library.changer && device == library.device && settings == library.changerSettings
        }
    }

    private let entries = Locked<[LibraryID: Entry]>([:])
    let directory: String
    /// From `CatalogueOptions`: timeouts and the mtx runner (tests stand in for the binary).
    let timeouts: ChangerTimeouts
    let mtxRunner: (any CommandRunner)?
    let tapeRunner: (any CommandRunner)?

    /// A library's pending work items, first to last: the order its changer gives turns in.
    let queueOrder: @Sendable (LibraryID) -> [UInt64]

    init(
        directory: String, timeouts: ChangerTimeouts, mtxRunner: (any CommandRunner)?,
        tapeRunner: (any CommandRunner)?, queueOrder: @escaping @Sendable (LibraryID) -> [UInt64] = { _ in [] }
    ) {
        self.queueOrder = queueOrder
        self.directory = directory
        self.timeouts = timeouts
        self.mtxRunner = mtxRunner
        self.tapeRunner = tapeRunner
    }

    var changersDirectory: String { directory + "/changers" }

    /// Where a simulated library keeps its robot's state.
    func simulatedStatePath(_ library: LibraryID) -> String { changersDirectory + "/\(library).json" }

    /// The changer of `library`; a new simulated robot starts holding what the catalogue places in it.
    func entry(for library: Library, in state: CatalogueState) throws(NtmsError) -> Entry {
        guard let kind = library.changer else {
            throw NtmsError(
                .deviceNotAvailable, "library \(library.name) has no changer (add one with --driver simulated|mtx)")
        }
        if let existing = entries.withLock({ $0[library.id] }), existing.serves(library) { return existing }
        try makeChangersDirectory()
        let entry: Entry
        let queueOrder = self.queueOrder
        let libraryID = library.id
        let order: @Sendable () -> [UInt64] = { queueOrder(libraryID) }
        switch kind {
        case .simulated:
            let path = simulatedStatePath(library.id)
            let fresh = !FileManager.default.fileExists(atPath: path)
            let robot = try changerCall { () throws(ChangerError) in
                try SimulatedChanger(
                    name: library.name, path: path, slots: Int(library.slotCount), drives: Int(library.driveCount),
                    ports: Int(library.portCount))
            }
            if fresh {
                _ = try changerCall { () throws(ChangerError) in
                    try robot.modify { robotState in
                        for medium in state.media.values where medium.location.library == library.id {
                            robotState.place(medium.barcode, at: medium.location)
                        }
                    }
                }
            }
            entry = Entry(
                kind: kind, device: "", settings: library.changerSettings,
                changer: Changer(driver: robot, timeouts: timeouts, queueOrder: order), simulated: robot)
        case .mtx:
            let (driver, limits) = mtxDriver(library)
            entry = Entry(
                kind: kind, device: library.device, settings: library.changerSettings,
                changer: Changer(driver: driver, timeouts: limits, queueOrder: order))
        }
        return entries.withLock { entries in
            // Another task may have made one meanwhile: keep the first, so there is one actor per library.
            if let first = entries[library.id], first.serves(library) { return first }
            entries[library.id] = entry
            return entry
        }
    }

    /// The mtx driver for `library` as its settings say, and the actor's limits
    /// around it: each beyond what the driver may take itself (an unload after
    /// an `offline`, a status after an `inventory`), so the driver reports first.
    private func mtxDriver(_ library: Library) -> (MtxDriver, ChangerTimeouts) {
        let settings = library.changerSettings
        let driverTimeouts = MtxTimeouts(
            status: .seconds(settings.effectiveStatusTimeout), move: .seconds(settings.effectiveMoveTimeout),
            rescan: .seconds(settings.effectiveInventoryTimeout))
        let driver = MtxDriver(
            device: library.device,
            runner: mtxCommand(settings.mtxPath),
            timeouts: driverTimeouts, inventoryBeforeStatus: settings.inventoryBeforeStatus,
            offlineDevices: settings.offlineBeforeUnload ? settings.driveDevices : [:],
            tapeRunner: tapeRunner ?? ProcessCommandRunner(executable: "mt"))
        let margin = Duration.seconds(60)
        let limits = ChangerTimeouts(
            move: max(timeouts.move, driverTimeouts.move * (settings.offlineBeforeUnload ? 2 : 1) + margin),
            status: max(
                timeouts.status,
                driverTimeouts.status + (settings.inventoryBeforeStatus ? driverTimeouts.rescan : .zero) + margin),
            rescan: max(timeouts.rescan, driverTimeouts.rescan + margin))
        return (driver, limits)
    }

    /// What runs mtx: the tests' stand-in, else the binary at `path` (empty: the usual lookup).
    private func mtxCommand(_ path: String) -> any CommandRunner {
        mtxRunner ?? ProcessCommandRunner(executable: path.isEmpty ? "mtx" : path)
    }

    /// Reads the status of the mtx changer at `device`, for a library not yet
    /// using it, with the mtx binary at `mtxPath` (empty: the usual lookup).
    func probe(device: String, mtxPath: String) async throws(NtmsError) -> ChangerStatus {
        let driver = MtxDriver(device: device, runner: mtxCommand(mtxPath))
        return try await changerCall { () async throws(ChangerError) in try await driver.status() }
    }

    private func makeChangersDirectory() throws(NtmsError) {
        guard mkdir(changersDirectory, 0o700) == 0 || errno == EEXIST else {
            throw NtmsError(
                .deviceNotAvailable, "cannot create \(changersDirectory): \(String(cString: strerror(errno)))")
        }
    }

    /// Holds the library's robot against other processes using the same store,
    /// from the intent to the outcome. Released when the process dies, which is
    /// how a later process knows an unfinished operation is a leftover.
    func lockAcrossProcesses(_ library: LibraryID) async throws(NtmsError) -> FileLock {
        try makeChangersDirectory()
        let path = changersDirectory + "/\(library).lock"
        return try await changerCall { () async throws(ChangerError) in try await FileLock.acquire(path) }
    }
}

extension SimulatedLibraryState {
    /// Puts a cartridge where the catalogue says it is (when that element is empty).
    mutating func place(_ barcode: String, at location: MediumLocation) {
        let cartridge = Cartridge(barcode: barcode)
        switch location {
        case .slot(_, let n) where n >= 1 && Int(n) <= slots.count && slots[Int(n) - 1] == nil:
            slots[Int(n) - 1] = cartridge
        case .port(_, let n) where n >= 1 && Int(n) <= ports.count && ports[Int(n) - 1] == nil:
            ports[Int(n) - 1] = cartridge
        case .drive(_, let n) where Int(n) < drives.count && drives[Int(n)] == nil:
            drives[Int(n)] = Loaded(cartridge: cartridge, source: nil)
        default:
            break
        }
    }
}

extension MediumLocation {
    /// The changer's element for a place in a library.
    var changerElement: ChangerElement? {
        switch self {
        case .shelf: nil
        case .slot(_, let n): .slot(n)
        case .drive(_, let n): .drive(n)
        case .port(_, let n): .port(n)
        }
    }
}

extension ChangerElement {
    func location(in library: LibraryID) -> MediumLocation {
        switch self {
        case .slot(let n): .slot(library, n)
        case .drive(let n): .drive(library, n)
        case .port(let n): .port(library, n)
        }
    }
}
