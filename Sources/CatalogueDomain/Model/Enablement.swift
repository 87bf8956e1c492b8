/// An object Enable/DisableNtmsObject acts on: a library, one of its drives,
/// or a physical medium.
public enum EnablementTarget: Sendable, Hashable {
    case library(LibraryID)
    case drive(DriveAddress)
    case medium(MediumID)

    /// What kind of object it is.
    public var kind: EnablementKind {
        switch self {
        case .library: .library
        case .drive: .drive
        case .medium: .medium
        }
    }

    /// `library`, `drive` or `medium`: RSM's `NTMS_LIBRARY`, `NTMS_DRIVE`, `NTMS_PHYSICAL_MEDIA`.
    public var kindName: String { kind.rawValue }
}

/// The kinds of object that can be enabled and disabled, by the names the CLI and the API use.
public enum EnablementKind: String, Sendable, CaseIterable {
    case library, drive, medium
}

/// Why an object was disabled.
public enum DisableReason: UInt8, Sendable, CaseIterable {
    /// A caller asked (DisableNtmsObject).
    case requested = 1
    /// The drive failed `Drive.failuresBeforeDisable` robot operations in a row.
    case repeatedFailures = 2

    public var name: String {
        switch self {
        case .requested: "requested"
        case .repeatedFailures: "repeated-failures"
        }
    }
}

extension Drive {
    /// Failed mounts and dismounts in a row after which the engine takes a drive
    /// out of use and asks for service: one failure can be a stuck cartridge,
    /// three in a row are the drive.
    public static let failuresBeforeDisable: UInt32 = 3
}
