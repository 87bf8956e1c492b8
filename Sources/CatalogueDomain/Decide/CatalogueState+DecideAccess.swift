/// One right a command needs on one object.
public struct AccessRequirement: Sendable, Equatable {
    public var object: SecuredObject
    public var rights: AccessRights

    public init(_ rights: AccessRights, on object: SecuredObject) {
        self.object = object
        self.rights = rights
    }
}

// Access rights as RSM (Server 2003 rules) has them: USE, MODIFY and CONTROL
// on the catalogue (RSM's computer), on each library and on each media pool.
// A library without its own list follows the catalogue's; a pool without one
// follows its nearest ancestor's that has one, else the catalogue's. CONTROL
// on the catalogue makes an administrator, who passes every check, as RSM's
// administrators do.
extension CatalogueState {
    /// The list that decides rights on `object`, and the object it belongs
    /// to (`object` itself, or what it inherits from). Nil for a store whose
    /// catalogue has no list yet (one opened read-only before its upgrade).
    public func governingAccessList(for object: SecuredObject) -> (list: AccessList, from: SecuredObject)? {
        var current = object
        var steps = 0
        while true {
            if let list = accessLists[current] { return (list, current) }
            switch current {
            case .catalogue: return nil
            case .library: current = .catalogue
            case .pool(let id):
                // The step limit only guards against a damaged state's parent loop.
                steps += 1
                if let parent = pools[id]?.parent, steps < 1_000 {
                    current = .pool(parent)
                } else {
                    current = .catalogue
                }
            }
        }
    }

    /// The rights `principal` holds on `object`: all of them for an administrator.
    public func rights(of principal: Principal, on object: SecuredObject) -> AccessRights {
        if accessLists[.catalogue]?.rights(of: principal).contains(.control) == true { return .all }
        return governingAccessList(for: object)?.list.rights(of: principal) ?? []
    }

    /// Whether `principal` administers the catalogue (holds CONTROL on it).
    public func isAdministrator(_ principal: Principal) -> Bool {
        accessLists[.catalogue]?.rights(of: principal).contains(.control) == true
    }

    /// The refusal `decide` would give `command` for want of a right, as the
    /// event that records it; nil when the principal holds every right needed,
    /// when the command comes from the engine itself (no principal), or when
    /// an object it names does not exist (`decide` then says so).
    public func accessDenial(for command: CatalogueCommand, context: DecisionContext) -> AccessDenied? {
        guard let principal = context.principal, creation != nil else { return nil }
        for requirement in accessRequirements(for: command) {
            let missing = requirement.rights.subtracting(rights(of: principal, on: requirement.object))
            if !missing.isEmpty {
                return AccessDenied(
                    principal: principal, action: command.actionName, object: requirement.object, missing: missing)
            }
        }
        return nil
    }

    /// The error for a denial, naming who lacks which right on what.
    public func error(for denial: AccessDenied) -> NtmsError {
        NtmsError(
            .accessDenied,
            "\(denial.principal.user) may not \(denial.action): it needs \(denial.missing.names.joined(separator: " and ")) "
                + "on \(displayName(of: denial.object))")
    }

    /// `the catalogue`, `library Robot`, `pool \Backup`, or the identifier of a deleted object.
    public func displayName(of object: SecuredObject) -> String {
        switch object {
        case .catalogue: "the catalogue"
        case .library(let id): libraries[id].map { "library \($0.name)" } ?? "library \(id)"
        case .pool(let id): pools[id].map { "pool \($0.path)" } ?? "pool \(id)"
        }
    }

    /// The rights a command needs, per the table in `docs/ntms-mapping.md`.
    /// Objects that do not exist are left out: the command fails on them anyway.
    public func accessRequirements(for command: CatalogueCommand) -> [AccessRequirement] {
        switch command {
        case .createCatalogue:
            return []
        case .registerMediaType:
            return [AccessRequirement(.modify, on: .catalogue)]
        case .addLibrary, .deleteLibrary:
            return [AccessRequirement(.control, on: .catalogue)]
        case .createPool(let path, _, _):
            guard let separator = path.lastIndex(of: "\\"), separator != path.startIndex else {
                return [AccessRequirement(.control, on: .catalogue)]
            }
            return pool(atPath: String(path[..<separator])).map { [AccessRequirement(.control, on: .pool($0.id))] }
                ?? []
        case .setPoolPolicy(let pool, _), .deletePool(let pool):
            return [AccessRequirement(.modify, on: .pool(pool))]
        case .registerMedium(_, _, let location, _):
            guard let library = location.library ?? offlineLibrary else { return [] }
            return [AccessRequirement(.control, on: .library(library))]
        case .allocate(let request), .allocateOrWait(let request, _):
            return allocationRequirements(request)
        case .deallocate(let lmid):
            guard let pool = logicalMedia[lmid].flatMap({ sides[$0.side] }).flatMap({ media[$0.medium] })?.pool else {
                return []
            }
            var needs = [AccessRequirement(.control, on: .pool(pool))]
            if pools[pool]?.policy.deallocateToScratch == true, let free = freePool(servedBy: pool) {
                needs.append(AccessRequirement(.use, on: .pool(free)))
            }
            return needs
        case .complete(let lmid):
            return poolRequirement(.control, ofSide: logicalMedia[lmid]?.side)
        case .decommission(let side):
            return poolRequirement(.control, ofSide: side)
        case .moveMedium(let mediumID, let target):
            guard let medium = media[mediumID] else { return [] }
            let sourceIsFree = pools[medium.pool]?.type == .free
            return [
                AccessRequirement(sourceIsFree ? .use : .control, on: .pool(medium.pool)),
                AccessRequirement(.control, on: .pool(target)),
            ]
        case .deleteMedium(let mediumID):
            guard let medium = media[mediumID] else { return [] }
            return [AccessRequirement(.modify, on: .pool(medium.pool)), AccessRequirement(.modify, on: .catalogue)]
        case .submitRequest(let type, _, let first, _):
            switch type {
            case .newMedia, .moveMedia:
                guard let first, pools[PoolID(first)] != nil else { return [AccessRequirement(.use, on: .catalogue)] }
                return [AccessRequirement(.control, on: .pool(PoolID(first)))]
            case .cleaner, .deviceService:
                guard let first, libraries[LibraryID(first)] != nil else {
                    return [AccessRequirement(.use, on: .catalogue)]
                }
                return [AccessRequirement(.control, on: .library(LibraryID(first)))]
            case .message:
                return [AccessRequirement(.use, on: .catalogue)]
            }
        case .displayRequests:
            return [AccessRequirement(.use, on: .catalogue)]
        case .acknowledgeRequest, .satisfyRequest, .cancelRequest:
            return [AccessRequirement(.control, on: .catalogue)]
        case .serveWaitingAllocation, .expireRequests, .abandonRequests:
            // The engine's own housekeeping, which it decides without a principal.
            return [AccessRequirement(.control, on: .catalogue)]
        case .attachChanger(let library, _, _), .configureChanger(let library, _),
            .beginInject(let library, _, _, _, _, _), .recordInventory(let library, _, _), .accessDoor(let library, _),
            .reserveCleanerSlot(let library, _), .releaseCleanerSlot(let library),
            .beginCleanerInject(let library, _, _, _), .beginCleanerEject(let library, _),
            .setCleaningInterval(let library, _):
            return [AccessRequirement(.control, on: .library(library))]
        case .beginMount(let sideID, _):
            guard let side = sides[sideID], let medium = media[side.medium] else { return [] }
            return mountRequirements(medium)
        case .beginDismount(let mediumID, _):
            guard let medium = media[mediumID] else { return [] }
            return mountRequirements(medium)
        case .beginEject(let mediumID, _):
            guard let library = media[mediumID]?.location.library else { return [] }
            return [AccessRequirement(.control, on: .library(library))]
        case .finishOperation(let operationID, _):
            guard let operation = operations[operationID] else { return [] }
            let right: AccessRights =
                [.mount, .dismount, .clean, .returnCleaner].contains(operation.task) ? .use : .control
            return [AccessRequirement(right, on: .library(operation.library))]
        case .grantAccess(let object, _, _), .revokeAccess(let object, _, _):
            return [AccessRequirement(.control, on: object)]
        case .inheritAccess(let object):
            return [AccessRequirement(.control, on: object)]
        case .issueToken, .revokeToken:
            return [AccessRequirement(.control, on: .catalogue)]
        case .disable(let target, _), .enable(let target):
            // Server 2003's rule: MODIFY on the library that holds the object (the shelf for an offline medium).
            let library: LibraryID? =
                switch target {
                case .library(let id): id
                case .drive(let address): address.library
                case .medium(let id): media[id].flatMap { $0.location.library ?? offlineLibrary }
                }
            guard let library, libraries[library] != nil else { return [] }
            // Raising a DEVICESERVICE request as well takes what submitting one does.
            if case .disable(_, .some) = command {
                return [AccessRequirement([.modify, .control], on: .library(library))]
            }
            return [AccessRequirement(.modify, on: .library(library))]
        case .changeMediaType(let mediumID, let target):
            // As MoveToNtmsMediaPool.
            return accessRequirements(for: .moveMedium(mediumID, to: target))
        case .deleteMediaType:
            return [AccessRequirement(.modify, on: .catalogue)]
        case .beginClean(let drive, let automatic):
            // Before a mount, the mount's own right (USE on the library) suffices; asked for, it is control.
            return [AccessRequirement(automatic ? .use : .control, on: .library(drive.library))]
        case .requestCleaning(let drive), .beginCleanerReturn(let drive):
            // A return is the recovery any robot user's inventory may need.
            return [AccessRequirement(.use, on: .library(drive.library))]
        case .recordOnMediaIdentifier(let logicalMedium, _):
            // The side's owner reports what it wrote: as SetNtmsMediaComplete.
            return poolRequirement(.control, ofSide: logicalMedia[logicalMedium]?.side)
        case .swapLogicalMedia(let first, let second):
            return poolRequirement(.control, ofSide: logicalMedia[first]?.side)
                + poolRequirement(.control, ofSide: logicalMedia[second]?.side)
        case .queueLibraryRequest(let spec):
            // Each step is checked as itself; queueing is what any robot user does first.
            return libraries[spec.library] == nil ? [] : [AccessRequirement(.use, on: .library(spec.library))]
        case .libraryRequestStep(_, let step):
            return accessRequirements(for: step)
        case .waitLibraryRequest(let id, _), .finishLibraryRequest(let id, _):
            guard let library = libraryRequests[id]?.library else { return [] }
            return [AccessRequirement(.use, on: .library(library))]
        case .cancelLibraryRequest(let id), .reorderLibraryRequest(let id, _):
            guard let library = libraryRequests[id]?.library else { return [] }
            return [AccessRequirement(.control, on: .library(library))]
        case .abandonLibraryRequests:
            return [AccessRequirement(.control, on: .catalogue)]
        }
    }

    /// AllocateNtmsMedia: CONTROL on the target pool; USE on the free pool when
    /// the side comes from scratch; CONTROL on any other pool it comes from.
    private func allocationRequirements(_ request: AllocationRequest) -> [AccessRequirement] {
        guard let target = pools[request.pool] else { return [] }
        var needs = [AccessRequirement(.control, on: .pool(target.id))]
        if let sideID = request.side {
            if let source = sides[sideID].flatMap({ media[$0.medium] })?.pool, source != target.id {
                needs.append(AccessRequirement(pools[source]?.type == .free ? .use : .control, on: .pool(source)))
            }
        } else if request.next == nil, target.policy.allocateFromScratch,
            firstCandidate(in: target.id, wholeMedium: request.new) == nil,
            let free = freePool(servedBy: target.id)
        {
            needs.append(AccessRequirement(.use, on: .pool(free)))
        }
        return needs
    }

    private func poolRequirement(_ rights: AccessRights, ofSide sideID: SideID?) -> [AccessRequirement] {
        guard let sideID, let pool = sides[sideID].flatMap({ media[$0.medium] })?.pool else { return [] }
        return [AccessRequirement(rights, on: .pool(pool))]
    }

    /// MountNtmsMedia and DismountNtmsMedia: USE on the medium's pool and its library.
    private func mountRequirements(_ medium: Medium) -> [AccessRequirement] {
        var needs = [AccessRequirement(.use, on: .pool(medium.pool))]
        if let library = medium.location.library { needs.append(AccessRequirement(.use, on: .library(library))) }
        return needs
    }

    /// The free pool of a pool's media type.
    private func freePool(servedBy pool: PoolID) -> PoolID? {
        pools[pool]?.mediaType.flatMap { mediaTypes[$0]?.freePool }
    }

    // MARK: Changing access lists

    func decideAccessChange(_ command: CatalogueCommand, context: DecisionContext) throws(NtmsError) -> Decision {
        switch command {
        case .grantAccess(let object, let trustee, let rights), .revokeAccess(let object, let trustee, let rights):
            try validateAccessObject(object)
            let granting = if case .grantAccess = command { true } else { false }
            // The first change to an object that inherits starts from what it
            // inherited, so nobody loses a right through someone else's grant.
            let current = accessLists[object] ?? governingAccessList(for: object)?.list ?? AccessList()
            // An entry already there may always lose rights, whatever its name.
            if granting || !current.entries.contains(where: { $0.trustee == trustee }) {
                try validateEntry(AccessEntry(trustee, rights))
            } else if rights.isEmpty || !AccessRights.all.isSuperset(of: rights) {
                throw NtmsError(.invalidParameter, "name at least one right: use, modify, control or all")
            }
            let changed = current.changing(trustee, rights, granting: granting)
            if object == .catalogue, !changed.entries.contains(where: { $0.rights.contains(.control) }) {
                throw NtmsError(
                    .invalidOperation,
                    "that would leave nobody with control of the catalogue; grant control to another trustee first")
            }
            guard changed != accessLists[object] else { return Decision(events: [], outcome: .done) }
            return Decision(
                events: [.accessListChanged(AccessListChanged(object: object, list: changed))], outcome: .done)
        case .inheritAccess(let object):
            try validateAccessObject(object)
            guard object != .catalogue else {
                throw NtmsError(.invalidParameter, "the catalogue inherits from nothing; it always has its own list")
            }
            guard accessLists[object] != nil else { return Decision(events: [], outcome: .done) }
            return Decision(events: [.accessListChanged(AccessListChanged(object: object, list: nil))], outcome: .done)
        default:
            preconditionFailure("not an access change")
        }
    }

    private func validateAccessObject(_ object: SecuredObject) throws(NtmsError) {
        switch object {
        case .catalogue: return
        case .library(let id):
            guard libraries[id] != nil else { throw NtmsError(.invalidLibrary, "no library \(id)") }
        case .pool(let id):
            guard pools[id] != nil else { throw NtmsError(.invalidMediaPool, "no pool \(id)") }
        }
    }

    /// A trustee with an acceptable name and at least one known right.
    func validateEntry(_ entry: AccessEntry) throws(NtmsError) {
        try validateTrustee(entry.trustee)
        guard !entry.rights.isEmpty, AccessRights.all.isSuperset(of: entry.rights) else {
            throw NtmsError(.invalidParameter, "name at least one right: use, modify, control or all")
        }
    }

    private func validateTrustee(_ trustee: Trustee) throws(NtmsError) {
        switch trustee {
        case .everyone: return
        case .user(let name), .group(let name):
            guard Trustee.isValidName(name) else {
                throw NtmsError(
                    .invalidName,
                    "a user or group name is 1 to \(Trustee.maximumNameLength) bytes of displayable text, not "
                        + "\"\(TextRules.preview(name))\"")
            }
        }
    }
}

extension CatalogueCommand {
    /// The NTMS function a command stands for, or the `mediactl` operation
    /// for one beyond RSM: what an `AccessDenied` event says was refused.
    public var actionName: String {
        switch self {
        case .createCatalogue: "init"
        case .registerMediaType: "AddNtmsMediaType"
        case .addLibrary: "library add"
        case .deleteLibrary: "library delete"
        case .createPool: "CreateNtmsMediaPool"
        case .setPoolPolicy: "SetNtmsObjectInformation"
        case .registerMedium: "media add"
        case .deletePool: "DeleteNtmsMediaPool"
        case .allocate, .allocateOrWait: "AllocateNtmsMedia"
        case .deallocate: "DeallocateNtmsMedia"
        case .complete: "SetNtmsMediaComplete"
        case .decommission: "DecommissionNtmsMedia"
        case .moveMedium: "MoveToNtmsMediaPool"
        case .deleteMedium: "DeleteNtmsMedia"
        case .serveWaitingAllocation: "serve waiting allocation"
        case .submitRequest: "SubmitNtmsOperatorRequest"
        case .displayRequests: "request display"
        case .acknowledgeRequest: "request acknowledge"
        case .satisfyRequest: "SatisfyNtmsOperatorRequest"
        case .cancelRequest: "CancelNtmsOperatorRequest"
        case .expireRequests: "expire requests"
        case .abandonRequests: "abandon requests"
        case .attachChanger: "library attach"
        case .configureChanger: "library set"
        case .beginMount: "MountNtmsMedia"
        case .beginDismount: "DismountNtmsMedia"
        case .beginInject: "InjectNtmsMedia"
        case .beginEject: "EjectNtmsMedia"
        case .finishOperation: "finish robot operation"
        case .recordInventory: "InventoryNtmsLibrary"
        case .grantAccess, .revokeAccess, .inheritAccess: "SetNtmsObjectSecurity"
        case .issueToken: "token create"
        case .revokeToken: "token revoke"
        case .disable: "DisableNtmsObject"
        case .enable: "EnableNtmsObject"
        case .changeMediaType: "ChangeNtmsMediaType"
        case .deleteMediaType: "DeleteNtmsMediaType"
        case .swapLogicalMedia: "SwapNtmsMedia"
        case .recordOnMediaIdentifier: "UpdateNtmsOmidInfo"
        case .accessDoor: "AccessNtmsLibraryDoor"
        case .reserveCleanerSlot: "ReserveNtmsCleanerSlot"
        case .releaseCleanerSlot: "ReleaseNtmsCleanerSlot"
        case .beginCleanerInject: "InjectNtmsCleaner"
        case .beginCleanerEject: "EjectNtmsCleaner"
        case .beginClean: "CleanNtmsDrive"
        case .requestCleaning: "drive needs cleaning"
        case .beginCleanerReturn: "return cleaner"
        case .setCleaningInterval: "cleaning interval"
        case .queueLibraryRequest: "queue work item"
        case .libraryRequestStep(_, let step): step.actionName
        case .waitLibraryRequest: "wait for a drive"
        case .finishLibraryRequest: "finish work item"
        case .cancelLibraryRequest: "CancelNtmsLibraryRequest"
        case .reorderLibraryRequest: "SetNtmsRequestOrder"
        case .abandonLibraryRequests: "abandon work items"
        }
    }
}
