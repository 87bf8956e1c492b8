import CatalogueDomain

/// One unit of work for the writer, with the caller to answer.
struct PendingCommand: Sendable {
    enum Work: Sendable {
        case command(CatalogueCommand, idempotency: IdempotencyClaim?)
        /// AllocateNtmsMedia with a timeout: answered when allocated, cancelled or timed out.
        case waitingAllocation(WaitingAllocation)
        /// Fold what other processes appended (and serve waiters it unblocks).
        case refresh
        /// Time out waiting allocations whose deadline passed.
        case expireDeadlines
        /// Cancel the waiting allocations of a closed session (nil: of every session).
        case abandonSession(UInt64?)
        /// Close requests whose waiting process is gone.
        case reapOrphans
        /// Give a store from before access rights its owner as administrator.
        case adoptOwner(String)

        /// What the work does, for messages.
        var summary: String {
            switch self {
            case .command, .waitingAllocation: "changing it"
            case .refresh: "folding new events"
            case .expireDeadlines: "timing out waiting allocations"
            case .abandonSession: "abandoning a session's waiting allocations"
            case .reapOrphans: "closing orphaned requests"
            case .adoptOwner: "recording the store's owner as its administrator"
            }
        }
    }

    var work: Work
    var application: String
    var user: String
    /// The groups of `user`, for access checks.
    var groups: [String] = []
    var reply: @Sendable (Result<CommandOutcome, NtmsError>) -> Void

    /// Whom a caller's command is checked against.
    var principal: Principal { Principal(user: user, groups: groups) }

    /// Housekeeping the engine queues for itself; nobody waits for its answer.
    static func housekeeping(_ work: Work) -> PendingCommand {
        PendingCommand(work: work, application: "catalogue", user: "engine") { _ in }
    }

    /// A plain command, which can be decided outside the write transaction.
    var isPlainCommand: Bool { if case .command = work { true } else { false } }
}

/// What a waiting allocation asks for.
struct WaitingAllocation: Sendable {
    var request: AllocationRequest
    /// Nanoseconds since 1970; nil waits forever.
    var deadline: Int64?
    var session: UInt64
    var idempotency: IdempotencyClaim?
    /// Told the id of each NEWMEDIA request the allocation waits on.
    var onWait: @Sendable (OperatorRequestID) -> Void
}
