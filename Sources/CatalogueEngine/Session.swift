import Atomics
import CatalogueDomain

/// A caller's handle on the catalogue (RSM's session): it names the
/// application and user that every event it causes records. Closing it makes
/// later calls fail with ERROR_INVALID_HANDLE.
public final class Session: Sendable {
    public let catalogue: Catalogue
    public let application: String
    public let user: String
    /// Unique within this process; recorded with the requests this session waits on.
    public let id: UInt64
    private let closed = ManagedAtomic<Bool>(false)

    /// RSM's limits for application and user names, in UTF-8 bytes.
    public static let maximumNameLength = 64
    public static let maximumIdempotencyKeyLength = 128

    init(catalogue: Catalogue, application: String, user: String, id: UInt64) throws(NtmsError) {
        for (value, what) in [(application, "application"), (user, "user")] {
            guard value.utf8.count <= Self.maximumNameLength, TextRules.isDisplayable(value) else {
                throw NtmsError(
                    .invalidParameter,
                    "the \(what) name is at most \(Self.maximumNameLength) bytes of displayable text, not "
                        + "\"\(TextRules.preview(value))\"")
            }
        }
        self.catalogue = catalogue
        self.application = application.isEmpty ? "RSM" : application
        self.user = user
        self.id = id
    }

    /// CloseNtmsSession: later calls fail with ERROR_INVALID_HANDLE and
    /// allocations still waiting on this session end with ERROR_CANCELLED.
    public func close() {
        guard closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        catalogue.post(.abandonSession(id))
    }

    /// Sends one command to the writer and waits until it is durably committed
    /// (or refused). With an idempotency key, a retry of a committed command gets
    /// the first answer back and writes nothing.
    public func execute(_ command: CatalogueCommand, idempotencyKey: String? = nil) async throws(NtmsError)
        -> CommandOutcome
    {
        let claim = try checkOpen(idempotencyKey, for: command)
        return try await catalogue.submit(.command(command, idempotency: claim), application: application, user: user)
    }

    // MARK: Typed API

    @discardableResult
    public func registerMediaType(name: String, sides: Int, idempotencyKey: String? = nil) async throws(NtmsError)
        -> MediaTypeID
    {
        guard
            case .mediaType(let id) = try await execute(
                .registerMediaType(name: name, sideCount: sides), idempotencyKey: idempotencyKey)
        else { throw unexpected() }
        return id
    }

    /// Adds an online library, with its changer when one is given: both or neither are recorded.
    @discardableResult
    public func addLibrary(
        name: String, slots: Int, drives: Int, ports: Int = 0, changer: ChangerAttachment? = nil,
        idempotencyKey: String? = nil
    ) async throws(NtmsError) -> LibraryID {
        guard
            case .library(let id) = try await execute(
                .addLibrary(name: name, slots: slots, drives: drives, ports: ports, changer: changer),
                idempotencyKey: idempotencyKey)
        else { throw unexpected() }
        return id
    }

    /// Deletes an online library that holds no media and has no robot work in
    /// progress (ERROR_NOT_EMPTY, ERROR_BUSY otherwise); its drives go with it.
    public func deleteLibrary(_ library: LibraryID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.deleteLibrary(library), idempotencyKey: idempotencyKey)
    }

    /// CreateNtmsMediaPool: a folder pool without a media type, an application pool with one.
    @discardableResult
    public func createPool(
        path: String, mediaType: MediaTypeID? = nil, policy: PoolPolicy = .init(), idempotencyKey: String? = nil
    )
        async throws(NtmsError) -> PoolID
    {
        guard
            case .pool(let id) = try await execute(
                .createPool(path: path, mediaType: mediaType, policy: policy), idempotencyKey: idempotencyKey)
        else { throw unexpected() }
        return id
    }

    public func setPoolPolicy(_ pool: PoolID, _ policy: PoolPolicy, idempotencyKey: String? = nil)
        async throws(NtmsError)
    {
        _ = try await execute(.setPoolPolicy(pool: pool, policy: policy), idempotencyKey: idempotencyKey)
    }

    /// Registers a physical medium and classifies it by its label (free, import, none).
    @discardableResult
    public func registerMedium(
        barcode: String, mediaType: MediaTypeID, location: MediumLocation, label: MediaLabel = .free,
        idempotencyKey: String? = nil
    ) async throws(NtmsError) -> MediumID {
        guard
            case .medium(let id) = try await execute(
                .registerMedium(barcode: barcode, mediaType: mediaType, location: location, label: label),
                idempotencyKey: idempotencyKey)
        else { throw unexpected() }
        // A simulated robot is the physical world: the cartridge registered in a slot is put there.
        let state = catalogue.newestSnapshot.state
        if let libraryID = location.library, let library = state.libraries[libraryID], library.changer == .simulated,
            let robot = try? catalogue.changers.entry(for: library, in: state).simulated
        {
            _ = try? robot.modify { $0.place(barcode, at: location) }
        }
        return id
    }

    /// AllocateNtmsMedia. When nothing qualifies and the request allows it, an
    /// operator request for new media is raised and the call waits up to
    /// `timeout`: it returns when a side is allocated (after an operator satisfies
    /// the request, or as soon as a qualifying side appears by any path), and
    /// throws ERROR_CANCELLED or ERROR_TIMEOUT otherwise. `onWait` is told the
    /// id of each request the call waits on, so an operator can be pointed at it.
    public func allocate(
        _ request: AllocationRequest, timeout: WaitTimeout = .none, idempotencyKey: String? = nil,
        onWait: @escaping @Sendable (OperatorRequestID) -> Void = { _ in }
    ) async throws(NtmsError) -> Allocation {
        let outcome: CommandOutcome
        if timeout == .none || request.errorIfUnavailable {
            outcome = try await execute(.allocate(request), idempotencyKey: idempotencyKey)
        } else {
            let claim = try checkOpen(idempotencyKey, for: .allocate(request))
            let waiting = WaitingAllocation(
                request: request, deadline: timeout.deadline(from: catalogue.now), session: id,
                idempotency: claim, onWait: onWait)
            outcome = try await catalogue.submit(.waitingAllocation(waiting), application: application, user: user)
        }
        guard case .allocation(let allocation) = outcome else { throw unexpected() }
        return allocation
    }

    /// DeallocateNtmsMedia.
    public func deallocate(_ logicalMedium: LogicalMediumID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.deallocate(logicalMedium), idempotencyKey: idempotencyKey)
    }

    /// DeleteNtmsMediaPool.
    public func deletePool(_ pool: PoolID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.deletePool(pool), idempotencyKey: idempotencyKey)
    }

    /// SetNtmsMediaComplete.
    public func complete(_ logicalMedium: LogicalMediumID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.complete(logicalMedium), idempotencyKey: idempotencyKey)
    }

    /// DecommissionNtmsMedia.
    public func decommission(_ side: SideID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.decommission(side), idempotencyKey: idempotencyKey)
    }

    /// MoveToNtmsMediaPool.
    public func move(_ medium: MediumID, to pool: PoolID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.moveMedium(medium, to: pool), idempotencyKey: idempotencyKey)
    }

    /// DeleteNtmsMedia.
    public func deleteMedium(_ medium: MediumID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.deleteMedium(medium), idempotencyKey: idempotencyKey)
    }

    // MARK: Operator requests

    /// SubmitNtmsOperatorRequest.
    @discardableResult
    public func submitRequest(
        _ type: OperatorRequestType, message: String, firstArgument: UInt64? = nil, secondArgument: UInt64? = nil,
        idempotencyKey: String? = nil
    ) async throws(NtmsError) -> OperatorRequestID {
        let command = CatalogueCommand.submitRequest(
            type: type, message: message, firstArgument: firstArgument, secondArgument: secondArgument)
        guard case .request(let id) = try await execute(command, idempotencyKey: idempotencyKey) else {
            throw unexpected()
        }
        return id
    }

    /// Marks requests as shown on an operator console (SUBMITTED to ACTIVE).
    public func displayRequests(_ ids: [OperatorRequestID]) async throws(NtmsError) {
        _ = try await execute(.displayRequests(ids))
    }

    /// An operator takes the request on (INPROGRESS).
    public func acknowledgeRequest(_ id: OperatorRequestID) async throws(NtmsError) {
        _ = try await execute(.acknowledgeRequest(id))
    }

    /// SatisfyNtmsOperatorRequest.
    public func satisfyRequest(_ id: OperatorRequestID) async throws(NtmsError) {
        _ = try await execute(.satisfyRequest(id))
    }

    /// CancelNtmsOperatorRequest.
    public func cancelRequest(_ id: OperatorRequestID) async throws(NtmsError) {
        _ = try await execute(.cancelRequest(id))
    }

    /// WaitForNtmsOperatorRequest.
    public func waitForRequest(_ id: OperatorRequestID, timeout: WaitTimeout) async throws(NtmsError) -> OperatorRequest
    {
        try checkOpen()
        return try await catalogue.waitForRequest(id, timeout: timeout)
    }

    /// Checks that the session is open and the key well formed, and binds the
    /// key to this session's application and user and to `command`.
    func checkOpen(_ idempotencyKey: String?, for command: CatalogueCommand) throws(NtmsError) -> IdempotencyClaim? {
        try checkOpen()
        guard let key = idempotencyKey else { return nil }
        guard TextRules.isPrintableASCIIWord(key, maximumBytes: Self.maximumIdempotencyKeyLength) else {
            throw NtmsError(
                .invalidParameter,
                "an idempotency key is 1 to \(Self.maximumIdempotencyKeyLength) printable ASCII characters, no spaces")
        }
        return IdempotencyClaim(key: key, application: application, user: user, command: command)
    }

    func checkOpen() throws(NtmsError) {
        guard !closed.load(ordering: .acquiring) else { throw NtmsError(.invalidHandle, "the session is closed") }
    }

    private func unexpected() -> NtmsError {
        NtmsError(
            .databaseFailure,
            "the writer answered with a different kind of result (idempotency key reused for another command?)")
    }
}
