import CatalogueDomain

extension CatalogueState {
    /// Folds with the harness's record, as a replay of its log must.
    mutating func evolve(_ event: CatalogueEvent) { evolve(event, DomainHarness.envelope) }
    mutating func evolve(_ events: [CatalogueEvent]) { evolve(events, DomainHarness.envelope) }
}

extension Replay {
    mutating func evolve(_ event: CatalogueEvent) { evolve(event, DomainHarness.envelope) }
}

/// Runs commands through decide and evolve with no storage, as the writer does.
struct DomainHarness {
    /// Every event of the harness is recorded at this time, by this caller.
    static let envelope = EventEnvelope(time: 1_764_000_000_000_000_000, application: "harness", user: "tester")
    var state = CatalogueState()
    var log: [CatalogueEvent] = []

    init() {
        _ = try! run(.createCatalogue())
    }

    @discardableResult
    mutating func run(_ command: CatalogueCommand) throws(NtmsError) -> CommandOutcome {
        let decision = try state.decide(command).get()
        state.evolve(decision.events)
        log.append(contentsOf: decision.events)
        return decision.outcome
    }

    mutating func mediaType(_ name: String, sides: Int) throws(NtmsError) -> MediaTypeID {
        guard case .mediaType(let id) = try run(.registerMediaType(name: name, sideCount: sides)) else { fatalError() }
        return id
    }

    mutating func library(_ name: String, slots: Int = 50) throws(NtmsError) -> LibraryID {
        guard case .library(let id) = try run(.addLibrary(name: name, slots: slots, drives: 2, ports: 1)) else {
            fatalError()
        }
        return id
    }

    mutating func pool(_ path: String, type: MediaTypeID?, policy: PoolPolicy = .init()) throws(NtmsError) -> PoolID {
        guard case .pool(let id) = try run(.createPool(path: path, mediaType: type, policy: policy)) else {
            fatalError()
        }
        return id
    }

    mutating func medium(_ barcode: String, type: MediaTypeID, at location: MediumLocation, label: MediaLabel = .free)
        throws(NtmsError) -> Medium
    {
        guard
            case .medium(let id) = try run(
                .registerMedium(barcode: barcode, mediaType: type, location: location, label: label))
        else { fatalError() }
        return state.media[id]!
    }

    mutating func allocate(_ request: AllocationRequest) throws(NtmsError) -> Allocation {
        guard case .allocation(let allocation) = try run(.allocate(request)) else { fatalError() }
        return allocation
    }

    func side(_ medium: Medium, _ number: Int) -> Side { state.sides[medium.sides[number]]! }

    /// Expects `command` to fail with `code` and to leave the state untouched.
    func expectFailure(_ command: CatalogueCommand, _ code: NtmsErrorCode) -> Bool {
        let before = state
        switch state.decide(command) {
        case .success: return false
        case .failure(let error): return error.code == code && state == before
        }
    }
}
