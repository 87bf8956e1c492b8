import Foundation

/// Totals since the catalogue opened; subtract two readings for a period.
public struct CommitStatistics: Sendable {
    /// Jobs this process committed: write transactions, the committer's and the writer's own.
    public var jobs: Int
    /// Commands they carried.
    public var commands: Int
    /// Wall time spent in them, from asking for the write transaction (waiting
    /// for another process's to end included) to its durable commit.
    public var jobSeconds: Double
    /// CPU time of the writer's threads: deciding, committing, answering.
    public var writerCPUSeconds: Double
}

/// Counters for tests and the benchmark: how well group commit batches, and
/// the processor time the writer's three threads used.
final class WriterStatistics: Sendable {
    enum WriterThread { case writer, committer, answerer }

    private struct Counters {
        var jobs = 0
        var committerJobs = 0
        var commands = 0
        var jobNanoseconds: UInt64 = 0
        var chunksOffered = 0
        var overlappedChunks = 0
        var writerCPU = 0
        var committerCPU = 0
        var answererCPU = 0
    }

    private let counters = Locked(Counters())
    private let metrics: CatalogueMetrics?

    init(metrics: CatalogueMetrics? = nil) { self.metrics = metrics }

    /// A job that committed `commands`, begun at `begin` (`DispatchTime`
    /// nanoseconds), by the committer thread or the writer's own.
    func recordJob(commands: Int, begun begin: UInt64, byCommitter: Bool) {
        let elapsed = DispatchTime.now().uptimeNanoseconds &- begin
        metrics?.recordCommit(commands: commands, nanoseconds: elapsed)
        counters.withLock {
            $0.jobs += 1
            if byCommitter { $0.committerJobs += 1 }
            $0.commands += commands
            $0.jobNanoseconds &+= elapsed
        }
    }

    /// Jobs the committer thread wrote (the rest the writer wrote itself).
    var committerJobs: Int { counters.withLock { $0.committerJobs } }

    /// A chunk was offered; `overlapped`: while a job was being written or chunks waited for one.
    func recordOffer(overlapped: Bool) {
        counters.withLock {
            $0.chunksOffered += 1
            if overlapped { $0.overlappedChunks += 1 }
        }
    }

    /// Chunks the writer offered to the committer.
    var chunksOffered: Int { counters.withLock { $0.chunksOffered } }

    /// Chunks decided while the job before them was being written.
    var overlappedChunks: Int { counters.withLock { $0.overlappedChunks } }

    /// Called on `thread` itself, which reads its own CPU clock here.
    func noteCPU(of thread: WriterThread) {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        let nanoseconds = now.tv_sec * 1_000_000_000 + now.tv_nsec
        counters.withLock {
            switch thread {
            case .writer: $0.writerCPU = nanoseconds
            case .committer: $0.committerCPU = nanoseconds
            case .answerer: $0.answererCPU = nanoseconds
            }
        }
    }

    var totals: CommitStatistics {
        counters.withLock {
            CommitStatistics(
                jobs: $0.jobs, commands: $0.commands, jobSeconds: Double($0.jobNanoseconds) / 1e9,
                writerCPUSeconds: Double($0.writerCPU + $0.committerCPU + $0.answererCPU) / 1e9)
        }
    }
}
