import ArgumentParser
import CatalogueClient
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON

struct CleanerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleaner", abstract: "Manage a library's cleaner slot, cleaning cartridge and cleaning interval.",
        discussion: """
            A drive is due for cleaning when `cleaner needed` reported it or after `cleaner interval` mounts; it is \
            cleaned before its next mount if the library has a cleaner with uses left, otherwise one CLEANER \
            operator request asks for one. Example:
              mediactl cleaner reserve Robot --slot 40
              mediactl cleaner inject Robot --port 1 --barcode CLN001L1 --uses 50
              mediactl cleaner interval Robot --mounts 100
            """,
        subcommands: [Reserve.self, Release.self, Inject.self, Eject.self, Interval.self, Needed.self])

    /// Runs one cleaner change on the files or the server and prints the library.
    static func change(
        _ options: StoreOptions, library: String,
        remote: (CatalogueClient, APIPath) async throws -> LibraryJSON,
        _ act: (Session, LibraryID) async throws -> Void
    ) async throws {
        if try await options.onServer({ client in
            let answer = try await remote(client, APIPath("/v1/libraries") + library + "cleaner")
            Output.emit(answer, json: options.json, text: answer.text)
        }) {
            return
        }
        let catalogue = try await options.open()
        defer { catalogue.close() }
        let id = try Names(state: catalogue.snapshot.state).library(library).id
        try await act(try options.session(catalogue), id)
        let answer = LibraryJSON(try present(catalogue.snapshot.state.libraries[id]))
        Output.emit(answer, json: options.json, text: answer.text)
    }

    struct Reserve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an empty slot the cleaner slot (ReserveNtmsCleanerSlot).")
        @OptionGroup var options: StoreOptions
        @Argument(help: "The library.") var library: String
        @Option(help: "The slot (numbered from 1).") var slot: UInt32

        func run() async throws {
            try await change(
                options, library: library,
                remote: { try await $0.send(.PUT, $1 + "slot", body: CleanerSlotBody(slot: slot)) }
            ) { try await $0.reserveCleanerSlot($1, slot: slot) }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give the empty cleaner slot back to media (ReleaseNtmsCleanerSlot).")
        @OptionGroup var options: StoreOptions
        @Argument(help: "The library.") var library: String

        func run() async throws {
            try await change(options, library: library, remote: { try await $0.send(.DELETE, $1 + "slot") }) {
                try await $0.releaseCleanerSlot($1)
            }
        }
    }

    struct Inject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a cleaning cartridge from a port into the cleaner slot (InjectNtmsCleaner).")
        @OptionGroup var options: StoreOptions
        @Argument(help: "The library.") var library: String
        @Option(help: "The port (numbered from 1).") var port: UInt32
        @Option(help: "The cleaner's bar code.") var barcode: String
        @Option(help: "Cleanings it has left, or `unlimited`.") var uses: CleanerUses = .unlimited

        func run() async throws {
            let count = uses.count
            try await change(
                options, library: library,
                remote: {
                    try await $0.send(
                        .POST, $1 + "inject", body: CleanerInjectBody(port: port, barcode: barcode, uses: count))
                }
            ) { try await $0.injectCleaner(library: $1, port: port, barcode: barcode, uses: count) }
        }
    }

    struct Eject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move the cleaning cartridge to a port (EjectNtmsCleaner).")
        @OptionGroup var options: StoreOptions
        @Argument(help: "The library.") var library: String
        @Option(help: "The port (numbered from 1).") var port: UInt32 = 1

        func run() async throws {
            try await change(
                options, library: library,
                remote: { try await $0.send(.POST, $1 + "eject", body: CleanerEjectBody(port: port)) }
            ) { try await $0.ejectCleaner(library: $1, port: port) }
        }
    }

    struct Interval: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set how many mounts a drive may have between cleanings (0: only when reported).")
        @OptionGroup var options: StoreOptions
        @Argument(help: "The library.") var library: String
        @Option(help: "Mounts between cleanings.") var mounts: UInt32

        func run() async throws {
            try await change(
                options, library: library,
                remote: { try await $0.send(.PUT, $1 + "interval", body: CleaningIntervalBody(mounts: mounts)) }
            ) { try await $0.setCleaningInterval($1, mounts: mounts) }
        }
    }

    struct Needed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report that a drive needs cleaning: it is cleaned before its next mount.")
        @OptionGroup var options: StoreOptions
        @Argument(help: "The library.") var library: String
        @Argument(help: "The drive's number, from 0.") var drive: UInt32

        func run() async throws {
            try await driveCommand(options, library: library, drive: drive, "needs-cleaning") {
                try await $0.requestCleaning($1)
            }
        }
    }
}

struct Clean: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Clean an empty drive with the library's cleaning cartridge (CleanNtmsDrive).")
    @OptionGroup var options: StoreOptions
    @Argument(help: "The library.") var library: String
    @Argument(help: "The drive's number, from 0.") var drive: UInt32

    func run() async throws {
        if !options.json { progress("cleaning drive \(drive) of \(library)...") }
        try await driveCommand(options, library: library, drive: drive, "clean") { try await $0.clean($1) }
    }
}

/// A drive command on the files or the server; prints the drive.
private func driveCommand(
    _ options: StoreOptions, library: String, drive: UInt32, _ action: String,
    _ act: (Session, DriveAddress) async throws -> Void
) async throws {
    if try await options.onServer({ client in
        let answer: DriveJSON = try await client.send(
            .POST, APIPath("/v1/libraries") + library + "drives" + String(drive) + action)
        Output.emit(answer, json: options.json, text: answer.text)
    }) {
        return
    }
    let catalogue = try await options.open()
    defer { catalogue.close() }
    let address = DriveAddress(library: try Names(state: catalogue.snapshot.state).library(library).id, number: drive)
    try await act(try options.session(catalogue), address)
    let state = catalogue.snapshot.state
    guard let row = state.drives[address] else {
        throw NtmsError(.invalidDrive, "no drive \(drive) in \(library)")
    }
    let answer = DriveJSON(row, state)
    Output.emit(answer, json: options.json, text: answer.text)
}

/// `--uses N` or `--uses unlimited`.
enum CleanerUses: ExpressibleByArgument {
    case limited(UInt32)
    case unlimited

    init?(argument: String) {
        if argument == "unlimited" {
            self = .unlimited
        } else if let count = UInt32(argument) {
            self = .limited(count)
        } else {
            return nil
        }
    }

    var count: UInt32? { if case .limited(let count) = self { count } else { nil } }
}
