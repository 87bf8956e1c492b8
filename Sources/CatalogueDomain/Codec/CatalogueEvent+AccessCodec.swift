/// Payload encoding of the access events (type codes 28-29), in the event codec's style.
extension CatalogueEvent {
    func encodeAccess(into out: inout BinaryWriter) {
        switch self {
        case .accessListChanged(let e):
            out.write(e.object)
            out.write(e.list != nil)
            if let list = e.list { out.write(list) }
        case .accessDenied(let e):
            out.write(e.principal.user)
            out.write(UInt64(e.principal.groups.count))
            for group in e.principal.groups { out.write(group) }
            out.write(e.action)
            out.write(e.object)
            out.write(e.missing.rawValue)
        default:
            preconditionFailure("\(name) is not an access event")
        }
    }

    static func decodeAccess(_ type: EventType, _ r: inout BinaryReader) throws(PayloadDecodingError)
        -> CatalogueEvent
    {
        switch type {
        case .accessListChanged:
            let object = try r.readSecuredObject()
            let list = try r.readBool() ? try r.readAccessList() : nil
            return .accessListChanged(AccessListChanged(object: object, list: list))
        case .accessDenied:
            let user = try r.readString()
            let groupCount = try r.readUInt64()
            guard groupCount <= UInt64(r.remaining) else { throw PayloadDecodingError("truncated group list") }
            var groups: [String] = []
            for _ in 0..<groupCount { groups.append(try r.readString()) }
            return .accessDenied(
                AccessDenied(
                    principal: Principal(user: user, groups: groups), action: try r.readString(),
                    object: try r.readSecuredObject(), missing: AccessRights(rawValue: try r.readUInt8())))
        default:
            throw PayloadDecodingError("\(type.name) is not an access event")
        }
    }

    var accessFields: [EventField] {
        switch self {
        case .accessListChanged(let e):
            return [
                EventField("object", .text(e.object.description)),
                EventField("inherits", .flag(e.list == nil)),
                EventField("entries", .list((e.list?.entries ?? []).map(\.field))),
            ]
        case .accessDenied(let e):
            return [
                EventField("principal", .text(e.principal.user)),
                EventField("groups", .list(e.principal.groups.map(EventFieldValue.text))),
                EventField("action", .text(e.action)),
                EventField("object", .text(e.object.description)),
                EventField("missing", .list(e.missing.names.map(EventFieldValue.text))),
            ]
        default:
            return []
        }
    }

    var accessIdentifiers: [UInt64] {
        let object: SecuredObject
        switch self {
        case .accessListChanged(let e): object = e.object
        case .accessDenied(let e): object = e.object
        default: return []
        }
        switch object {
        case .catalogue: return []
        case .library(let id): return [id.rawValue]
        case .pool(let id): return [id.rawValue]
        }
    }
}

extension AccessEntry {
    /// The entry as an event field: `{trustee=user:alice rights=use,control}`.
    var field: EventFieldValue {
        .record([
            EventField("trustee", .text(trustee.description)),
            EventField("rights", .list(rights.names.map(EventFieldValue.text))),
        ])
    }
}

extension BinaryWriter {
    mutating func write(_ object: SecuredObject) {
        switch object {
        case .catalogue: write(UInt8(0))
        case .library(let id):
            write(UInt8(1))
            write(id)
        case .pool(let id):
            write(UInt8(2))
            write(id)
        }
    }

    mutating func write(_ list: AccessList) {
        write(UInt64(list.entries.count))
        for entry in list.entries {
            switch entry.trustee {
            case .user(let name):
                write(UInt8(0))
                write(name)
            case .group(let name):
                write(UInt8(1))
                write(name)
            case .everyone: write(UInt8(2))
            }
            write(entry.rights.rawValue)
        }
    }
}

extension BinaryReader {
    mutating func readSecuredObject() throws(PayloadDecodingError) -> SecuredObject {
        switch try readUInt8() {
        case 0: return .catalogue
        case 1: return .library(try readID())
        case 2: return .pool(try readID())
        case let tag: throw PayloadDecodingError("invalid secured object tag \(tag)")
        }
    }

    mutating func readAccessList() throws(PayloadDecodingError) -> AccessList {
        let count = try readUInt64()
        guard count <= UInt64(remaining) else { throw PayloadDecodingError("truncated access list") }
        var entries: [AccessEntry] = []
        for _ in 0..<count {
            let trustee: Trustee
            switch try readUInt8() {
            case 0: trustee = .user(try readString())
            case 1: trustee = .group(try readString())
            case 2: trustee = .everyone
            case let tag: throw PayloadDecodingError("invalid trustee tag \(tag)")
            }
            let rights = AccessRights(rawValue: try readUInt8())
            guard !rights.isEmpty, AccessRights.all.isSuperset(of: rights) else {
                throw PayloadDecodingError("invalid access rights \(rights.rawValue)")
            }
            entries.append(AccessEntry(trustee, rights))
        }
        let list = AccessList(entries)
        guard list.entries.count == entries.count else {
            throw PayloadDecodingError("an access list names a trustee twice")
        }
        return list
    }
}
