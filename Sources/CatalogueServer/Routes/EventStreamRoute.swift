import AsyncAlgorithms
import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

extension APIRouteTable {
    /// How often a quiet stream sends a comment, so proxies and the client
    /// see the connection is alive.
    static let heartbeat = Duration.seconds(15)

    mutating func addEventStreamRoute() {
        add(
            .get, "/v1/events",
            "Committed events as Server-Sent Events (OpenNtmsNotification), from `from` or after `Last-Event-ID`.",
            access: "use on the catalogue", response: "event", listing: true,
            query: [
                ("from", "the first sequence number to send (default: only new events)"),
                ("to_head", "true: send the log up to its head when the request arrives (from 1 by default), then end"),
            ]
        ) { call in
            _ = try call.requireReader()
            let resume = call.request.headers[HTTPField.Name("Last-Event-ID")!]
            let start: UInt64?
            if let resume {
                guard let last = UInt64(resume) else {
                    throw NtmsError(.invalidParameter, "Last-Event-ID is an event's sequence number")
                }
                start = last + 1
            } else if let from = call.query("from") {
                guard let first = UInt64(from), first > 0 else {
                    throw NtmsError(.invalidParameter, "from is a sequence number from 1")
                }
                start = first
            } else {
                start = nil
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-store"
            if call.query("to_head") == "true" {
                let catalogue = call.catalogue
                let head = catalogue.snapshot.head.sequence
                return Response(
                    status: .ok, headers: headers,
                    body: ResponseBody { writer in
                        // A dump of the log: read a chunk, send it, read the next, so memory stays one chunk.
                        var next = start ?? 1
                        while next <= head {
                            let last = min(head, next + Self.dumpChunk - 1)
                            for event in try catalogue.events(from: next, through: last) {
                                try await writer.write(Self.message(event))
                            }
                            next = last + 1
                        }
                        try await writer.finish(nil)
                    })
            }
            let events = call.catalogue.changes(from: start)
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    try await Self.stream(events, to: &writer)
                })
        }
    }

    /// Events read from the log per transaction for a dump.
    private static let dumpChunk: UInt64 = 1024

    /// One event as a Server-Sent Event: its sequence as the id, its name as the type, its JSON as the data.
    private static func message(_ event: LoggedEvent) -> ByteBuffer {
        let line = JSONModel.line(EventJSON(event))
        return ByteBuffer(string: "id: \(event.sequence)\nevent: \(event.event.name)\ndata: \(line)\n\n")
    }

    private enum StreamItem: Sendable {
        case event(LoggedEvent)
        case heartbeat
        case end(String)
    }

    /// Writes events as they come, a comment when the stream is quiet, and an
    /// `end` event when the catalogue closes or the log cannot be read. The
    /// channel between the producers and the socket holds nothing: the event
    /// reader waits for the client, so a slow client costs one chunk of events.
    private static func stream(
        _ events: AsyncThrowingStream<LoggedEvent, any Error>, to writer: inout any ResponseBodyWriter
    ) async throws {
        let channel = AsyncChannel<StreamItem>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await event in events { await channel.send(.event(event)) }
                    await channel.send(.end("the catalogue closed"))
                } catch {
                    await channel.send(.end((error as? NtmsError)?.description ?? "the log could not be read"))
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: heartbeat)
                    await channel.send(.heartbeat)
                }
            }
            defer { group.cancelAll() }
            for await item in channel {
                switch item {
                case .event(let event):
                    try await writer.write(message(event))
                case .heartbeat:
                    try await writer.write(ByteBuffer(string: ": alive\n\n"))
                case .end(let reason):
                    let body = JSONModel.line(["reason": reason])
                    try await writer.write(ByteBuffer(string: "event: end\ndata: \(body)\n\n"))
                    try await writer.finish(nil)
                    return
                }
            }
        }
    }
}
