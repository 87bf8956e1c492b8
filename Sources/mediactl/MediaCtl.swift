import ArgumentParser
import CatalogueJSON

struct MediaCtl: AsyncParsableCommand {
    /// This build's version; `version --json` also reports the JSON model's schema version.
    static let version = "0.19.0"

    static let configuration = CommandConfiguration(
        commandName: "mediactl",
        abstract: "Operate a MediaCatalogue store: removable media, pools and allocations (the RSM model).",
        discussion: """
            Every change is an event in the store's log; `mediactl audit` replays and verifies it.
            The store is --store DIR, else $MEDIACTL_STORE, else /var/lib/mediacatalogue for root and \
            ~/.local/share/mediacatalogue for other users.
            Exit status: 0 success, 2 usage error, 3 NTMS error, 1 other failure.
            """,
        version: version,
        subcommands: [
            Init.self, Audit.self, MediaTypeCommand.self, LibraryCommand.self, PoolCommand.self, MediaCommand.self,
            Allocate.self, Deallocate.self, Complete.self, Decommission.self, Move.self, Swap.self, UpdateOmid.self,
            Show.self,
            History.self,
            Requests.self, RequestCommand.self, Watch.self, CheckpointCommand.self, Mount.self, Dismount.self,
            Inject.self, Eject.self, Inventory.self, QueueCommand.self, Door.self, Clean.self, CleanerCommand.self,
            Enable.self,
            Disable.self, Simulate.self, Report.self,
            Export.self,
            AccessCommand.self,
            TokenCommand.self, Serve.self, OpenAPI.self, Version.self,
        ]
    )
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print mediactl's version and the version of its JSON model (docs/schema).")

    // The common options, so `--json` and a `--store` in a script's defaults are accepted; no store is opened.
    @OptionGroup var options: StoreOptions

    func run() {
        let body = VersionJSON(version: MediaCtl.version)
        Output.emit(
            body, json: options.json, text: "mediactl \(body.version), JSON schema version \(body.schema_version)")
    }
}
