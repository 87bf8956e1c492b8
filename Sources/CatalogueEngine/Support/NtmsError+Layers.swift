import CatalogueDomain
import CatalogueHardware
import CatalogueStorage

// The layers below the engine have their own errors; callers only ever see
// NTMS errors, mapped here.

extension StorageError {
    /// The NTMS error a caller sees for a storage failure.
    var ntmsError: NtmsError {
        switch self {
        case .diskFull, .mapFull:
            return NtmsError(.databaseFull, "the catalogue store is full: \(self)")
        case .storeMissing(let path):
            return NtmsError(.databaseFailure, "no catalogue store at \(path); create one with `mediactl init`")
        case .permissionDenied, .untrustedStore, .readOnlyFileSystem:
            return NtmsError(.accessDenied, self.description)
        case .readOnly:
            return NtmsError(.accessDenied, "the catalogue is open read-only; this command needs a writable open")
        case .writerOutpacesReader:
            return NtmsError(
                .busy,
                "\(self); read a copy made with `mdb_copy`, or have the store's owner run "
                    + "`mediactl init --group GROUP` so that readers in GROUP get reader slots")
        default:
            return NtmsError(.databaseFailure, "the catalogue store failed: \(self)")
        }
    }
}

/// Any error from the storage path, as the NTMS error callers get.
func ntmsError(from error: any Error) -> NtmsError {
    switch error {
    case let error as NtmsError: return error
    case let error as StorageError: return error.ntmsError
    case let error as ChangerError: return error.ntmsError
    default: return NtmsError(.databaseFailure, "the catalogue store failed: \(error)")
    }
}

extension ChangerError {
    /// The NTMS error a caller sees for a changer failure.
    var ntmsError: NtmsError {
        let code: NtmsErrorCode =
            switch kind {
            case .destinationFull: .resourceNotAvailable
            case .sourceEmpty: .empty
            case .noSuchElement: .invalidDrive
            case .refused: .invalidOperation
            case .busy: .busy
            case .notReady: .notReady
            case .timedOut: .timeout
            case .unavailable: .deviceNotAvailable
            }
        return NtmsError(code, message)
    }
}

extension NtmsError {
    /// The NTMS error for a changer failure, for embedders that drive a changer themselves.
    public init(_ error: ChangerError) { self = error.ntmsError }
}

/// Runs a changer call, turning its failure into the caller's NTMS error.
func changerCall<T>(_ body: () throws(ChangerError) -> T) throws(NtmsError) -> T {
    do { return try body() } catch { throw error.ntmsError }
}

/// Runs a changer call, turning its failure into the caller's NTMS error.
func changerCall<T>(_ body: () async throws(ChangerError) -> T) async throws(NtmsError) -> T {
    do { return try await body() } catch { throw error.ntmsError }
}
