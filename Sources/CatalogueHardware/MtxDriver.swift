import Atomics
import Foundation

/// What a command printed and how it ended.
public struct CommandResult: Sendable, Equatable {
    public var exitStatus: Int32
    public var standardOutput: String
    public var standardError: String

    public init(exitStatus: Int32, standardOutput: String, standardError: String) {
        self.exitStatus = exitStatus
        self.standardOutput = standardOutput
        self.standardError = standardError
    }
}

/// Runs the `mtx` binary. Injectable so tests can stand in for the device.
public protocol CommandRunner: Sendable {
    /// Runs `mtx` with `arguments`; past `timeout` the process is killed and
    /// the call fails with ERROR_TIMEOUT.
    func run(_ arguments: [String], timeout: Duration) async throws(ChangerError) -> CommandResult
}

/// Timeouts per kind of changer command. mtx gives each SCSI command five
/// minutes; a status or a move is allowed that and a minute more, so mtx
/// reports its own timeout first, and `mtx inventory` (a scan of every
/// element) half an hour. The catalogue's `ChangerSettings` defaults are these.
public struct MtxTimeouts: Sendable, Equatable {
    public var status: Duration
    public var move: Duration
    public var rescan: Duration

    public init(status: Duration = .seconds(360), move: Duration = .seconds(360), rescan: Duration = .seconds(1800)) {
        self.status = status
        self.move = move
        self.rescan = rescan
    }
}

/// Drives a SCSI medium changer through the `mtx` command (Debian package `mtx`).
///
/// Numbering: mtx counts drives from 0 and storage elements from 1 with the
/// import/export elements mixed in wherever the library puts them. The driver
/// maps the catalogue's slot N to the N-th plain storage element and port N to
/// the N-th import/export element, using the last status it read.
public actor MtxDriver: ChangerDriver {
    public nonisolated let name: String
    public nonisolated let device: String
    private let runner: any CommandRunner
    private let timeouts: MtxTimeouts
    private let inventoryBeforeStatus: Bool
    private let offlineDevices: [UInt32: String]
    private let tapeRunner: any CommandRunner
    private var storageElements: [UInt32] = []
    private var importExportElements: [UInt32] = []

    /// - Parameters:
    ///   - inventoryBeforeStatus: run `mtx inventory` before each status (changers that report stale contents).
    ///   - offlineDevices: the tape device of each drive to take offline (`mt -f TAPE offline`,
    ///     run by `tapeRunner`) before unloading it, for drives that refuse to give up a loaded tape.
    public init(
        device: String, runner: any CommandRunner = ProcessCommandRunner(), timeouts: MtxTimeouts = .init(),
        inventoryBeforeStatus: Bool = false, offlineDevices: [UInt32: String] = [:],
        tapeRunner: any CommandRunner = ProcessCommandRunner(executable: "mt")
    ) {
        self.device = device
        self.runner = runner
        self.timeouts = timeouts
        self.inventoryBeforeStatus = inventoryBeforeStatus
        self.offlineDevices = offlineDevices
        self.tapeRunner = tapeRunner
        name = "mtx \(device)"
    }

    public func status() async throws(ChangerError) -> ChangerStatus {
        if inventoryBeforeStatus { try await rescan() }
        let result = try await runRetryingUnitAttention(["status"], timeout: timeouts.status)
        let parsed = try MtxStatusParser.parse(result.standardOutput)
        storageElements = parsed.elements.filter { $0.kind == .storage }.map(\.number).sorted()
        importExportElements = parsed.elements.filter { $0.kind == .importExport }.map(\.number).sorted()
        func catalogueElement(_ number: UInt32) -> ChangerElement? {
            if let index = storageElements.firstIndex(of: number) { return .slot(UInt32(index + 1)) }
            if let index = importExportElements.firstIndex(of: number) { return .port(UInt32(index + 1)) }
            return nil
        }
        var drives: [ElementContent] = []
        var slots: [ElementContent] = []
        var ports: [ElementContent] = []
        for element in parsed.elements {
            switch element.kind {
            case .drive:
                drives.append(
                    ElementContent(
                        element: .drive(element.number), isFull: element.isFull, barcode: element.volumeTag,
                        source: element.sourceElement.flatMap(catalogueElement)))
            case .storage, .importExport:
                guard let mapped = catalogueElement(element.number) else { continue }
                let content = ElementContent(element: mapped, isFull: element.isFull, barcode: element.volumeTag)
                if case .slot = mapped { slots.append(content) } else { ports.append(content) }
            }
        }
        // The header counts import/export elements among its slots.
        let geometry = ChangerGeometry(
            drives: parsed.driveCount, slots: parsed.storageCount - parsed.importExportCount,
            ports: parsed.importExportCount)
        return ChangerStatus(
            drives: drives, slots: slots, ports: ports, warnings: parsed.warnings, geometry: geometry)
    }

    public func move(from source: ChangerElement, to destination: ChangerElement) async throws(ChangerError) {
        if storageElements.isEmpty && importExportElements.isEmpty { _ = try await status() }
        let arguments: [String]
        switch (source, destination) {
        case (.slot, .drive(let drive)), (.port, .drive(let drive)):
            arguments = ["load", String(try address(of: source)), String(drive)]
        case (.drive(let drive), .slot), (.drive(let drive), .port):
            arguments = ["unload", String(try address(of: destination)), String(drive)]
            if let tape = offlineDevices[drive] { try await takeOffline(tape, drive: drive) }
        case (.slot, .slot), (.slot, .port), (.port, .slot), (.port, .port):
            arguments = ["transfer", String(try address(of: source)), String(try address(of: destination))]
        case (.drive, .drive):
            throw ChangerError(.refused, "mtx cannot move a cartridge from one drive to another directly")
        }
        _ = try await runRetryingUnitAttention(arguments, timeout: timeouts.move)
    }

    public func rescan() async throws(ChangerError) {
        _ = try await runRetryingUnitAttention(["inventory"], timeout: timeouts.rescan)
    }

    /// Ejects the tape in a drive that keeps it loaded until told (`mt -f TAPE offline`);
    /// a failure leaves the cartridge in the drive, so nothing has moved.
    private func takeOffline(_ tape: String, drive: UInt32) async throws(ChangerError) {
        let result = try await tapeRunner.run(["-f", tape, "offline"], timeout: timeouts.move)
        guard result.exitStatus != 0 else { return }
        let said =
            (result.standardError + "\n" + result.standardOutput).split(whereSeparator: \.isNewline)
            .map { $0.trimmingBlanks() }.first { !$0.isEmpty }.map(String.init) ?? "exit status \(result.exitStatus)"
        throw ChangerError(
            .notReady, "`mt -f \(tape) offline` failed before unloading drive \(drive): \(said)", nothingMoved: true)
    }

    /// mtx's storage element number for a slot or port.
    private func address(of element: ChangerElement) throws(ChangerError) -> UInt32 {
        switch element {
        case .slot(let n) where n >= 1 && Int(n) <= storageElements.count: return storageElements[Int(n) - 1]
        case .port(let n) where n >= 1 && Int(n) <= importExportElements.count: return importExportElements[Int(n) - 1]
        default:
            throw ChangerError(
                .noSuchElement,
                "\(device) has no \(element) (\(storageElements.count) slots, \(importExportElements.count) ports): "
                    + "compare the library with `mtx status`")
        }
    }

    /// Runs one mtx command. A Unit Attention the changer answered the
    /// command with (its media may have changed, typically after a door was
    /// opened) is retried once; any other failure is reported at once.
    private func runRetryingUnitAttention(_ arguments: [String], timeout: Duration) async throws(ChangerError)
        -> CommandResult
    {
        var attempt = 0
        while true {
            attempt += 1
            let result = try await runner.run(["-f", device] + arguments, timeout: timeout)
            if result.exitStatus == 0 { return result }
            let failure = MtxFailure(result)
            if failure.unitAttentionIsFinal && attempt == 1 { continue }
            throw failure.error(command: arguments.joined(separator: " "), device: device)
        }
    }
}

/// Runs the real `mtx` binary with Foundation's `Process`.
public struct ProcessCommandRunner: CommandRunner {
    public var executable: String

    public init(executable: String = "mtx") {
        self.executable = executable
    }

    public func run(_ arguments: [String], timeout: Duration) async throws(ChangerError) -> CommandResult {
        guard let path = Self.resolve(executable) else {
            throw ChangerError(
                .unavailable,
                "`\(executable)` is not installed (Debian package mtx): not on the PATH, nor in \(Self.systemDirectories.joined(separator: ", "))"
            )
        }
        let executable = self.executable
        let outcome: Result<CommandResult, ChangerError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Self.runBlocking(path, arguments, timeout: timeout, name: executable))
            }
        }
        return try outcome.get()
    }

    private static func runBlocking(_ path: String, _ arguments: [String], timeout: Duration, name: String) -> Result<
        CommandResult, ChangerError
    > {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return .failure(ChangerError(.unavailable, "cannot run \(path): \(error)"))
        }
        let timedOut = ManagedAtomic(false)
        let killer = DispatchWorkItem {
            guard process.isRunning else { return }
            timedOut.store(true, ordering: .relaxed)
            process.terminate()
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
        }
        let (seconds, attoseconds) = timeout.components
        DispatchQueue.global().asyncAfter(
            deadline: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)),
            execute: killer)
        // Both pipes are drained at once so a chatty stderr cannot block the child.
        let errorData = DataBox()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            errorData.data = errors.fileHandleForReading.readDataToEndOfFile()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        killer.cancel()
        if timedOut.load(ordering: .relaxed) {
            return .failure(
                ChangerError(
                    .timedOut, "`\(name) \(arguments.joined(separator: " "))` did not finish within \(timeout)"))
        }
        return .success(
            CommandResult(
                exitStatus: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
                standardError: String(decoding: errorData.data, as: UTF8.self)))
    }

    /// Written by the reading block before it leaves the group, read after `group.wait()`.
    private final class DataBox: @unchecked Sendable {
        var data = Data()
    }

    /// Where system tools live: Debian installs mtx as /usr/sbin/mtx, which a
    /// user's PATH (a service's, a backup application's) often lacks.
    static let systemDirectories = ["/usr/sbin", "/sbin", "/usr/local/sbin"]

    static func resolve(_ executable: String) -> String? {
        if executable.contains("/") {
            return FileManager.default.isExecutableFile(atPath: executable) ? executable : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + systemDirectories {
            let candidate = "\(directory)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
