/// Payload encoding of the library work queue's events (type codes 47-51), in the event codec's style.
extension CatalogueEvent {
    func encodeLibraryRequest(into out: inout BinaryWriter) {
        switch self {
        case .libraryRequestQueued(let e):
            out.write(e.request)
            out.write(e.spec)
            out.write(e.application)
            out.write(e.user)
            out.write(e.time)
            out.write(e.before)
        case .libraryRequestStarted(let e):
            out.write(e.request)
            out.write(e.time)
        case .libraryRequestWaiting(let e):
            out.write(e.request)
            out.write(e.time)
            out.write(e.reason)
            out.write(e.before)
        case .libraryRequestFinished(let e):
            out.write(e.request)
            out.write(e.time)
            out.write(e.state.rawValue)
            out.write(e.errorCode)
            out.write(e.message)
        case .libraryRequestReordered(let e):
            out.write(e.request)
            out.write(e.before)
        default:
            preconditionFailure("\(name) is not a library request event")
        }
    }

    static func decodeLibraryRequest(_ type: EventType, _ r: inout BinaryReader) throws(PayloadDecodingError)
        -> CatalogueEvent
    {
        switch type {
        case .libraryRequestQueued:
            return .libraryRequestQueued(
                LibraryRequestQueued(
                    request: try r.readID(), spec: try r.readLibraryRequestSpec(), application: try r.readString(),
                    user: try r.readString(), time: try r.readInt64(), before: try r.readOptionalID()))
        case .libraryRequestStarted:
            return .libraryRequestStarted(LibraryRequestStarted(request: try r.readID(), time: try r.readInt64()))
        case .libraryRequestWaiting:
            return .libraryRequestWaiting(
                LibraryRequestWaiting(
                    request: try r.readID(), time: try r.readInt64(), reason: try r.readString(),
                    before: try r.readOptionalID()))
        case .libraryRequestFinished:
            let request: LibraryRequestID = try r.readID()
            let time = try r.readInt64()
            let state = try r.readEnum(LibraryRequestState.self)
            guard !state.isActive else { throw PayloadDecodingError("a finished work item cannot be \(state.name)") }
            return .libraryRequestFinished(
                LibraryRequestFinished(
                    request: request, time: time, state: state, errorCode: try r.readUInt32(),
                    message: try r.readString()))
        case .libraryRequestReordered:
            return .libraryRequestReordered(
                LibraryRequestReordered(request: try r.readID(), before: try r.readOptionalID()))
        default:
            throw PayloadDecodingError("\(type.name) is not a library request event")
        }
    }

    var libraryRequestFields: [EventField] {
        func id(_ name: String, _ value: some CustomStringConvertible) -> EventField {
            EventField(name, .text(value.description))
        }
        switch self {
        case .libraryRequestQueued(let e):
            let spec = e.spec
            return [
                id("work_item", e.request), id("library", spec.library),
                EventField("operation", .text(spec.operation.name)),
                EventField("medium", .identifier(spec.medium)),
                EventField("drive", spec.drive.map { .unsigned(UInt64($0)) } ?? .absent),
                EventField("port", spec.port.map { .unsigned(UInt64($0)) } ?? .absent),
                EventField("priority", .integer(Int64(spec.priority))),
                EventField("application", .text(e.application)), EventField("user", .text(e.user)),
                EventField(
                    "owner",
                    .record([
                        EventField("pid", .unsigned(UInt64(spec.owner.processID))),
                        EventField("session", .unsigned(spec.owner.session)),
                    ])),
                EventField("time", .time(e.time)), EventField("before", .identifier(e.before)),
            ]
        case .libraryRequestStarted(let e):
            return [id("work_item", e.request), EventField("time", .time(e.time))]
        case .libraryRequestWaiting(let e):
            return [
                id("work_item", e.request), EventField("time", .time(e.time)), EventField("reason", .text(e.reason)),
                EventField("before", .identifier(e.before)),
            ]
        case .libraryRequestFinished(let e):
            return [
                id("work_item", e.request), EventField("time", .time(e.time)), EventField("state", .text(e.state.name)),
                EventField("error_code", .unsigned(UInt64(e.errorCode))), EventField("message", .text(e.message)),
            ]
        case .libraryRequestReordered(let e):
            return [id("work_item", e.request), EventField("before", .identifier(e.before))]
        default:
            return []
        }
    }

    var libraryRequestIdentifiers: [UInt64] {
        switch self {
        case .libraryRequestQueued(let e):
            [e.request.rawValue, e.spec.library.rawValue]
                + [e.spec.medium?.rawValue, e.before?.rawValue].compactMap {
                    $0
                }
        case .libraryRequestStarted(let e): [e.request.rawValue]
        case .libraryRequestWaiting(let e): [e.request.rawValue] + (e.before.map { [$0.rawValue] } ?? [])
        case .libraryRequestFinished(let e): [e.request.rawValue]
        case .libraryRequestReordered(let e): [e.request.rawValue] + (e.before.map { [$0.rawValue] } ?? [])
        default: []
        }
    }
}

extension BinaryWriter {
    /// A whole work item, for checkpoints.
    mutating func write(_ request: LibraryRequest) {
        write(request.id)
        write(
            LibraryRequestSpec(
                library: request.library, operation: request.operation, medium: request.medium, drive: request.drive,
                port: request.port, priority: request.priority, owner: request.owner))
        write(request.application)
        write(request.user)
        write(request.state.rawValue)
        write(request.queued)
        write(request.started != nil)
        write(request.started ?? 0)
        write(request.finished != nil)
        write(request.finished ?? 0)
        write(request.errorCode)
        write(request.message)
    }

    mutating func write(_ spec: LibraryRequestSpec) {
        write(spec.library)
        write(spec.operation.rawValue)
        write(spec.medium)
        write(spec.drive != nil)
        write(spec.drive ?? 0)
        write(spec.port != nil)
        write(spec.port ?? 0)
        write(Int64(spec.priority))
        write(spec.owner.bootID)
        write(spec.owner.processID)
        write(spec.owner.processStart)
        write(spec.owner.session)
    }
}

extension BinaryReader {
    mutating func readLibraryRequest() throws(PayloadDecodingError) -> LibraryRequest {
        let id: LibraryRequestID = try readID()
        let spec = try readLibraryRequestSpec()
        let application = try readString()
        let user = try readString()
        let state = try readEnum(LibraryRequestState.self)
        let queued = try readInt64()
        let hasStarted = try readBool()
        let started = try readInt64()
        let hasFinished = try readBool()
        let finished = try readInt64()
        return LibraryRequest(
            id: id, library: spec.library, operation: spec.operation, medium: spec.medium, drive: spec.drive,
            port: spec.port, priority: spec.priority, application: application, user: user, owner: spec.owner,
            state: state, queued: queued, started: hasStarted ? started : nil, finished: hasFinished ? finished : nil,
            errorCode: try readUInt32(),
            message: try readString())
    }

    mutating func readLibraryRequestSpec() throws(PayloadDecodingError) -> LibraryRequestSpec {
        let library: LibraryID = try readID()
        let operation = try readEnum(LibraryOperation.self)
        let medium: MediumID? = try readOptionalID()
        let hasDrive = try readBool()
        let drive = try readUInt32()
        let hasPort = try readBool()
        let port = try readUInt32()
        let priority = try readInt64()
        guard LibraryRequestPriority.range.contains(Int(clamping: priority)) else {
            throw PayloadDecodingError("work item priority \(priority) is outside -15...15")
        }
        let owner = WaiterToken(
            bootID: try readString(), processID: try readUInt32(), processStart: try readUInt64(),
            session: try readUInt64())
        return LibraryRequestSpec(
            library: library, operation: operation, medium: medium, drive: hasDrive ? drive : nil,
            port: hasPort ? port : nil, priority: Int(priority), owner: owner)
    }
}
