/// A fold of many logged events, as opening a store and auditing it make.
///
/// A replay makes no decisions, so by default it leaves the allocation indexes
/// empty while it runs and builds them once when its state is taken, instead
/// of after every side change. That is its own bookkeeping: the state it
/// returns is exactly the fold of the events, as `evolve` gives it.
public struct Replay: Sendable {
    private var folded: CatalogueState
    private var indexing: IndexMaintenance

    /// Starts from `state` (the empty state, or one loaded from a checkpoint).
    /// Without `deferringIndexes` the indexes are kept after every event,
    /// which is cheaper for a short tail over many media.
    public init(from state: CatalogueState = CatalogueState(), deferringIndexes: Bool = true) {
        folded = state
        indexing = deferringIndexes ? .deferred : .eachChange
        if deferringIndexes { folded.dropAllocationIndexes() }
    }

    /// Folds one logged event with its record's envelope.
    public mutating func evolve(_ event: CatalogueEvent, _ envelope: EventEnvelope) {
        folded.evolve(event, envelope, indexing: &indexing)
    }

    /// How many events the state holds, from the log's first.
    public var eventCount: UInt64 { folded.eventCount }

    /// The state folded so far, with its allocation indexes built.
    public var state: CatalogueState {
        guard case .deferred = indexing else { return folded }
        var state = folded
        state.rebuildAllocationIndexes()
        return state
    }
}
