import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation
import Hummingbird

// The API's routes. Each answers with the CLI's JSON model; commands run in a
// session of the request's principal, so `decide` checks its rights.

extension APIRouteTable {
    mutating func addQueryRoutes() {
        add(
            .get, "/v1/media-types", "List media types (EnumerateNtmsObject).", access: "use on the catalogue",
            response: "media_type", listing: true, query: [Self.asOf]
        ) { call in
            let (state, _) = try call.queryState()
            return jsonResponse(Listing.mediaTypes(state))
        }
        add(
            .get, "/v1/libraries", "List libraries.", access: "use on the catalogue", response: "library",
            listing: true, query: [Self.asOf]
        ) { call in
            let (state, _) = try call.queryState()
            return jsonResponse(Listing.libraries(state))
        }
        add(
            .get, "/v1/libraries/{library}", "One library, by name or id.", access: "use on the catalogue",
            response: "library"
        ) { call in
            let (state, _) = try call.queryState()
            return jsonResponse(LibraryJSON(try NameResolver(state: state).library(try call.parameter("library"))))
        }
        add(
            .get, "/v1/libraries/{library}/drives", "A library's drives.", access: "use on the catalogue",
            response: "drive", listing: true, query: [Self.asOf, Self.stateFilter]
        ) { call in
            let (state, _) = try call.queryState()
            let library = try NameResolver(state: state).library(try call.parameter("library"))
            return jsonResponse(Listing.drives(of: library, state, try call.filters(state)))
        }
        add(
            .get, "/v1/libraries/{library}/slots", "A library's slots and ports with what each holds.",
            access: "use on the catalogue", response: "slot", listing: true, query: [Self.asOf, Self.stateFilter]
        ) { call in
            let (state, _) = try call.queryState()
            let library = try NameResolver(state: state).library(try call.parameter("library"))
            return jsonResponse(Listing.slots(of: library, state, try call.filters(state)))
        }
        add(
            .get, "/v1/pools", "List pools.", access: "use on the catalogue", response: "pool", listing: true,
            query: [Self.asOf, Self.mediaTypeFilter]
        ) { call in
            let (state, _) = try call.queryState()
            return jsonResponse(Listing.pools(state, try call.filters(state)))
        }
        add(
            .get, "/v1/pools/{pool}", "One pool, by path or id.", access: "use on the catalogue",
            response: "pool"
        ) { call in
            let (state, _) = try call.queryState()
            return jsonResponse(PoolJSON(try NameResolver(state: state).pool(try call.parameter("pool")), state))
        }
        add(
            .get, "/v1/media", "List media.", access: "use on the catalogue", response: "medium", listing: true,
            query: [Self.asOf, Self.poolFilter, Self.stateFilter, Self.libraryFilter, Self.mediaTypeFilter]
        ) { call in
            let (state, _) = try call.queryState()
            return jsonResponse(Listing.media(state, try call.filters(state)))
        }
        add(
            .get, "/v1/sides", "List sides.", access: "use on the catalogue", response: "side", listing: true,
            query: [Self.asOf, Self.poolFilter, Self.stateFilter, Self.libraryFilter, Self.mediaTypeFilter]
        ) { call in
            let (state, _) = try call.queryState()
            return jsonResponse(Listing.sides(state, try call.filters(state)))
        }
        add(
            .get, "/v1/lmids", "List logical media (allocated sides).", access: "use on the catalogue",
            response: "logical_medium", listing: true,
            query: [Self.asOf, Self.poolFilter, Self.libraryFilter, Self.mediaTypeFilter]
        ) { call in
            let (state, _) = try call.queryState()
            return jsonResponse(Listing.logicalMedia(state, try call.filters(state)))
        }
        add(
            .get, "/v1/media/{medium}", "One medium, by bar code or id.", access: "use on the catalogue",
            response: "medium"
        ) { call in
            let (state, _) = try call.queryState()
            return jsonResponse(MediumJSON(try NameResolver(state: state).medium(try call.parameter("medium")), state))
        }
        add(
            .get, "/v1/sides/{side}", "One side (side-N or BARCODE:A).", access: "use on the catalogue",
            response: "side"
        ) { call in
            let (state, _) = try call.queryState()
            let side = try NameResolver(state: state).side(try call.parameter("side"))
            guard let medium = state.media[side.medium] else {
                throw NtmsError(.invalidMedia, "no medium of \(side.id)")
            }
            return jsonResponse(SideJSON(side, medium, state))
        }
        add(
            .get, "/v1/lmids/{lmid}", "One logical medium.", access: "use on the catalogue",
            response: "logical_medium"
        ) { call in
            let (state, _) = try call.queryState()
            let logical = try NameResolver(state: state).logicalMedium(try call.parameter("lmid"))
            guard let body = LogicalMediumJSON(logical, state) else {
                throw NtmsError(.invalidMedia, "no logical medium \(logical.id)")
            }
            return jsonResponse(body)
        }
        add(
            .get, "/v1/requests", "Operator requests: open ones and those finished lately (all with all=true).",
            access: "use on the catalogue", response: "request", listing: true,
            query: [("all", "true lists every request ever made")]
        ) { call in
            _ = try call.requireReader()
            let state = call.catalogue.snapshot.state
            let requests = call.catalogue.requests(all: call.query("all") == "true")
            return jsonResponse(requests.map { RequestJSON($0, state) })
        }
        add(
            .get, "/v1/reports/scratch", "Scratch per pool: what each can allocate now.",
            access: "use on the catalogue", response: "report_scratch", listing: true,
            query: [Self.asOf, Self.mediaTypeFilter]
        ) { call in
            let (state, _) = try call.queryState()
            let type = try call.filters(state).mediaType
            return jsonResponse(
                state.scratchCounts().filter { type == nil || $0.mediaType == type }.map { ScratchJSON($0, state) })
        }
        add(
            .get, "/v1/reports/low-water", "Application pools that can allocate fewer than `minimum` sides now.",
            access: "use on the catalogue", response: "report_scratch", listing: true,
            query: [Self.asOf, ("minimum", "the low-water mark in sides (default 1)")]
        ) { call in
            let (state, _) = try call.queryState()
            let minimum: Int = try call.number("minimum", default: 1)
            return jsonResponse(state.poolsBelow(minimum: minimum).map { ScratchJSON($0, state) })
        }
        add(
            .get, "/v1/reports/near-max", "Sides within `within` allocations of their pool's maximum, fewest first.",
            access: "use on the catalogue", response: "report_near_max", listing: true,
            query: [Self.asOf, ("within", "allocations left, at most (default 1)")]
        ) { call in
            let (state, _) = try call.queryState()
            let within: UInt32 = try call.number("within", default: 1)
            return jsonResponse(state.sidesNearMaxAllocates(within: within).map { NearMaxJSON($0, state) })
        }
        add(
            .get, "/v1/reports/idle", "Media not mounted for use in the last `days` days, never-mounted first.",
            access: "use on the catalogue", response: "report_idle", listing: true,
            query: [Self.asOf, ("days", "days without a mount, 0 to 36500 (default 30)")]
        ) { call in
            let (state, now) = try call.queryState()
            let days: UInt32 = try call.number("days", default: 30)
            guard days <= 36_500 else { throw NtmsError(.invalidParameter, "days is at most 36500 (a century)") }
            return jsonResponse(
                state.mediaIdle(since: now - Int64(days) * JSONModel.nanosecondsPerDay).map {
                    IdleMediumJSON($0, now: now, state)
                })
        }
        add(
            .get, "/v1/reports/allocations", "Allocations and deallocations per application and user over a period.",
            access: "use on the catalogue", response: "report_allocations", listing: true,
            query: [
                ("from", "the period's start, ISO-8601 (default: a day before `to`)"),
                ("to", "the period's end, excluded, ISO-8601 (default: now)"),
            ]
        ) { call in
            _ = try call.requireReader()
            let end = try call.time("to") ?? call.catalogue.now
            let start = try call.time("from") ?? end - JSONModel.nanosecondsPerDay
            return jsonResponse(try call.catalogue.activity(from: start, to: end).map(ActivityJSON.init))
        }
        add(
            .get, "/v1/reports/requests", "Open operator requests with their age.",
            access: "use on the catalogue", response: "report_requests", listing: true, query: [Self.asOf]
        ) { call in
            let (state, now) = try call.queryState()
            return jsonResponse(state.openRequests().map { RequestAgeJSON($0, now: now) })
        }
        add(
            .get, "/v1/reports/drives", "Drive use: mounts and busy time.", access: "use on the catalogue",
            response: "report_drives", listing: true, query: [Self.asOf, Self.libraryFilter]
        ) { call in
            let (state, now) = try call.queryState()
            let library = try call.filters(state).library
            return jsonResponse(
                state.driveUtilisation(at: now).filter { library == nil || $0.drive.library == library }.map {
                    DriveUseJSON($0, state)
                })
        }
        add(
            .get, "/v1/history/{object}", "Every event naming an object.", access: "use on the catalogue",
            response: "event", listing: true
        ) { call in
            _ = try call.requireReader()
            return jsonResponse(try call.catalogue.history(named: try call.parameter("object")).map(EventJSON.init))
        }
        add(
            .get, "/v1/acl",
            "The catalogue's access list and every object with its own; with pool or library, that object's.",
            access: "use on the catalogue", response: "access_list", listing: true,
            query: [("pool", "only this pool's list (path or id)"), ("library", "only this library's list")]
        ) { call in
            let (state, _) = try call.queryState()
            let names = NameResolver(state: state)
            if let pool = call.query("pool") {
                return jsonResponse([AccessListJSON(.pool(try names.pool(pool).id), state)])
            }
            if let library = call.query("library") {
                return jsonResponse([AccessListJSON(.library(try names.library(library).id), state)])
            }
            let objects = [SecuredObject.catalogue] + state.accessLists.keys.filter { $0 != .catalogue }.sorted()
            return jsonResponse(objects.map { AccessListJSON($0, state) })
        }
        add(
            .get, "/v1/checkpoints", "The store's checkpoints, newest first, and whether open would use them.",
            access: "use on the catalogue", response: "checkpoint", listing: true
        ) { call in
            _ = try call.requireReader()
            return jsonResponse(try call.catalogue.checkpoints().map(CheckpointJSON.init))
        }
        add(
            .post, "/v1/checkpoints", "Save a checkpoint of the state now.", access: "control on the catalogue",
            created: true, response: "checkpoint_change"
        ) { call in
            let principal = try call.context.requirePrincipal()
            guard call.catalogue.snapshot.state.isAdministrator(principal) else {
                throw NtmsError(
                    .accessDenied, "\(principal.user) may not save a checkpoint: it needs control on the catalogue")
            }
            return jsonResponse(CheckpointChangeJSON(sequence: try call.catalogue.saveCheckpoint(), removed: 0))
        }
        add(
            .get, "/v1/version", "The server's version and its JSON model's schema version.",
            access: "any authenticated caller", response: "version"
        ) { call in
            _ = try call.context.requirePrincipal()
            return jsonResponse(VersionJSON(version: CatalogueServer.version))
        }
        add(
            .get, "/v1/ping", "A constant answer: the framework's own cost, for measuring.",
            access: "any authenticated caller", response: "ping"
        ) { call in
            _ = try call.context.requirePrincipal()
            return jsonResponse(PingJSON())
        }
    }

    static let asOf = ("as_of", "the state right after this event: a sequence number or an ISO-8601 time")
    static let poolFilter = ("pool", "only objects in this pool (path or id)")
    static let stateFilter = ("state", "only objects in this state (AVAILABLE, LOADED, IDLE, ...)")
    static let libraryFilter = ("library", "only objects in this library (name or id)")
    static let mediaTypeFilter = ("media_type", "only objects of this media type")
}

/// `/v1/ping`'s answer.
struct PingJSON: Encodable { var ok = true }
