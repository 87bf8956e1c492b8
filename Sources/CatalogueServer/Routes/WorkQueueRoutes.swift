import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Hummingbird

extension APIRouteTable {
    /// The library work queue: listing a library's items, reordering and cancelling one.
    mutating func addWorkQueueRoutes() {
        add(
            .get, "/v1/libraries/{library}/queue",
            "A library's work items: the one on the robot, then the queue in order (finished ones too with all=true).",
            access: "use on the catalogue", response: "library_request", listing: true,
            query: [("all", "true adds the library's last finished items, newest first")]
        ) { call in
            let state = try call.requireReader().state
            let library = try NameResolver(state: state).library(try call.parameter("library"))
            let items = state.libraryRequests(of: library.id, finished: call.query("all") == "true")
            return jsonResponse(items.map { LibraryRequestJSON($0, state) })
        }
        add(
            .post, "/v1/library-requests/{request}/order",
            "Move a queued work item to the front or before another (SetNtmsRequestOrder).",
            access: "control on the library", body: "LibraryRequestOrderBody", response: "library_request"
        ) { call in
            let body = try await call.body(LibraryRequestOrderBody.self)
            let id = try NameResolver.libraryRequestID(try call.parameter("request"))
            let position: LibraryRequestPosition
            switch (body.first, body.before) {
            case (true?, nil): position = .first
            case (nil, let before?), (false?, let before?):
                position = .before(try NameResolver.libraryRequestID(before))
            default: throw NtmsError(.invalidParameter, "give first: true or before: a work item")
            }
            try await call.session().reorderLibraryRequest(id, to: position)
            return try Self.libraryRequestResponse(id, call)
        }
        add(
            .post, "/v1/library-requests/{request}/cancel",
            "Cancel a work item the changer has not started (CancelNtmsLibraryRequest).",
            access: "control on the library", response: "library_request"
        ) { call in
            let id = try NameResolver.libraryRequestID(try call.parameter("request"))
            try await call.session().cancelLibraryRequest(id)
            return try Self.libraryRequestResponse(id, call)
        }
    }

    private static func libraryRequestResponse(_ id: LibraryRequestID, _ call: APICall) throws -> Response {
        let state = call.catalogue.snapshot.state
        guard let request = state.libraryRequests[id] else { throw NtmsError(.objectNotFound, "no work item \(id)") }
        return jsonResponse(LibraryRequestJSON(request, state))
    }
}
