import ArgumentParser
import CatalogueDomain
import Foundation

// Exit status: 0 success, 2 usage error, 3 an NTMS error, 1 anything else.
let wantsJSON = CommandLine.arguments.contains("--json")

/// Calls the async `run()`; through the existential the synchronous overload would win.
func runAsync<Command: AsyncParsableCommand>(_ command: inout Command) async throws {
    try await command.run()
}

do {
    var command = try MediaCtl.parseAsRoot()
    if var asyncCommand = command as? any AsyncParsableCommand {
        try await runAsync(&asyncCommand)
    } else {
        try command.run()
    }
    exit(0)
} catch let error as NtmsError {
    Output.reportError(error, json: wantsJSON)
    exit(3)
} catch let error as UsageError {
    FileHandle.standardError.write(Data("mediactl: \(error.message)\n".utf8))
    exit(2)
} catch {
    let code = MediaCtl.exitCode(for: error)
    if code == .success {
        print(MediaCtl.fullMessage(for: error))
        exit(0)
    }
    FileHandle.standardError.write(Data((MediaCtl.fullMessage(for: error) + "\n").utf8))
    exit(code == .validationFailure ? 2 : 1)
}
