import ArgumentParser
import CatalogueDomain
import CatalogueEngine
import CatalogueHardware
import Foundation

// Exit status: 0 success, 2 usage error, 3 an NTMS error, 1 anything else.
let wantsJSON = CommandLine.arguments.contains("--json")

/// Calls the async `run()`; through the existential the synchronous overload would win.
func runAsync<Command: AsyncParsableCommand>(_ command: inout Command) async throws {
    try await command.run()
}

// Swift would replace invalid bytes with U+FFFD, so two different bar codes
// could arrive as one: an argument that is not UTF-8 is a usage error.
for index in 1..<Int(CommandLine.argc) {
    guard let raw = CommandLine.unsafeArgv[index], String(validatingCString: raw) != nil else {
        FileHandle.standardError.write(Data("mediactl: argument \(index) is not valid UTF-8\n".utf8))
        exit(2)
    }
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
} catch let error as ChangerError {
    Output.reportError(NtmsError(error), json: wantsJSON)
    exit(3)
} catch let error as UsageError {
    FileHandle.standardError.write(Data("mediactl: \(TextRules.escaped(error.message))\n".utf8))
    exit(2)
} catch {
    let code = MediaCtl.exitCode(for: error)
    if code == .success {
        print(Output.terminalText(MediaCtl.fullMessage(for: error)))
        exit(0)
    }
    FileHandle.standardError.write(Data((Output.terminalText(MediaCtl.fullMessage(for: error)) + "\n").utf8))
    exit(code == .validationFailure ? 2 : 1)
}
