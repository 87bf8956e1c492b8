/// Payload encoding of the access events (type codes 28-29), in the event codec's style.
extension CatalogueEvent {
    func encodeAccess(into out: inout BinaryWriter) {
        switch self {
        case .accessListChanged(let e):
            out.write(e.object)
            out.write(e.list != nil)
            if let list = e.list { out.write(list) }
        case .accessDenied(let e):
            out.write(e.principal)
            out.write(e.action)
            out.write(e.object)
            out.write(e.missing.rawValue)
        case .tokenIssued(let e):
            out.write(e.token)
            out.write(e.principal)
            out.write(UInt64(e.secretHash.count))
            out.writeRaw(e.secretHash)
            out.write(e.expires != nil)
            if let expires = e.expires { out.write(expires) }
        case .tokenRevoked(let e):
            out.write(e.token)
            out.write(e.time)
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
            return .accessDenied(
                AccessDenied(
                    principal: try r.readPrincipal(), action: try r.readString(), object: try r.readSecuredObject(),
                    missing: AccessRights(rawValue: try r.readUInt8())))
        case .tokenIssued:
            let token: TokenID = try r.readID()
            let principal = try r.readPrincipal()
            let hashCount = try r.readUInt64()
            guard hashCount == 32 else { throw PayloadDecodingError("a token hash is 32 bytes, not \(hashCount)") }
            var hash: [UInt8] = []
            for _ in 0..<hashCount { hash.append(try r.readUInt8()) }
            let expires = try r.readBool() ? try r.readInt64() : nil
            return .tokenIssued(TokenIssued(token: token, principal: principal, secretHash: hash, expires: expires))
        case .tokenRevoked:
            return .tokenRevoked(TokenRevoked(token: try r.readID(), time: try r.readInt64()))
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
        case .tokenIssued(let e):
            // The hash is left out: it is no use to a reader and only helps a guesser.
            return [
                EventField("token", .text(e.token.description)), EventField("principal", .text(e.principal.user)),
                EventField("groups", .list(e.principal.groups.map(EventFieldValue.text))),
                EventField("expires", e.expires.map(EventFieldValue.time) ?? .absent),
            ]
        case .tokenRevoked(let e):
            return [EventField("token", .text(e.token.description)), EventField("time", .time(e.time))]
        default:
            return []
        }
    }

    var accessIdentifiers: [UInt64] {
        let object: SecuredObject
        switch self {
        case .accessListChanged(let e): object = e.object
        case .accessDenied(let e): object = e.object
        case .tokenIssued(let e): return [e.token.rawValue]
        case .tokenRevoked(let e): return [e.token.rawValue]
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
    mutating func write(_ principal: Principal) {
        write(principal.user)
        write(UInt64(principal.groups.count))
        for group in principal.groups { write(group) }
    }

    mutating func writeRaw(_ raw: [UInt8]) { for byte in raw { write(byte) } }

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
    mutating func readPrincipal() throws(PayloadDecodingError) -> Principal {
        let user = try readString()
        let count = try readUInt64()
        guard count <= UInt64(remaining) else { throw PayloadDecodingError("truncated group list") }
        var groups: [String] = []
        for _ in 0..<count { groups.append(try readString()) }
        return Principal(user: user, groups: groups)
    }

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
