import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How long the simulated robot takes.
public struct MoveTiming: Sendable, Codable, Equatable {
    /// One pass of the picker between two elements.
    public var move: Duration
    /// A drive threading (on load) or rewinding and ejecting (on unload) a cartridge.
    public var drive: Duration

    public init(move: Duration, drive: Duration) {
        self.move = move
        self.drive = drive
    }

    /// No waiting: the default, for tests.
    public static let instant = MoveTiming(move: .zero, drive: .zero)
    /// A real mid-size library: 3-11 s per move, 12-16 s for a drive to load.
    public static let realistic = MoveTiming(move: .seconds(7), drive: .seconds(14))
    /// Slow enough to watch, fast enough for a demo.
    public static let demo = MoveTiming(move: .milliseconds(700), drive: .milliseconds(1_400))
}

/// Failures the simulated robot can be told to have. Each one-shot fault is
/// used up by the next command it applies to; a stuck drive stays stuck until cleared.
public enum SimulatedFault: Sendable, Codable, Equatable {
    /// The next move fails; the cartridge stays where it was.
    case moveFails
    /// The next command fails with a Unit Attention (as after a door was opened).
    case unitAttention
    /// Nothing can be moved out of this drive.
    case stuckInDrive(UInt32)
    /// The next move never finishes (until its caller gives up).
    case hang
}

/// The robot's contents: what a real library would report, persisted as JSON.
public struct SimulatedLibraryState: Sendable, Codable, Equatable {
    /// A cartridge; its bar code is nil when it carries no label.
    public struct Cartridge: Sendable, Codable, Equatable {
        public var barcode: String?
        /// What an application wrote on the tape, which this robot can read (a real changer cannot).
        public var label: TapeLabel?
        public init(barcode: String?, label: TapeLabel? = nil) {
            self.barcode = barcode
            self.label = label
        }
    }

    public struct Loaded: Sendable, Codable, Equatable {
        public var cartridge: Cartridge
        public var source: ChangerElement?

        public init(cartridge: Cartridge, source: ChangerElement?) {
            self.cartridge = cartridge
            self.source = source
        }
    }

    public var slots: [Cartridge?]
    public var drives: [Loaded?]
    public var ports: [Cartridge?]
    public var faults: [SimulatedFault] = []
    public var timing: MoveTiming = .instant
    /// Moves completed, for tests and the demo.
    public var moves: Int = 0
    /// The process whose move is under way: like a real picker, the robot does one move at a
    /// time and answers busy to a second command meanwhile (a dead mover does not count).
    public var movingProcess: Int32? = nil

    public init(slots: Int, drives: Int, ports: Int) {
        self.slots = Array(repeating: nil, count: slots)
        self.drives = Array(repeating: nil, count: drives)
        self.ports = Array(repeating: nil, count: ports)
    }
}

/// A robotic library in software: slots, drives, import/export ports, bar
/// codes, a move-time model and injectable faults. Its state lives in a JSON
/// file (normally in the store directory) under an exclusive file lock, so
/// every process using the store sees, and moves, the same robot.
public struct SimulatedChanger: ChangerDriver {
    public let name: String
    /// The library the robot serves, as the catalogue names it.
    public let libraryName: String
    public let path: String

    /// Opens the robot whose state is in `path`, creating it with the given
    /// shape when the file does not exist yet.
    public init(name: String, path: String, slots: Int, drives: Int, ports: Int) throws(ChangerError) {
        self.name = "simulated \(name)"
        libraryName = name
        self.path = path
        let fresh = SimulatedLibraryState(slots: slots, drives: drives, ports: ports)
        _ = try Self.update(path, creating: fresh) { _ in }
    }

    /// The robot's whole state, read under its lock.
    public func contents() throws(ChangerError) -> SimulatedLibraryState {
        try Self.update(path, creating: nil) { _ in }
    }

    /// Changes the state directly (an operator's hands, a test's setup).
    @discardableResult
    public func modify(_ change: (inout SimulatedLibraryState) throws(ChangerError) -> Void) throws(ChangerError)
        -> SimulatedLibraryState
    {
        try Self.update(path, creating: nil, change)
    }

    /// Puts a cartridge into an import/export port, as an operator would.
    public func insertIntoPort(_ port: UInt32, barcode: String?, label: TapeLabel? = nil) throws(ChangerError) {
        try modify { state throws(ChangerError) in
            let index = try Self.index(port, of: state.ports.count, "port")
            guard state.ports[index] == nil else {
                throw ChangerError(.destinationFull, "port \(port) of \(name) already holds a cartridge")
            }
            state.ports[index] = .init(barcode: barcode, label: label)
        }
    }

    /// Takes whatever is in a port out of the library, as an operator would.
    @discardableResult
    public func removeFromPort(_ port: UInt32) throws(ChangerError) -> SimulatedLibraryState.Cartridge? {
        var removed: SimulatedLibraryState.Cartridge?
        try modify { state throws(ChangerError) in
            let index = try Self.index(port, of: state.ports.count, "port")
            removed = state.ports[index]
            state.ports[index] = nil
        }
        return removed
    }

    public func inject(_ fault: SimulatedFault) throws(ChangerError) {
        try modify { state throws(ChangerError) in
            // Drives are numbered from 0; a fault in a drive the robot lacks would never fire.
            if case .stuckInDrive(let drive) = fault, Int(drive) >= state.drives.count {
                throw ChangerError(
                    .noSuchElement, "library \(libraryName) has drives 0 to \(state.drives.count - 1), not \(drive)")
            }
            state.faults.append(fault)
        }
    }

    public func setTiming(_ timing: MoveTiming) throws(ChangerError) {
        try modify { $0.timing = timing }
    }

    // MARK: ChangerDriver

    public func status() async throws(ChangerError) -> ChangerStatus {
        let state = try modify { state throws(ChangerError) in try Self.consumeUnitAttention(&state, name: name) }
        func slot(_ element: ChangerElement, _ cartridge: SimulatedLibraryState.Cartridge?) -> ElementContent {
            ElementContent(
                element: element, isFull: cartridge != nil, barcode: cartridge?.barcode, label: cartridge?.label)
        }
        return ChangerStatus(
            drives: state.drives.enumerated().map { index, loaded in
                ElementContent(
                    element: .drive(UInt32(index)), isFull: loaded != nil, barcode: loaded?.cartridge.barcode,
                    source: loaded?.source, label: loaded?.cartridge.label)
            },
            slots: state.slots.enumerated().map { slot(.slot(UInt32($0 + 1)), $1) },
            ports: state.ports.enumerated().map { slot(.port(UInt32($0 + 1)), $1) },
            geometry: ChangerGeometry(drives: state.drives.count, slots: state.slots.count, ports: state.ports.count))
    }

    public func move(from source: ChangerElement, to destination: ChangerElement) async throws(ChangerError) {
        // Check and take the faults first, then spend the robot's time, then commit the move.
        var hang = false
        let state = try modify { state throws(ChangerError) in
            try Self.consumeUnitAttention(&state, name: name)
            if let index = state.faults.firstIndex(of: .hang) {
                state.faults.remove(at: index)
                hang = true
            }
            if !hang {
                if let index = state.faults.firstIndex(of: .moveFails) {
                    state.faults.remove(at: index)
                    throw ChangerError(.unavailable, "\(name): the move from \(source) to \(destination) failed")
                }
                if case .drive(let drive) = source, state.faults.contains(.stuckInDrive(drive)) {
                    throw ChangerError(.notReady, "\(name): the cartridge in drive \(drive) is stuck")
                }
                _ = try Self.take(from: source, in: state, name: name)
                try Self.checkEmpty(destination, in: state, name: name)
            }
            // Like a real picker: one move at a time, whichever process asks (a dead mover does not count).
            if let mover = state.movingProcess, kill(mover, 0) == 0 || errno == EPERM {
                throw ChangerError(.busy, "\(name) is busy with another move (process \(mover))")
            }
            state.movingProcess = getpid()
        }
        if hang {
            // A robot that stopped answering: only the caller's timeout ends this.
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            try modify { $0.movingProcess = nil }
            throw ChangerError(.timedOut, "\(name): the move from \(source) to \(destination) was abandoned")
        }
        var duration = state.timing.move
        if case .drive = source { duration += state.timing.drive }
        if case .drive = destination { duration += state.timing.drive }
        if duration > .zero { try? await Task.sleep(for: duration) }
        try modify { state throws(ChangerError) in
            state.movingProcess = nil
            let cartridge = try Self.take(from: source, in: state, name: name)
            try Self.checkEmpty(destination, in: state, name: name)
            Self.clear(source, in: &state)
            switch destination {
            case .slot(let n): state.slots[Int(n) - 1] = cartridge
            case .port(let n): state.ports[Int(n) - 1] = cartridge
            case .drive(let n): state.drives[Int(n)] = .init(cartridge: cartridge, source: source)
            }
            state.moves += 1
        }
    }

    public func rescan() async throws(ChangerError) {
        try modify { state throws(ChangerError) in try Self.consumeUnitAttention(&state, name: name) }
    }

    // MARK: State file

    private static func consumeUnitAttention(_ state: inout SimulatedLibraryState, name: String) throws(ChangerError) {
        guard let index = state.faults.firstIndex(of: .unitAttention) else { return }
        state.faults.remove(at: index)
        throw ChangerError(.notReady, "\(name) reports Unit Attention (its media may have changed)")
    }

    private static func index(_ number: UInt32, of count: Int, _ kind: String) throws(ChangerError) -> Int {
        guard number >= 1, Int(number) <= count else {
            throw ChangerError(.destinationFull, "there is no \(kind) \(number) (the library has \(count))")
        }
        return Int(number) - 1
    }

    private static func take(from element: ChangerElement, in state: SimulatedLibraryState, name: String)
        throws(ChangerError) -> SimulatedLibraryState.Cartridge
    {
        let cartridge: SimulatedLibraryState.Cartridge?
        switch element {
        case .slot(let n): cartridge = state.slots[try index(n, of: state.slots.count, "slot")]
        case .port(let n): cartridge = state.ports[try index(n, of: state.ports.count, "port")]
        case .drive(let n):
            guard Int(n) < state.drives.count else {
                throw ChangerError(.noSuchElement, "\(name) has no drive \(n) (it has \(state.drives.count))")
            }
            cartridge = state.drives[Int(n)]?.cartridge
        }
        guard let cartridge else { throw ChangerError(.sourceEmpty, "\(name): \(element) is empty") }
        return cartridge
    }

    private static func checkEmpty(_ element: ChangerElement, in state: SimulatedLibraryState, name: String)
        throws(ChangerError)
    {
        let full: Bool
        switch element {
        case .slot(let n): full = state.slots[try index(n, of: state.slots.count, "slot")] != nil
        case .port(let n): full = state.ports[try index(n, of: state.ports.count, "port")] != nil
        case .drive(let n):
            guard Int(n) < state.drives.count else {
                throw ChangerError(.noSuchElement, "\(name) has no drive \(n) (it has \(state.drives.count))")
            }
            full = state.drives[Int(n)] != nil
        }
        if full { throw ChangerError(.destinationFull, "\(name): \(element) is already full") }
    }

    private static func clear(_ element: ChangerElement, in state: inout SimulatedLibraryState) {
        switch element {
        case .slot(let n): state.slots[Int(n) - 1] = nil
        case .port(let n): state.ports[Int(n) - 1] = nil
        case .drive(let n): state.drives[Int(n)] = nil
        }
    }

    /// Reads, changes and writes the state file under an exclusive lock on a
    /// sibling lock file; the write goes to a temporary file renamed over the old.
    private static func update(
        _ path: String, creating fresh: SimulatedLibraryState?,
        _ change: (inout SimulatedLibraryState) throws(ChangerError) -> Void
    ) throws(ChangerError) -> SimulatedLibraryState {
        let lock = try FileLock(path: path + ".lock")
        defer { withExtendedLifetime(lock) {} }
        var state: SimulatedLibraryState
        if let data = FileManager.default.contents(atPath: path) {
            do {
                state = try JSONDecoder().decode(SimulatedLibraryState.self, from: data)
            } catch {
                throw ChangerError(.unavailable, "the simulated library state in \(path) is unreadable: \(error)")
            }
        } else if let fresh {
            state = fresh
        } else {
            throw ChangerError(.unavailable, "no simulated library state at \(path)")
        }
        let before = state
        // A change that fails may still have used up a fault, which must stick.
        var failure: ChangerError?
        do { try change(&state) } catch { failure = error }
        if state != before || fresh != nil && !FileManager.default.fileExists(atPath: path) {
            do {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(state).write(to: URL(fileURLWithPath: path), options: .atomic)
                // Private like the store's own files; the atomic write made it with the umask's mode.
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            } catch {
                throw ChangerError(.unavailable, "cannot write the simulated library state to \(path): \(error)")
            }
        }
        if let failure { throw failure }
        return state
    }
}
