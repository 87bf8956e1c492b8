import Atomics
import Foundation
import Testing

@testable import CatalogueHardware

/// A driver that fails the test if two of its commands ever run at once, and
/// records the order in which commands started.
final class OverlapDetectingDriver: ChangerDriver, @unchecked Sendable {
    let name = "overlap detector"
    let running = ManagedAtomic(0)
    let overlaps = ManagedAtomic(0)
    /// Shared between drivers to see that different changers do run at once.
    let acrossDrivers: ManagedAtomic<Int>
    let maximumAcrossDrivers: ManagedAtomic<Int>
    private let lock = NSLock()
    private var started: [ChangerElement] = []
    let pause: Duration

    init(pause: Duration, shared: ManagedAtomic<Int> = .init(0), maximum: ManagedAtomic<Int> = .init(0)) {
        self.pause = pause
        acrossDrivers = shared
        maximumAcrossDrivers = maximum
    }

    var startOrder: [ChangerElement] { lock.withLock { started } }

    func status() async throws(ChangerError) -> ChangerStatus { ChangerStatus(drives: [], slots: [], ports: []) }

    func move(from source: ChangerElement, to destination: ChangerElement) async throws(ChangerError) {
        if running.wrappingIncrementThenLoad(ordering: .acquiringAndReleasing) > 1 {
            overlaps.wrappingIncrement(ordering: .relaxed)
        }
        let together = acrossDrivers.wrappingIncrementThenLoad(ordering: .acquiringAndReleasing)
        var seen = maximumAcrossDrivers.load(ordering: .relaxed)
        while together > seen {
            let (done, current) = maximumAcrossDrivers.compareExchange(
                expected: seen, desired: together, ordering: .relaxed)
            if done { break }
            seen = current
        }
        lock.withLock { started.append(source) }
        // Suspends, so an actor alone would let the next command in here.
        try? await Task.sleep(for: pause)
        await Task.yield()
        acrossDrivers.wrappingDecrement(ordering: .acquiringAndReleasing)
        running.wrappingDecrement(ordering: .acquiringAndReleasing)
    }

    func rescan() async throws(ChangerError) {}
}

@Suite struct ChangerTests {
    @Test func manyConcurrentCommandsNeverOverlapInTheDriver() async throws {
        let driver = OverlapDetectingDriver(pause: .milliseconds(1))
        let changer = Changer(driver: driver)
        await withTaskGroup(of: Void.self) { group in
            for n in 1...200 {
                group.addTask { try? await changer.move(from: .slot(UInt32(n)), to: .drive(0)) }
            }
        }
        #expect(driver.overlaps.load(ordering: .relaxed) == 0)
        #expect(driver.startOrder.count == 200)
        #expect(await changer.completedCommands == 200)
    }

    @Test func commandsRunInTheOrderTheyReachTheChanger() async throws {
        let driver = OverlapDetectingDriver(pause: .milliseconds(2))
        let changer = Changer(driver: driver)
        // Each command is issued only once the previous one has reached the changer.
        var tasks: [Task<Void, Never>] = []
        for n in 1...20 {
            tasks.append(Task { try? await changer.move(from: .slot(UInt32(n)), to: .drive(0)) })
            while await changer.arrivedCommands < n { await Task.yield() }
        }
        for task in tasks { await task.value }
        #expect(driver.startOrder == (1...20).map { .slot(UInt32($0)) })
    }

    @Test func differentChangersRunAtTheSameTime() async throws {
        let shared = ManagedAtomic(0)
        let maximum = ManagedAtomic(0)
        let first = Changer(driver: OverlapDetectingDriver(pause: .milliseconds(30), shared: shared, maximum: maximum))
        let second = Changer(driver: OverlapDetectingDriver(pause: .milliseconds(30), shared: shared, maximum: maximum))
        await withTaskGroup(of: Void.self) { group in
            for n in 1...5 {
                group.addTask { try? await first.move(from: .slot(UInt32(n)), to: .drive(0)) }
                group.addTask { try? await second.move(from: .slot(UInt32(n)), to: .drive(0)) }
            }
        }
        #expect(maximum.load(ordering: .relaxed) == 2)
    }

    @Test func aCommandThatOutlivesItsTimeoutFailsAndLeavesTheRobotNeedingInventory() async throws {
        let directory = NSTemporaryDirectory() + "changer-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let robot = try SimulatedChanger(name: "Robot", path: directory + "/robot.json", slots: 4, drives: 1, ports: 0)
        try robot.modify { $0.slots[0] = .init(barcode: "A1") }
        try robot.inject(.hang)
        let changer = Changer(driver: robot, timeouts: ChangerTimeouts(move: .milliseconds(100)))
        do {
            try await changer.move(from: .slot(1), to: .drive(0))
            Issue.record("a hung move should time out")
        } catch {
            #expect(error.kind == .timedOut)
            #expect(error.message.contains("needs an inventory"))
        }
        #expect(await changer.needsInventory)
        // The turn passes on once the abandoned move has ended; the robot still works.
        try await changer.move(from: .slot(1), to: .drive(0))
        _ = try await changer.status()
        #expect(await !changer.needsInventory, "a successful status is the inventory's reading")
        #expect(try robot.contents().drives[0]?.cartridge.barcode == "A1")
    }
}
