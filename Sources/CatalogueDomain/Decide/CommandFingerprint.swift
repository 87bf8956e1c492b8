/// What an idempotency key is bound to: the kind of command and a canonical
/// encoding of its arguments. The engine keys stored answers by the caller and
/// the kind, and compares the arguments, so a key reused by another caller, for
/// another kind of command or with other arguments never returns someone
/// else's answer.
public struct CommandFingerprint: Sendable, Equatable {
    /// A stable name for the command's kind; an allocation that may wait and one
    /// that may not are the same kind, since a retry may change only the timeout.
    public var kind: String
    /// The arguments, encoded field by field in a fixed order. Part of the store
    /// format: a retry after an upgrade must produce the same bytes.
    public var arguments: [UInt8]
}

extension CatalogueCommand {
    /// The kind and arguments an idempotency key is bound to.
    public var fingerprint: CommandFingerprint {
        var out = BinaryWriter()
        let kind: String
        switch self {
        case .createCatalogue(let initialAccess):
            kind = "createCatalogue"
            if !initialAccess.isEmpty { out.write(AccessList(initialAccess)) }
        case .registerMediaType(let name, let sideCount):
            kind = "registerMediaType"
            out.write(name)
            out.write(Int64(sideCount))
        case .addLibrary(let name, let slots, let drives, let ports, let changer):
            kind = "addLibrary"
            out.write(name)
            out.write(Int64(slots))
            out.write(Int64(drives))
            out.write(Int64(ports))
            out.write(changer != nil)
            if let changer {
                out.write(changer.kind.rawValue)
                out.write(changer.device)
            }
        case .deleteLibrary(let library):
            kind = "deleteLibrary"
            out.write(library)
        case .createPool(let path, let mediaType, let policy):
            kind = "createPool"
            out.write(path)
            out.write(mediaType)
            out.write(policy)
        case .setPoolPolicy(let pool, let policy):
            kind = "setPoolPolicy"
            out.write(pool)
            out.write(policy)
        case .registerMedium(let barcode, let mediaType, let location, let label):
            kind = "registerMedium"
            out.write(barcode)
            out.write(mediaType)
            out.write(location)
            out.write(label.rawValue)
        case .deletePool(let pool):
            kind = "deletePool"
            out.write(pool)
        case .allocate(let request), .allocateOrWait(let request, _):
            kind = "allocate"
            out.write(request)
        case .deallocate(let logical):
            kind = "deallocate"
            out.write(logical)
        case .complete(let logical):
            kind = "complete"
            out.write(logical)
        case .decommission(let side):
            kind = "decommission"
            out.write(side)
        case .moveMedium(let medium, let pool):
            kind = "moveMedium"
            out.write(medium)
            out.write(pool)
        case .deleteMedium(let medium):
            kind = "deleteMedium"
            out.write(medium)
        case .serveWaitingAllocation(let request, let allocation):
            kind = "serveWaitingAllocation"
            out.write(request)
            out.write(allocation)
        case .submitRequest(let type, let message, let first, let second):
            kind = "submitRequest"
            out.write(type.rawValue)
            out.write(message)
            out.writeOptional(first)
            out.writeOptional(second)
        case .displayRequests(let ids):
            kind = "displayRequests"
            out.write(ids)
        case .acknowledgeRequest(let id):
            kind = "acknowledgeRequest"
            out.write(id)
        case .satisfyRequest(let id):
            kind = "satisfyRequest"
            out.write(id)
        case .cancelRequest(let id):
            kind = "cancelRequest"
            out.write(id)
        case .expireRequests(let ids):
            kind = "expireRequests"
            out.write(ids)
        case .abandonRequests(let ids, let reason):
            kind = "abandonRequests"
            out.write(ids)
            out.write(reason.rawValue)
        case .attachChanger(let library, let changer, let device):
            kind = "attachChanger"
            out.write(library)
            out.write(changer.rawValue)
            out.write(device)
        case .configureChanger(let library, let settings):
            kind = "configureChanger"
            out.write(library)
            out.write(settings)
        case .beginMount(let side, let drive):
            kind = "mount"
            out.write(side)
            out.writeOptional(drive.map(UInt64.init))
        case .beginDismount(let medium, let deferred):
            kind = "dismount"
            out.write(medium)
            out.write(deferred)
        case .beginInject(let library, let port, let barcode, let mediaType, let label, let onMediaLabel):
            kind = "inject"
            out.write(library)
            out.write(port)
            out.write(barcode)
            out.write(mediaType)
            out.write(label.rawValue)
            out.writeOptional(onMediaLabel)
        case .beginEject(let medium, let port):
            kind = "eject"
            out.write(medium)
            out.write(port)
        case .finishOperation(let operation, let result):
            kind = "finishOperation"
            out.write(operation)
            out.write(result)
        case .recordInventory(let library, let reading, let mediaType):
            kind = "inventory"
            out.write(library)
            out.write(reading.incomplete)
            out.write(UInt64(reading.elements.count))
            for element in reading.elements {
                out.write(element.location)
                out.write(element.isFull)
                out.writeOptional(element.barcode)
                out.writeOptional(element.onMediaLabel)
            }
            out.write(mediaType)
        case .grantAccess(let object, let trustee, let rights), .revokeAccess(let object, let trustee, let rights):
            if case .grantAccess = self { kind = "grantAccess" } else { kind = "revokeAccess" }
            out.write(object)
            out.write(AccessList([AccessEntry(trustee, .all)]))
            out.write(rights.rawValue)
        case .inheritAccess(let object):
            kind = "inheritAccess"
            out.write(object)
        case .issueToken(let principal, let secretHash, let expires):
            kind = "issueToken"
            out.write(principal)
            out.writeRaw(secretHash)
            out.writeOptional(expires.map { UInt64(bitPattern: $0) })
        case .revokeToken(let token):
            kind = "revokeToken"
            out.write(token)
        case .disable(let target, let serviceMessage):
            kind = "disable"
            out.write(target)
            out.writeOptional(serviceMessage)
        case .enable(let target):
            kind = "enable"
            out.write(target)
        case .changeMediaType(let medium, let pool):
            kind = "changeMediaType"
            out.write(medium)
            out.write(pool)
        case .deleteMediaType(let type):
            kind = "deleteMediaType"
            out.write(type)
        case .reserveCleanerSlot(let library, let slot):
            kind = "reserveCleanerSlot"
            out.write(library)
            out.write(slot)
        case .releaseCleanerSlot(let library):
            kind = "releaseCleanerSlot"
            out.write(library)
        case .beginCleanerInject(let library, let port, let barcode, let uses):
            kind = "injectCleaner"
            out.write(library)
            out.write(port)
            out.write(barcode)
            out.writeOptional(uses.map(UInt64.init))
        case .beginCleanerEject(let library, let port):
            kind = "ejectCleaner"
            out.write(library)
            out.write(port)
        case .beginClean(let drive, let automatic):
            kind = "clean"
            out.write(drive)
            out.write(automatic)
        case .beginCleanerReturn(let drive):
            kind = "returnCleaner"
            out.write(drive)
        case .requestCleaning(let drive):
            kind = "requestCleaning"
            out.write(drive)
        case .setCleaningInterval(let library, let mounts):
            kind = "setCleaningInterval"
            out.write(library)
            out.write(mounts)
        case .accessDoor(let library, let open):
            kind = "accessDoor"
            out.write(library)
            out.write(open)
        case .recordOnMediaIdentifier(let logicalMedium, let identifier):
            kind = "recordOnMediaIdentifier"
            out.write(logicalMedium)
            out.writeOptional(identifier)
        case .swapLogicalMedia(let first, let second):
            kind = "swapLogicalMedia"
            out.write(first)
            out.write(second)
        case .queueLibraryRequest(let spec):
            kind = "queueLibraryRequest"
            out.write(spec)
        case .libraryRequestStep(let request, let step):
            let inner = step.fingerprint
            kind = "libraryRequestStep:" + inner.kind
            out.write(request)
            for byte in inner.arguments { out.write(byte) }
        case .waitLibraryRequest(let request, let reason):
            kind = "waitLibraryRequest"
            out.write(request)
            out.write(reason)
        case .finishLibraryRequest(let request, let result):
            kind = "finishLibraryRequest"
            out.write(request)
            switch result {
            case .passed:
                out.write(UInt8(0))
            case .failed(let code, let message):
                out.write(UInt8(1))
                out.write(code)
                out.write(message)
            case .cancelled(let message):
                out.write(UInt8(2))
                out.write(message)
            }
        case .cancelLibraryRequest(let request):
            kind = "cancelLibraryRequest"
            out.write(request)
        case .reorderLibraryRequest(let request, let position):
            kind = "reorderLibraryRequest"
            out.write(request)
            switch position {
            case .first: out.write(UInt64(0))
            case .before(let other): out.write(other)
            }
        case .abandonLibraryRequests(let requests):
            kind = "abandonLibraryRequests"
            out.write(requests)
        }
        return CommandFingerprint(kind: kind, arguments: out.bytes)
    }
}

extension BinaryWriter {
    fileprivate mutating func write(_ request: AllocationRequest) {
        write(request.pool)
        write(request.side)
        write(request.new)
        write(request.next)
        write(request.errorIfUnavailable)
    }

    /// A presence byte, then the value: nil and 0 must differ.
    fileprivate mutating func writeOptional(_ value: UInt64?) {
        write(value != nil)
        if let value { write(value) }
    }

    fileprivate mutating func writeOptional(_ value: String?) {
        write(value != nil)
        if let value { write(value) }
    }

    fileprivate mutating func writeOptional(_ value: OnMediaIdentifier?) {
        write(value != nil)
        guard let value else { return }
        write(value.labelType)
        write(value.labelID)
        write(value.info)
    }
}
