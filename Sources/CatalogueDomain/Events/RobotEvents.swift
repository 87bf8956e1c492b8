// The events robot operations record; `CatalogueEvent` lists every event.

/// A library's mtx changer settings were set, whole (`library set`).
public struct ChangerConfigured: Sendable, Equatable {
    public var library: LibraryID
    public var settings: ChangerSettings
}

/// AccessNtmsLibraryDoor: an operator may now reach into any slot, so the
/// library needs an inventory and its robot does nothing until the door closes.
public struct LibraryDoorOpened: Sendable, Equatable {
    public var library: LibraryID
}

/// The door was closed; the engine takes the inventory next.
public struct LibraryDoorClosed: Sendable, Equatable {
    public var library: LibraryID
}

/// ReserveNtmsCleanerSlot: an empty slot became the library's cleaner slot.
public struct CleanerSlotReserved: Sendable, Equatable {
    public var library: LibraryID
    public var slot: UInt32
}

/// ReleaseNtmsCleanerSlot: the library's empty cleaner slot holds media again.
public struct CleanerSlotReleased: Sendable, Equatable {
    public var library: LibraryID
}

/// A drive was reported to need cleaning (by an operator or its driver).
public struct DriveCleaningRequested: Sendable, Equatable {
    public var drive: DriveAddress
}

/// How many mounts a library's drives may have between cleanings (0: none counted).
public struct CleaningIntervalSet: Sendable, Equatable {
    public var library: LibraryID
    public var mounts: UInt32
}

/// An inventory did not find the library's cleaning cartridge in its cleaner slot.
public struct CleanerLost: Sendable, Equatable {
    public var library: LibraryID
    public var barcode: String
}

/// A library got a changer driver (set with the library, or later).
public struct ChangerAttached: Sendable, Equatable {
    public var library: LibraryID
    public var kind: ChangerKind
    /// The device path for mtx (`/dev/sg3`); empty for the simulated robot.
    public var device: String
}

/// The intent: the robot is about to move a cartridge.
public struct RobotOperationStarted: Sendable, Equatable {
    public var operation: RobotOperation
}

/// How a robot operation ended.
public enum OperationResult: Sendable, Equatable {
    case succeeded
    /// It failed and the robot confirmed nothing moved.
    case failedUnchanged(code: UInt32, message: String)
    /// It failed or timed out and where the cartridge is, is not known: the library needs an inventory.
    case failedUncertain(code: UInt32, message: String)

    public var name: String {
        switch self {
        case .succeeded: "succeeded"
        case .failedUnchanged: "failed (nothing moved)"
        case .failedUncertain: "failed (needs inventory)"
        }
    }
}

/// The outcome: the robot reported back (for an inject of a new cartridge, a
/// MediumImported event follows in the same transaction).
public struct RobotOperationFinished: Sendable, Equatable {
    public var operation: OperationID
    public var result: OperationResult
}

/// NTMS_DISMOUNT_DEFERRED: the medium stays in its drive, which may be reused.
public struct DismountDeferred: Sendable, Equatable {
    public var medium: MediumID
    public var drive: DriveAddress
}

/// A medium left in a drive by a deferred dismount was mounted again without a move.
public struct MediumRemounted: Sendable, Equatable {
    public var medium: MediumID
    public var side: SideID
    public var drive: DriveAddress
}

/// An inventory read the changer and reconciled the catalogue with it.
public struct InventoryTaken: Sendable, Equatable {
    public var library: LibraryID
    /// Media found somewhere other than where the catalogue had them (including in drives).
    public var moved: [MovedMedium]
    /// Media the catalogue had in this library that the changer does not hold: now on the shelf (offline).
    public var missing: [MediumID]
    /// Full elements holding cartridges the catalogue could not register (no bar code,
    /// a cleaning cartridge, no media type known): for the operator.
    public var unidentified: [UnidentifiedCartridge]
    /// The changer did not report every element; media in unreported elements were left as they were.
    public var incomplete: Bool

    public struct MovedMedium: Sendable, Equatable {
        public var medium: MediumID
        public var from: MediumLocation
        public var to: MediumLocation
    }

    public struct UnidentifiedCartridge: Sendable, Equatable {
        public var location: MediumLocation
        /// Empty when the cartridge has no readable label.
        public var barcode: String
        public var reason: String
    }
}
