import Atomics
import CatalogueDomain
import CatalogueHardware

/// A caller's handle on the catalogue (RSM's session): it names the
/// application and user that every event it causes records. Closing it makes
/// later calls fail with ERROR_INVALID_HANDLE.
///
/// Every command a session sends returns only once its events are durable,
/// or throws an `NtmsError` and changes nothing. Besides the errors each
/// method lists, every command can throw:
/// - `ERROR_INVALID_HANDLE` (6): the session is closed.
/// - `ERROR_INVALID_PARAMETER` (87): the idempotency key is not 1 to 128
///   printable ASCII characters, or was used before with other arguments.
/// - `ERROR_ACCESS_DENIED` (5): the store cannot be written by this
///   process, or the catalogue was opened `.readOnly` (then robot work is
///   refused too, before any robot moves).
/// - `ERROR_DATABASE_FULL` (4314) or `ERROR_DATABASE_FAILURE` (4313): the
///   store could not take the write; nothing of the command was recorded.
public final class Session: Sendable {
    /// The catalogue the session writes to.
    public let catalogue: Catalogue
    /// The application recorded with every event (RSM's default, "RSM", when empty).
    public let application: String
    /// The user recorded with every event.
    public let user: String
    /// The groups of `user`, for access checks.
    public let groups: [String]
    /// Unique within this process; recorded with the requests this session waits on.
    public let id: UInt64
    private let closed = ManagedAtomic<Bool>(false)

    /// RSM's limits for application and user names, in UTF-8 bytes.
    public static let maximumNameLength = 64
    /// The most groups a session's user may be checked as a member of.
    public static let maximumGroupCount = 1024
    /// The longest idempotency key, in bytes of printable ASCII.
    public static let maximumIdempotencyKeyLength = 128

    init(catalogue: Catalogue, application: String, user: String, groups: [String], id: UInt64) throws(NtmsError) {
        for (value, what) in [(application, "application"), (user, "user")] + groups.map({ ($0, "group") }) {
            guard value.utf8.count <= Self.maximumNameLength, TextRules.isDisplayable(value) else {
                throw NtmsError(
                    .invalidParameter,
                    "the \(what) name is at most \(Self.maximumNameLength) bytes of displayable text, not "
                        + "\"\(TextRules.preview(value))\"")
            }
        }
        guard groups.count <= Self.maximumGroupCount else {
            throw NtmsError(
                .invalidParameter, "a session names at most \(Self.maximumGroupCount) groups, not \(groups.count)")
        }
        self.catalogue = catalogue
        self.application = application.isEmpty ? "RSM" : application
        self.user = user
        self.groups = groups
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
    ///
    /// - Throws: the command's own NTMS error (the typed methods below list
    ///   them), or one of the errors every command can throw (see ``Session``).
    public func execute(_ command: CatalogueCommand, idempotencyKey: String? = nil) async throws(NtmsError)
        -> CommandOutcome
    {
        let claim = try checkOpen(idempotencyKey, for: command)
        return try await catalogue.submit(
            .command(command, idempotency: claim), application: application, user: user, groups: groups)
    }

    // MARK: Typed API

    /// Registers a media type and its Free, Import and Unrecognized pools.
    ///
    /// - Throws: `ERROR_INVALID_PARAMETER` (87) for a side count other than 1
    ///   or 2, or a name that is empty, too long or not displayable;
    ///   `ERROR_ALREADY_EXISTS` (183) for a name already registered.
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
    /// An mtx changer is asked for its geometry first, and one that differs
    /// from the counts given is refused, unless `checkingGeometry` is false
    /// (setting up before the changer is connected).
    ///
    /// - Throws: `ERROR_ALREADY_EXISTS` (183) for a name in use;
    ///   `ERROR_INVALID_PARAMETER` (87) for counts out of range, no slot, a bad
    ///   name, a changer whose device is not an absolute path (mtx) or is
    ///   given to a simulated changer, or an mtx changer of another geometry;
    ///   the changer's own errors when it cannot be read.
    @discardableResult
    public func addLibrary(
        name: String, slots: Int, drives: Int, ports: Int = 0, changer: ChangerAttachment? = nil,
        checkingGeometry: Bool = true, idempotencyKey: String? = nil
    ) async throws(NtmsError) -> LibraryID {
        if let changer, changer.kind == .mtx, checkingGeometry, changer.device.hasPrefix("/") {
            // A device that is no absolute path is refused by decide, without asking mtx.
            try await checkGeometry(
                of: changer, against: ChangerGeometry(drives: drives, slots: slots, ports: ports), library: name)
        }
        guard
            case .library(let id) = try await execute(
                .addLibrary(name: name, slots: slots, drives: drives, ports: ports, changer: changer),
                idempotencyKey: idempotencyKey)
        else { throw unexpected() }
        return id
    }

    /// Deletes an online library that holds no media and has no robot work in
    /// progress; its drives go with it.
    ///
    /// - Throws: `ERROR_INVALID_LIBRARY` (4301) for no such online library;
    ///   `ERROR_NOT_EMPTY` (4307) while it holds media; `ERROR_BUSY` (170)
    ///   while a robot operation on it is in progress.
    public func deleteLibrary(_ library: LibraryID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.deleteLibrary(library), idempotencyKey: idempotencyKey)
    }

    /// CreateNtmsMediaPool: a folder pool without a media type, an application pool with one.
    ///
    /// - Throws: `ERROR_ALREADY_EXISTS` (183) for a path in use (paths ignore
    ///   case); `ERROR_OBJECT_NOT_FOUND` (4312) for a missing parent;
    ///   `ERROR_INVALID_MEDIA_POOL` (4302) under a system pool or a pool that
    ///   holds media; `ERROR_INVALID_PARAMETER` (87) for an unknown media type
    ///   or a malformed path.
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

    /// SetNtmsObjectInformation for a pool: its allocation policy.
    ///
    /// - Throws: `ERROR_INVALID_MEDIA_POOL` (4302) for no such pool or a system pool.
    public func setPoolPolicy(_ pool: PoolID, _ policy: PoolPolicy, idempotencyKey: String? = nil)
        async throws(NtmsError)
    {
        _ = try await execute(.setPoolPolicy(pool: pool, policy: policy), idempotencyKey: idempotencyKey)
    }

    /// Registers a physical medium and classifies it by its label (free, import, none).
    ///
    /// - Throws: `ERROR_ALREADY_EXISTS` (183) for a bar code already
    ///   catalogued; `ERROR_INVALID_PARAMETER` (87) for a malformed bar code,
    ///   an unknown media type or a slot the library does not have;
    ///   `ERROR_INVALID_LIBRARY` (4301) for no such online library;
    ///   `ERROR_BUSY` (170) for a slot that already holds a medium.
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
    ///
    /// - Throws: `ERROR_MEDIA_UNAVAILABLE` (4308) when no side qualifies and
    ///   the call does not wait; `ERROR_TIMEOUT` (1460) or `ERROR_CANCELLED`
    ///   (1223) when it waited and none came; `ERROR_INVALID_MEDIA_POOL` (4302)
    ///   for no such pool or one that cannot hold media; `ERROR_INVALID_MEDIA`
    ///   (4300) for an unknown side or previous logical medium;
    ///   `ERROR_MEDIA_OFFLINE` (4304) for a named side that is offline;
    ///   `ERROR_INVALID_PARAMETER` (87) for NEW combined with NEXT.
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
            outcome = try await catalogue.submit(
                .waitingAllocation(waiting), application: application, user: user, groups: groups)
        }
        guard case .allocation(let allocation) = outcome else { throw unexpected() }
        return allocation
    }

    /// DeallocateNtmsMedia: the side goes back to its pool (or to scratch, as
    /// the pool's policy says) or is decommissioned after its last allowed use.
    ///
    /// - Throws: `ERROR_INVALID_MEDIA` (4300) for no such logical medium.
    public func deallocate(_ logicalMedium: LogicalMediumID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.deallocate(logicalMedium), idempotencyKey: idempotencyKey)
    }

    /// DeleteNtmsMediaPool: only an empty application pool.
    ///
    /// - Throws: `ERROR_INVALID_MEDIA_POOL` (4302) for no such pool or a
    ///   system pool; `ERROR_NOT_EMPTY` (4307) for a pool holding media or pools.
    public func deletePool(_ pool: PoolID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.deletePool(pool), idempotencyKey: idempotencyKey)
    }

    /// SetNtmsMediaComplete: the owner marks its side full.
    ///
    /// - Throws: `ERROR_INVALID_MEDIA` (4300) for no such logical medium;
    ///   `ERROR_INVALID_STATE` (5023) for a side that is not allocated.
    public func complete(_ logicalMedium: LogicalMediumID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.complete(logicalMedium), idempotencyKey: idempotencyKey)
    }

    /// DecommissionNtmsMedia: retires an Available side for good.
    ///
    /// - Throws: `ERROR_INVALID_MEDIA` (4300) for no such side;
    ///   `ERROR_INVALID_STATE` (5023) for a side that is not Available.
    public func decommission(_ side: SideID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.decommission(side), idempotencyKey: idempotencyKey)
    }

    /// MoveToNtmsMediaPool, following RSM's matrix of allowed moves.
    ///
    /// - Throws: `ERROR_INVALID_MEDIA` (4300) for no such medium;
    ///   `ERROR_INVALID_MEDIA_POOL` (4302) for no such pool, a folder, or a
    ///   move the matrix forbids; `ERROR_BUSY` (170) while a side is
    ///   allocated, complete or reserved.
    public func move(_ medium: MediumID, to pool: PoolID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.moveMedium(medium, to: pool), idempotencyKey: idempotencyKey)
    }

    /// DeleteNtmsMedia: an offline medium with no side allocated, complete or reserved.
    ///
    /// - Throws: `ERROR_INVALID_MEDIA` (4300) for no such medium; `ERROR_BUSY`
    ///   (170) while a side is in use; `ERROR_INVALID_STATE` (5023) for a
    ///   medium still in a library.
    public func deleteMedium(_ medium: MediumID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.deleteMedium(medium), idempotencyKey: idempotencyKey)
    }

    /// ChangeNtmsMediaType: moves a medium into a pool of another media type,
    /// whose type it takes (a pool of its own type: a plain move). Besides the
    /// move matrix, a medium may go from one type's Free, Import or
    /// Unrecognized pool to another type's pool of the same kind.
    ///
    /// - Throws: as `move(_:to:idempotencyKey:)`, and
    ///   `ERROR_LIBRARY_OFFLINE` (4305) for a medium on the shelf;
    ///   `ERROR_MEDIA_INCOMPATIBLE` (4315) when the new type has another
    ///   number of sides; `ERROR_BUSY` (170) for a medium in use.
    public func changeMediaType(_ medium: MediumID, to pool: PoolID, idempotencyKey: String? = nil)
        async throws(NtmsError)
    {
        _ = try await execute(.changeMediaType(medium, to: pool), idempotencyKey: idempotencyKey)
    }

    /// DeleteNtmsMediaType: removes a media type no medium or application pool
    /// uses, with its Free, Import and Unrecognized pools.
    ///
    /// - Throws: `ERROR_OBJECT_NOT_FOUND` (4312) for no such type;
    ///   `ERROR_NOT_EMPTY` (4307) while media or an application pool use it;
    ///   `ERROR_BUSY` (170) while an inject registers a cartridge of it.
    public func deleteMediaType(_ type: MediaTypeID, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.deleteMediaType(type), idempotencyKey: idempotencyKey)
    }

    /// UpdateNtmsOmidInfo: records the label the application wrote on the side
    /// behind `logicalMedium`, so that the cartridge is recognised by it if it
    /// comes back under an unknown bar code (or none). It is forgotten when
    /// the logical medium is deallocated.
    ///
    /// - Throws: `ERROR_INVALID_MEDIA` (4300) for no such logical medium;
    ///   `ERROR_INVALID_PARAMETER` (87) for an empty, oversized or undisplayable
    ///   label; `ERROR_ALREADY_EXISTS` (183) when another side carries that label.
    public func updateOnMediaIdentifier(
        _ logicalMedium: LogicalMediumID, _ identifier: OnMediaIdentifier, idempotencyKey: String? = nil
    ) async throws(NtmsError) {
        _ = try await execute(.recordOnMediaIdentifier(logicalMedium, identifier), idempotencyKey: idempotencyKey)
    }

    /// SwapNtmsMedia: the two logical media exchange the sides behind them,
    /// so an application's identifiers stay valid after its data moved to
    /// other media. Each keeps its pool and its side state.
    ///
    /// - Throws: `ERROR_INVALID_MEDIA` (4300) for an unknown logical medium or
    ///   a NEW allocation of a multi-sided medium; `ERROR_INVALID_STATE`
    ///   (5023) for a side not allocated; `ERROR_BUSY` (170) for a medium in
    ///   a drive or being moved; `ERROR_INVALID_MEDIA_POOL` (4302) for two pools;
    ///   `ERROR_INVALID_PARAMETER` (87) for the same logical medium twice.
    public func swap(_ first: LogicalMediumID, _ second: LogicalMediumID, idempotencyKey: String? = nil)
        async throws(NtmsError)
    {
        _ = try await execute(.swapLogicalMedia(first, second), idempotencyKey: idempotencyKey)
    }

    // MARK: Operator requests

    /// SubmitNtmsOperatorRequest.
    ///
    /// - Throws: `ERROR_OBJECT_NOT_FOUND` (4312) when the object the request
    ///   type names (a pool, medium or library) does not exist;
    ///   `ERROR_INVALID_PARAMETER` (87) for a MESSAGE without text or a
    ///   message that is too long or not displayable.
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
    ///
    /// - Throws: `ERROR_OBJECT_NOT_FOUND` (4312) for an unknown request.
    public func displayRequests(_ ids: [OperatorRequestID]) async throws(NtmsError) {
        _ = try await execute(.displayRequests(ids))
    }

    /// An operator takes the request on (INPROGRESS).
    ///
    /// - Throws: `ERROR_OBJECT_NOT_FOUND` (4312) for an unknown request;
    ///   `ERROR_INVALID_STATE` (5023) for one already closed.
    public func acknowledgeRequest(_ id: OperatorRequestID) async throws(NtmsError) {
        _ = try await execute(.acknowledgeRequest(id))
    }

    /// SatisfyNtmsOperatorRequest. A waiting allocation on it searches again.
    ///
    /// - Throws: `ERROR_OBJECT_NOT_FOUND` (4312) for an unknown request;
    ///   `ERROR_INVALID_STATE` (5023) for one already closed.
    public func satisfyRequest(_ id: OperatorRequestID) async throws(NtmsError) {
        _ = try await execute(.satisfyRequest(id))
    }

    /// CancelNtmsOperatorRequest. A waiting allocation on it ends with ERROR_CANCELLED.
    ///
    /// - Throws: `ERROR_OBJECT_NOT_FOUND` (4312) for an unknown request;
    ///   `ERROR_INVALID_STATE` (5023) for one already closed.
    public func cancelRequest(_ id: OperatorRequestID) async throws(NtmsError) {
        _ = try await execute(.cancelRequest(id))
    }

    /// WaitForNtmsOperatorRequest: returns the request once it is COMPLETE.
    ///
    /// - Throws: `ERROR_OBJECT_NOT_FOUND` (4312) for an unknown request;
    ///   `ERROR_CANCELLED` (1223) when it was refused (cancelled, timed out,
    ///   abandoned); `ERROR_TIMEOUT` (1460) when it is still open after
    ///   `timeout`; `ERROR_INVALID_HANDLE` (6) for a closed session.
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

    /// Whether `close()` was called.
    var isClosed: Bool { closed.load(ordering: .acquiring) }

    func checkOpen() throws(NtmsError) {
        guard !closed.load(ordering: .acquiring) else { throw NtmsError(.invalidHandle, "the session is closed") }
    }

    private func unexpected() -> NtmsError {
        NtmsError(
            .databaseFailure,
            "the writer answered with a different kind of result (idempotency key reused for another command?)")
    }
}
