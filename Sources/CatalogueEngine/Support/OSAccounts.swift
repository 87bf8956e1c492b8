import CatalogueDomain
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Names of OS users and groups, as the kernel's ids stand for them: what the
/// CLI on the store files and the server's Unix socket check rights against.
public enum OSAccounts {
    /// The principal of a user id: its login name (`uid-N` when it has none
    /// usable) and the names of every group it belongs to, primary first.
    public static func principal(uid: uid_t, gid: gid_t) -> Principal {
        Principal(user: userName(uid: uid), groups: groupNames(uid: uid, primary: gid))
    }

    /// This process's effective user and its groups.
    public static func currentPrincipal() -> Principal { principal(uid: geteuid(), gid: getegid()) }

    /// The login name of `uid`, or `uid-N` when the password database has no usable one.
    public static func userName(uid: uid_t) -> String {
        guard let name = UserAccount(uid: uid)?.name, Self.isUsable(name) else { return "uid-\(uid)" }
        return name
    }

    /// The group names `uid` belongs to (`getgrouplist`), primary first; a
    /// group without a usable name is `gid-N`.
    public static func groupNames(uid: uid_t, primary gid: gid_t) -> [String] {
        guard let account = UserAccount(uid: uid) else { return [groupName(gid: gid)] }
        var count: Int32 = 64
        var ids = [gid_t](repeating: 0, count: Int(count))
        while getgrouplist(account.name, gid, &ids, &count) == -1 {
            // The list was too small: count now says how many there are.
            guard count > Int32(ids.count), count <= Int32(Session.maximumGroupCount) else { break }
            ids = [gid_t](repeating: 0, count: Int(count))
        }
        var names = [groupName(gid: gid)]
        for id in ids.prefix(Int(max(0, min(count, Int32(ids.count))))) where id != gid {
            let name = groupName(gid: id)
            if !names.contains(name) { names.append(name) }
        }
        return Array(names.prefix(Session.maximumGroupCount))
    }

    /// The name of group `gid`, or `gid-N`.
    public static func groupName(gid: gid_t) -> String {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.gr_name,
            let text = String(validatingCString: name), Self.isUsable(text)
        else { return "gid-\(gid)" }
        return text
    }

    /// The name of the user owning `path`, for a store that predates access rights.
    public static func ownerName(of path: String) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else { return userName(uid: geteuid()) }
        return userName(uid: status.st_uid)
    }

    private static func isUsable(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= Session.maximumNameLength && TextRules.isDisplayable(name)
    }
}
