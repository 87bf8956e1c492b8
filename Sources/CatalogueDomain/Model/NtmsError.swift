/// The Win32 error codes the NTMS API returns, with their winerror.h values.
public enum NtmsErrorCode: Int32, Sendable, CaseIterable, Codable {
    case pathNotFound = 3
    case accessDenied = 5
    case invalidHandle = 6
    case notEnoughMemory = 8
    case invalidDrive = 15
    /// A write to a file failed for a reason other than space or permission.
    case writeFault = 29
    case fileExists = 80
    /// A changer or drive is not ready (SCSI Unit Attention that persists, a cartridge stuck in a drive).
    case notReady = 21
    case invalidParameter = 87
    case diskFull = 112
    case invalidName = 123
    case busy = 170
    case alreadyExists = 183
    case cancelled = 1223
    case timeout = 1460
    case invalidMedia = 4300
    case invalidLibrary = 4301
    case invalidMediaPool = 4302
    case driveMediaMismatch = 4303
    case mediaOffline = 4304
    case libraryOffline = 4305
    /// The source of a move is empty.
    case empty = 4306
    case notEmpty = 4307
    case mediaUnavailable = 4308
    /// A drive (or other device) is disabled.
    case resourceDisabled = 4309
    /// There is no usable cleaning cartridge.
    case invalidCleaner = 4310
    case unableToClean = 4311
    case objectNotFound = 4312
    case databaseFailure = 4313
    case databaseFull = 4314
    case mediaIncompatible = 4315
    /// An element the library does not have (a cleaner slot beyond its slots).
    case resourceNotPresent = 4316
    case invalidOperation = 4317
    /// The medium is disabled.
    case mediaNotAvailable = 4318
    case deviceNotAvailable = 4319
    case libraryFull = 4322
    case cleanerSlotSet = 4331
    case cleanerSlotNotSet = 4332
    case cleanerCartridgeSpent = 4333
    case messageExceedsMaxSize = 4336
    case cleanerCartridgeInstalled = 4340
    /// The destination of a move is already full.
    case resourceNotAvailable = 5006
    case invalidState = 5023

    /// The winerror.h name, for example `ERROR_MEDIA_UNAVAILABLE`.
    public var name: String {
        switch self {
        case .pathNotFound: "ERROR_PATH_NOT_FOUND"
        case .accessDenied: "ERROR_ACCESS_DENIED"
        case .invalidHandle: "ERROR_INVALID_HANDLE"
        case .notEnoughMemory: "ERROR_NOT_ENOUGH_MEMORY"
        case .invalidDrive: "ERROR_INVALID_DRIVE"
        case .writeFault: "ERROR_WRITE_FAULT"
        case .fileExists: "ERROR_FILE_EXISTS"
        case .notReady: "ERROR_NOT_READY"
        case .invalidParameter: "ERROR_INVALID_PARAMETER"
        case .diskFull: "ERROR_DISK_FULL"
        case .invalidName: "ERROR_INVALID_NAME"
        case .busy: "ERROR_BUSY"
        case .alreadyExists: "ERROR_ALREADY_EXISTS"
        case .cancelled: "ERROR_CANCELLED"
        case .timeout: "ERROR_TIMEOUT"
        case .invalidMedia: "ERROR_INVALID_MEDIA"
        case .invalidLibrary: "ERROR_INVALID_LIBRARY"
        case .invalidMediaPool: "ERROR_INVALID_MEDIA_POOL"
        case .driveMediaMismatch: "ERROR_DRIVE_MEDIA_MISMATCH"
        case .mediaOffline: "ERROR_MEDIA_OFFLINE"
        case .libraryOffline: "ERROR_LIBRARY_OFFLINE"
        case .empty: "ERROR_EMPTY"
        case .notEmpty: "ERROR_NOT_EMPTY"
        case .mediaUnavailable: "ERROR_MEDIA_UNAVAILABLE"
        case .resourceDisabled: "ERROR_RESOURCE_DISABLED"
        case .invalidCleaner: "ERROR_INVALID_CLEANER"
        case .unableToClean: "ERROR_UNABLE_TO_CLEAN"
        case .resourceNotPresent: "ERROR_RESOURCE_NOT_PRESENT"
        case .cleanerSlotSet: "ERROR_CLEANER_SLOT_SET"
        case .cleanerSlotNotSet: "ERROR_CLEANER_SLOT_NOT_SET"
        case .cleanerCartridgeSpent: "ERROR_CLEANER_CARTRIDGE_SPENT"
        case .cleanerCartridgeInstalled: "ERROR_CLEANER_CARTRIDGE_INSTALLED"
        case .objectNotFound: "ERROR_OBJECT_NOT_FOUND"
        case .databaseFailure: "ERROR_DATABASE_FAILURE"
        case .databaseFull: "ERROR_DATABASE_FULL"
        case .mediaIncompatible: "ERROR_MEDIA_INCOMPATIBLE"
        case .invalidOperation: "ERROR_INVALID_OPERATION"
        case .mediaNotAvailable: "ERROR_MEDIA_NOT_AVAILABLE"
        case .deviceNotAvailable: "ERROR_DEVICE_NOT_AVAILABLE"
        case .libraryFull: "ERROR_LIBRARY_FULL"
        case .messageExceedsMaxSize: "ERROR_MESSAGE_EXCEEDS_MAX_SIZE"
        case .resourceNotAvailable: "ERROR_RESOURCE_NOT_AVAILABLE"
        case .invalidState: "ERROR_INVALID_STATE"
        }
    }
}

/// The one error type callers of the catalogue get: an NTMS code and a message
/// that says what was wrong with which object.
public struct NtmsError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: NtmsErrorCode
    public var message: String

    public init(_ code: NtmsErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.name) (\(code.rawValue)): \(message)" }
}
