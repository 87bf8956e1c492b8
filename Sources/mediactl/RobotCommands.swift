import ArgumentParser
import CatalogueClient
import CatalogueDomain
import CatalogueEngine
import CatalogueHardware
import CatalogueJSON
import Foundation

extension ChangerKind: ExpressibleByArgument {
    public init?(argument: String) {
        guard let kind = Self.allCases.first(where: { $0.name == argument }) else { return nil }
        self = kind
    }

    public static var allValueStrings: [String] { allCases.map(\.name) }
}

/// The simulated robot's speed, `--timing`.
enum TimingPreset: String, ExpressibleByArgument, CaseIterable {
    case instant, demo, realistic

    var timing: MoveTiming {
        switch self {
        case .instant: .instant
        case .demo: .demo
        case .realistic: .realistic
        }
    }
}

/// Progress for robot commands, which take seconds: on stderr so --json stays clean.
func progress(_ text: String) {
    FileHandle.standardError.write(Data("\(text)\n".utf8))
}

func seconds(since start: ContinuousClock.Instant) -> String {
    let elapsed = ContinuousClock.now - start
    let (whole, fraction) = elapsed.components
    return String(format: "%.1f s", Double(whole) + Double(fraction) / 1e18)
}

struct Mount: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mount an allocated side into a drive (MountNtmsMedia).",
        discussion: """
            Takes the given drive, else the least recently used empty drive of the medium's library (every drive \
            takes every media type). A medium left in a drive by a deferred dismount is mounted again without a \
            move; when every drive is taken, a deferred one is emptied first. An offline medium raises a MOVEMEDIA \
            operator request and fails with ERROR_MEDIA_OFFLINE naming it.

            The mount is a work item of the library's queue (`mediactl queue LIBRARY`). When the drive, every \
            drive or the medium is busy, it fails with ERROR_BUSY at once, or with --timeout waits in the queue \
            (WAITING) and mounts as soon as one is free; ERROR_TIMEOUT when none came free in time.
            """)

    @OptionGroup var options: StoreOptions
    @Argument(help: "The LMID, or the side (side-N or BARCODE:A).") var target: String
    @Option(help: "Mount into this drive (numbered from 0).") var drive: UInt32?
    @Option(
        help: "Milliseconds to wait in the queue for a busy drive or medium, or `infinite` (default 0: do not wait).")
    var timeout: WaitTimeout = .none
    @Option(help: "The work item's priority, -15 (lowest) to 15 (highest); 0 is normal.") var priority: Int = 0

    func run() async throws {
        if try await options.onServer({ client in
            if !options.json { progress("mounting \(target)...") }
            let start = ContinuousClock.now
            let body: MountJSON = try await client.send(
                .POST, "/v1/mount",
                body: MountBody(
                    side: target, drive: drive, timeout_ms: timeout.apiMilliseconds,
                    priority: priority == 0 ? nil : priority),
                patience: timeout.clientPatience)
            Output.emit(body, json: options.json, text: text(body, since: start))
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let state = catalogue.snapshot.state
        let names = Names(state: state)
        // An LMID's own error (unknown, deallocated) is the one to show, not a side name's format.
        let side =
            LogicalMediumID(target) != nil ? try names.logicalMedium(target).side : try names.side(target).id
        let medium = state.sides[side].flatMap { state.media[$0.medium] }
        let start = ContinuousClock.now
        if let medium, !options.json, medium.location.driveAddress == nil {
            progress("mounting \(medium.barcode) from \(LocationJSON(medium.location, in: state).text)...")
        }
        let json = options.json
        let result = try await options.session(catalogue).mount(
            side, drive: drive, timeout: timeout, priority: priority
        ) { item, reason in
            // One line per wait, so an operator knows what it waits for and how to stop it.
            if !json {
                progress("\(item) waits in the library's queue: \(reason); cancel with `mediactl queue cancel \(item)`")
            }
        }
        let body = MountJSON(side: side, result: result, catalogue.snapshot.state)
        Output.emit(body, json: options.json, text: text(body, since: start))
    }

    private func text(_ body: MountJSON, since start: ContinuousClock.Instant) -> String {
        let how = body.robot_moved ? "in \(seconds(since: start))" : "without a move (it was still in the drive)"
        return "mounted \(target) in drive \(body.drive) \(how)"
    }
}

struct Dismount: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Dismount a medium back to its home slot (DismountNtmsMedia).",
        discussion: "With --deferred the medium stays in its drive (DISMOUNTABLE) until the drive is needed.")

    @OptionGroup var options: StoreOptions
    @Argument(help: "The LMID, or the medium (bar code or medium-N).") var target: String
    @Flag(help: "NTMS_DISMOUNT_DEFERRED: leave it in the drive for now.") var deferred = false

    func run() async throws {
        if try await options.onServer({ client in
            if !deferred, !options.json { progress("dismounting \(target)...") }
            let start = ContinuousClock.now
            let body: MediumMovedJSON = try await client.send(
                .POST, "/v1/dismount", body: DismountBody(medium: target, deferred: deferred ? true : nil))
            Output.emit(body, json: options.json, text: text(body, since: start))
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let state = catalogue.snapshot.state
        let names = Names(state: state)
        let medium: Medium
        if let logical = try? names.logicalMedium(target), let side = state.sides[logical.side],
            let owner = state.media[side.medium]
        {
            medium = owner
        } else {
            medium = try names.medium(target)
        }
        let start = ContinuousClock.now
        if !deferred, !options.json { progress("dismounting \(medium.barcode)...") }
        try await options.session(catalogue).dismount(medium.id, deferred: deferred)
        let now = catalogue.snapshot.state
        let body = MediumMovedJSON(now.media[medium.id] ?? medium, deferred: deferred, now)
        Output.emit(body, json: options.json, text: text(body, since: start))
    }

    private func text(_ body: MediumMovedJSON, since start: ContinuousClock.Instant) -> String {
        deferred
            ? "\(body.barcode) stays in \(body.location.text) (deferred)"
            : "\(body.barcode) is back in \(body.location.text) after \(seconds(since: start))"
    }
}

struct Inject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move a cartridge from an import/export port into a free slot (InjectNtmsMedia).",
        discussion: """
            A cartridge the catalogue knows (offline) comes back online; a new one is registered and classified by \
            --label. A cartridge whose bar code is unknown but whose on-media label (--label-type, --label-id) an \
            application reported comes back as that medium, in its pool with its allocations, under the new bar code; \
            an unknown on-media label makes a new cartridge IMPORT. With a simulated changer the cartridge (and its \
            label) is first put into the port, as an operator would.
            """)

    @OptionGroup var options: StoreOptions
    @Argument(help: "The library (name or id).") var library: String
    @Option(help: "The port (numbered from 1).") var port: UInt32
    @Option(help: "The cartridge's bar code.") var barcode: String
    @Option(help: "Its media type, for a new cartridge.") var mediaType: String
    @Option(help: "What its label says: free, import or none.") var label: LabelArgument = .free
    @OptionGroup var onMediaLabel: OnMediaLabelOptions

    func run() async throws {
        let read = try onMediaLabel.identifier(required: false)
        if try await options.onServer({ client in
            let start = ContinuousClock.now
            let row: MediumJSON = try await client.send(
                .POST, APIPath("/v1/libraries") + self.library + "inject",
                body: InjectBody(
                    port: port, barcode: barcode, media_type: mediaType, label: label.rawValue, onMediaLabel: read))
            Output.emit(row, json: options.json, text: "injected in \(seconds(since: start)): \(row.text)")
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let state = catalogue.snapshot.state
        let names = Names(state: state)
        let library = try names.library(self.library)
        let type = try names.mediaType(mediaType)
        let start = ContinuousClock.now
        let medium = try await options.session(catalogue).injectAsOperator(
            library: library.id, port: port, barcode: barcode, mediaType: type.id, label: label.label,
            onMediaLabel: read)
        let now = catalogue.snapshot.state
        let row = MediumJSON(try present(now.media[medium]), now)
        Output.emit(row, json: options.json, text: "injected in \(seconds(since: start)): \(row.text)")
    }
}

struct Eject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move a medium to an import/export port; it goes offline (EjectNtmsMedia).",
        discussion: "Refused (ERROR_BUSY) for a mounted medium or when every port is full.")

    @OptionGroup var options: StoreOptions
    @Argument(help: "The medium (bar code or medium-N).") var medium: String
    @Option(help: "The port (default: the first empty one).") var port: UInt32?

    func run() async throws {
        let start = ContinuousClock.now
        if try await options.onServer({ client in
            let body: EjectJSON = try await client.send(
                .POST, APIPath("/v1/media") + self.medium + "eject", body: EjectBody(port: port))
            Output.emit(body, json: options.json, text: text(body, since: start))
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let medium = try Names(state: catalogue.snapshot.state).medium(self.medium)
        let used = try await options.session(catalogue).eject(medium.id, port: port)
        let body = EjectJSON(medium, port: used, catalogue.snapshot.state)
        Output.emit(body, json: options.json, text: text(body, since: start))
    }

    private func text(_ body: EjectJSON, since start: ContinuousClock.Instant) -> String {
        "\(body.barcode) is in port \(body.port) after \(seconds(since: start)); it is offline now"
    }
}

struct Inventory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read a library's changer and reconcile the catalogue with it; print the differences.",
        discussion: """
            Media found elsewhere are moved, media not found go offline (the shelf), new cartridges are registered \
            in the Unrecognized pool of --media-type (default: the library's most common type) until an operator \
            moves them, and cartridges without a label, cleaning cartridges and unknown cartridges in drives are \
            listed for the operator. Elements the changer did not report are left as they were.
            """)

    @OptionGroup var options: StoreOptions
    @Argument(help: "The library (name or id).") var library: String
    @Option(help: "Media type for new cartridges.") var mediaType: String?

    func run() async throws {
        if !options.json { progress("reading the changer of \(library)...") }
        try await runInventory(options, library: library, mediaType: mediaType, route: ["inventory"]) {
            try await $0.inventory($1, mediaType: $2)
        }
    }
}

/// Takes an inventory (on its own, or the one closing a door takes) on the
/// files or the server, and prints what it changed.
private func runInventory(
    _ options: StoreOptions, library: String, mediaType: String?, route: [String],
    _ take: (Session, LibraryID, MediaTypeID?) async throws -> InventoryReport
) async throws {
    if try await options.onServer({ client in
        let path = route.reduce(APIPath("/v1/libraries") + library) { $0 + $1 }
        let body: InventoryJSON = try await client.send(.POST, path, body: InventoryBody(media_type: mediaType))
        Output.emit(body, json: options.json, text: body.text)
    }) {
        return
    }
    let catalogue = try await options.open()
    defer { catalogue.close() }
    let before = catalogue.snapshot.state
    let names = Names(state: before)
    let library = try names.library(library)
    let type = try mediaType.map { try names.mediaType($0).id }
    let report = try await take(try options.session(catalogue), library.id, type)
    let body = InventoryJSON(report, library: library.id, before: before, after: catalogue.snapshot.state)
    Output.emit(body, json: options.json, text: body.text)
}

struct Door: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open or close a library's door (AccessNtmsLibraryDoor), for loading slots by hand.",
        discussion: """
            `door open` records that an operator is at the library: its robot does nothing (ERROR_NOT_READY) and \
            what its slots hold is unknown. `door close` records that the door is shut and takes the inventory \
            that finds what was changed, printing it as `inventory` does.
            """)

    enum Action: String, ExpressibleByArgument, CaseIterable { case open, close }

    @OptionGroup var options: StoreOptions
    @Argument(help: "open or close.") var action: Action
    @Argument(help: "The library (name or id).") var library: String
    @Option(help: "Media type for new cartridges the closing inventory finds.") var mediaType: String?

    func run() async throws {
        guard action == .open else {
            if !options.json { progress("door closed; reading the changer of \(library)...") }
            try await runInventory(options, library: library, mediaType: mediaType, route: ["door", "close"]) {
                try await $0.closeDoor($1, mediaType: $2)
            }
            return
        }
        if try await options.onServer({ client in
            let body: LibraryJSON = try await client.send(
                .POST, APIPath("/v1/libraries") + self.library + "door" + "open")
            Output.emit(body, json: options.json, text: "door of \(body.name) open: " + body.text)
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let library = try Names(state: catalogue.snapshot.state).library(self.library)
        try await options.session(catalogue).openDoor(library.id)
        let body = LibraryJSON(try present(catalogue.snapshot.state.libraries[library.id]))
        Output.emit(body, json: options.json, text: "door of \(body.name) open: " + body.text)
    }
}

/// Parses `slot:N`, `drive:N` and `port:N`.
extension ChangerElement: ExpressibleByArgument {
    public init?(argument: String) {
        let parts = argument.split(separator: ":")
        guard parts.count == 2, let number = UInt32(parts[1]) else { return nil }
        switch parts[0] {
        case "slot" where number >= 1: self = .slot(number)
        case "port" where number >= 1: self = .port(number)
        case "drive": self = .drive(number)
        default: return nil
        }
    }
}

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Act on a simulated library's robot behind the catalogue's back: an operator's hands, faults, speed.",
        discussion: """
            For trying failure handling and inventory without hardware. Nothing here writes to the catalogue; \
            `mediactl inventory` afterwards shows what the catalogue makes of it.
            """,
        subcommands: [HandMove.self, TakeOut.self, Fault.self, Timing.self])

    struct Target: ParsableArguments {
        @OptionGroup var options: StoreOptions
        @Argument(help: "The simulated library (name or id).") var library: String

        func robot() async throws -> (Catalogue, Library, SimulatedChanger) {
            try options.requireStoreFiles("simulate", because: "acts on the simulated robot kept beside the store")
            let catalogue = try await options.open()
            do {
                let library = try Names(state: catalogue.snapshot.state).library(self.library)
                return (catalogue, library, try catalogue.simulatedRobot(for: library.id))
            } catch {
                catalogue.close()
                throw error
            }
        }
    }

    struct HandMove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hand-move", abstract: "Move a cartridge by hand (slot:N, drive:N or port:N).")
        @OptionGroup var target: Target
        @Argument(help: "Where it is.") var from: ChangerElement
        @Argument(help: "Where it goes.") var to: ChangerElement

        func run() async throws {
            let (catalogue, library, robot) = try await target.robot()
            defer { catalogue.close() }
            try await robot.move(from: from, to: to)
            let change = "moved the cartridge in \(from) to \(to) by hand"
            Output.emit(SimulationJSON(library: library, change: change), json: target.options.json, text: change)
        }
    }

    struct TakeOut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "take-out",
            abstract: "Take the cartridge out of a port, as an operator collects an ejected one.")
        @OptionGroup var target: Target
        @Argument(help: "The port (numbered from 1).") var port: UInt32

        func run() async throws {
            let (catalogue, library, robot) = try await target.robot()
            defer { catalogue.close() }
            let removed = try robot.removeFromPort(port)
            let change =
                removed.map { "took \($0.barcode ?? "an unlabelled cartridge") out of port \(port)" }
                ?? "port \(port) was empty"
            Output.emit(SimulationJSON(library: library, change: change), json: target.options.json, text: change)
        }
    }

    struct Fault: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give the robot a fault: move-fails, unit-attention, stuck-in-drive N, hang, or clear.")
        @OptionGroup var target: Target
        @Argument(help: "move-fails, unit-attention, stuck-in-drive, hang or clear.") var fault: String
        @Argument(help: "The drive, for stuck-in-drive.") var drive: UInt32?

        func run() async throws {
            let injected: SimulatedFault?
            switch (fault, drive) {
            case ("move-fails", nil): injected = .moveFails
            case ("unit-attention", nil): injected = .unitAttention
            case ("hang", nil): injected = .hang
            case ("stuck-in-drive", let drive?): injected = .stuckInDrive(drive)
            case ("clear", nil): injected = nil
            default: throw UsageError(message: "unknown fault `\(fault)` (stuck-in-drive takes a drive number)")
            }
            let (catalogue, library, robot) = try await target.robot()
            defer { catalogue.close() }
            if let injected { try robot.inject(injected) } else { try robot.modify { $0.faults.removeAll() } }
            let change = injected == nil ? "faults cleared" : "the robot will \(fault)"
            Output.emit(SimulationJSON(library: library, change: change), json: target.options.json, text: change)
        }
    }

    struct Timing: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set how fast the robot moves.")
        @OptionGroup var target: Target
        @Argument(help: "instant, demo or realistic.") var timing: TimingPreset

        func run() async throws {
            let (catalogue, library, robot) = try await target.robot()
            defer { catalogue.close() }
            try robot.setTiming(timing.timing)
            let change = "the robot now moves at \(timing.rawValue) speed"
            Output.emit(SimulationJSON(library: library, change: change), json: target.options.json, text: change)
        }
    }
}
