import ArgumentParser
import CatalogueDomain
import CatalogueEngine
import Foundation

/// The workload `tools/crash-test` kills with SIGKILL, and the checker it runs
/// after each kill.
@main
struct CrashWorkload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalogue-crash-workload",
        abstract: "Crash-test workload: `run` until killed, then `check` the store against the acknowledged answers.",
        subcommands: [Run.self, Prepare.self, HTTP.self, Check.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a seeded mix of commands from several callers until killed.")
        @Option(help: "The store directory.") var store: String
        @Option(help: "The seed of this run.") var seed: UInt64
        @Option(help: "The file acknowledged answers are appended to.") var acks: String
        @Option(help: "Concurrent callers.") var callers: Int = 4
        @Option(help: "Stop after this many steps per caller (default: run until killed).") var steps: Int = .max

        func run() async throws {
            // Checkpoints every few hundred events, so kills also land during saves and
            // the checker's open starts from a checkpoint written by a killed process.
            var options = CatalogueOptions(checkpoints: CheckpointPolicy(everyEvents: 300, onCloseAfterEvents: 1))
            // Every run's callers name themselves after the seed; rights are not under test here.
            options.initialAccess = [AccessEntry(.everyone, .all)]
            let catalogue = try await Catalogue.open(at: store, create: true, options: options)
            let session = try catalogue.session(application: "crash-workload", user: "seed-\(seed)")
            try await CrashLayout.prepare(session, catalogue)
            let ackFile = try AckFile(path: acks)
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<callers {
                    group.addTask {
                        var caller = Caller(
                            session: session, catalogue: catalogue, acks: ackFile,
                            random: SeededGenerator(state: seed &* 1_000_003 &+ UInt64(index)),
                            name: "s\(seed)c\(index)")
                        for _ in 0..<steps { await caller.step() }
                    }
                }
            }
            catalogue.close()
        }
    }

    struct Prepare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the workload's store and layout with some media, for the server mode.")
        @Option(help: "The store directory.") var store: String
        @Option(help: "The file acknowledged answers are appended to.") var acks: String

        func run() async throws {
            let catalogue = try await Catalogue.open(at: store, create: true)
            defer { catalogue.close() }
            let session = try catalogue.session(application: "crash-workload", principal: OSAccounts.currentPrincipal())
            try await CrashLayout.prepare(session, catalogue)
            let ackFile = try AckFile(path: acks)
            guard let type = catalogue.snapshot.state.mediaType(named: CrashLayout.mediaType),
                let library = catalogue.snapshot.state.library(named: CrashLayout.library)
            else { throw ExitCode.failure }
            for slot in 1...400 {
                let barcode = String(format: "HTTP%04d", slot)
                guard catalogue.snapshot.state.medium(withBarcode: barcode) == nil else { continue }
                let medium = try await session.registerMedium(
                    barcode: barcode, mediaType: type.id, location: .slot(library.id, UInt32(CrashLayout.slots - slot)))
                ackFile.record("register \(medium) \(barcode)")
            }
        }
    }

    struct HTTP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "http",
            abstract: "Allocate and deallocate over a server's Unix socket until it stops answering.")
        @Option(help: "The server's Unix socket.") var socket: String
        @Option(help: "The file acknowledged answers are appended to.") var acks: String
        @Option(help: "Concurrent callers.") var callers: Int = 16

        func run() async throws {
            await HTTPLoad(socket: socket, pool: CrashLayout.pools[0], acks: try AckFile(path: acks), callers: callers)
                .run()
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verify a store after a kill; exit 1 on any problem.")
        @Option(help: "The store directory.") var store: String
        @Option(help: "The acknowledged answers.") var acks: String

        func run() async throws {
            let (problems, recovered) = try await CrashCheck.run(store: store, acks: acks)
            if problems.isEmpty {
                print(recovered ? "ok (a robot operation was left open: recovered by inventory)" : "ok")
            } else {
                for problem in problems.prefix(40) { print("problem: \(problem)") }
                throw ExitCode.failure
            }
        }
    }
}
