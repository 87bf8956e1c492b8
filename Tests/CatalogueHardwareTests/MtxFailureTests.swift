import Foundation
import Testing

@testable import CatalogueHardware

/// How a failed mtx run is read: by the line mtx gave up on, with the sense
/// of the last dump in the message; a refusal moves nothing and is never retried.
@Suite struct MtxFailureTests {
    static let unitAttentionDump = """
        mtx: Request Sense: Long Report=yes
        mtx: Request Sense: Valid Residual=no
        mtx: Request Sense: Error Code=70 (Current)
        mtx: Request Sense: Sense Key=Unit Attention
        mtx: Request Sense: FileMark=no
        mtx: Request Sense: EOM=no
        mtx: Request Sense: ILI=no
        mtx: Request Sense: Additional Sense Code = 28
        mtx: Request Sense: Additional Sense Qualifier = 00
        mtx: Request Sense: BPV=no
        mtx: Request Sense: Error in CDB=no
        mtx: Request Sense: SKSV=no
        """

    static func dump(key: String, code: String, qualifier: String) -> String {
        unitAttentionDump.replacingOccurrences(of: "Sense Key=Unit Attention", with: "Sense Key=\(key)")
            .replacingOccurrences(of: "Additional Sense Code = 28", with: "Additional Sense Code = \(code)")
            .replacingOccurrences(
                of: "Additional Sense Qualifier = 00", with: "Additional Sense Qualifier = \(qualifier)")
    }

    /// The error of `load 1 0` (slot 1 into drive 0) failing with `output`; nil, and an issue, if it passed.
    static func loadFailure(_ output: String) async throws -> ChangerError? {
        let runner = ScriptedRunner([.ok(try fixture("sample2-proxmox")), .failed(output)])
        do {
            try await MtxDriver(device: "/dev/sg1", runner: runner).move(from: .slot(1), to: .drive(0))
            Issue.record("the move failed")
            return nil
        } catch {
            return error
        }
    }

    @Test func aDumpMtxRecoveredFromDoesNotHideTheErrorThatFollows() async throws {
        let output = Self.unitAttentionDump + "\nmtx: illegal Element Type Code 83 reported\n"
        let runner = ScriptedRunner([.failed(output), .ok(try fixture("sample2-proxmox"))])
        let driver = MtxDriver(device: "/dev/sg1", runner: runner)
        do {
            _ = try await driver.status()
            Issue.record("the status failed")
        } catch {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("illegal Element Type Code 83 reported"))
            #expect(error.message.contains("sense: Unit Attention, ASC/ASCQ 28/00"))
        }
        // Not retried: the Unit Attention was not what failed, and a retry doubles a slow failure.
        #expect(runner.recorded == [["-f", "/dev/sg1", "status"]])
    }

    @Test func aUnitAttentionThatFailsTheCommandIsRetriedOnce() async throws {
        let output = Self.unitAttentionDump + "\nMode sense (0x1A) for Page 0x1D failed\n"
        let runner = ScriptedRunner([.failed(output), .ok(try fixture("sample2-proxmox"))])
        let status = try await MtxDriver(device: "/dev/sg1", runner: runner).status()
        #expect(status.slots.count == 20)
        #expect(runner.recorded == [["-f", "/dev/sg1", "status"], ["-f", "/dev/sg1", "status"]])
    }

    @Test func aDumpOnStderrBeforeAGoodStatusIsNoFailure() async throws {
        let runner = ScriptedRunner([
            CommandResult(
                exitStatus: 0, standardOutput: try fixture("sample2-proxmox"), standardError: Self.unitAttentionDump)
        ])
        let status = try await MtxDriver(device: "/dev/sg1", runner: runner).status()
        #expect(status.slots.count == 20)
        #expect(runner.recorded.count == 1)
    }

    @Test(arguments: [
        ("mtx: Drive 0 Full (Storage Element 6 loaded)", ChangerError.Kind.destinationFull),
        ("Invalid <storage-element-number> argument '99' to 'load' command", .noSuchElement),
        ("illegal <drive-number> argument '7' to 'load' command", .noSuchElement),
        ("Do not know which slot to unload tape into!", .refused),
        ("No Source for tape in drive 0!", .refused),
        ("Storage Element 5 is Already Full", .destinationFull),
        ("Data Transfer Element 0 is Empty", .sourceEmpty),
        ("Source Element Address 4099 is Empty", .sourceEmpty),
        ("Drive needs offline before move", .notReady),
    ])
    func aRefusalBeforeAnyMoveMovesNothingAndIsNotRetried(_ line: String, _ kind: ChangerError.Kind) async throws {
        let runner = ScriptedRunner([.ok(try fixture("sample2-proxmox")), .failed(line + "\n")])
        let driver = MtxDriver(device: "/dev/sg1", runner: runner)
        do {
            try await driver.move(from: .slot(1), to: .drive(0))
            Issue.record("the move was refused")
        } catch {
            #expect(error.kind == kind)
            #expect(error.nothingMoved)
            #expect(error.message.contains(line))
        }
        #expect(runner.recorded == [["-f", "/dev/sg1", "status"], ["-f", "/dev/sg1", "load", "1", "0"]])
    }

    @Test func aLibraryOfflineIsNotReadyWithItsSense() async throws {
        let output =
            Self.dump(key: "Not Ready", code: "04", qualifier: "12")
            + "\nMOVE MEDIUM from Element Address 4098 to 256 Failed\n"
        if let error = try await Self.loadFailure(output) {
            #expect(error.kind == .notReady)
            #expect(error.nothingMoved)
            #expect(
                error.message.hasSuffix(
                    "MOVE MEDIUM from Element Address 4098 to 256 Failed (sense: Not Ready, ASC/ASCQ 04/12 (logical unit not ready, offline))"
                ))
        }
    }

    @Test func aHardwareErrorDuringAMoveLeavesTheCartridgeAnywhere() async throws {
        let output =
            Self.dump(key: "Hardware Error", code: "15", qualifier: "01")
            + "\nMOVE MEDIUM from Element Address 4098 to 256 Failed\n"
        if let error = try await Self.loadFailure(output) {
            #expect(error.kind == .unavailable)
            #expect(!error.nothingMoved)
            #expect(error.message.contains("Hardware Error, ASC/ASCQ 15/01 (mechanical positioning error)"))
        }
    }

    @Test func anIllegalRequestForAnElementIsNoSuchElement() {
        let failure = MtxFailure(
            .failed(
                Self.dump(key: "Illegal Request", code: "21", qualifier: "01")
                    + "\nMOVE MEDIUM from Element Address 4098 to 300 Failed\n"))
        let error = failure.error(command: "load 1 3", device: "/dev/sg1")
        #expect(error.kind == .noSuchElement)
        #expect(error.nothingMoved)
        #expect(failure.sense == SCSISense(key: "Illegal Request", code: 0x21, qualifier: 0x01))
    }
}
