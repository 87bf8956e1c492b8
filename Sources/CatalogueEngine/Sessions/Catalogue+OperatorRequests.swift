import CatalogueDomain

/// How long AllocateNtmsMedia or WaitForNtmsOperatorRequest may wait.
public enum WaitTimeout: Sendable, Equatable, CustomStringConvertible {
    /// 0 does not wait at all.
    case milliseconds(UInt32)
    /// INFINITE (0xFFFFFFFF): never gives up.
    case infinite

    /// Do not wait: fail at once when the answer is not there.
    public static let none = WaitTimeout.milliseconds(0)

    /// Parses `infinite` or a number of milliseconds.
    public init?(_ text: String) {
        if text == "infinite" {
            self = .infinite
        } else if let value = UInt32(text) {
            self = value == .max ? .infinite : .milliseconds(value)
        } else {
            return nil
        }
    }

    /// The absolute deadline in nanoseconds since 1970, nil for infinite.
    func deadline(from now: Int64) -> Int64? {
        switch self {
        case .infinite: nil
        case .milliseconds(let ms): now + Int64(ms) * 1_000_000
        }
    }

    /// `infinite` or the milliseconds, for messages.
    public var description: String {
        switch self {
        case .infinite: "infinite"
        case .milliseconds(let ms): "\(ms) ms"
        }
    }
}

extension Catalogue {
    /// Times out every waiting allocation whose deadline the clock has passed,
    /// now rather than when the timer fires (for injected clocks and tools).
    ///
    /// - Throws: `ERROR_INVALID_HANDLE` (6) once the catalogue is closed;
    ///   `ERROR_ACCESS_DENIED` (5) when it is open read-only;
    ///   `ERROR_DATABASE_FAILURE` (4313) when the store cannot take the write.
    public func checkDeadlines() async throws(NtmsError) {
        _ = try await submit(.expireDeadlines, application: "catalogue", user: "engine")
    }

    /// Operator requests for listing: every open one and the finished ones
    /// younger than the retention time (`all` lists every request ever made).
    public func requests(all: Bool = false) -> [OperatorRequest] {
        let horizon = now - Int64(options.finishedRequestRetention.components.seconds) * 1_000_000_000
        return snapshot.state.requests.values.filter { request in
            all || request.state.isOpen || (request.closed ?? .max) >= horizon
        }.sorted { $0.id < $1.id }
    }

    /// WaitForNtmsOperatorRequest: returns when the request is COMPLETE; throws
    /// ERROR_CANCELLED when it is REFUSED (cancelled, timed out, abandoned),
    /// ERROR_TIMEOUT when `timeout` passes first (0: just check) and
    /// ERROR_OBJECT_NOT_FOUND for an unknown request. Sees other processes' answers.
    ///
    /// - Throws: `ERROR_OBJECT_NOT_FOUND` (4312), `ERROR_CANCELLED` (1223) or
    ///   `ERROR_TIMEOUT` (1460) as above.
    public func waitForRequest(_ id: OperatorRequestID, timeout: WaitTimeout) async throws(NtmsError) -> OperatorRequest
    {
        let changes = self.changes()
        // Closed before the wait started, perhaps by another process.
        try await refresh()
        if let finished = try Self.finished(id, in: snapshot.state) { return finished }
        guard case .milliseconds(let ms) = timeout, ms == 0 else {
            let result = await withTaskGroup(of: Result<OperatorRequest, NtmsError>?.self) { group in
                group.addTask {
                    do {
                        for try await event in changes where event.event.closedRequest == id {
                            if let finished = try Self.finished(id, in: self.newestSnapshot.state) {
                                return .success(finished)
                            }
                        }
                    } catch let error as NtmsError {
                        return .failure(error)
                    } catch {
                        return .failure(NtmsError(.databaseFailure, "\(error)"))
                    }
                    return .failure(NtmsError(.invalidHandle, "the catalogue closed while waiting on \(id)"))
                }
                if case .milliseconds(let ms) = timeout {
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(Int(ms)))
                        return Task.isCancelled
                            ? nil : .failure(NtmsError(.timeout, "\(id) is still open after \(timeout)"))
                    }
                }
                for await result in group {
                    if let result {
                        group.cancelAll()
                        return result
                    }
                }
                return .failure(NtmsError(.timeout, "\(id) is still open after \(timeout)"))
            }
            return try result.get()
        }
        throw NtmsError(.timeout, "\(id) is still open")
    }

    /// The request if it has finished; ERROR_CANCELLED if it finished refused.
    private static func finished(_ id: OperatorRequestID, in state: CatalogueState) throws(NtmsError)
        -> OperatorRequest?
    {
        guard let request = state.requests[id] else { throw NtmsError(.objectNotFound, "no operator request \(id)") }
        switch request.state {
        case .complete: return request
        case .refused: throw NtmsError(.cancelled, "\(id) was refused (\(request.closeReason?.name ?? "cancelled"))")
        default: return nil
        }
    }
}
