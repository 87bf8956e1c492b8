import CatalogueDomain
import CoreMetrics
import Foundation

/// The names of the catalogue's metrics, as swift-metrics labels (a
/// Prometheus backend exports them under these names; `docs/operations.md`
/// lists what each means).
public enum CatalogueMetricName {
    /// Allocations into a pool (NEXT included) over the whole log; label `pool`.
    public static let allocations = "mediacatalogue_allocations_total"
    /// Deallocations out of a pool over the whole log; label `pool`.
    public static let deallocations = "mediacatalogue_deallocations_total"
    /// Online AVAILABLE sides of a pool holding media; labels `pool`, `media_type`, `pool_type`.
    public static let availableSides = "mediacatalogue_available_sides"
    /// Online AVAILABLE sides of a media type's Free pool; label `media_type`.
    public static let scratchSides = "mediacatalogue_scratch_sides"
    /// Open operator requests; label `type`.
    public static let openRequests = "mediacatalogue_open_requests"
    /// Seconds since the oldest open request was submitted (0: none open).
    public static let oldestRequestAge = "mediacatalogue_oldest_open_request_age_seconds"
    /// Drives per state; labels `library`, `state`.
    public static let drives = "mediacatalogue_drives"
    /// 1 while a library needs an inventory after a robot failure; label `library`.
    public static let libraryNeedsInventory = "mediacatalogue_library_needs_inventory"
    /// 1 while a library is disabled; label `library`.
    public static let libraryDisabled = "mediacatalogue_library_disabled"
    /// Disabled drives per library (by an operator or after repeated failures); label `library`.
    public static let disabledDrives = "mediacatalogue_disabled_drives"
    /// Work items of a library's queue per active state (QUEUED, WAITING, INPROCESS); labels `library`, `state`.
    public static let libraryWorkItems = "mediacatalogue_library_work_items"
    /// Robot operations; labels `library`, `task`, `result` (succeeded, unchanged, uncertain).
    public static let robotOperations = "mediacatalogue_robot_operations_total"
    /// How long robot operations took; label `task`.
    public static let robotOperationDuration = "mediacatalogue_robot_operation_duration_seconds"
    /// How long each durable commit took.
    public static let commitDuration = "mediacatalogue_commit_duration_seconds"
    /// Commands per durable commit.
    public static let commitBatchCommands = "mediacatalogue_commit_batch_commands"
    /// Events in the log, resuming at the head after a restart.
    public static let eventsAppended = "mediacatalogue_events_appended_total"
    /// The sequence number of the last event.
    public static let headSequence = "mediacatalogue_head_sequence"
    /// The last event a stored checkpoint covers.
    public static let lastCheckpoint = "mediacatalogue_last_checkpoint_sequence"
    /// Commands refused for want of a right.
    public static let accessDenied = "mediacatalogue_access_denied_total"
}

/// The engine's metrics through swift-metrics, so an embedder's own backend
/// gets them. Counts of commits and robot moves are recorded as they happen;
/// everything read from the state is brought up to date by `update(from:now:)`,
/// which reads only counters `evolve` keeps (per pool, type, drive and open
/// request), so it costs the same whatever the number of media.
final class CatalogueMetrics: Sendable {
    private let factory: any MetricsFactory
    private let commitDuration: CoreMetrics.Timer
    private let commitBatch: Recorder
    private let headSequence: Gauge
    private let lastCheckpoint: Gauge
    private let oldestRequestAge: Gauge
    private let published = Locked(Published())

    /// What the last update exported, to add differences to counters and to
    /// zero gauges of objects that have gone.
    private struct Published {
        var head: UInt64?
        var denials: UInt64?
        var activity: [PoolID: (labels: [(String, String)], allocations: UInt64, deallocations: UInt64)] = [:]
        var gaugeLabels: [String: Set<[String]>] = [:]
        var counters: [String: Counter] = [:]
        var gauges: [String: Gauge] = [:]
        var robot: [String: (operations: Counter, duration: CoreMetrics.Timer)] = [:]
    }

    init(factory: any MetricsFactory) {
        self.factory = factory
        commitDuration = CoreMetrics.Timer(label: CatalogueMetricName.commitDuration, factory: factory)
        commitBatch = Recorder(label: CatalogueMetricName.commitBatchCommands, aggregate: true, factory: factory)
        headSequence = Gauge(label: CatalogueMetricName.headSequence, factory: factory)
        lastCheckpoint = Gauge(label: CatalogueMetricName.lastCheckpoint, factory: factory)
        oldestRequestAge = Gauge(label: CatalogueMetricName.oldestRequestAge, factory: factory)
    }

    /// One durable commit (an LMDB write transaction) of `commands`, which took `nanoseconds`.
    func recordCommit(commands: Int, nanoseconds: UInt64) {
        commitDuration.recordNanoseconds(Int64(clamping: nanoseconds))
        commitBatch.record(commands)
    }

    /// A checkpoint now covers the log up to `sequence`.
    func recordCheckpoint(_ sequence: UInt64) { lastCheckpoint.record(Int64(clamping: sequence)) }

    /// A result as a label value: `succeeded`, `unchanged` (the changer refused
    /// before moving) or `uncertain` (the library needs an inventory).
    static func label(_ result: OperationResult) -> String {
        switch result {
        case .succeeded: "succeeded"
        case .failedUnchanged: "unchanged"
        case .failedUncertain: "uncertain"
        }
    }

    /// A robot operation ended (`result`: succeeded, unchanged or uncertain) after `nanoseconds`.
    func recordRobotOperation(library: String, task: String, result: String, nanoseconds: UInt64) {
        let key = [library, task, result].joined(separator: "\u{0}")
        let handles = published.withLock { published in
            if let handles = published.robot[key] { return handles }
            let handles = (
                operations: Counter(
                    label: CatalogueMetricName.robotOperations,
                    dimensions: [("library", library), ("task", task), ("result", result)], factory: factory),
                duration: CoreMetrics.Timer(
                    label: CatalogueMetricName.robotOperationDuration, dimensions: [("task", task)], factory: factory)
            )
            published.robot[key] = handles
            return handles
        }
        handles.operations.increment()
        handles.duration.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    /// Brings every state-derived metric up to `snapshot`; `now` is the
    /// writer clock's time (nanoseconds since 1970), for request ages.
    func update(from snapshot: CatalogueSnapshot, now: Int64) {
        let state = snapshot.state
        published.withLock { published in
            headSequence.record(Int64(clamping: snapshot.head.sequence))
            let head = snapshot.head.sequence
            add(head - min(head, published.head ?? 0), to: CatalogueMetricName.eventsAppended, [], &published)
            published.head = head
            let denials = state.accessDenialCount
            add(
                denials - min(denials, published.denials ?? 0), to: CatalogueMetricName.accessDenied, [],
                &published)
            published.denials = denials
            updateActivity(state, &published)
            var gauges: [String: [MetricLabels: Double]] = [:]
            for pool in state.pools.values {
                guard let type = pool.mediaType.flatMap({ state.mediaTypes[$0] }) else { continue }
                let count = Double(state.availableSideCount(in: pool.id))
                let labels = [("pool", pool.path), ("media_type", type.name), ("pool_type", pool.type.name)]
                gauges[CatalogueMetricName.availableSides, default: [:]][MetricLabels(labels)] = count
                if pool.type == .free {
                    gauges[CatalogueMetricName.scratchSides, default: [:]][MetricLabels([("media_type", type.name)])] =
                        count
                }
            }
            var byType: [OperatorRequestType: Int] = Dictionary(
                uniqueKeysWithValues: OperatorRequestType.allCases.map { ($0, 0) })
            var oldest: Int64?
            for id in state.openRequestIDs {
                guard let request = state.requests[id] else { continue }
                byType[request.type, default: 0] += 1
                oldest = min(oldest ?? request.submitted, request.submitted)
            }
            for (type, count) in byType {
                gauges[CatalogueMetricName.openRequests, default: [:]][MetricLabels([("type", type.name)])] = Double(
                    count)
            }
            oldestRequestAge.record(oldest.map { Double(max(0, now &- $0)) / 1e9 } ?? 0)
            var drives: [MetricLabels: Double] = [:]
            var disabledDrives: [MetricLabels: Double] = [:]
            for library in state.libraries.values where library.type == .online {
                let labels = MetricLabels([("library", library.name)])
                gauges[CatalogueMetricName.libraryDisabled, default: [:]][labels] = library.enabled ? 0 : 1
                disabledDrives[labels] = 0
                for driveState in DriveState.allCases {
                    drives[MetricLabels([("library", library.name), ("state", driveState.name)])] = 0
                }
                gauges[CatalogueMetricName.libraryNeedsInventory, default: [:]][
                    MetricLabels([("library", library.name)])] =
                    library.needsInventory ? 1 : 0
            }
            for drive in state.drives.values {
                guard let library = state.libraries[drive.address.library] else { continue }
                drives[MetricLabels([("library", library.name), ("state", drive.state.name)]), default: 0] += 1
                if !drive.enabled { disabledDrives[MetricLabels([("library", library.name)]), default: 0] += 1 }
            }
            gauges[CatalogueMetricName.drives] = drives
            gauges[CatalogueMetricName.disabledDrives] = disabledDrives
            var workItems: [MetricLabels: Double] = [:]
            for library in state.libraries.values where library.type == .online {
                for itemState in LibraryRequestState.allCases where itemState.isActive {
                    workItems[MetricLabels([("library", library.name), ("state", itemState.name)])] = 0
                }
            }
            for id in state.activeLibraryRequests {
                guard let item = state.libraryRequests[id], let library = state.libraries[item.library] else {
                    continue
                }
                workItems[MetricLabels([("library", library.name), ("state", item.state.name)]), default: 0] += 1
            }
            gauges[CatalogueMetricName.libraryWorkItems] = workItems
            for (name, values) in gauges { set(name, values, &published) }
        }
    }

    /// Adds each pool's new allocations and deallocations to its counters.
    private func updateActivity(_ state: CatalogueState, _ published: inout Published) {
        for (pool, activity) in state.poolActivity {
            guard let path = state.pools[pool]?.path else { continue }
            let labels = [("pool", path)]
            let before = published.activity[pool]
            // A first sight starts from the totals: the counters then resume where the log is.
            add(
                activity.allocations - min(activity.allocations, before?.allocations ?? 0),
                to: CatalogueMetricName.allocations, labels, &published)
            add(
                activity.deallocations - min(activity.deallocations, before?.deallocations ?? 0),
                to: CatalogueMetricName.deallocations, labels, &published)
            published.activity[pool] = (labels, activity.allocations, activity.deallocations)
        }
    }

    private func add(_ amount: UInt64, to name: String, _ labels: [(String, String)], _ published: inout Published) {
        let key = name + MetricLabels(labels).text
        let counter =
            published.counters[key]
            ?? {
                let counter = Counter(label: name, dimensions: labels, factory: factory)
                published.counters[key] = counter
                return counter
            }()
        if amount > 0 { counter.increment(by: Int64(clamping: amount)) }
    }

    /// Sets a family of gauges; members set before and missing now (a deleted
    /// pool or library) go to 0, so no stale value lingers.
    private func set(_ name: String, _ values: [MetricLabels: Double], _ published: inout Published) {
        var seen = Set<[String]>()
        for (key, value) in values {
            seen.insert(key.flat)
            gauge(name, key, &published).record(value)
        }
        for gone in published.gaugeLabels[name, default: []].subtracting(seen) {
            gauge(name, MetricLabels(flat: gone), &published).record(0)
        }
        published.gaugeLabels[name] = published.gaugeLabels[name, default: []].union(seen)
    }

    private func gauge(_ name: String, _ key: MetricLabels, _ published: inout Published) -> Gauge {
        let id = name + key.text
        if let gauge = published.gauges[id] { return gauge }
        let gauge = Gauge(label: name, dimensions: key.pairs, factory: factory)
        published.gauges[id] = gauge
        return gauge
    }
}

/// A metric's label pairs, as a hashable key.
struct MetricLabels: Hashable {
    let flat: [String]

    init(flat: [String]) { self.flat = flat }
    init(_ pairs: [(String, String)]) { flat = pairs.flatMap { [$0.0, $0.1] } }

    var pairs: [(String, String)] { stride(from: 0, to: flat.count - 1, by: 2).map { (flat[$0], flat[$0 + 1]) } }
    var text: String { flat.joined(separator: "\u{0}") }
}
