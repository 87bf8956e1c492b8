import ArgumentParser
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON

struct CheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Save, list or drop checkpoints (saved states that let open skip replaying the whole log).",
        discussion: """
            The engine saves checkpoints by itself: every 1,000,000 events while running and on close when \\
            10,000 or more events are not covered yet. The log stays the only source of truth: open skips a \\
            checkpoint that fails a check and replays the log; `mediactl audit` compares each with the log.
            """,
        subcommands: [Save.self, List.self, Drop.self])

    struct Save: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Save a checkpoint of the current state now.")
        @OptionGroup var options: StoreOptions

        func run() async throws {
            let body: CheckpointChangeJSON
            if let remote: CheckpointChangeJSON = try await options.fromServer({
                try await $0.send(.POST, "/v1/checkpoints")
            }) {
                body = remote
            } else {
                let catalogue = try await options.open()
                defer { catalogue.close() }
                body = CheckpointChangeJSON(sequence: try catalogue.saveCheckpoint(), removed: 0)
            }
            Output.emit(body, json: options.json, text: "checkpoint saved at event \(body.sequence ?? 0)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List stored checkpoints, newest first, and whether open would use them.")
        @OptionGroup var options: StoreOptions

        func run() async throws {
            let body: [CheckpointJSON]
            if let remote: [CheckpointJSON] = try await options.fromServer({ try await $0.get("/v1/checkpoints") }) {
                body = remote
            } else {
                body = try Catalogue.listCheckpoints(at: options.directory).map(CheckpointJSON.init)
            }
            let text =
                body.isEmpty
                ? "no checkpoints"
                : body.map {
                    "event \($0.sequence)  \($0.bytes) bytes  \($0.usable ? "usable" : "SKIPPED"): \($0.detail)"
                }.joined(separator: "\n")
            Output.emit(body, json: options.json, text: text)
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a checkpoint (or all); the next open replays from an older one or the first event.")
        @OptionGroup var options: StoreOptions
        @Argument(help: "The event the checkpoint covers, as `checkpoint list` shows it.") var sequence: UInt64?
        @Flag(name: .long, help: "Remove every checkpoint.") var all = false

        func validate() throws {
            guard (sequence != nil) != all else { throw ValidationError("give one checkpoint's event number or --all") }
        }

        func run() async throws {
            try options.requireStoreFiles(
                "checkpoint drop", because: "removes records from the store's files while no catalogue writes them")
            let removed = try Catalogue.dropCheckpoints(at: options.directory, sequence: all ? nil : sequence)
            if !all, removed == 0, let sequence {
                throw NtmsError(
                    .objectNotFound, "no checkpoint covers event \(sequence); see `mediactl checkpoint list`")
            }
            Output.emit(
                CheckpointChangeJSON(sequence: nil, removed: removed), json: options.json,
                text: "removed \(removed) checkpoint(s)")
        }
    }
}
