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
            return jsonResponse(state.mediaTypes.values.sorted { $0.id < $1.id }.map { MediaTypeJSON($0, state) })
        }
        add(
            .get, "/v1/libraries", "List libraries.", access: "use on the catalogue", response: "library",
            listing: true, query: [Self.asOf]
        ) { call in
            let (state, _) = try call.queryState()
            return jsonResponse(state.libraries.values.sorted { $0.id < $1.id }.map(LibraryJSON.init))
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
            response: "drive", listing: true, query: [Self.asOf]
        ) { call in
            let (state, _) = try call.queryState()
            let library = try NameResolver(state: state).library(try call.parameter("library"))
            let drives = state.drives.values.filter { $0.address.library == library.id }.sorted {
                $0.address < $1.address
            }
            return jsonResponse(drives.map { DriveJSON($0, state) })
        }
        add(
            .get, "/v1/pools", "List pools.", access: "use on the catalogue", response: "pool", listing: true,
            query: [Self.asOf]
        ) { call in
            let (state, _) = try call.queryState()
            return jsonResponse(state.pools.values.sorted { $0.path < $1.path }.map { PoolJSON($0, state) })
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
            query: [Self.asOf]
        ) { call in
            let (state, _) = try call.queryState()
            return jsonResponse(state.media.values.map { MediumJSON($0, state) })
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
            return jsonResponse(SideJSON(side, medium))
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
            access: "use on the catalogue", response: "report_scratch", listing: true, query: [Self.asOf]
        ) { call in
            let (state, _) = try call.queryState()
            return jsonResponse(state.scratchCounts().map { ScratchJSON($0, state) })
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
            response: "report_drives", listing: true, query: [Self.asOf]
        ) { call in
            let (state, now) = try call.queryState()
            return jsonResponse(state.driveUtilisation(at: now).map { DriveUseJSON($0, state) })
        }
        add(
            .get, "/v1/history/{object}", "Every event naming an object.", access: "use on the catalogue",
            response: "event", listing: true
        ) { call in
            _ = try call.requireReader()
            let ids = try HistoryTarget.identifiers(try call.parameter("object"), in: call.catalogue.snapshot.state)
            return jsonResponse(try call.catalogue.history(of: ids).map(EventJSON.init))
        }
        add(
            .get, "/v1/acl", "The catalogue's access list and every object with its own.",
            access: "use on the catalogue", response: "access_list", listing: true
        ) { call in
            let (state, _) = try call.queryState()
            let objects = [SecuredObject.catalogue] + state.accessLists.keys.filter { $0 != .catalogue }.sorted()
            return jsonResponse(objects.map { AccessListJSON($0, state) })
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
}

/// `/v1/ping`'s answer.
struct PingJSON: Encodable { var ok = true }

/// How `history` finds an object: an identifier, bar code, `BARCODE:A` or pool path.
enum HistoryTarget {
    static func identifiers(_ text: String, in state: CatalogueState) throws -> Set<UInt64> {
        let names = NameResolver(state: state)
        if let medium = try? names.medium(text) { return Set([medium.id.rawValue] + medium.sides.map(\.rawValue)) }
        if let side = try? names.side(text) { return [side.id.rawValue] }
        if let pool = try? names.pool(text) { return [pool.id.rawValue] }
        if let library = try? names.library(text) { return [library.id.rawValue] }
        if let logical = try? names.logicalMedium(text) { return [logical.id.rawValue] }
        throw NtmsError(.objectNotFound, "nothing is named \"\(TextRules.preview(text))\"")
    }
}
