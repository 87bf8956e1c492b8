import CatalogueDomain
import CatalogueHardware

/// A work item during its changer turn: every command it records is a step of
/// the item, so the first one also marks the item as taken up.
struct RobotWork: Sendable {
    let turn: ChangerTurn
    let request: LibraryRequestID
}

/// What one changer turn of a work item came to.
enum TurnResult<T: Sendable>: Sendable {
    case done(T)
    /// Another process's item is ahead in the queue: the turn was given up for it.
    case yielded
}

/// The library work queue (RSM's library requests). Every robot operation is
/// a work item: queued in its library, taken up by the changer in queue order
/// (priority, then arrival, as reordered by SetNtmsRequestOrder), and
/// finished as PASSED, FAILED or CANCELLED. Across processes sharing a store,
/// a process that gets the robot while another process's item is ahead of
/// its own gives the robot up for it.
extension Session {
    /// CancelNtmsLibraryRequest: a QUEUED or WAITING item ends CANCELLED and its
    /// caller gets `ERROR_CANCELLED` (1223): at once when it waits for a drive,
    /// else when the changer would have taken it up.
    ///
    /// - Throws: `ERROR_OBJECT_NOT_FOUND` (4312) for no such item (or one no
    ///   longer kept); `ERROR_INVALID_STATE` (5023) for one the changer has
    ///   started or that has finished.
    public func cancelLibraryRequest(_ id: LibraryRequestID) async throws(NtmsError) {
        _ = try await execute(.cancelLibraryRequest(id))
    }

    /// SetNtmsRequestOrder: moves a QUEUED or WAITING item to the front of its
    /// library's queue or before another pending item of that library.
    ///
    /// - Throws: `ERROR_OBJECT_NOT_FOUND` (4312) for no such item;
    ///   `ERROR_INVALID_STATE` (5023) for one that is not pending;
    ///   `ERROR_INVALID_PARAMETER` (87) for an item of another library or itself.
    public func reorderLibraryRequest(_ id: LibraryRequestID, to position: LibraryRequestPosition)
        async throws(NtmsError)
    {
        _ = try await execute(.reorderLibraryRequest(id, position))
    }

    // MARK: Running work items

    /// Queues a robot operation as a work item, runs `job` in one changer turn
    /// and records how the item ended.
    func withRobot<T: Sendable>(
        _ libraryID: LibraryID, _ operation: LibraryOperation, medium: MediumID? = nil, drive: UInt32? = nil,
        port: UInt32? = nil, recover: Bool = true, _ job: @escaping @Sendable (RobotWork) async throws(NtmsError) -> T
    ) async throws(NtmsError) -> T {
        try await withWorkItem(libraryID, operation, medium: medium, drive: drive, port: port) {
            request async throws(NtmsError) in
            try await self.inTurn(request, libraryID, recover: recover, job)
        }
    }

    /// Queues a work item, runs `body` with it and records how it ended.
    func withWorkItem<T: Sendable>(
        _ libraryID: LibraryID, _ operation: LibraryOperation, medium: MediumID? = nil, drive: UInt32? = nil,
        port: UInt32? = nil, priority: Int = LibraryRequestPriority.normal,
        _ body: (LibraryRequestID) async throws(NtmsError) -> T
    ) async throws(NtmsError) -> T {
        try checkOpen()
        try catalogue.requireWritable("moving its robots")
        let state = catalogue.newestSnapshot.state
        // Checked before anything is queued: a disabled library's robot may be under repair.
        let library = try state.enabledLibrary(libraryID)
        _ = try catalogue.changers.entry(for: library, in: state)
        let spec = LibraryRequestSpec(
            library: libraryID, operation: operation, medium: medium, drive: drive, port: port, priority: priority,
            owner: ProcessIdentity.token(session: id))
        guard case .libraryRequest(let request) = try await execute(.queueLibraryRequest(spec)) else {
            throw NtmsError(.invalidState, "the work item of a \(operation.name) was not queued")
        }
        do {
            let value = try await body(request)
            await finishWorkItem(request, .passed)
            return value
        } catch {
            await finishWorkItem(
                request,
                error.code == .cancelled
                    ? .cancelled(message: error.message)
                    : .failed(code: UInt32(bitPattern: error.code.rawValue), message: error.message))
            throw error
        }
    }

    /// Records how an item ended, unless it already has (a cancelled one); also
    /// after the session closed, whose items must not stay open. If even this
    /// fails, the item stays open until its process ends.
    private func finishWorkItem(_ request: LibraryRequestID, _ result: LibraryRequestResult) async {
        guard catalogue.newestSnapshot.state.libraryRequests[request]?.state.isActive == true else { return }
        _ = try? await catalogue.submit(
            .command(.finishLibraryRequest(request, result), idempotency: nil), application: application, user: user,
            groups: groups)
    }

    /// Runs `job` in one turn of the library's changer for `request`, holding the
    /// library's cross-process lock: what other processes recorded is folded
    /// first, an operation left open by a crashed process starts an inventory,
    /// and an item of another process ahead in the queue goes first.
    func inTurn<T: Sendable>(
        _ request: LibraryRequestID, _ libraryID: LibraryID, recover: Bool = true,
        _ job: @escaping @Sendable (RobotWork) async throws(NtmsError) -> T
    ) async throws(NtmsError) -> T {
        while true {
            let state = catalogue.newestSnapshot.state
            let entry = try catalogue.changers.entry(for: try state.enabledLibrary(libraryID), in: state)
            let catalogue = self.catalogue
            let result = try await entry.changer.exclusive(ticket: request.rawValue) {
                turn async throws(NtmsError) -> TurnResult<T> in
                let lock = try await catalogue.changers.lockAcrossProcesses(libraryID)
                defer { withExtendedLifetime(lock) {} }
                // Under the lock nobody else moves this robot: fold what others recorded, then look for leftovers.
                try await catalogue.refresh()
                let current = catalogue.newestSnapshot.state
                _ = try current.enabledLibrary(libraryID)
                if case .cancelled = current.libraryRequests[request]?.state {
                    throw NtmsError(.cancelled, "\(request) was cancelled before the changer took it up")
                }
                if try await self.anotherProcessGoesFirst(request, libraryID) { return .yielded }
                let work = RobotWork(turn: turn, request: request)
                if recover,
                    current.libraries[libraryID]?.needsInventory == true
                        || current.operations.values.contains(where: { $0.library == libraryID })
                {
                    _ = try await self.takeInventory(libraryID, mediaType: nil, work: work)
                }
                return .done(try await job(work))
            }
            switch result {
            case .done(let value):
                return value
            case .yielded:
                // A cancelled task's waits return at once: without this check it would spin.
                guard !isClosed, !Task.isCancelled else {
                    throw NtmsError(.cancelled, "the caller gave up while \(request) waited for another process's work")
                }
                try await awaitCatalogueChange(until: ContinuousClock.now + .seconds(1)) { false }
            }
        }
    }

    /// Whether a QUEUED item of another (live) process is ahead of `request` in
    /// its library's queue. Items of processes that ended are closed first.
    private func anotherProcessGoesFirst(_ request: LibraryRequestID, _ libraryID: LibraryID) async throws(NtmsError)
        -> Bool
    {
        func foreignItemsAhead() -> Bool {
            let state = catalogue.newestSnapshot.state
            guard state.libraryRequests[request]?.state.isPending == true else { return false }
            return state.libraryQueue(libraryID).prefix { $0.id != request }.contains {
                $0.state == .queued && !ProcessIdentity.isThisProcess($0.owner)
            }
        }
        guard foreignItemsAhead() else { return false }
        _ = try await catalogue.submit(.reapOrphans, application: "catalogue", user: "engine")
        return foreignItemsAhead()
    }

    /// A step of the work item: `command`, recorded as part of it.
    func perform(_ command: CatalogueCommand, in work: RobotWork) async throws(NtmsError) -> CommandOutcome {
        try await execute(.libraryRequestStep(work.request, command))
    }

    /// Returns when `ready()` holds, at the catalogue's next change (this
    /// process's commits and, through the follower, other processes'), or at
    /// `deadline`, whichever is first.
    func awaitCatalogueChange(until deadline: ContinuousClock.Instant, unless ready: () throws(NtmsError) -> Bool)
        async throws(NtmsError)
    {
        // Subscribed before the check, so a change right after it still wakes the wait.
        let (subscription, heads) = catalogue.feed.subscribe()
        defer { catalogue.feed.unsubscribe(subscription) }
        guard try !ready(), ContinuousClock.now < deadline else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var changes = heads.makeAsyncIterator()
                _ = await changes.next()
            }
            group.addTask { try? await Task.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }
}
