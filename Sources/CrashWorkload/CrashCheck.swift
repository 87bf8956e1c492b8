import CatalogueDomain
import CatalogueEngine
import Foundation

/// What must hold after any crash.
enum CrashCheck {
    /// The problems found, and whether a robot operation was left open (and recovered).
    static func run(store: String, acks: String) async throws -> ([String], Bool) {
        var problems: [String] = []
        let catalogue: Catalogue
        do {
            catalogue = try await Catalogue.open(at: store)
        } catch {
            return (["the store does not open: \(error)"], false)
        }
        defer { catalogue.close() }
        // A save is one LMDB transaction, so a kill during it leaves no damaged checkpoint behind.
        problems += catalogue.openReport.warnings.map { "open skipped a checkpoint: \($0)" }
        let snapshot = catalogue.snapshot
        let log = try catalogue.events(from: 1, through: snapshot.head.sequence)

        // Replaying from the first event equals the state the engine opened with (from its newest checkpoint).
        var replayed = CatalogueState()
        for logged in log {
            replayed.evolve(
                logged.event,
                EventEnvelope(time: logged.timestamp, application: logged.application, user: logged.user))
        }
        if replayed != snapshot.state { problems.append("replaying the log does not give the opened state") }

        // No side is ever allocated while another allocation holds it.
        var owners: [SideID: LogicalMediumID] = [:]
        var facts = Set<String>()
        var operations: [OperationID: RobotOperation] = [:]
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
            case .operatorRequestSubmitted(let e): facts.insert("request \(e.request)")
            case .operatorRequestSatisfied(let e): facts.insert("satisfy \(e.request)")
            case .operatorRequestCancelled(let e): facts.insert("cancel \(e.request)")
            case .robotOperationStarted(let e): operations[e.operation.id] = e.operation
            case .robotOperationFinished(let e):
                if e.result == .succeeded, let operation = operations[e.operation], operation.task == .clean,
                    let drive = operation.to.driveAddress
                {
                    facts.insert("cleaned \(drive)")
                }
                guard e.result == .succeeded, let operation = operations[e.operation], let medium = operation.medium
                else { break }
                switch operation.task {
                case .mount: facts.insert("mounted \(medium) \(operation.to.driveAddress?.number ?? 0)")
                case .dismount: facts.insert("dismounted \(medium)")
                case .eject: facts.insert("ejected \(medium)")
                case .inject, .injectCleaner, .ejectCleaner, .clean, .returnCleaner: break
                }
            case .mediumRemounted(let e): facts.insert("mounted \(e.medium) \(e.drive.number)")
            case .dismountDeferred(let e): facts.insert("deferred \(e.medium)")
            default: break
            }
        }

        // Every acknowledged answer is in the log.
        let acknowledged = (try? String(contentsOfFile: acks, encoding: .utf8)) ?? ""
        for line in acknowledged.split(separator: "\n") where !facts.contains(String(line)) {
            problems.append("acknowledged but not in the log: \(line)")
        }

        problems += snapshot.state.invariantViolations()
        // Every workload process is gone: opening closed their work items.
        let open = catalogue.snapshot.state.activeLibraryRequests
        if !open.isEmpty { problems.append("work items of ended processes still open: \(open.sorted())") }
        let (robotProblems, recovered) = try await checkRobot(catalogue)
        problems += robotProblems
        let audit = try catalogue.audit()
        if !audit.ok { problems.append("audit: \(audit.problem ?? "failed")") }
        return (problems, recovered)
    }

    /// The simulated robot and the catalogue agree after the kill: exactly, when
    /// no robot operation was left open (nothing can have moved unrecorded),
    /// and after the recovery inventory otherwise.
    static func checkRobot(_ catalogue: Catalogue) async throws -> ([String], Bool) {
        let state = catalogue.snapshot.state
        guard let library = state.library(named: CrashLayout.changer) else { return ([], false) }
        let leftovers = library.needsInventory || state.operations.values.contains { $0.library == library.id }
        let session = try catalogue.session(application: "crash-check", principal: OSAccounts.currentPrincipal())
        let report = try await session.inventory(library.id)
        var problems: [String] = []
        if !leftovers {
            let differences =
                report.taken.moved.map { "\($0.medium) moved from \($0.from) to \($0.to)" }
                + report.taken.missing.map { "\($0) missing" }
                + report.registered.map { "\($0) unknown to the catalogue" }
            problems += differences.map { "with no robot operation open, the robot disagrees: \($0)" }
            // What happened to them, for the report.
            let involved = Set(report.taken.moved.map(\.medium.rawValue) + report.taken.missing.map(\.rawValue))
            if !involved.isEmpty {
                let robotEvents = try catalogue.history { event in
                    switch event {
                    case .robotOperationStarted(let e):
                        return e.operation.medium.map { involved.contains($0.rawValue) } ?? false
                    case .robotOperationFinished, .inventoryTaken, .dismountDeferred, .mediumRemounted: return true
                    default: return !Set(event.referencedIdentifiers).isDisjoint(with: involved)
                    }
                }
                for logged in robotEvents.suffix(12) {
                    problems.append(
                        "  \(logged.sequence) \(logged.event.name) "
                            + logged.event.fields.map { "\($0.name)=\($0.value)" }.joined(separator: " "))
                }
            }
        }
        let robot = try catalogue.simulatedRobot(for: library.id).contents()
        let after = catalogue.snapshot.state
        for medium in after.media.values where medium.location.library == library.id {
            let held: String?
            switch medium.location {
            case .slot(_, let n): held = robot.slots[Int(n) - 1]?.barcode
            case .drive(_, let n): held = robot.drives[Int(n)]?.cartridge.barcode
            case .port(_, let n): held = robot.ports[Int(n) - 1]?.barcode
            case .shelf: held = nil
            }
            if held != medium.barcode {
                problems.append("after inventory \(medium.barcode) is not at \(medium.location)")
            }
        }
        let changerLibrary = after.libraries[library.id]
        for (index, cartridge) in robot.slots.enumerated() {
            guard let barcode = cartridge?.barcode else { continue }
            if changerLibrary?.cleanerSlot == UInt32(index + 1), changerLibrary?.cleaner?.barcode == barcode {
                continue
            }
            if after.medium(at: .slot(library.id, UInt32(index + 1)))?.barcode != barcode {
                problems.append("after inventory slot \(index + 1) holds \(barcode), unknown there to the catalogue")
            }
        }
        return (problems, leftovers)
    }
}
