import CatalogueDomain
import CatalogueStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Catalogue {
    /// Makes the store at `directory` readable by the members of `group`, so
    /// reporting tools and auditors can open it `.readOnly` with LMDB reader
    /// slots, while only its owner can change it. A new store stays private
    /// until this is called. Runs as the store's owner (or root), who must be
    /// a member of `group` unless root.
    ///
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) for a group the system does
    ///   not know; `ERROR_ACCESS_DENIED` (5) when this user may not give the
    ///   files to that group; `ERROR_DATABASE_FAILURE` (4313) for no store.
    public static func shareStore(at directory: String, withGroup group: String) throws(NtmsError) {
        guard let groupID = Self.groupID(named: group) else {
            throw NtmsError(.invalidParameter, "the system has no group named \(group)")
        }
        do {
            try StoreDirectory.share(directory, withGroup: groupID)
        } catch {
            throw error.ntmsError
        }
    }

    /// The group's id from the group database, nil when it has no such group.
    static func groupID(named name: String) -> gid_t? {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        // Large enough for groups with many members; getgrnam_r fails cleanly beyond it.
        var buffer = [CChar](repeating: 0, count: 1 << 16)
        guard getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.gr_gid
    }
}
