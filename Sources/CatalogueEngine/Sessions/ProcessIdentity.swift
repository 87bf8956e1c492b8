import CatalogueDomain
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who this process is, in a form another process can check later: the boot
/// id, the pid and the pid's start time (so a reused pid is not mistaken for it).
enum ProcessIdentity {
    static let bootID: String = {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? "unknown-boot"
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    static let processID = UInt32(getpid())

    static let processStart: UInt64 = startTime(of: processID) ?? 0

    static func token(session: UInt64) -> WaiterToken {
        WaiterToken(bootID: bootID, processID: processID, processStart: processStart, session: session)
    }

    static func isThisProcess(_ token: WaiterToken) -> Bool {
        token.bootID == bootID && token.processID == processID && token.processStart == processStart
    }

    /// Whether the process a token names may still be running. A different boot
    /// id means the machine restarted; a pid whose start time differs was reused.
    static func mayBeAlive(_ token: WaiterToken) -> Bool {
        guard token.bootID == bootID else { return false }
        if FileManager.default.fileExists(atPath: "/proc/self/stat") {
            return startTime(of: token.processID) == token.processStart
        }
        return kill(pid_t(token.processID), 0) == 0 || errno == EPERM
    }

    /// Field 22 of /proc/PID/stat: the start time in clock ticks since boot
    /// (nil for a missing or zombie process).
    private static func startTime(of pid: UInt32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name (which may hold spaces) start at field 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let state = 0
        let startTime = 22 - 3
        guard fields.count > startTime, fields[state] != "Z" else { return nil }
        return UInt64(fields[startTime])
    }
}
