#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a store is opened.
public enum StoreAccess: Sendable, Equatable {
    /// The writer's access: appends events, records the head, saves checkpoints.
    case readWrite
    /// Reads only: never begins a write transaction, so it works for a user who
    /// may only read the files, on a copy and on a read-only mount.
    case readOnly
}

/// The checks a store directory passes before LMDB opens anything in it.
public enum StoreDirectory {
    /// The store's files; LMDB opens them by name inside the directory.
    static let fileNames = ["data.mdb", "lock.mdb"]
    /// What `init` gives a new store directory, and what it restores on an existing one.
    static let directoryMode: mode_t = 0o700

    static func check(_ directory: String, create: Bool, access mode: StoreAccess) throws(StorageError) {
        // The directory may be a link (operators move stores to other disks); its
        // target is what must be trusted, so it is followed and checked.
        var status = stat()
        if stat(directory, &status) != 0 {
            let error = errno
            guard error == ENOENT else { throw failure(error, path: directory, doing: "stat") }
            guard create else { throw .storeMissing(path: directory) }
            guard mkdir(directory, directoryMode) == 0 else {
                throw failure(errno, path: directory, doing: "mkdir")
            }
            guard stat(directory, &status) == 0 else { throw failure(errno, path: directory, doing: "stat") }
        }
        guard (status.st_mode & S_IFMT) == S_IFDIR else {
            throw .untrustedStore(path: directory, reason: "it is not a directory")
        }
        let owner = status.st_uid
        let me = geteuid()
        if mode == .readWrite {
            guard owner == me || owner == 0 else {
                throw .untrustedStore(
                    path: directory, reason: "it belongs to user id \(owner), not to this user (\(me)) or root")
            }
        }
        if status.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            // `init` repairs a directory it owns; everything else refuses it, since
            // anyone who can write there could plant a link in place of a store file.
            guard create, owner == me, chmod(directory, directoryMode) == 0 else {
                throw .untrustedStore(
                    path: directory,
                    reason:
                        "it is writable by others (mode \(String(status.st_mode & 0o777, radix: 8))); "
                        + "`chmod 700` it, or run `mediactl init` on it as its owner")
            }
        }
        var existing = 0
        for name in fileNames {
            let path = directory + "/" + name
            var file = stat()
            guard lstat(path, &file) == 0 else {
                let error = errno
                guard error == ENOENT else { throw failure(error, path: path, doing: "stat") }
                continue
            }
            guard (file.st_mode & S_IFMT) == S_IFREG else {
                throw .untrustedStore(path: path, reason: "it is not a regular file (symbolic links are refused)")
            }
            if name == "data.mdb" {
                existing += 1
                guard file.st_size > 0 else {
                    throw .notAStore(
                        path: directory,
                        reason: "data.mdb is empty; restore the store from a copy, or move its files aside first")
                }
                // A reader needs read permission; say so by name instead of an LMDB code.
                guard access(path, mode == .readOnly ? R_OK : R_OK | W_OK) == 0 else {
                    throw failure(errno, path: path, doing: "open")
                }
            }
        }
        if existing == 0, !create { throw .storeMissing(path: directory) }
    }

    /// Lets the members of group `groupID` read the store and take LMDB reader
    /// slots: the directory becomes 0750 and `data.mdb` 0640, so they cannot
    /// change the log; `lock.mdb` becomes 0660, since a reader records its slot
    /// there. Only the store's owner (or root) may do this.
    public static func share(_ directory: String, withGroup groupID: gid_t) throws(StorageError) {
        try check(directory, create: false, access: .readWrite)
        let modes: [(String, mode_t)] = [
            (directory, 0o750), (directory + "/data.mdb", 0o640), (directory + "/lock.mdb", 0o660),
        ]
        for (path, mode) in modes {
            guard chown(path, uid_t.max, groupID) == 0 else { throw failure(errno, path: path, doing: "chown") }
            guard chmod(path, mode) == 0 else { throw failure(errno, path: path, doing: "chmod") }
        }
    }

    /// A refused permission, named as such; any other failure as the system error.
    private static func failure(_ error: Int32, path: String, doing operation: String) -> StorageError {
        switch error {
        case EACCES, EPERM: .permissionDenied(path: path)
        case EROFS: .readOnlyFileSystem(path: path)
        default: .system(errno: error, operation: "\(operation) \(path)")
        }
    }
}
