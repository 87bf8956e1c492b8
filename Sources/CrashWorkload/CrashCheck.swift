import CatalogueDomain
import CatalogueEngine
import Foundation

/// What must hold after any crash.
enum CrashCheck {
    static func run(store: String, acks: String) async throws -> [String] {
        var problems: [String] = []
        let catalogue: Catalogue
        do {
            catalogue = try await Catalogue.open(at: store)
        } catch {
            return ["the store does not open: \(error)"]
        }
        defer { catalogue.close() }
        // A save is one LMDB transaction, so a kill during it leaves no damaged checkpoint behind.
        problems += catalogue.openReport.warnings.map { "open skipped a checkpoint: \($0)" }
        let snapshot = catalogue.snapshot
        let log = try catalogue.events(from: 1, through: snapshot.head.sequence)

        // Replaying from the first event equals the state the engine opened with (from its newest checkpoint).
        var replayed = CatalogueState()
        for logged in log { replayed.apply(logged.event) }
        if replayed != snapshot.state { problems.append("replaying the log does not give the opened state") }

        // No side is ever allocated while another allocation holds it.
        var owners: [SideID: LogicalMediumID] = [:]
        var facts = Set<String>()
        for logged in log {
            switch logged.event {
            case .sideAllocated(let e):
                if let holder = owners[e.side] {
                    problems.append("\(e.side) allocated to \(e.logicalMedium) while \(holder) held it")
                }
                owners[e.side] = e.logicalMedium
                facts.insert("alloc \(e.logicalMedium) \(e.side)")
            case .sideAllocatedNext(let e):
                if let holder = owners[e.side] {
                    problems.append("\(e.side) allocated to \(e.logicalMedium) while \(holder) held it")
                }
                owners[e.side] = e.logicalMedium
                facts.insert("alloc \(e.logicalMedium) \(e.side)")
            case .sideDeallocated(let e):
                owners[e.side] = nil
                facts.insert("dealloc \(e.logicalMedium)")
            case .mediumImported(let e):
                facts.insert("register \(e.medium) \(e.barcode)")
                // A move to the pool a medium is already in writes nothing and still succeeds.
                facts.insert("move \(e.medium) \(e.pool)")
            case .sideCompleted(let e): facts.insert("complete \(e.logicalMedium)")
            case .sideDecommissioned(let e): facts.insert("decommission \(e.side)")
            case .mediumMoved(let e): facts.insert("move \(e.medium) \(e.to)")
            case .requestSubmitted(let e): facts.insert("request \(e.request)")
            case .requestSatisfied(let e): facts.insert("satisfy \(e.request)")
            case .requestCancelled(let e): facts.insert("cancel \(e.request)")
            default: break
            }
        }

        // Every acknowledged answer is in the log.
        let acknowledged = (try? String(contentsOfFile: acks, encoding: .utf8)) ?? ""
        for line in acknowledged.split(separator: "\n") where !facts.contains(String(line)) {
            problems.append("acknowledged but not in the log: \(line)")
        }

        problems += snapshot.state.invariantViolations()
        let audit = try catalogue.audit()
        if !audit.ok { problems.append("audit: \(audit.problem ?? "failed")") }
        return problems
    }
}
