import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation
import Hummingbird
import NIOCore

extension APIRouteTable {
    mutating func addCommandRoutes() {
        add(
            .post, "/v1/media-types", "Register a media type (AddNtmsMediaType).", access: "modify on the catalogue",
            body: "MediaTypeBody", created: true, response: "media_type"
        ) { call in
            let body = try await call.body(MediaTypeBody.self)
            let id = try await call.session().registerMediaType(
                name: body.name, sides: body.sides, idempotencyKey: call.idempotencyKey)
            let state = call.catalogue.snapshot.state
            return jsonResponse(MediaTypeJSON(try present(state.mediaTypes[id]), state))
        }
        add(
            .post, "/v1/libraries", "Add an online library, with its changer.", access: "control on the catalogue",
            body: "LibraryBody", created: true, response: "library"
        ) { call in
            let body = try await call.body(LibraryBody.self)
            let session = try call.session()
            let id: LibraryID
            if let driver = body.driver {
                // An mtx changer tells the sizes not given.
                id = try await session.addLibrary(
                    name: body.name, changer: try ChangerAttachment(driver: driver, device: body.device),
                    slots: body.slots, drives: body.drives, ports: body.ports, checkingGeometry: body.no_check != true)
            } else {
                guard let slots = body.slots, let drives = body.drives else {
                    throw NtmsError(.invalidParameter, "slots and drives are needed unless the driver is mtx")
                }
                id = try await session.addLibrary(name: body.name, slots: slots, drives: drives, ports: body.ports ?? 0)
            }
            return jsonResponse(LibraryJSON(try present(call.catalogue.snapshot.state.libraries[id])))
        }
        add(
            .put, "/v1/libraries/{library}/changer", "Give a library a changer, or change it.",
            access: "control on the library", body: "ChangerBody", response: "library"
        ) { call in
            let body = try await call.body(ChangerBody.self)
            let library = try NameResolver(state: call.catalogue.snapshot.state).library(try call.parameter("library"))
            let changer = try ChangerAttachment(driver: body.driver, device: body.device)
            try await call.session().attachChanger(
                library.id, kind: changer.kind, device: changer.device, checkingGeometry: body.no_check != true,
                settings: try body.settings?.applied(to: library.changerSettings))
            return jsonResponse(LibraryJSON(try present(call.catalogue.snapshot.state.libraries[library.id])))
        }
        add(
            .put, "/v1/libraries/{library}/changer/settings",
            "Set how an mtx changer is driven: mtx binary, inventory before status, offline before unload, timeouts.",
            access: "control on the library", body: "ChangerSettingsBody", response: "library"
        ) { call in
            let body = try await call.body(ChangerSettingsBody.self)
            let library = try NameResolver(state: call.catalogue.snapshot.state).library(try call.parameter("library"))
            try await call.session().configureChanger(library.id, try body.applied(to: library.changerSettings))
            return jsonResponse(LibraryJSON(try present(call.catalogue.snapshot.state.libraries[library.id])))
        }
        add(
            .delete, "/v1/libraries/{library}", "Delete an empty online library.", access: "control on the catalogue",
            response: "deleted_library"
        ) { call in
            let library = try NameResolver(state: call.catalogue.snapshot.state).library(try call.parameter("library"))
            try await call.session().deleteLibrary(library.id)
            return jsonResponse(DeletedLibraryJSON(library))
        }
        add(
            .post, "/v1/pools", "Create a pool (CreateNtmsMediaPool).",
            access: "control on the parent pool (the catalogue for a top-level pool)", body: "PoolBody",
            created: true, response: "pool"
        ) { call in
            let body = try await call.body(PoolBody.self)
            let state = call.catalogue.snapshot.state
            let type = try body.media_type.map { try NameResolver(state: state).mediaType($0).id }
            let policy = PoolPolicy(
                allocateFromScratch: body.from_scratch ?? false, deallocateToScratch: body.to_scratch ?? false,
                maxAllocates: body.max_allocates ?? 0)
            let id = try await call.session().createPool(
                path: body.path, mediaType: type, policy: policy, idempotencyKey: call.idempotencyKey)
            let after = call.catalogue.snapshot.state
            return jsonResponse(PoolJSON(try present(after.pools[id]), after))
        }
        add(
            .put, "/v1/pools/{pool}/policy", "Change a pool's policy (SetNtmsObjectInformation).",
            access: "modify on the pool", body: "PoolPolicyBody", response: "pool"
        ) { call in
            let body = try await call.body(PoolPolicyBody.self)
            let pool = try NameResolver(state: call.catalogue.snapshot.state).pool(try call.parameter("pool"))
            let policy = PoolPolicy(
                allocateFromScratch: body.from_scratch ?? pool.policy.allocateFromScratch,
                deallocateToScratch: body.to_scratch ?? pool.policy.deallocateToScratch,
                maxAllocates: body.max_allocates ?? pool.policy.maxAllocates)
            try await call.session().setPoolPolicy(pool.id, policy, idempotencyKey: call.idempotencyKey)
            let state = call.catalogue.snapshot.state
            return jsonResponse(PoolJSON(try present(state.pools[pool.id]), state))
        }
        add(
            .delete, "/v1/pools/{pool}", "Delete an empty application pool (DeleteNtmsMediaPool).",
            access: "modify on the pool", response: "deleted_pool"
        ) { call in
            let pool = try NameResolver(state: call.catalogue.snapshot.state).pool(try call.parameter("pool"))
            try await call.session().deletePool(pool.id)
            return jsonResponse(DeletedPoolJSON(pool))
        }
        add(
            .post, "/v1/media", "Register a medium in a slot or on the shelf.",
            access: "control on its library", body: "MediumBody", created: true, response: "medium"
        ) { call in
            let body = try await call.body(MediumBody.self)
            let names = NameResolver(state: call.catalogue.snapshot.state)
            let location: MediumLocation
            if let library = body.library {
                guard let slot = body.slot else {
                    throw NtmsError(.invalidParameter, "a medium in a library needs slot")
                }
                location = .slot(try names.library(library).id, slot)
            } else {
                location = .shelf
            }
            let id = try await call.session().registerMedium(
                barcode: body.barcode, mediaType: try names.mediaType(body.media_type).id, location: location,
                label: try MediaLabel(apiName: body.label), idempotencyKey: call.idempotencyKey)
            let state = call.catalogue.snapshot.state
            return jsonResponse(MediumJSON(try present(state.media[id]), state))
        }
        add(
            .delete, "/v1/media/{medium}", "Delete an offline medium (DeleteNtmsMedia).",
            access: "modify on its pool and on the catalogue", response: "deleted_medium"
        ) { call in
            let medium = try NameResolver(state: call.catalogue.snapshot.state).medium(try call.parameter("medium"))
            try await call.session().deleteMedium(medium.id)
            return jsonResponse(DeletedMediumJSON(medium))
        }
        add(
            .post, "/v1/media/{medium}/move",
            "Move a medium to another pool (MoveToNtmsMediaPool); with change_type, to a pool of another "
                + "media type, whose type it takes (ChangeNtmsMediaType).",
            access: "control on both pools (use on a free source)", body: "MoveBody", response: "medium"
        ) { call in
            let body = try await call.body(MoveBody.self)
            let names = NameResolver(state: call.catalogue.snapshot.state)
            let medium = try names.medium(try call.parameter("medium"))
            let pool = try names.pool(body.pool).id
            if body.change_type == true {
                try await call.session().changeMediaType(medium.id, to: pool, idempotencyKey: call.idempotencyKey)
            } else {
                try await call.session().move(medium.id, to: pool, idempotencyKey: call.idempotencyKey)
            }
            let state = call.catalogue.snapshot.state
            return jsonResponse(MediumJSON(try present(state.media[medium.id]), state))
        }
        add(
            .delete, "/v1/media-types/{type}",
            "Delete a media type no medium or application pool uses, with its system pools (DeleteNtmsMediaType).",
            access: "modify on the catalogue", response: "deleted_media_type"
        ) { call in
            let type = try NameResolver(state: call.catalogue.snapshot.state).mediaType(try call.parameter("type"))
            try await call.session().deleteMediaType(type.id, idempotencyKey: call.idempotencyKey)
            return jsonResponse(DeletedMediaTypeJSON(type))
        }
        add(
            .post, "/v1/lmids/{lmid}/omid",
            "Record the label the application wrote on the side behind a logical medium (UpdateNtmsOmidInfo).",
            access: "control on its pool", body: "OnMediaLabelBody", response: "side"
        ) { call in
            let body = try await call.body(OnMediaLabelBody.self)
            let logical = try NameResolver(state: call.catalogue.snapshot.state).logicalMedium(
                try call.parameter("lmid"))
            try await call.session().updateOnMediaIdentifier(
                logical.id, body.identifier, idempotencyKey: call.idempotencyKey)
            return try Self.side(logical.side, call)
        }
        add(
            .post, "/v1/lmids/{lmid}/swap", "Swap the sides behind two logical media of one pool (SwapNtmsMedia).",
            access: "control on their pool", body: "SwapBody", response: "swap"
        ) { call in
            let body = try await call.body(SwapBody.self)
            let names = NameResolver(state: call.catalogue.snapshot.state)
            let first = try names.logicalMedium(try call.parameter("lmid")).id
            let second = try names.logicalMedium(body.with).id
            try await call.session().swap(first, second, idempotencyKey: call.idempotencyKey)
            return jsonResponse(try present(SwapJSON(first, second, call.catalogue.snapshot.state)))
        }
        addAllocationRoutes()
        addRequestRoutes()
        addRobotRoutes()
    }

    private mutating func addAllocationRoutes() {
        add(
            .post, "/v1/allocations",
            "Allocate a side (AllocateNtmsMedia); with timeout_ms, wait for an operator to supply media.",
            access: "control on the pool; use on its free pool when drawing from scratch", body: "AllocationBody",
            created: true, response: "allocation"
        ) { call in
            let body = try await call.body(AllocationBody.self)
            let names = NameResolver(state: call.catalogue.snapshot.state)
            if body.new == true, body.next != nil {
                throw NtmsError(.invalidParameter, "new and next cannot be combined")
            }
            let request = AllocationRequest(
                pool: try names.pool(body.pool).id, side: try body.side.map { try names.side($0).id },
                new: body.new ?? false, next: try body.next.map { try names.logicalMedium($0).id },
                errorIfUnavailable: body.error_if_unavailable ?? false)
            let allocation = try await call.withWaitingSession(timeoutMilliseconds: body.timeout_ms) {
                session, timeout in
                try await session.allocate(request, timeout: timeout, idempotencyKey: call.idempotencyKey)
            }
            return jsonResponse(AllocationJSON(allocation, call.catalogue.snapshot.state))
        }
        add(
            .post, "/v1/lmids/{lmid}/deallocate", "Give an allocated side back (DeallocateNtmsMedia).",
            access: "control on the pool", response: "side"
        ) { call in
            let logical = try NameResolver(state: call.catalogue.snapshot.state).logicalMedium(
                try call.parameter("lmid"))
            try await call.session().deallocate(logical.id, idempotencyKey: call.idempotencyKey)
            return try Self.side(logical.side, call)
        }
        add(
            .post, "/v1/lmids/{lmid}/complete", "Mark an allocated side full (SetNtmsMediaComplete).",
            access: "control on the pool", response: "side"
        ) { call in
            let logical = try NameResolver(state: call.catalogue.snapshot.state).logicalMedium(
                try call.parameter("lmid"))
            try await call.session().complete(logical.id, idempotencyKey: call.idempotencyKey)
            return try Self.side(logical.side, call)
        }
        add(
            .post, "/v1/sides/{side}/decommission", "Retire an AVAILABLE side (DecommissionNtmsMedia).",
            access: "control on the pool", response: "side"
        ) { call in
            let side = try NameResolver(state: call.catalogue.snapshot.state).side(try call.parameter("side"))
            try await call.session().decommission(side.id, idempotencyKey: call.idempotencyKey)
            return try Self.side(side.id, call)
        }
    }

    private static func side(_ id: SideID, _ call: APICall) throws -> Response {
        let state = call.catalogue.snapshot.state
        guard let side = state.sides[id], let medium = state.media[side.medium] else {
            throw NtmsError(.invalidMedia, "no side \(id)")
        }
        return jsonResponse(SideJSON(side, medium, state))
    }

    private mutating func addRequestRoutes() {
        add(
            .post, "/v1/requests", "Submit an operator request (SubmitNtmsOperatorRequest).",
            access: "control on the pool or library named; use on the catalogue for a message",
            body: "OperatorRequestBody",
            created: true, response: "request"
        ) { call in
            let body = try await call.body(OperatorRequestBody.self)
            let names = NameResolver(state: call.catalogue.snapshot.state)
            let type =
                try body.type.map {
                    guard let type = OperatorRequestType(name: $0.uppercased()) else {
                        throw NtmsError(
                            .invalidParameter,
                            "type is NEWMEDIA, CLEANER, DEVICESERVICE, MOVEMEDIA or MESSAGE, not \"\(TextRules.preview($0))\""
                        )
                    }
                    return type
                } ?? .message
            let argument: UInt64? =
                try body.pool.map { try names.pool($0).id.rawValue }
                ?? body.medium.map { try names.medium($0).id.rawValue }
                ?? body.library.map { try names.library($0).id.rawValue }
            let id = try await call.session().submitRequest(
                type, message: body.message, firstArgument: argument, idempotencyKey: call.idempotencyKey)
            let state = call.catalogue.snapshot.state
            return jsonResponse(RequestJSON(try present(state.requests[id]), state))
        }
        for (action, summary, access) in [
            ("display", "An operator console shows a request (SUBMITTED to ACTIVE).", "use on the catalogue"),
            ("ack", "Acknowledge a request (INPROGRESS).", "control on the catalogue"),
            ("satisfy", "Satisfy a request (SatisfyNtmsOperatorRequest).", "control on the catalogue"),
            ("cancel", "Refuse a request (CancelNtmsOperatorRequest).", "control on the catalogue"),
        ] {
            add(.post, "/v1/requests/{request}/\(action)", summary, access: access, response: "request") { call in
                let id = try Self.request(call)
                let session = try call.session()
                switch action {
                case "display": try await session.displayRequests([id])
                case "ack": try await session.acknowledgeRequest(id)
                case "satisfy": try await session.satisfyRequest(id)
                default: try await session.cancelRequest(id)
                }
                let state = call.catalogue.snapshot.state
                return jsonResponse(RequestJSON(try present(state.requests[id]), state))
            }
        }
        add(
            .get, "/v1/requests/{request}/wait", "Wait until a request is finished (WaitForNtmsOperatorRequest).",
            access: "use on the catalogue", response: "request",
            query: [("timeout_ms", "milliseconds to wait (default 0: answer at once; 4294967295: forever)")]
        ) { call in
            _ = try call.requireReader()
            let id = try Self.request(call)
            let timeout: WaitTimeout =
                switch call.query("timeout_ms").map({ UInt32($0) }) {
                case nil: .none
                case .some(nil): throw NtmsError(.invalidParameter, "timeout_ms is a whole number of milliseconds")
                case .some(.some(UInt32.max)): .infinite
                case .some(.some(let milliseconds)): .milliseconds(milliseconds)
                }
            let request = try await call.catalogue.waitForRequest(id, timeout: timeout)
            return jsonResponse(RequestJSON(request, call.catalogue.snapshot.state))
        }
    }

    private static func request(_ call: APICall) throws -> OperatorRequestID {
        let text = try call.parameter("request")
        guard text.hasPrefix("request-"), let number = UInt64(text.dropFirst("request-".count)),
            call.catalogue.snapshot.state.requests[OperatorRequestID(number)] != nil
        else { throw NtmsError(.objectNotFound, "no operator request \(TextRules.preview(text))") }
        return OperatorRequestID(number)
    }

    private mutating func addRobotRoutes() {
        add(
            .post, "/v1/mount", "Mount a side (MountNtmsMedia).", access: "use on its pool and its library",
            body: "MountBody", response: "mount"
        ) { call in
            let body = try await call.body(MountBody.self)
            let names = NameResolver(state: call.catalogue.snapshot.state)
            // An LMID's own error (unknown, deallocated) is the one to answer, not a side name's format.
            let side =
                LogicalMediumID(body.side) != nil
                ? try names.logicalMedium(body.side).side : try names.side(body.side).id
            let result = try await call.withWaitingSession(timeoutMilliseconds: body.timeout_ms) { session, timeout in
                try await session.mount(
                    side, drive: body.drive, timeout: timeout, priority: body.priority ?? LibraryRequestPriority.normal)
            }
            return jsonResponse(MountJSON(side: side, result: result, call.catalogue.snapshot.state))
        }
        add(
            .post, "/v1/dismount", "Dismount a medium (DismountNtmsMedia).", access: "use on its pool and its library",
            body: "DismountBody", response: "medium_moved"
        ) { call in
            let body = try await call.body(DismountBody.self)
            let state = call.catalogue.snapshot.state
            let names = NameResolver(state: state)
            let medium =
                try (try? names.logicalMedium(body.medium)).flatMap { state.sides[$0.side]?.medium }
                ?? names.medium(body.medium).id
            try await call.session().dismount(medium, deferred: body.deferred ?? false)
            let after = call.catalogue.snapshot.state
            return jsonResponse(
                MediumMovedJSON(try present(after.media[medium]), deferred: body.deferred ?? false, after))
        }
        add(
            .post, "/v1/libraries/{library}/inject", "Inject a cartridge through a port (InjectNtmsMedia).",
            access: "control on the library", body: "InjectBody", response: "medium"
        ) { call in
            let body = try await call.body(InjectBody.self)
            let names = NameResolver(state: call.catalogue.snapshot.state)
            let library = try names.library(try call.parameter("library"))
            let type = try names.mediaType(body.media_type).id
            let label = try MediaLabel(apiName: body.label)
            let id = try await call.session().injectAsOperator(
                library: library.id, port: body.port, barcode: body.barcode, mediaType: type, label: label,
                onMediaLabel: try body.onMediaLabel())
            let state = call.catalogue.snapshot.state
            return jsonResponse(MediumJSON(try present(state.media[id]), state))
        }
        add(
            .post, "/v1/media/{medium}/eject", "Eject a medium to a port (EjectNtmsMedia).",
            access: "control on its library", body: "EjectBody", response: "eject"
        ) { call in
            let body = try await call.body(EjectBody.self)
            let medium = try NameResolver(state: call.catalogue.snapshot.state).medium(try call.parameter("medium"))
            let port = try await call.session().eject(medium.id, port: body.port)
            // The medium as it was: the answer names the library it left.
            return jsonResponse(EjectJSON(medium, port: port, call.catalogue.snapshot.state))
        }
        addEnablementRoutes()
        addCleaningRoutes()
        addWorkQueueRoutes()
        add(
            .post, "/v1/libraries/{library}/door/open",
            "Record that a library's door is open (AccessNtmsLibraryDoor): no robot work until it closes.",
            access: "control on the library", response: "library"
        ) { call in
            let library = try NameResolver(state: call.catalogue.snapshot.state).library(try call.parameter("library"))
            try await call.session().openDoor(library.id)
            return jsonResponse(LibraryJSON(try present(call.catalogue.snapshot.state.libraries[library.id])))
        }
        addInventoryRoute("door/close", "Record that a library's door is closed, and take the inventory that follows.")
        {
            try await $0.closeDoor($1, mediaType: $2)
        }
        addInventoryRoute("inventory", "Reconcile the catalogue with the robot.") {
            try await $0.inventory($1, mediaType: $2)
        }
    }

    /// A route under a library that ends in an inventory and answers with what it changed.
    private mutating func addInventoryRoute(
        _ action: String, _ summary: String,
        _ take: @escaping @Sendable (Session, LibraryID, MediaTypeID?) async throws -> InventoryReport
    ) {
        add(
            .post, "/v1/libraries/{library}/" + action, summary, access: "control on the library",
            body: "InventoryBody", response: "inventory"
        ) { call in
            let body = try await call.body(InventoryBody.self)
            let before = call.catalogue.snapshot.state
            let names = NameResolver(state: before)
            let library = try names.library(try call.parameter("library"))
            let report = try await take(
                try call.session(), library.id, try body.media_type.map { try names.mediaType($0).id })
            return jsonResponse(
                InventoryJSON(report, library: library.id, before: before, after: call.catalogue.snapshot.state))
        }
    }
}

extension ChangerAttachment {
    /// A changer as the API names it: `simulated`, or `mtx` with a device path.
    init(driver: String, device: String?) throws {
        switch driver {
        case "simulated": self.init(kind: .simulated, device: "")
        case "mtx":
            guard let device else { throw NtmsError(.invalidParameter, "an mtx changer needs device") }
            self.init(kind: .mtx, device: device)
        default:
            throw NtmsError(.invalidParameter, "driver is simulated or mtx, not \"\(TextRules.preview(driver))\"")
        }
    }
}

extension MediaLabel {
    /// `free` (the default), `import` or `none`.
    init(apiName: String?) throws {
        switch apiName ?? "free" {
        case "free": self = .free
        case "import": self = .import
        case "none": self = .none
        case let other:
            throw NtmsError(.invalidParameter, "label is free, import or none, not \"\(TextRules.preview(other))\"")
        }
    }
}
