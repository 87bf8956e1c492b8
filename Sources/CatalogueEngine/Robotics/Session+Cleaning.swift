import CatalogueDomain
import CatalogueHardware

// Drive cleaning: the cleaner slot, the cleaning cartridge, CleanNtmsDrive,
// and when a drive is due. Cleaning before a mount is in `mount(_:drive:)`.
extension Session {
    /// ReserveNtmsCleanerSlot: an empty slot becomes the library's cleaner slot.
    ///
    /// - Throws: `ERROR_CLEANER_SLOT_SET` (4331) when the library has one;
    ///   `ERROR_RESOURCE_NOT_AVAILABLE` (5006) for a full slot;
    ///   `ERROR_RESOURCE_NOT_PRESENT` (4316) for a slot the library does not have.
    public func reserveCleanerSlot(_ library: LibraryID, slot: UInt32) async throws(NtmsError) {
        _ = try await execute(.reserveCleanerSlot(library, slot: slot))
    }

    /// ReleaseNtmsCleanerSlot.
    ///
    /// - Throws: `ERROR_CLEANER_SLOT_NOT_SET` (4332) without one;
    ///   `ERROR_CLEANER_CARTRIDGE_INSTALLED` (4340) while the cleaner is in it.
    public func releaseCleanerSlot(_ library: LibraryID) async throws(NtmsError) {
        _ = try await execute(.releaseCleanerSlot(library))
    }

    /// InjectNtmsCleaner: the cleaning cartridge in `port` goes into the cleaner
    /// slot, with `uses` cleanings (nil: unlimited). With a simulated robot the
    /// cartridge is first put into the port, as an operator would.
    ///
    /// - Throws: `ERROR_CLEANER_SLOT_NOT_SET` (4332); `ERROR_CLEANER_CARTRIDGE_INSTALLED`
    ///   (4340) when the library has a cleaner; `ERROR_CLEANER_CARTRIDGE_SPENT` (4333)
    ///   for 0 uses; `ERROR_ALREADY_EXISTS` (183) for a catalogued medium's bar code.
    public func injectCleaner(library libraryID: LibraryID, port: UInt32, barcode: String, uses: UInt32?)
        async throws(NtmsError)
    {
        try await withCartridgeInPort(libraryID, port: port, barcode: barcode) { () async throws(NtmsError) in
            try await self.withRobot(libraryID, .injectCleaner, port: port) { work async throws(NtmsError) in
                _ = try await self.runOperation(
                    .beginCleanerInject(libraryID, port: port, barcode: barcode, uses: uses), work: work)
            }
        }
    }

    /// EjectNtmsCleaner: the cleaning cartridge goes to `port`.
    ///
    /// - Throws: `ERROR_INVALID_CLEANER` (4310) without a cleaner; `ERROR_BUSY` (170) for a full port.
    public func ejectCleaner(library libraryID: LibraryID, port: UInt32) async throws(NtmsError) {
        try await withRobot(libraryID, .ejectCleaner, port: port) { work async throws(NtmsError) in
            _ = try await self.runOperation(.beginCleanerEject(libraryID, port: port), work: work)
        }
    }

    /// CleanNtmsDrive: the robot loads the cleaner into the empty drive and
    /// takes it back; the drive is BEING_CLEANED meanwhile and the cleaner has
    /// one use fewer.
    ///
    /// - Throws: `ERROR_BUSY` (170) for a drive that is not empty;
    ///   `ERROR_CLEANER_SLOT_NOT_SET` (4332), `ERROR_UNABLE_TO_CLEAN` (4311) without a
    ///   cleaner, `ERROR_CLEANER_CARTRIDGE_SPENT` (4333); what a robot move throws.
    public func clean(_ drive: DriveAddress) async throws(NtmsError) {
        try await withRobot(drive.library, .clean, drive: drive.number) { work async throws(NtmsError) in
            _ = try await self.runOperation(.beginClean(drive, automatic: false), work: work)
        }
    }

    /// Reports that a drive needs cleaning: it is cleaned before its next mount.
    ///
    /// - Throws: `ERROR_INVALID_LIBRARY` (4301) for no such online library;
    ///   `ERROR_INVALID_DRIVE` (15) for a drive it does not have.
    public func requestCleaning(_ drive: DriveAddress) async throws(NtmsError) {
        _ = try await execute(.requestCleaning(drive))
    }

    /// How many mounts a library's drives may have between cleanings (0: cleaned only when reported).
    ///
    /// - Throws: `ERROR_INVALID_LIBRARY` (4301) for no such online library.
    public func setCleaningInterval(_ library: LibraryID, mounts: UInt32) async throws(NtmsError) {
        _ = try await execute(.setCleaningInterval(library, mounts: mounts))
    }

    /// Runs `body` with a cartridge put into a simulated robot's port (taken back
    /// out when `body` fails); for a real changer the operator has put it there.
    func withCartridgeInPort<T: Sendable>(
        _ libraryID: LibraryID, port: UInt32, barcode: String, label: TapeLabel? = nil,
        _ body: () async throws(NtmsError) -> T
    ) async throws(NtmsError) -> T {
        guard catalogue.newestSnapshot.state.libraries[libraryID]?.changer == .simulated else {
            return try await body()
        }
        let robot = try catalogue.simulatedRobot(for: libraryID)
        try changerCall { () throws(ChangerError) in try robot.insertIntoPort(port, barcode: barcode, label: label) }
        do {
            return try await body()
        } catch {
            // Nothing was injected: the operator takes the cartridge back out.
            _ = try? robot.removeFromPort(port)
            throw error
        }
    }
}
