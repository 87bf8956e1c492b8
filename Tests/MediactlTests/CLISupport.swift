import Foundation

/// Runs the built `mediactl` as a real process.
struct CLI {
    let store: String

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        /// stdout parsed as JSON.
        func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
        func errorJSON() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(stderr.utf8)) as? [String: Any] ?? [:]
        }
    }

    /// `mediactl` sits beside the test bundle in the build directory.
    static let executable: URL = {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundleDirectory, bundleDirectory.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("mediactl")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug/mediactl")
    }()

    init(_ label: String = #function) {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        store = NSTemporaryDirectory() + "mc-cli-\(safe.prefix(40))-\(UUID().uuidString.prefix(8))"
    }

    func remove() { try? FileManager.default.removeItem(atPath: store) }

    /// `launcher` runs `executable` through another program (its path first, then its arguments).
    @discardableResult
    func run(
        _ arguments: [String], environment: [String: String] = [:], launcher: [String] = [],
        executable: URL = Self.executable
    ) throws -> Result {
        let command = launcher + [executable.path] + arguments + ["--store", store]
        return try Self.runProgram(command[0], Array(command.dropFirst()), environment: environment)
    }

    /// Runs any program to its end and returns its status and output.
    static func runProgram(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> Result
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs a command that must succeed and returns its JSON output.
    func json(_ arguments: [String], environment: [String: String] = [:]) throws -> Any {
        let result = try run(arguments + ["--json"], environment: environment)
        guard result.status == 0 else {
            throw CLIFailure(arguments: arguments, result: result)
        }
        return try result.json()
    }

    struct CLIFailure: Error, CustomStringConvertible {
        var arguments: [String]
        var result: Result
        var description: String { "mediactl \(arguments) exited \(result.status): \(result.stderr)" }
    }
}
