extension CatalogueState {
    /// Folds the library work queue's events: items enter their library's queue
    /// where the decision placed them, leave it when the changer takes them up
    /// or they finish, and each library keeps its last finished ones.
    mutating func evolveLibraryRequest(_ event: CatalogueEvent, _ envelope: EventEnvelope) {
        switch event {
        case .libraryRequestQueued(let e):
            reserve(e.request)
            let spec = e.spec
            libraryRequests[e.request] = LibraryRequest(
                id: e.request, library: spec.library, operation: spec.operation, medium: spec.medium,
                drive: spec.drive, port: spec.port, priority: spec.priority, application: e.application,
                user: e.user, owner: spec.owner, state: .queued, queued: e.time, started: nil, finished: nil,
                errorCode: 0, message: "")
            activeLibraryRequests.insert(e.request)
            enqueue(e.request, in: spec.library, before: e.before)

        case .libraryRequestStarted(let e):
            guard var request = libraryRequests[e.request], request.state.isActive else { return }
            dequeue(e.request, from: request.library)
            request.state = .inProcess
            request.started = e.time
            request.message = ""
            libraryRequests[e.request] = request

        case .libraryRequestWaiting(let e):
            guard var request = libraryRequests[e.request], request.state.isActive else { return }
            dequeue(e.request, from: request.library)
            request.state = .waiting
            request.message = e.reason
            libraryRequests[e.request] = request
            enqueue(e.request, in: request.library, before: e.before)

        case .libraryRequestFinished(let e):
            guard var request = libraryRequests[e.request], request.state.isActive else { return }
            dequeue(e.request, from: request.library)
            activeLibraryRequests.remove(e.request)
            request.state = e.state
            request.finished = e.time
            request.errorCode = e.errorCode
            request.message = e.message
            libraryRequests[e.request] = request
            var finished = finishedLibraryRequests[request.library] ?? []
            finished.append(e.request)
            if finished.count > LibraryRequest.retainedPerLibrary {
                let dropped = finished.count - LibraryRequest.retainedPerLibrary
                for old in finished.prefix(dropped) { libraryRequests[old] = nil }
                finished.removeFirst(dropped)
            }
            finishedLibraryRequests[request.library] = finished

        case .libraryRequestReordered(let e):
            guard let request = libraryRequests[e.request], request.state.isPending else { return }
            dequeue(e.request, from: request.library)
            enqueue(e.request, in: request.library, before: e.before)

        default:
            preconditionFailure("\(event.name) is not a library request event")
        }
    }

    /// Puts an item before `before` in its library's queue; at the end when
    /// `before` is nil or not queued there.
    private mutating func enqueue(_ id: LibraryRequestID, in library: LibraryID, before: LibraryRequestID?) {
        var queue = libraryQueues[library] ?? []
        if let before, let index = queue.firstIndex(of: before) {
            queue.insert(id, at: index)
        } else {
            queue.append(id)
        }
        libraryQueues[library] = queue
    }

    private mutating func dequeue(_ id: LibraryRequestID, from library: LibraryID) {
        guard var queue = libraryQueues[library], let index = queue.firstIndex(of: id) else { return }
        queue.remove(at: index)
        libraryQueues[library] = queue.isEmpty ? nil : queue
    }
}
