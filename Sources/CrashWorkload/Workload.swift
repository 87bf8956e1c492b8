import CatalogueDomain
import CatalogueEngine
import Foundation

/// SplitMix64: a seeded generator, so a failing run can be replayed by its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Appends one line per acknowledged answer, with one write(2) each, after the
/// call returned: a SIGKILL can cut the workload between answer and line, never
/// inside a line.
final class AckFile: @unchecked Sendable {
    private let descriptor: Int32
    private let lock = NSLock()

    init(path: String) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    func record(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        lock.withLock { _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } }
    }
}

/// The names the workload creates on a fresh store.
enum CrashLayout {
    static let mediaType = "MO-CRASH"
    static let library = "CrashRobot"
    static let slots = 5_000
    static let pools = ["\\Crash\\Daily", "\\Crash\\Weekly"]
    /// A library with a simulated robot: its media enter through a port and are
    /// mounted, dismounted and ejected while the process may be killed.
    static let changer = "CrashChanger"
    static let changerSlots: UInt32 = 48

    static func prepare(_ session: Session, _ catalogue: Catalogue) async throws {
        try await prepareLayout(session, catalogue)
        try await prepareCleaning(session, catalogue)
    }

    /// The changer's last slot holds a cleaner with unlimited uses, and drives are
    /// due every few mounts: kills then also land in cleanings, before mounts or asked for.
    static func prepareCleaning(_ session: Session, _ catalogue: Catalogue) async throws {
        guard let library = catalogue.snapshot.state.library(named: changer) else { return }
        if library.cleanerSlot == nil { try await session.reserveCleanerSlot(library.id, slot: changerSlots) }
        if library.cleaningInterval == 0 { try await session.setCleaningInterval(library.id, mounts: 5) }
        guard catalogue.snapshot.state.libraries[library.id]?.cleaner == nil else { return }
        // The operator's hands first: an ejected cartridge may wait in the port.
        _ = try catalogue.simulatedRobot(for: library.id).removeFromPort(2)
        try await session.injectCleaner(library: library.id, port: 2, barcode: "CLN-CRASH", uses: nil)
    }

    private static func prepareLayout(_ session: Session, _ catalogue: Catalogue) async throws {
        guard catalogue.snapshot.state.mediaType(named: mediaType) == nil else { return }
        let type = try await session.registerMediaType(name: mediaType, sides: 2, idempotencyKey: "setup-type")
        _ = try await session.addLibrary(
            name: library, slots: slots, drives: 4, ports: 2, idempotencyKey: "setup-library")
        _ = try await session.createPool(path: "\\Crash", idempotencyKey: "setup-folder")
        _ = try await session.createPool(
            path: pools[0], mediaType: type,
            policy: PoolPolicy(allocateFromScratch: true, deallocateToScratch: true, maxAllocates: 40),
            idempotencyKey: "setup-daily")
        _ = try await session.createPool(
            path: pools[1], mediaType: type, policy: PoolPolicy(allocateFromScratch: true),
            idempotencyKey: "setup-weekly")
        let changerLibrary = try await session.addLibrary(
            name: changer, slots: Int(changerSlots), drives: 3, ports: 2, idempotencyKey: "setup-changer")
        try await session.attachChanger(changerLibrary, kind: .simulated)
    }
}

/// One caller of the workload: a seeded stream of commands, each answer acknowledged.
struct Caller {
    let session: Session
    let catalogue: Catalogue
    let acks: AckFile
    var random: SeededGenerator
    let name: String
    var counter = 0

    mutating func step() async {
        let state = catalogue.snapshot.state
        guard let type = state.mediaType(named: CrashLayout.mediaType),
            let library = state.library(named: CrashLayout.library)
        else { return }
        let pools = CrashLayout.pools.compactMap { state.pool(atPath: $0) }
        let pool = pools[Int.random(in: 0..<pools.count, using: &random)]
        let lmids = Array(state.logicalMedia.values)
        // The first caller spends a third of its steps on the robot, so kills land inside robot operations.
        if name.hasSuffix("c0"), Int.random(in: 0..<3, using: &random) == 0 {
            try? await robotStep(state, type: type.id)
            return
        }
        let roll = Int.random(in: 0..<100, using: &random)
        do {
            switch roll {
            case 0..<14:
                // A free slot: the media count stays below the library size.
                guard state.media.count < CrashLayout.slots - 10 else { return }
                counter += 1
                let barcode = "\(name)-\(counter)"
                var slot = UInt32.random(in: 1...UInt32(CrashLayout.slots), using: &random)
                while state.medium(at: .slot(library.id, slot)) != nil { slot = slot % UInt32(CrashLayout.slots) + 1 }
                let label: MediaLabel = roll < 2 ? .import : .free
                let location: MediumLocation = roll == 13 ? .shelf : .slot(library.id, slot)
                let medium = try await session.registerMedium(
                    barcode: barcode, mediaType: type.id, location: location, label: label)
                acks.record("register \(medium) \(barcode)")
            case 14..<44:
                let request = AllocationRequest(pool: pool.id, new: roll % 4 == 0, errorIfUnavailable: roll % 5 != 0)
                let timeout: WaitTimeout = roll % 5 == 0 ? .milliseconds(30) : .none
                let allocation = try await session.allocate(
                    request, timeout: timeout, idempotencyKey: roll % 3 == 0 ? "\(name)-k\(counter)-\(roll)" : nil)
                acks.record("alloc \(allocation.logicalMedium) \(allocation.side)")
            case 44..<50:
                guard let owner = lmids.filter(\.exclusive).randomElement(using: &random) else { return }
                let allocation = try await session.allocate(
                    AllocationRequest(pool: owner.pool, next: owner.id, errorIfUnavailable: true))
                acks.record("alloc \(allocation.logicalMedium) \(allocation.side)")
            case 50..<55:
                guard
                    let side = state.sides.values.filter({ $0.state == .import || $0.state == .available })
                        .randomElement(using: &random)
                else { return }
                let allocation = try await session.allocate(AllocationRequest(pool: pool.id, side: side.id))
                acks.record("alloc \(allocation.logicalMedium) \(allocation.side)")
            case 55..<78:
                guard let logical = lmids.randomElement(using: &random) else { return }
                try await session.deallocate(logical.id)
                acks.record("dealloc \(logical.id)")
            case 78..<82:
                guard let logical = lmids.randomElement(using: &random) else { return }
                try await session.complete(logical.id)
                acks.record("complete \(logical.id)")
            case 82..<84:
                guard let side = state.sides.values.filter({ $0.state == .available }).randomElement(using: &random)
                else { return }
                try await session.decommission(side.id)
                acks.record("decommission \(side.id)")
            case 88..<90:
                try await robotStep(state, type: type.id)
            case 84..<88:
                guard let medium = state.media.values.randomElement(using: &random) else { return }
                let targets = pools.map(\.id) + [type.freePool]
                let target = targets[Int.random(in: 0..<targets.count, using: &random)]
                try await session.move(medium.id, to: target)
                acks.record("move \(medium.id) \(target)")
            case 90..<93:
                let id = try await session.submitRequest(.message, message: "crash workload \(name) \(counter)")
                acks.record("request \(id)")
            case 93..<95:
                try await robotStep(state, type: type.id)
                // Every caller mounts and dismounts too, so mounts wait in the work queue for busy drives.
                try await driveStep(state, waiting: roll == 94)
            default:
                guard
                    let open = state.requests.values.filter({ $0.state.isOpen && $0.waiter == nil }).randomElement(
                        using: &random)
                else { return }
                if roll % 2 == 0 {
                    try await session.satisfyRequest(open.id)
                    acks.record("satisfy \(open.id)")
                } else {
                    try await session.cancelRequest(open.id)
                    acks.record("cancel \(open.id)")
                }
            }
        } catch {
            // Refusals are expected (nothing available, a race lost to another caller); only answers count.
        }
    }

    /// A mount or a dismount (maybe deferred) on the simulated library, which any
    /// caller may do: no hands at the ports. A waiting mount has a timeout and a
    /// priority, so it may wait in the work queue for a drive another caller frees.
    mutating func driveStep(_ state: CatalogueState, waiting: Bool) async throws {
        guard let library = state.library(named: CrashLayout.changer) else { return }
        let here = state.media.values.filter { $0.location.library == library.id }
        let mounted = here.filter { $0.location.driveAddress != nil }
        if !waiting, Bool.random(using: &random), let medium = mounted.randomElement(using: &random) {
            let deferred = Bool.random(using: &random)
            try await session.dismount(medium.id, deferred: deferred)
            acks.record(deferred ? "deferred \(medium.id)" : "dismounted \(medium.id)")
            return
        }
        let mountable = here.filter { medium in
            medium.location.driveAddress == nil
                && state.sides(of: medium).contains { $0.state == .allocated || $0.state == .complete }
        }
        guard let medium = mountable.randomElement(using: &random),
            let side = state.sides(of: medium).first(where: { $0.state == .allocated || $0.state == .complete })
        else { return }
        let result = try await session.mount(
            side.id, timeout: waiting ? .milliseconds(200) : .none, priority: Int.random(in: -2...2, using: &random))
        acks.record("mounted \(medium.id) \(result.drive.number)")
    }

    /// One robot operation on the simulated library: inject, mount, dismount (maybe deferred), clean or eject.
    /// Only the first caller does them: the operator's hands at the ports (taking ejected cartridges out,
    /// putting new ones in) must not race the robot, or a cartridge swapped in a port mid-inject
    /// really would be catalogued under the wrong bar code until an inventory.
    mutating func robotStep(_ state: CatalogueState, type: MediaTypeID) async throws {
        guard name.hasSuffix("c0"), let library = state.library(named: CrashLayout.changer) else { return }
        let robot = try catalogue.simulatedRobot(for: library.id)
        let here = state.media.values.filter { $0.location.library == library.id }
        switch Int.random(in: 0..<6, using: &random) {
        case 0:
            guard here.count < Int(CrashLayout.changerSlots) - 4 else { return }
            // An operator's hands: clear ejected cartridges out of the ports, put a new one in.
            for port in UInt32(1)...2 { _ = try robot.removeFromPort(port) }
            counter += 1
            let barcode = "\(name)-r\(counter)"
            try robot.insertIntoPort(1, barcode: barcode)
            let medium = try await session.inject(library: library.id, port: 1, barcode: barcode, mediaType: type)
            acks.record("register \(medium) \(barcode)")
        case 1, 2, 3:
            try await driveStep(state, waiting: false)
        case 4:
            try await driveStep(state, waiting: true)
        case 5:
            let empty = (0..<library.driveCount).map { DriveAddress(library: library.id, number: $0) }
                .filter { state.drives[$0]?.state == .dismounted && state.drives[$0]?.medium == nil }
            guard let drive = empty.randomElement(using: &random) else { return }
            try await session.clean(drive)
            acks.record("cleaned \(drive)")
        default:
            guard let medium = here.filter({ $0.location.driveAddress == nil }).randomElement(using: &random) else {
                return
            }
            _ = try await session.eject(medium.id)
            acks.record("ejected \(medium.id)")
        }
    }
}
