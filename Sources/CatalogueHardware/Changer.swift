import Atomics

/// Timeouts the actor enforces around each driver call.
public struct ChangerTimeouts: Sendable {
    public var move: Duration
    public var status: Duration
    public var rescan: Duration

    /// Each outlasts the driver's own limit (mtx's: 6, 6 and 30 minutes), so a
    /// driver reports its timeout before the actor abandons the call.
    public init(move: Duration = .seconds(600), status: Duration = .seconds(420), rescan: Duration = .seconds(2000)) {
        self.move = move
        self.status = status
        self.rescan = rescan
    }
}

/// The one owner of a changer's driver. Robot commands run strictly one at a
/// time across `await` points too: an actor alone would let a second command
/// start while the first is suspended in the driver, so each command first
/// takes a turn and holds it until the driver call has really returned, even
/// when its caller already gave up on a timeout. Waiting commands get the turn
/// in the order of the library's work queue (`queueOrder`, asked each time the
/// turn passes), else in arrival order. Different changers are different
/// actors and run in parallel.
public actor Changer {
    public nonisolated let driver: any ChangerDriver
    public nonisolated let timeouts: ChangerTimeouts
    /// The tickets of the library's pending work, first to last.
    private nonisolated let queueOrder: @Sendable () -> [UInt64]
    private var turns = ChangerTurnQueue<CheckedContinuation<Void, Never>>()
    /// Driver calls of the current turn that timed out but have not returned yet.
    private var abandoned: [Task<Void, Never>] = []
    /// Set when a command failed or timed out (the robot's contents are then
    /// uncertain); cleared by a successful `status()`.
    public private(set) var needsInventory = false
    /// Commands that reached the changer (done, running or waiting their turn), and those done.
    public private(set) var arrivedCommands = 0
    public private(set) var completedCommands = 0

    public init(
        driver: any ChangerDriver, timeouts: ChangerTimeouts = .init(),
        queueOrder: @escaping @Sendable () -> [UInt64] = { [] }
    ) {
        self.driver = driver
        self.timeouts = timeouts
        self.queueOrder = queueOrder
    }

    /// Commands waiting for the turn now.
    public var waitingCommands: Int { turns.waitingCount }

    public func move(from source: ChangerElement, to destination: ChangerElement) async throws(ChangerError) {
        try await exclusive { turn async throws(ChangerError) in try await turn.move(from: source, to: destination) }
    }

    /// Reads every element. A successful read clears `needsInventory`.
    public func status() async throws(ChangerError) -> ChangerStatus {
        try await exclusive { turn async throws(ChangerError) in try await turn.status() }
    }

    public func rescan() async throws(ChangerError) {
        try await exclusive { turn async throws(ChangerError) in try await turn.rescan() }
    }

    /// Runs `job` as one turn: no other command of this changer starts until it
    /// returns and every driver call it made has really ended. The engine runs a
    /// whole robot operation (record the intent, move, record the outcome) in one
    /// turn. `ticket` is the work item's number in the library's queue.
    public func exclusive<T: Sendable, Failure: Error>(
        ticket: UInt64? = nil, _ job: @Sendable (ChangerTurn) async throws(Failure) -> T
    )
        async throws(Failure) -> T
    {
        await takeTurn(ticket: ticket)
        let result: Result<T, Failure>
        do throws(Failure) {
            result = .success(try await job(ChangerTurn(changer: self)))
        } catch {
            result = .failure(error)
        }
        let leftovers = abandoned
        abandoned = []
        // The turn passes on only when abandoned driver calls are over. (This task runs on the actor.)
        Task { [self] in
            for call in leftovers { await call.value }
            self.passTurn()
        }
        return try result.get()
    }

    /// One driver call inside a turn, bounded by `timeout`.
    func perform<T: Sendable>(
        _ what: String, timeout: Duration, _ body: @escaping @Sendable () async throws(ChangerError) -> T
    ) async throws(ChangerError) -> T {
        let work = Task { () -> Result<T, ChangerError> in
            do throws(ChangerError) { return .success(try await body()) } catch { return .failure(error) }
        }
        let outcome = await Self.race(work, timeout: timeout)
        switch outcome {
        case .some(.success(let value)):
            return value
        case .some(.failure(let error)):
            needsInventory = true
            throw error
        case .none:
            work.cancel()
            abandoned.append(Task { _ = await work.value })
            needsInventory = true
            throw ChangerError(
                .timedOut,
                "\(driver.name): the \(what) did not finish within \(timeout); the library needs an inventory before it is trusted again"
            )
        }
    }

    func statusSucceeded() { needsInventory = false }

    /// The work's result, or nil when `timeout` passes first. (A task group
    /// would wait for the work before returning, which is what a timeout must not do.)
    private static func race<T: Sendable>(_ work: Task<Result<T, ChangerError>, Never>, timeout: Duration) async
        -> Result<
            T, ChangerError
        >?
    {
        let answered = ManagedAtomic(false)
        return await withCheckedContinuation { continuation in
            let timer = Task {
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled,
                    answered.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
                else { return }
                continuation.resume(returning: nil)
            }
            Task {
                let result = await work.value
                timer.cancel()
                guard
                    answered.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
                else { return }
                continuation.resume(returning: result)
            }
        }
    }

    private func takeTurn(ticket: UInt64?) async {
        arrivedCommands += 1
        switch turns.arrive() {
        case .proceed:
            return
        case .wait:
            await withCheckedContinuation { turns.enqueue($0, ticket: ticket) }
        }
    }

    private func passTurn() {
        completedCommands += 1
        let order = turns.waitingCount > 1 ? queueOrder() : []
        turns.pass(order: order)?.resume()
    }
}

/// What a turn may do: driver calls with the changer's timeouts. Only
/// `Changer.exclusive` hands one out, so holding one means holding the turn.
public struct ChangerTurn: Sendable {
    let changer: Changer

    public func move(from source: ChangerElement, to destination: ChangerElement) async throws(ChangerError) {
        let driver = changer.driver
        try await changer.perform("move from \(source) to \(destination)", timeout: changer.timeouts.move) {
            () async throws(ChangerError) in try await driver.move(from: source, to: destination)
        }
    }

    public func status() async throws(ChangerError) -> ChangerStatus {
        let driver = changer.driver
        let status = try await changer.perform("status", timeout: changer.timeouts.status) {
            () async throws(ChangerError) in try await driver.status()
        }
        await changer.statusSucceeded()
        return status
    }

    public func rescan() async throws(ChangerError) {
        let driver = changer.driver
        try await changer.perform("rescan", timeout: changer.timeouts.rescan) {
            () async throws(ChangerError) in try await driver.rescan()
        }
    }
}
