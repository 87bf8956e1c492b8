extension CatalogueState {
    /// The library work queue: queueing, starting, waiting, finishing,
    /// cancelling (CancelNtmsLibraryRequest) and reordering (SetNtmsRequestOrder) work items.
    func decideLibraryRequest(_ command: CatalogueCommand, context: DecisionContext, ids: inout IdentifierSource)
        throws(NtmsError) -> Decision
    {
        switch command {
        case .queueLibraryRequest(let spec):
            let library = try onlineLibrary(spec.library)
            guard LibraryRequestPriority.range.contains(spec.priority) else {
                throw NtmsError(
                    .invalidParameter,
                    "priority \(spec.priority) is outside \(LibraryRequestPriority.lowest) to \(LibraryRequestPriority.highest)"
                )
            }
            if let drive = spec.drive, drive >= library.driveCount {
                throw NtmsError(.invalidDrive, "library \(library.name) has no drive \(drive)")
            }
            let id: LibraryRequestID = ids.take()
            let queued = LibraryRequestQueued(
                request: id, spec: spec, application: context.application, user: context.user, time: context.now,
                before: queuePlace(in: spec.library, priority: spec.priority, after: id))
            return Decision(events: [.libraryRequestQueued(queued)], outcome: .libraryRequest(id))

        case .waitLibraryRequest(let id, let reason):
            let request = try activeLibraryRequest(id)
            guard request.state != .waiting else { return Decision(events: [], outcome: .libraryRequest(id)) }
            let waiting = LibraryRequestWaiting(
                request: id, time: context.now, reason: reason,
                before: request.state == .queued
                    ? queueSuccessor(of: id, in: request.library)
                    : queuePlace(in: request.library, priority: request.priority, after: id))
            return Decision(events: [.libraryRequestWaiting(waiting)], outcome: .libraryRequest(id))

        case .finishLibraryRequest(let id, let result):
            _ = try activeLibraryRequest(id)
            let finished =
                switch result {
                case .passed:
                    LibraryRequestFinished(request: id, time: context.now, state: .passed, errorCode: 0, message: "")
                case .failed(let code, let message):
                    LibraryRequestFinished(
                        request: id, time: context.now, state: .failed, errorCode: code, message: message)
                case .cancelled(let message):
                    LibraryRequestFinished(
                        request: id, time: context.now, state: .cancelled,
                        errorCode: UInt32(bitPattern: NtmsErrorCode.cancelled.rawValue), message: message)
                }
            return Decision(events: [.libraryRequestFinished(finished)], outcome: .libraryRequest(id))

        case .cancelLibraryRequest(let id):
            let request = try activeLibraryRequest(id)
            guard request.state.isPending else {
                throw NtmsError(.invalidState, "\(id) is \(request.state.name): the changer has started it")
            }
            let by = context.user.isEmpty ? "" : " by \(context.user)"
            let finished = LibraryRequestFinished(
                request: id, time: context.now, state: .cancelled,
                errorCode: UInt32(bitPattern: NtmsErrorCode.cancelled.rawValue), message: "cancelled\(by)")
            return Decision(events: [.libraryRequestFinished(finished)], outcome: .libraryRequest(id))

        case .reorderLibraryRequest(let id, let position):
            let request = try activeLibraryRequest(id)
            guard request.state.isPending else {
                throw NtmsError(.invalidState, "\(id) is \(request.state.name): only queued or waiting items move")
            }
            let queue = libraryQueues[request.library] ?? []
            let before: LibraryRequestID?
            switch position {
            case .first:
                before = queue.first
            case .before(let other):
                guard other != id else { throw NtmsError(.invalidParameter, "\(id) cannot go before itself") }
                guard let target = libraryRequests[other], target.state.isActive else {
                    throw NtmsError(.objectNotFound, "no queued work item \(other)")
                }
                guard target.library == request.library, target.state.isPending else {
                    throw NtmsError(
                        .invalidParameter,
                        "\(other) is not queued in the same library as \(id), so it cannot go before it")
                }
                before = other
            }
            // Already there: nothing to record.
            guard before != id, queueSuccessor(of: id, in: request.library) != before else {
                return Decision(events: [], outcome: .libraryRequest(id))
            }
            return Decision(
                events: [.libraryRequestReordered(LibraryRequestReordered(request: id, before: before))],
                outcome: .libraryRequest(id))

        case .abandonLibraryRequests(let abandoned):
            let events = abandoned.compactMap { id -> CatalogueEvent? in
                guard let request = libraryRequests[id], request.state.isActive else { return nil }
                // A pending item never moved anything; one on the robot was cut short and the inventory settles it.
                let pending = request.state.isPending
                return .libraryRequestFinished(
                    LibraryRequestFinished(
                        request: id, time: context.now, state: pending ? .cancelled : .failed,
                        errorCode: UInt32(bitPattern: NtmsErrorCode.cancelled.rawValue),
                        message: "the process that queued it ended before it finished"))
            }
            return Decision(events: events, outcome: .done)

        default:
            preconditionFailure("not a library request command")
        }
    }

    /// The events that mark a work item as taken up by the changer: none when
    /// it already is. A cancelled or finished item cannot be taken up.
    func startingLibraryRequest(_ id: LibraryRequestID, context: DecisionContext) throws(NtmsError)
        -> [CatalogueEvent]
    {
        guard let request = libraryRequests[id] else { throw NtmsError(.objectNotFound, "no work item \(id)") }
        switch request.state {
        case .inProcess:
            return []
        case .queued, .waiting:
            return [.libraryRequestStarted(LibraryRequestStarted(request: id, time: context.now))]
        case .cancelled:
            throw NtmsError(.cancelled, "\(id) was cancelled: \(request.message)")
        case .passed, .failed:
            throw NtmsError(.invalidState, "\(id) has finished (\(request.state.name))")
        }
    }

    private func activeLibraryRequest(_ id: LibraryRequestID) throws(NtmsError) -> LibraryRequest {
        guard let request = libraryRequests[id] else { throw NtmsError(.objectNotFound, "no work item \(id)") }
        guard request.state.isActive else {
            throw NtmsError(.invalidState, "\(id) has finished (\(request.state.name))")
        }
        return request
    }

    /// Where an item of `priority` enters its library's queue: before the first
    /// pending item of lower priority, or of the same priority queued after it;
    /// nil: at the end.
    private func queuePlace(in library: LibraryID, priority: Int, after id: LibraryRequestID) -> LibraryRequestID? {
        (libraryQueues[library] ?? []).first { other in
            guard other != id, let queued = libraryRequests[other] else { return false }
            return queued.priority < priority || (queued.priority == priority && queued.id > id)
        }
    }

    /// The item after `id` in its library's queue; nil when it is last or not queued.
    private func queueSuccessor(of id: LibraryRequestID, in library: LibraryID) -> LibraryRequestID? {
        guard let queue = libraryQueues[library], let index = queue.firstIndex(of: id), index + 1 < queue.count else {
            return nil
        }
        return queue[index + 1]
    }

    /// A library's pending items in the order the changer takes them, with their state.
    public func libraryQueue(_ library: LibraryID) -> [LibraryRequest] {
        (libraryQueues[library] ?? []).compactMap { libraryRequests[$0] }
    }

    /// A library's items: the item on the robot, the pending ones in queue order, then (with
    /// `finished`) the retained finished ones, newest first.
    public func libraryRequests(of library: LibraryID, finished: Bool) -> [LibraryRequest] {
        let running = activeLibraryRequests.compactMap { libraryRequests[$0] }.filter {
            $0.library == library && $0.state == .inProcess
        }
        let done =
            finished ? (finishedLibraryRequests[library] ?? []).reversed().compactMap { libraryRequests[$0] } : []
        return running + libraryQueue(library) + done
    }
}
