import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Monotonic nanoseconds.
func monotonicNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Latency percentiles of recorded samples (nanoseconds).
struct Percentiles: Encodable {
    var p50: Double
    var p99: Double

    init(_ samples: [UInt64]) {
        let sorted = samples.sorted()
        func at(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) / 1_000_000
        }
        p50 = at(0.50)
        p99 = at(0.99)
    }
}

/// Resident memory of this process from /proc/self/status, in bytes.
enum ResidentMemory {
    /// Anonymous resident memory: the heap, without file pages such as LMDB's map.
    static var anonymous: Int { field("RssAnon:") }

    /// Anonymous resident memory after returning freed heap pages to the system,
    /// so that memory an earlier part of the run freed (and a later one reuses)
    /// does not hide in the difference.
    static var anonymousLive: Int {
        // glibc's malloc_trim is not in the Glibc module; look it up (RTLD_DEFAULT is 0).
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
            _ = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)(0)
        }
        return anonymous
    }
    static var total: Int { field("VmRSS:") }

    private static func field(_ name: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) })
        else { return 0 }
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kilobytes * 1024
    }
}

/// Samples collected by many tasks at once.
final class SampleSink: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [UInt64] = []
    private var operations = 0

    func add(_ batch: [UInt64], operations count: Int) {
        lock.withLock {
            samples.append(contentsOf: batch)
            operations += count
        }
    }

    var result: (samples: [UInt64], operations: Int) { lock.withLock { (samples, operations) } }
}

/// Flushes dirty pages and lets the disk settle, so that the kernel's writeback
/// of earlier parts (a million SQLite rows, the LMDB store) does not compete with
/// the next measurement for one of the two cores.
func quiesce() {
    sync()
    Thread.sleep(forTimeInterval: 1)
}

/// Runs `body` on `threads` OS threads at once, `rounds` times, and returns the
/// median of the operations per second they reached together (one round is
/// easily disturbed on a shared 2-core machine).
func onThreads(_ threads: Int, operations: Int, rounds: Int = 5, _ body: @escaping @Sendable (Int) -> Void) -> Double {
    var rates: [Double] = []
    for _ in 0..<rounds {
        let group = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for index in 0..<threads {
            group.enter()
            Thread {
                start.wait()
                body(index)
                group.leave()
            }.start()
        }
        let begin = monotonicNanoseconds()
        for _ in 0..<threads { start.signal() }
        group.wait()
        rates.append(Double(operations * threads) / (Double(monotonicNanoseconds() - begin) / 1e9))
    }
    return median(rates)
}

/// Runs each measurement once a round, starting each round one measurement
/// later; returns every measurement's rates, and for each the median of the
/// per-round ratio of the first measurement to it (1 for the first itself).
func interleaved(rounds: Int, _ measures: [() throws -> Double]) throws -> (rates: [[Double]], ratios: [Double]) {
    var rates = Array(repeating: [Double](), count: measures.count)
    for round in 0..<rounds {
        for step in 0..<measures.count {
            let index = (round + step) % measures.count
            rates[index].append(try measures[index]())
        }
    }
    let ratios = rates.indices.map { index in
        median(zip(rates[0], rates[index]).map { $0 / $1 })
    }
    return (rates, ratios)
}

/// The middle value (the upper one of an even count).
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// Keeps the optimizer from deleting a lookup whose result is unused. Not
/// optimized itself, so callers cannot learn that it ignores its argument
/// (a fully inlinable lookup was otherwise removed as dead code).
@inline(never) @_optimize(none)
func blackHole<T>(_ value: T) {}
