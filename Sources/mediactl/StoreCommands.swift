import ArgumentParser
import CatalogueClient
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the catalogue store (does nothing to an existing one, except what --group asks).",
        discussion: """
            A new store is private to its owner (directory 0700, files 0600). --group NAME lets that group's \
            members read it: query commands (show, history, requests, watch, audit) open stores read-only, \
            so reporting tools and auditors in the group can run them while only the owner can change the \
            store. On an existing store, --group shares it the same way.
            """)

    @OptionGroup var options: StoreOptions
    @Option(help: "Let this group read the store and take LMDB reader slots (default: private).")
    var group: String?

    func run() async throws {
        try options.requireStoreFiles("init", because: "creates a store's files")
        // The default place's parents (~/.local/share) may not exist yet on a new account.
        let parent = URL(fileURLWithPath: options.directory).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: parent) {
            try FileManager.default.createDirectory(
                atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let catalogue = try await Catalogue.open(at: options.directory, create: true)
        let body = StoreJSON(store: catalogue.directory, head: catalogue.snapshot.head.sequence, group: group)
        catalogue.close()
        if let group { try Catalogue.shareStore(at: body.store, withGroup: group) }
        Output.emit(
            body, json: options.json,
            text: "catalogue ready at \(body.store) (head event \(body.head))"
                + (group.map { ", readable by group \($0)" } ?? ""))
    }
}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Replay the whole log; verify every record (checksum, sequence, decoding, hash chain), the model's rules and every checkpoint.",
        discussion: """
            Opens the store read-only and writes nothing. Replays from the first event even when checkpoints \
            exist, and compares each checkpoint with the state replayed up to its event. A damaged or old \
            checkpoint is reported (open skips it); one that would load but disagrees with the log, or that \
            covers events the log no longer has, fails the audit, and so does a log without its creation \
            event or without the head recorded beside it.
            The chain can be recomputed by anyone who can write the store: keep an anchor outside it. \
            `--at N` prints the chain hash at event N as HASH@N; a later `--expect HASH@N` fails unless the \
            log still holds exactly that history up to event N.
            Exits 0 when the log is sound, 3 (ERROR_DATABASE_FAILURE) naming the first bad event otherwise.
            """)

    @OptionGroup var options: StoreOptions
    @Option(name: .customLong("at"), help: "Print the verified chain hash at this event, as HASH@N (repeatable).")
    var hashesAt: [UInt64] = []
    @Option(
        name: .customLong("expect"),
        help: ArgumentHelp("Fail unless the chain hash at event N is HASH (repeatable).", valueName: "HASH@N"),
        transform: { text in
            guard let anchor = ChainAnchor(text) else {
                throw ValidationError(
                    "an anchor is 64 hexadecimal digits, '@' and an event number, as `audit --at` prints it")
            }
            return anchor
        })
    var anchors: [ChainAnchor] = []

    func run() async throws {
        try options.requireStoreFiles(
            "audit", because: "verifies the store's files themselves (a server's word is not an audit)")
        let report = try Catalogue.audit(at: options.directory, hashesAt: hashesAt, anchors: anchors)
        let body = AuditJSON(report)
        var lines = [
            "events     \(report.events)",
            "head       \(report.head)",
            "head hash  \(report.headHash)",
        ]
        lines += report.objectCounts.map { "\($0.kind.replacingOccurrences(of: "_", with: " ")): \($0.count)" }
        lines += report.invariantViolations.map { "invariant violated: \($0)" }
        lines += report.checkpoints.map { "checkpoint at event \($0.sequence): \($0.verdict.rawValue) (\($0.detail))" }
        let missing = hashesAt.filter { sequence in !report.chainHashes.contains { $0.sequence == sequence } }
        lines += report.chainHashes.map { "chain hash at event \($0.sequence): \($0)" }
        lines += missing.map { "chain hash at event \($0): not reached (the log ends at \(report.head))" }
        lines += report.anchors.map { "anchor \($0.anchor): \($0.holds ? "holds" : "BROKEN")" }
        lines.append(report.ok ? "ok" : "FAILED: \(report.problem ?? "")")
        Output.emit(body, json: options.json, text: lines.joined(separator: "\n"))
        if !report.ok {
            throw NtmsError(.databaseFailure, report.problem ?? "the log failed its audit")
        }
    }
}

struct MediaTypeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media-type", abstract: "Manage media types.", subcommands: [Add.self, Delete.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a media type; creates its Free, Import and Unrecognized pools.")

        @OptionGroup var options: StoreOptions
        @Argument(help: "The media type's name, for example LTO-6.") var name: String
        @Option(help: "Sides per medium: 1 for tape, 2 for two-sided optical disks.") var sides: Int

        func run() async throws {
            if try await options.onServer({ client in
                let body: MediaTypeJSON = try await client.send(
                    .POST, "/v1/media-types", body: MediaTypeBody(name: name, sides: sides))
                Output.emit(body, json: options.json, text: "\(body.id) \(name) (\(sides) side(s))")
            }) {
                return
            }
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let id = try await options.session(catalogue).registerMediaType(name: name, sides: sides)
            let state = catalogue.snapshot.state
            Output.emit(
                MediaTypeJSON(try present(state.mediaTypes[id]), state), json: options.json,
                text: "\(id) \(name) (\(sides) side(s))")
        }
    }
}

extension MediaTypeCommand {
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a media type no medium or application pool uses, with its system pools "
                + "(DeleteNtmsMediaType).")

        @OptionGroup var options: StoreOptions
        @Argument(help: "The media type's name or id.") var name: String

        func run() async throws {
            if try await options.onServer({ client in
                let body: DeletedMediaTypeJSON = try await client.send(.DELETE, APIPath("/v1/media-types") + name)
                Output.emit(body, json: options.json, text: "deleted \(body.deleted) \(body.name)")
            }) {
                return
            }
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let type = try Names(state: catalogue.snapshot.state).mediaType(name)
            try await options.session(catalogue).deleteMediaType(type.id)
            let body = DeletedMediaTypeJSON(type)
            Output.emit(body, json: options.json, text: "deleted \(body.deleted) \(body.name)")
        }
    }
}

struct LibraryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "library", abstract: "Manage libraries.", subcommands: [Add.self, Set.self, Delete.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an online library (a robotic changer).")

        @OptionGroup var options: StoreOptions
        @Argument(help: "The library's name.") var name: String
        @Option(help: "Number of storage slots (numbered from 1); with --driver mtx, default: the changer's.")
        var slots: Int?
        @Option(help: "Number of drives; with --driver mtx, default: the changer's.") var drives: Int?
        @Option(
            help:
                "Number of import/export ports (default: 0; with --driver mtx and no --slots or --drives, the changer's)."
        )
        var ports: Int?
        @OptionGroup var changer: ChangerOptions
        @Option(help: "How fast the simulated robot moves: instant, demo or realistic (3-16 s per move).")
        var timing: TimingPreset = .instant
        @Flag(help: "Do not read an mtx changer's geometry to check the counts (set up before it is connected).")
        var noCheck = false

        func validate() throws {
            if changer.driver != .mtx, slots == nil || drives == nil {
                throw ValidationError("give --slots and --drives (only an mtx changer can tell them)")
            }
            if noCheck, changer.driver != .mtx { throw ValidationError("--no-check is for --driver mtx") }
            if noCheck, slots == nil || drives == nil {
                throw ValidationError("--no-check needs --slots and --drives: the changer is not asked")
            }
        }

        func run() async throws {
            if try await options.onServer({ client in
                guard timing == .instant else {
                    throw UsageError(
                        message: "--timing sets the simulated robot in the store's directory: run it on the store files"
                    )
                }
                let body: LibraryJSON = try await client.send(
                    .POST, "/v1/libraries",
                    body: LibraryBody(
                        name: name, slots: slots, drives: drives, ports: ports, driver: changer.driver?.name,
                        device: changer.device, no_check: noCheck ? true : nil))
                Output.emit(body, json: options.json, text: "\(body.id) \(name)")
            }) {
                return
            }
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let session = try options.session(catalogue)
            let id: LibraryID
            if let attachment = changer.attachment {
                if attachment.kind == .mtx, !noCheck, !options.json {
                    progress("reading the geometry of the changer at \(attachment.device)...")
                }
                id = try await session.addLibrary(
                    name: name, changer: attachment, slots: slots, drives: drives, ports: ports,
                    checkingGeometry: !noCheck)
            } else {
                // validate() made sure both are given without an mtx changer.
                id = try await session.addLibrary(name: name, slots: slots ?? 0, drives: drives ?? 0, ports: ports ?? 0)
            }
            if changer.driver == .simulated { try catalogue.simulatedRobot(for: id).setTiming(timing.timing) }
            let library = try present(catalogue.snapshot.state.libraries[id])
            Output.emit(LibraryJSON(library), json: options.json, text: "\(id) \(name)")
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a library a changer or change it, and set how an mtx changer is driven.",
            discussion: """
                A new changer is refused while robot work is in progress. The mtx settings take effect at the \
                next robot command: --offline-before-unload needs a --drive-device for every drive \
                (for example --drive-device 0=/dev/tape/by-id/scsi-XYZ-nst); timeouts are in seconds, 0 for \
                the default (status and moves 360, inventory 1800: above mtx's own 300).
                """)

        @OptionGroup var options: StoreOptions
        @Argument(help: "The library's name or id.") var library: String
        @OptionGroup var changer: ChangerOptions
        @Flag(help: "Do not read an mtx changer's geometry to check it against the library.") var noCheck = false
        @OptionGroup var settings: ChangerSettingOptions

        func validate() throws {
            if changer.driver == nil, settings.isEmpty {
                throw ValidationError("library set needs --driver simulated|mtx or an mtx setting")
            }
            if noCheck, changer.driver != .mtx { throw ValidationError("--no-check is for --driver mtx") }
        }

        func run() async throws {
            if try await options.onServer({ client in
                let body: LibraryJSON
                if let attachment = changer.attachment {
                    // One request: refused settings attach nothing.
                    body = try await client.send(
                        .PUT, APIPath("/v1/libraries") + library + "changer",
                        body: ChangerBody(
                            driver: attachment.kind.name, device: changer.device, no_check: noCheck ? true : nil,
                            settings: settings.isEmpty ? nil : settings.body))
                } else {
                    body = try await client.send(
                        .PUT, APIPath("/v1/libraries") + library + "changer" + "settings", body: settings.body)
                }
                try emit(body)
            }) {
                return
            }
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let id = try Names(state: catalogue.snapshot.state).library(library).id
            let session = try options.session(catalogue)
            let current = try present(catalogue.snapshot.state.libraries[id]).changerSettings
            let wanted = settings.isEmpty ? nil : try settings.body.applied(to: current)
            if let attachment = changer.attachment {
                // Settings given with the changer are checked before it is attached.
                try await session.attachChanger(
                    id, kind: attachment.kind, device: attachment.device, checkingGeometry: !noCheck, settings: wanted)
            } else if let wanted {
                try await session.configureChanger(id, wanted)
            }
            try emit(LibraryJSON(try present(catalogue.snapshot.state.libraries[id])))
        }

        private func emit(_ body: LibraryJSON) throws {
            let text =
                settings.isEmpty ? "\(body.id) \(body.name): \(body.changer ?? "no") changer" : body.text
            Output.emit(body, json: options.json, text: text)
        }
    }

    /// `library set`'s mtx settings; each one given replaces the library's.
    struct ChangerSettingOptions: ParsableArguments {
        @Option(help: ArgumentHelp("The mtx binary (default: mtx on the PATH, else /usr/sbin/mtx).", valueName: "path"))
        var mtxPath: String?
        @Flag(
            inversion: .prefixedNo,
            help: "Run `mtx inventory` before each status (changers that report stale contents).")
        var inventoryBeforeStatus: Bool?
        @Flag(inversion: .prefixedNo, help: "Take a drive's tape offline (`mt -f TAPE offline`) before unloading it.")
        var offlineBeforeUnload: Bool?
        @Option(
            help: ArgumentHelp(
                "A drive's tape device, for --offline-before-unload (repeatable; an empty path removes one).",
                valueName: "N=path"))
        var driveDevice: [String] = []
        @Option(help: ArgumentHelp("Seconds a status may take (0: the default).", valueName: "seconds"))
        var statusTimeout: UInt32?
        @Option(help: ArgumentHelp("Seconds a move may take (0: the default).", valueName: "seconds"))
        var moveTimeout: UInt32?
        @Option(help: ArgumentHelp("Seconds `mtx inventory` may take (0: the default).", valueName: "seconds"))
        var inventoryTimeout: UInt32?

        func validate() throws {
            for entry in driveDevice {
                let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, UInt32(parts[0]) != nil else {
                    throw ValidationError("--drive-device is N=PATH, for example 0=/dev/nst0, not \(entry)")
                }
            }
        }

        var isEmpty: Bool {
            mtxPath == nil && inventoryBeforeStatus == nil && offlineBeforeUnload == nil && driveDevice.isEmpty
                && statusTimeout == nil && moveTimeout == nil && inventoryTimeout == nil
        }

        /// The API's body for these settings, which applies them on the files too.
        var body: ChangerSettingsBody {
            let devices = Dictionary(
                driveDevice.map { entry in
                    let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    return (String(parts[0]), String(parts[1]))
                }, uniquingKeysWith: { _, last in last })
            return ChangerSettingsBody(
                mtx_path: mtxPath, inventory_before_status: inventoryBeforeStatus,
                offline_before_unload: offlineBeforeUnload, drive_devices: devices.isEmpty ? nil : devices,
                status_timeout: statusTimeout, move_timeout: moveTimeout, inventory_timeout: inventoryTimeout)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an online library that holds no media and has no robot work in progress.")

        @OptionGroup var options: StoreOptions
        @Argument(help: "The library's name or id.") var library: String

        func run() async throws {
            if try await options.onServer({ client in
                let body: DeletedLibraryJSON = try await client.send(.DELETE, APIPath("/v1/libraries") + library)
                Output.emit(body, json: options.json, text: "deleted \(body.deleted) \(body.name)")
            }) {
                return
            }
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let found = try Names(state: catalogue.snapshot.state).library(library)
            try await options.session(catalogue).deleteLibrary(found.id)
            let body = DeletedLibraryJSON(found)
            Output.emit(body, json: options.json, text: "deleted \(body.deleted) \(body.name)")
        }
    }
}

/// `--driver` and `--device`, as `library add` and `library set` take them.
struct ChangerOptions: ParsableArguments {
    @Option(help: "The changer: simulated (a robot kept in the store directory) or mtx (a SCSI changer).")
    var driver: ChangerKind?
    @Option(
        help:
            "The changer's device for mtx: a stable name such as /dev/tape/by-id/scsi-…-changer or /dev/changer (a /dev/sgN number can change at the next boot)."
    )
    var device: String?

    func validate() throws {
        if driver == .mtx, device == nil { throw ValidationError("--driver mtx needs --device PATH") }
        if device != nil, driver != .mtx { throw ValidationError("--device is for --driver mtx") }
    }

    var attachment: ChangerAttachment? { driver.map { ChangerAttachment(kind: $0, device: device ?? "") } }
}

struct PoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool", abstract: "Manage media pools.", subcommands: [Create.self, Set.self, Delete.self])

    struct PolicyFlags: ParsableArguments {
        @Flag(inversion: .prefixedNo, help: "Draw from the Free pool when the pool has no Available side.")
        var fromScratch: Bool?
        @Flag(inversion: .prefixedNo, help: "Return media to the Free pool once nothing is allocated on them.")
        var toScratch: Bool?
        @Option(help: "Allocations per side before it is decommissioned (0 = unlimited).")
        var maxAllocates: UInt32?

        func applied(to policy: PoolPolicy) -> PoolPolicy {
            var policy = policy
            if let fromScratch { policy.allocateFromScratch = fromScratch }
            if let toScratch { policy.deallocateToScratch = toScratch }
            if let maxAllocates { policy.maxAllocates = maxAllocates }
            return policy
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a pool: an application pool with --media-type, a folder pool without.",
            discussion: #"Paths are separated by backslashes; quote them in the shell: '\Backup\Daily'."#)

        @OptionGroup var options: StoreOptions
        @Argument(help: #"The pool path, for example '\Backup'."#) var path: String
        @Option(help: "The media type the pool holds; omit for a folder pool.") var mediaType: String?
        @OptionGroup var policy: PolicyFlags

        func run() async throws {
            if try await options.onServer({ client in
                let body: PoolJSON = try await client.send(
                    .POST, "/v1/pools",
                    body: PoolBody(
                        path: path, media_type: mediaType, from_scratch: policy.fromScratch,
                        to_scratch: policy.toScratch, max_allocates: policy.maxAllocates))
                Output.emit(body, json: options.json, text: "\(body.id) \(path)")
            }) {
                return
            }
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let names = Names(state: catalogue.snapshot.state)
            let type = try mediaType.map { try names.mediaType($0).id }
            let id = try await options.session(catalogue).createPool(
                path: path, mediaType: type, policy: policy.applied(to: PoolPolicy()))
            let state = catalogue.snapshot.state
            Output.emit(PoolJSON(try present(state.pools[id]), state), json: options.json, text: "\(id) \(path)")
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a pool's policy.")

        @OptionGroup var options: StoreOptions
        @Argument(help: "The pool path or id.") var path: String
        @OptionGroup var policy: PolicyFlags

        func run() async throws {
            if try await options.onServer({ client in
                let body: PoolJSON = try await client.send(
                    .PUT, APIPath("/v1/pools") + path + "policy",
                    body: PoolPolicyBody(
                        from_scratch: policy.fromScratch, to_scratch: policy.toScratch,
                        max_allocates: policy.maxAllocates))
                Output.emit(body, json: options.json, text: body.text)
            }) {
                return
            }
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let pool = try Names(state: catalogue.snapshot.state).pool(path)
            try await options.session(catalogue).setPoolPolicy(pool.id, policy.applied(to: pool.policy))
            let state = catalogue.snapshot.state
            let body = PoolJSON(try present(state.pools[pool.id]), state)
            Output.emit(body, json: options.json, text: body.text)
        }
    }
}

struct MediaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media", abstract: "Manage physical media.", subcommands: [Add.self, Delete.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a physical medium, classified by its label.",
            discussion:
                "free: Free pool, sides AVAILABLE; import: Import pool, sides IMPORT; none: Unrecognized pool, sides FOREIGN."
        )

        @OptionGroup var options: StoreOptions
        @Option(help: "The medium's media type.") var mediaType: String
        @Option(help: "The bar code (unique).") var barcode: String
        @Option(help: "The library holding it.") var library: String?
        @Option(help: "The slot it is in (with --library).") var slot: UInt32?
        @Flag(help: "The medium is on the shelf, outside any library.") var offline = false
        @Option(help: "What its label says: free, import or none.") var label: LabelArgument = .free

        func validate() throws {
            if offline, library != nil || slot != nil {
                throw ValidationError("--offline cannot be combined with --library or --slot")
            }
            if !offline, library == nil || slot == nil {
                throw ValidationError("give --library NAME --slot N, or --offline")
            }
        }

        func run() async throws {
            if try await options.onServer({ client in
                let body: MediumJSON = try await client.send(
                    .POST, "/v1/media",
                    body: MediumBody(
                        media_type: mediaType, barcode: barcode, library: library, slot: slot,
                        label: label.rawValue))
                Output.emit(body, json: options.json, text: body.text)
            }) {
                return
            }
            let catalogue = try await options.open()
            defer { catalogue.close() }
            let names = Names(state: catalogue.snapshot.state)
            let type = try names.mediaType(mediaType)
            let location: MediumLocation =
                if let library, let slot { .slot(try names.library(library).id, slot) } else { .shelf }
            let id = try await options.session(catalogue).registerMedium(
                barcode: barcode, mediaType: type.id, location: location, label: label.label)
            let state = catalogue.snapshot.state
            let medium = MediumJSON(try present(state.media[id]), state)
            Output.emit(medium, json: options.json, text: medium.text)
        }
    }
}
