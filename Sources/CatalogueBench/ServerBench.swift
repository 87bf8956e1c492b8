import CatalogueDomain
import CatalogueEngine
import CatalogueServer
import Foundation
import Logging
import Prometheus

/// The HTTP service: point reads against the server's own constant answer,
/// allocations over HTTP against the same allocations in process, and the
/// cost of a `/metrics` scrape at two catalogue sizes. Load comes from wrk on
/// loopback; every ratio compares rounds of the same run, alternated.
struct ServerBench {
    let seconds: Double
    let rounds: Int
    let directory: String

    struct Result: Encodable {
        var point_connections: Int
        var ping_requests_per_second: Double
        var point_get_requests_per_second: Double
        /// Point GETs over the constant endpoint (target at least 0.7).
        var point_ratio: Double
        var allocation_connections: Int
        var http_allocations_per_second: Double
        var in_process_allocations_per_second: Double
        /// Over HTTP against in process (target at least 0.5).
        var allocation_ratio: Double
        /// `/v1/ping` at the allocation connections: the framework's ceiling in requests.
        var ping_requests_per_second_at_allocation_connections: Double
        /// The best ratio the framework allows: each allocation takes two requests
        /// (allocate, then deallocate, as the in-process callers do), so half the
        /// ceiling over the in-process rate.
        var allocation_ratio_ceiling: Double
        var scrape_small_media: Int
        var scrape_large_media: Int
        var scrape_small_microseconds: Double
        var scrape_large_microseconds: Double
        /// Large over small (target at most 2).
        var scrape_ratio: Double
        var scrape_bytes_large: Int
    }

    /// `catalogue` holds the allocation bench's pool; `small` and `large` are the scrape stores.
    func run(
        catalogue: Catalogue, pool: PoolID, allocations: AllocationBench, registry: PrometheusCollectorRegistry,
        small: (Catalogue, PrometheusCollectorRegistry), large: (Catalogue, PrometheusCollectorRegistry),
        _ progress: (String) -> Void
    ) async throws -> Result {
        let admin = try catalogue.session(application: "bench", principal: OSAccounts.currentPrincipal())
        try await admin.grantAccess(.use, to: .user("bench"), on: .catalogue)
        let token = try await admin.issueToken(for: Principal(user: "bench"), expires: nil).secret
        let shutdown = ServerShutdown()
        let (addresses, ready) = AsyncStream<String>.makeStream()
        var logger = Logger(label: "bench-server", factory: ServerLogHandler.init)
        logger.logLevel = .error
        let server = Task {
            try await CatalogueServer.run(
                catalogue, configuration: ServerConfiguration(listeners: [.tcp(host: "127.0.0.1", port: 0)]),
                logger: logger, registry: registry, shutdown: shutdown
            ) { ready.yield($0) }
        }
        var address = ""
        for await bound in addresses {
            address = bound
            break
        }
        defer { server.cancel() }
        let base = "http://\(address)"
        let state = catalogue.snapshot.state
        let sides = Array(state.sides.keys.shuffled().prefix(1000)).map(\.rawValue)
        let scripts = directory + "/wrk"
        try FileManager.default.createDirectory(atPath: scripts, withIntermediateDirectories: true)
        let auth = "wrk.headers[\"Authorization\"] = \"Bearer \(token)\"\n"
        let ping = scripts + "/ping.lua"
        try (auth + "wrk.path = \"/v1/ping\"\n").write(toFile: ping, atomically: true, encoding: .utf8)
        let point = scripts + "/point.lua"
        try
            (auth
            + "local ids = {\(sides.map(String.init).joined(separator: ","))}\n"
            + "request = function() return wrk.format(\"GET\", \"/v1/sides/side-\" .. ids[math.random(#ids)]) end\n")
            .write(toFile: point, atomically: true, encoding: .utf8)
        let allocate = scripts + "/allocate.lua"
        try Self.allocationScript(auth: auth, pool: pool).write(toFile: allocate, atomically: true, encoding: .utf8)

        let pointConnections = 64
        var pings: [Double] = []
        var points: [Double] = []
        for round in 1...rounds {
            progress("HTTP round \(round)/\(rounds): /v1/ping and point GETs at \(pointConnections) connections")
            pings.append(
                try await Self.wrk(ping, base, connections: pointConnections, seconds: seconds).requestsPerSecond)
            points.append(
                try await Self.wrk(point, base, connections: pointConnections, seconds: seconds).requestsPerSecond)
        }
        let allocationConnections = 256
        var overHTTP: [Double] = []
        var inProcess: [Double] = []
        var ceilings: [Double] = []
        for round in 1...rounds {
            progress("HTTP round \(round)/\(rounds): allocations at \(allocationConnections) connections and callers")
            let run = try await Self.wrk(allocate, base, connections: allocationConnections, seconds: seconds)
            overHTTP.append(Double(run.allocations) / run.seconds)
            ceilings.append(
                try await Self.wrk(ping, base, connections: allocationConnections, seconds: seconds).requestsPerSecond)
            inProcess.append(
                try await allocations.engineRun(
                    callers: allocationConnections, catalogue: catalogue, pool: pool, seconds: seconds
                ).allocationsPerSecond)
        }
        await shutdown.trigger()
        _ = try? await server.value

        progress(
            "scrapes of /metrics' answer at \(small.0.snapshot.state.media.count) and \(large.0.snapshot.state.media.count) media"
        )
        var smallTimes: [Double] = []
        var largeTimes: [Double] = []
        var bytes = 0
        for _ in 1...rounds {
            smallTimes.append(Self.scrape(small.0, small.1).microseconds)
            let measured = Self.scrape(large.0, large.1)
            largeTimes.append(measured.microseconds)
            bytes = measured.bytes
        }
        let (pingMedian, pointMedian) = (median(pings), median(points))
        let (httpMedian, processMedian) = (median(overHTTP), median(inProcess))
        let ceiling = median(ceilings)
        let (smallMedian, largeMedian) = (median(smallTimes), median(largeTimes))
        return Result(
            point_connections: pointConnections, ping_requests_per_second: pingMedian,
            point_get_requests_per_second: pointMedian, point_ratio: pointMedian / pingMedian,
            allocation_connections: allocationConnections, http_allocations_per_second: httpMedian,
            in_process_allocations_per_second: processMedian, allocation_ratio: httpMedian / processMedian,
            ping_requests_per_second_at_allocation_connections: ceiling,
            allocation_ratio_ceiling: ceiling / 2 / processMedian,
            scrape_small_media: small.0.snapshot.state.media.count,
            scrape_large_media: large.0.snapshot.state.media.count, scrape_small_microseconds: smallMedian,
            scrape_large_microseconds: largeMedian, scrape_ratio: largeMedian / smallMedian,
            scrape_bytes_large: bytes)
    }

    /// What the `/metrics` handler does (bring the metrics up to date, then
    /// write the exposition), timed over 200 scrapes: the median, in µs.
    static func scrape(_ catalogue: Catalogue, _ registry: PrometheusCollectorRegistry) -> (
        microseconds: Double, bytes: Int
    ) {
        var samples: [Double] = []
        var bytes = 0
        for _ in 0..<200 {
            let start = monotonicNanoseconds()
            catalogue.updateMetrics()
            bytes = registry.emitToBuffer().count
            samples.append(Double(monotonicNanoseconds() - start) / 1e3)
        }
        return (median(samples), bytes)
    }

    /// Each connection allocates, then gives back what it got: wrk calls
    /// `request` whenever a connection is free, so a thread's queue of
    /// allocated LMIDs is drained before it allocates again.
    static func allocationScript(auth: String, pool: PoolID) -> String {
        auth + """
            wrk.headers["Content-Type"] = "application/json"
            local queue = {}
            allocations = 0
            request = function()
              if #queue > 0 then
                return wrk.format("POST", "/v1/lmids/" .. table.remove(queue) .. "/deallocate")
              end
              return wrk.format("POST", "/v1/allocations", nil, '{"pool":"\(pool)","error_if_unavailable":true}')
            end
            response = function(status, headers, body)
              if status == 201 then
                allocations = allocations + 1
                local lmid = body:match('"lmid":"(lmid%-%d+)"')
                if lmid then table.insert(queue, lmid) end
              end
            end
            local threads = {}
            setup = function(thread) table.insert(threads, thread) end
            done = function(summary, latency, requests)
              local total = 0
              for _, thread in ipairs(threads) do total = total + thread:get("allocations") end
              io.write("allocations: " .. total .. "\\n")
            end

            """
    }

    struct WrkRun {
        var requestsPerSecond: Double
        var allocations: Int
        var seconds: Double
    }

    /// Runs wrk with two threads (one per core) and reads its summary.
    static func wrk(_ script: String, _ base: String, connections: Int, seconds: Double) async throws -> WrkRun {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Swift.Result { try wrkBlocking(script, base, connections: connections, seconds: seconds) })
            }
        }
    }

    static func wrkBlocking(_ script: String, _ base: String, connections: Int, seconds: Double) throws -> WrkRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        let duration = max(1, Int(seconds.rounded()))
        process.arguments = ["-t2", "-c\(connections)", "-d\(duration)s", "-s", script, base]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0,
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
            let rate = Double(line.split(separator: " ").last ?? "")
        else { throw BenchError("wrk failed: \(text)") }
        let allocations =
            text.split(separator: "\n").first { $0.hasPrefix("allocations: ") }
            .flatMap { Int($0.dropFirst("allocations: ".count)) } ?? 0
        return WrkRun(requestsPerSecond: rate, allocations: allocations, seconds: Double(duration))
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
