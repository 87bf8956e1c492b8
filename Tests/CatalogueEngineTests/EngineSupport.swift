import CatalogueDomain
import CatalogueEngine
import Foundation

/// A fresh store directory for one test.
struct TestStore {
    let root: String
    var path: String { root + "/store" }

    init(_ label: String = #function) {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        root = NSTemporaryDirectory() + "mc-\(safe.prefix(40))-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    /// Opens (creating) the store. Unless `strictAccess`, everyone administers
    /// it, so tests of other rules may name any user.
    func open(options: CatalogueOptions = .init(), strictAccess: Bool = false) async throws -> Catalogue {
        var options = options
        if !strictAccess { options.initialAccess.append(AccessEntry(.everyone, .all)) }
        return try await Catalogue.open(at: path, create: true, options: options)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

/// A two-sided media type, one robot with `slots` media in Free and an
/// application pool drawing from scratch.
struct Seeded {
    let type: MediaTypeID
    let robot: LibraryID
    let pool: PoolID
    let media: [MediumID]

    static func make(
        _ session: Session, media count: Int, sides: Int = 2, policy: PoolPolicy = PoolPolicy(allocateFromScratch: true)
    )
        async throws -> Seeded
    {
        let type = try await session.registerMediaType(name: "MO", sides: sides)
        let robot = try await session.addLibrary(name: "Robot", slots: max(count, 8), drives: 2)
        let pool = try await session.createPool(path: "\\Backup", mediaType: type, policy: policy)
        var media: [MediumID] = []
        for slot in 0..<count {
            media.append(
                try await session.registerMedium(
                    barcode: String(format: "MO%04d", slot + 1), mediaType: type,
                    location: .slot(robot, UInt32(slot + 1))))
        }
        return Seeded(type: type, robot: robot, pool: pool, media: media)
    }
}
