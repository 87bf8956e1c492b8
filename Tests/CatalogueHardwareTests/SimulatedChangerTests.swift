import Foundation
import Testing

@testable import CatalogueHardware

@Suite struct SimulatedChangerTests {
    final class Directory {
        let path = NSTemporaryDirectory() + "simulated-\(UUID().uuidString.prefix(8))"
        init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    private func robot(_ directory: Directory) throws -> SimulatedChanger {
        let robot = try SimulatedChanger(
            name: "Robot", path: directory.path + "/robot.json", slots: 6, drives: 2, ports: 1)
        try robot.modify { state in
            state.slots[0] = .init(barcode: "A00001")
            state.slots[1] = .init(barcode: "A00002")
            state.slots[2] = .init(barcode: nil)
        }
        return robot
    }

    @Test func movesChangeWhatTheRobotReportsAndDrivesRememberTheirSource() async throws {
        let directory = Directory()
        let robot = try robot(directory)
        try await robot.move(from: .slot(2), to: .drive(1))
        let status = try await robot.status()
        #expect(
            status.content(of: .drive(1))
                == ElementContent(element: .drive(1), isFull: true, barcode: "A00002", source: .slot(2)))
        #expect(status.content(of: .slot(2))?.isFull == false)
        #expect(status.content(of: .slot(3)) == ElementContent(element: .slot(3), isFull: true, barcode: nil))
        try await robot.move(from: .drive(1), to: .slot(2))
        #expect(try robot.contents().moves == 2)
    }

    @Test func aFaultForADriveTheRobotLacksIsRefusedAndNotKept() throws {
        let directory = Directory()
        let robot = try robot(directory)
        let error = #expect(throws: ChangerError.self) { try robot.inject(.stuckInDrive(2)) }
        #expect(error?.kind == .noSuchElement)
        #expect(error?.message == "library Robot has drives 0 to 1, not 2")
        #expect(try robot.contents().faults.isEmpty)
        try robot.inject(.stuckInDrive(1))
        #expect(try robot.contents().faults == [.stuckInDrive(1)])
    }

    @Test func theStateFileIsPrivateToItsOwner() throws {
        let directory = Directory()
        let robot = try robot(directory)
        try robot.insertIntoPort(1, barcode: "NEW001")
        let mode = try FileManager.default.attributesOfItem(atPath: directory.path + "/robot.json")[.posixPermissions]
        #expect((mode as? Int).map { $0 & 0o777 } == 0o600)
    }

    @Test func theStateIsSharedThroughItsFileAsAnotherProcessWouldSeeIt() async throws {
        let directory = Directory()
        let robot = try robot(directory)
        try robot.insertIntoPort(1, barcode: "NEW001")
        // A second handle on the same file, as the CLI in another process opens it; its shape is not reapplied.
        let other = try SimulatedChanger(
            name: "Robot", path: directory.path + "/robot.json", slots: 99, drives: 9, ports: 9)
        try await other.move(from: .port(1), to: .slot(4))
        let seen = try await robot.status()
        #expect(seen.content(of: .slot(4))?.barcode == "NEW001")
        #expect(seen.slots.count == 6)
    }

    @Test func impossibleMovesAreRefusedWithTheirChangerErrorAndChangeNothing() async throws {
        let directory = Directory()
        let robot = try robot(directory)
        let before = try robot.contents()
        let cases: [(ChangerElement, ChangerElement, ChangerError.Kind)] = [
            (.slot(5), .drive(0), .sourceEmpty), (.slot(1), .slot(2), .destinationFull),
            (.slot(1), .drive(7), .noSuchElement), (.slot(9), .drive(0), .destinationFull),
        ]
        for (source, destination, code) in cases {
            do {
                try await robot.move(from: source, to: destination)
                Issue.record("\(source) to \(destination) should fail")
            } catch {
                #expect(error.kind == code, "\(source) to \(destination): \(error)")
            }
        }
        #expect(try robot.contents() == before)
    }

    @Test func injectedFaultsFailOnceOrStayUntilCleared() async throws {
        let directory = Directory()
        let robot = try robot(directory)
        try robot.inject(.moveFails)
        await #expect(throws: ChangerError.self) { try await robot.move(from: .slot(1), to: .drive(0)) }
        #expect(try robot.contents().slots[0]?.barcode == "A00001", "a failed move leaves the cartridge")
        try await robot.move(from: .slot(1), to: .drive(0))

        try robot.inject(.unitAttention)
        do {
            _ = try await robot.status()
            Issue.record("unit attention should fail the next command")
        } catch {
            #expect(error.kind == .notReady)
        }
        _ = try await robot.status()

        try robot.inject(.stuckInDrive(0))
        for _ in 0..<2 {
            do {
                try await robot.move(from: .drive(0), to: .slot(1))
                Issue.record("a stuck cartridge cannot be moved")
            } catch {
                #expect(error.kind == .notReady)
            }
        }
        try robot.modify { $0.faults.removeAll() }
        try await robot.move(from: .drive(0), to: .slot(1))
    }

    @Test func theMoveTimeModelIsSpentPerMoveAndDriveOperation() async throws {
        let directory = Directory()
        let robot = try robot(directory)
        try robot.setTiming(MoveTiming(move: .milliseconds(20), drive: .milliseconds(40)))
        let clock = ContinuousClock()
        let load = try await clock.measure { try await robot.move(from: .slot(1), to: .drive(0)) }
        let transfer = try await clock.measure { try await robot.move(from: .slot(2), to: .slot(5)) }
        // Lower bounds only: the model promises at least this much robot time.
        #expect(load >= .milliseconds(60))
        #expect(transfer >= .milliseconds(20))
    }
}
