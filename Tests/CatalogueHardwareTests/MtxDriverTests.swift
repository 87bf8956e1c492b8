import Foundation
import Testing

@testable import CatalogueHardware

/// Stands in for the `mtx` binary: answers each call from a script and records the calls.
final class ScriptedRunner: CommandRunner, @unchecked Sendable {
    private let lock = NSLock()
    private var script: [CommandResult]
    private var calls: [[String]] = []

    init(_ script: [CommandResult]) { self.script = script }

    var recorded: [[String]] { lock.withLock { calls } }

    func run(_ arguments: [String], timeout: Duration) async throws(ChangerError) -> CommandResult {
        let next: CommandResult? = lock.withLock {
            calls.append(arguments)
            return script.isEmpty ? nil : script.removeFirst()
        }
        guard let next else { throw ChangerError(.unavailable, "the script ran out") }
        return next
    }
}

extension CommandResult {
    static func ok(_ output: String = "") -> CommandResult {
        CommandResult(exitStatus: 0, standardOutput: output, standardError: "")
    }

    static func failed(_ error: String) -> CommandResult {
        CommandResult(exitStatus: 1, standardOutput: "", standardError: error)
    }
}

@Suite struct MtxDriverTests {
    @Test func statusMapsStorageAndImportExportElementsToSlotsAndPorts() async throws {
        let runner = ScriptedRunner([.ok(try fixture("own-crlf-mixed-ie"))])
        let driver = MtxDriver(device: "/dev/changer", runner: runner)
        let status = try await driver.status()
        #expect(runner.recorded == [["-f", "/dev/changer", "status"]])
        // mtx elements 2, 3, 5, 6 are slots 1-4; elements 1 and 4 are ports 1 and 2.
        #expect(status.slots.map(\.element) == [.slot(1), .slot(2), .slot(3), .slot(4)])
        #expect(status.slots.map(\.barcode) == [nil, "CLN001L1", "000002", nil])
        #expect(status.slots.map(\.isFull) == [false, true, true, true])
        #expect(status.ports.map(\.barcode) == [nil, "NEW001L8"])
        #expect(status.drives.first?.source == .slot(1), "the drive's source, element 2, is slot 1")
        // The header's 6 slots include the 2 import/export elements.
        #expect(status.geometry == ChangerGeometry(drives: 2, slots: 4, ports: 2))
    }

    @Test func movesUseLoadUnloadAndTransferWithMtxElementNumbers() async throws {
        let runner = ScriptedRunner([.ok(try fixture("own-crlf-mixed-ie")), .ok(), .ok(), .ok(), .ok()])
        let driver = MtxDriver(device: "/dev/changer", runner: runner)
        try await driver.move(from: .slot(3), to: .drive(1))
        try await driver.move(from: .drive(0), to: .slot(1))
        try await driver.move(from: .port(2), to: .slot(4))
        try await driver.move(from: .slot(2), to: .port(1))
        #expect(
            runner.recorded.dropFirst().map { Array($0.dropFirst(2)) } == [
                ["load", "5", "1"], ["unload", "2", "0"], ["transfer", "4", "6"], ["transfer", "3", "1"],
            ])
    }

    @Test func aUnitAttentionIsRetriedOnceAndThenReported() async throws {
        let attention = try fixture("sample4-unit-attention")
        let once = ScriptedRunner([.failed(attention), .ok(try fixture("sample2-proxmox"))])
        let status = try await MtxDriver(device: "/dev/sg1", runner: once).status()
        #expect(status.slots.count == 20)
        #expect(once.recorded.count == 2)

        let twice = ScriptedRunner([.failed(attention), .failed(attention)])
        await #expect(throws: ChangerError.self) { try await MtxDriver(device: "/dev/sg1", runner: twice).status() }
        do {
            _ = try await MtxDriver(
                device: "/dev/sg1", runner: ScriptedRunner([.failed(attention), .failed(attention)])
            )
            .status()
        } catch {
            #expect(error.kind == .notReady)
            #expect(error.message.contains("Unit Attention"))
        }
    }

    @Test(arguments: [
        ("Storage Element 5 is Already Full", ChangerError.Kind.destinationFull),
        ("Source Element Address 4099 is Empty", .sourceEmpty),
        ("Drive needs offline before move", .notReady),
        ("No Source for tape in drive 0!", .refused),
        ("MOVE MEDIUM from Element Address 4098 to 256 Failed", .unavailable),
    ])
    func moveFailuresBecomeTheMatchingChangerError(_ message: String, _ code: ChangerError.Kind) async throws {
        let runner = ScriptedRunner([.ok(try fixture("sample2-proxmox")), .failed(message)])
        let driver = MtxDriver(device: "/dev/sg1", runner: runner)
        do {
            try await driver.move(from: .slot(1), to: .drive(0))
            Issue.record("the move should fail")
        } catch {
            #expect(error.kind == code)
            #expect(error.message.contains(message))
        }
    }

    @Test func anElementTheLibraryDoesNotHaveIsRefusedBeforeMtxRuns() async throws {
        let runner = ScriptedRunner([.ok(try fixture("sample2-proxmox"))])
        let driver = MtxDriver(device: "/dev/sg1", runner: runner)
        await #expect(throws: ChangerError.self) { try await driver.move(from: .slot(21), to: .drive(0)) }
        #expect(runner.recorded.count == 1, "only the status that learnt the numbering ran")
    }

    @Test func theRealMtxBinaryOnAMissingDeviceIsADeviceError() async throws {
        try #require(ProcessCommandRunner.resolve("mtx") != nil, "tools/setup installs the mtx package")
        let driver = MtxDriver(device: "/dev/mediacatalogue-no-such-changer")
        do {
            _ = try await driver.status()
            Issue.record("a missing device cannot report a status")
        } catch {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("/dev/mediacatalogue-no-such-changer"))
        }
    }

    @Test func theProcessRunnerKillsACommandThatOutlivesItsTimeout() async throws {
        let runner = ProcessCommandRunner(executable: "/bin/sleep")
        await #expect(throws: ChangerError.self) { _ = try await runner.run(["30"], timeout: .milliseconds(200)) }
        let finished = try await runner.run(["0"], timeout: .seconds(30))
        #expect(finished.exitStatus == 0)
        let missing = ProcessCommandRunner(executable: "mtx-that-is-not-installed")
        do {
            _ = try await missing.run(["status"], timeout: .seconds(1))
            Issue.record("a missing binary should fail")
        } catch {
            #expect(error.kind == .unavailable)
        }
    }
}
