import Logging

/// The server's log handler: lines as swift-log's `StreamLogHandler` writes
/// them, on standard error, but the logger's own metadata is only stored when
/// set and formatted when a line is written. Hummingbird sets a request id on
/// every request's logger, and the stream handler formats all of its metadata
/// on each change, a cost every request paid though the server logs rarely.
public struct ServerLogHandler: LogHandler {
    private var output: StreamLogHandler
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level {
        get { output.logLevel }
        set { output.logLevel = newValue }
    }
    public var metadataProvider: Logger.MetadataProvider? {
        get { output.metadataProvider }
        set { output.metadataProvider = newValue }
    }

    public init(label: String) {
        output = StreamLogHandler.standardError(label: label)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        // A statement's own metadata wins over the logger's, as in the stream handler.
        if !metadata.isEmpty {
            event.metadata = metadata.merging(event.metadata ?? [:]) { _, statement in statement }
        }
        output.log(event: event)
    }
}
