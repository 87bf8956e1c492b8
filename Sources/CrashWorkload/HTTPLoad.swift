import AsyncHTTPClient
import Foundation
import NIOCore

/// The crash harness's server mode: callers allocate and deallocate over a
/// running server's Unix socket and acknowledge each answer the server gave,
/// until the server is killed under them.
struct HTTPLoad {
    let socket: String
    let pool: String
    let acks: AckFile
    let callers: Int

    func run() async {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<callers {
                group.addTask { await cycle(client) }
            }
        }
        try? await client.shutdown()
    }

    /// The allocation request's body, JSON-escaped (pool paths hold backslashes).
    private var allocation: String {
        let body: [String: Any] = ["pool": pool, "error_if_unavailable": true]
        return (try? JSONSerialization.data(withJSONObject: body)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Allocate, acknowledge, deallocate, acknowledge, until the server stops answering.
    private func cycle(_ client: HTTPClient) async {
        while true {
            guard
                let allocated = await post(client, "/v1/allocations", allocation, expect: 201),
                let lmid = allocated["lmid"] as? String, let side = allocated["side"] as? String
            else { return }
            acks.record("alloc \(lmid) \(side)")
            guard await post(client, "/v1/lmids/\(lmid)/deallocate", nil, expect: 200) != nil else { return }
            acks.record("dealloc \(lmid)")
        }
    }

    private func post(_ client: HTTPClient, _ path: String, _ body: String?, expect status: Int) async -> [String:
        Any]?
    {
        guard let url = URL(httpURLWithSocketPath: socket, uri: path) else { return nil }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "MediaCatalogue-Application", value: "crash-http")
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            guard Int(response.status.code) == status else { return nil }
            return try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]
        } catch {
            return nil
        }
    }
}
