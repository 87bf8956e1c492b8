/// How the writer groups commands, fixed when the catalogue opens.
///
/// The vocabulary of the pipeline: the writer takes a *batch* from the queue,
/// decides it and offers it to the committer in *chunks*; the committer writes
/// every chunk offered so far as one *job*, one LMDB transaction.
public struct WriterTuning: Sendable, Equatable {
    /// The most commands in one batch and in one job.
    public let maximumBatch: Int
    /// The most commands the writer decides before offering them as a chunk:
    /// an idle committer starts on the first chunk while the rest are decided.
    public let commandsPerChunk: Int
    /// A batch smaller than this, met by an idle committer while callers are
    /// not outpacing commits, is committed by the writer itself, sparing a
    /// hand-over between threads.
    public let smallestHandedOffBatch: Int
    /// While a job commits, the writer is woken once per this many submitted
    /// commands, to decide them ahead; the job's end wakes it for the rest.
    public let commandsPerWakeWhileCommitting: Int
    /// How long the committer waits for the chunk of commands it saw queued
    /// when its job ended, before it sleeps until anything is offered.
    public let committerPatience: Duration

    /// Tuning with the defaults, which suit one caller and hundreds alike.
    ///
    /// - Precondition: every count is at least 1, and a chunk is never larger
    ///   than a batch.
    public init(
        maximumBatch: Int = 4096, commandsPerChunk: Int = 128, smallestHandedOffBatch: Int = 32,
        commandsPerWakeWhileCommitting: Int = 16, committerPatience: Duration = .microseconds(200)
    ) {
        precondition(maximumBatch >= 1, "a batch holds at least one command")
        precondition(commandsPerChunk >= 1, "a chunk holds at least one command")
        precondition(commandsPerChunk <= maximumBatch, "a chunk is never larger than the batch it is cut from")
        precondition(smallestHandedOffBatch >= 1, "a batch of one is the smallest there is")
        precondition(commandsPerWakeWhileCommitting >= 1, "the writer is woken at least once per command")
        precondition(committerPatience >= .zero, "the committer cannot wait a negative time")
        self.maximumBatch = maximumBatch
        self.commandsPerChunk = commandsPerChunk
        self.smallestHandedOffBatch = smallestHandedOffBatch
        self.commandsPerWakeWhileCommitting = commandsPerWakeWhileCommitting
        self.committerPatience = committerPatience
    }
}
