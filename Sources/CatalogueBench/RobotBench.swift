import CatalogueDomain
import CatalogueEngine
import Foundation

/// Robot operations through the simulated changer with instant timing, so what
/// is measured is the catalogue's own cost per operation: four durable commits
/// (the work item queued, the intent with the item's start, the outcome, the
/// item's end), plus the robot file under its lock.
/// Baseline: the fsync-bound limit of those commits, measured in the same run.
struct RobotBench {
    struct Result: Encodable {
        /// Mount + dismount cycles per second, one library (one changer: strictly serial).
        var one_library_cycles_per_second: Double
        /// The same over four libraries at once (four changers in parallel).
        var four_libraries_cycles_per_second: Double
        var ratio_four_to_one: Double
        /// A cycle is eight commits; the fsync limit of that many commits.
        var fsync_limit_cycles_per_second: Double
        var one_library_ratio_to_fsync_limit: Double
    }

    let seconds: Double
    let directory: String

    func run(fsyncLimitPerTwoCommits: Double) async throws -> Result {
        let one = try await cycles(libraries: 1, store: directory + "/robots-1")
        let four = try await cycles(libraries: 4, store: directory + "/robots-4")
        let limit = fsyncLimitPerTwoCommits / 4
        return Result(
            one_library_cycles_per_second: one, four_libraries_cycles_per_second: four, ratio_four_to_one: four / one,
            fsync_limit_cycles_per_second: limit, one_library_ratio_to_fsync_limit: one / limit)
    }

    private func cycles(libraries: Int, store: String) async throws -> Double {
        let catalogue = try await Catalogue.open(at: store, create: true)
        defer { catalogue.close() }
        let session = try catalogue.session(application: "bench", principal: OSAccounts.currentPrincipal())
        let type = try await session.registerMediaType(name: "LTO", sides: 1)
        let pool = try await session.createPool(
            path: "\\Robots", mediaType: type, policy: PoolPolicy(allocateFromScratch: true))
        var sides: [(side: SideID, medium: MediumID)] = []
        for index in 0..<libraries {
            let library = try await session.addLibrary(name: "Robot\(index)", slots: 16, drives: 2, ports: 1)
            try await session.attachChanger(library, kind: .simulated)
            for slot in 1...2 {
                let medium = try await session.registerMedium(
                    barcode: "R\(index)S\(slot)", mediaType: type, location: .slot(library, UInt32(slot)))
                let allocation = try await session.allocate(
                    AllocationRequest(pool: pool, side: SideID(medium.rawValue + 1)))
                sides.append((allocation.side, medium))
            }
        }
        let end = monotonicNanoseconds() + UInt64(seconds * 1e9)
        let begin = monotonicNanoseconds()
        let done = try await withThrowingTaskGroup(of: Int.self) { group in
            for (side, medium) in sides {
                group.addTask {
                    var count = 0
                    while monotonicNanoseconds() < end {
                        _ = try await session.mount(side)
                        try await session.dismount(medium)
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(done) / (Double(monotonicNanoseconds() - begin) / 1e9)
    }
}
