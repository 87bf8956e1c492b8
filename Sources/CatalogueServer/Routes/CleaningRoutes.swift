import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Hummingbird

extension APIRouteTable {
    /// Drive cleaning: the cleaner slot and cartridge under a library, cleaning under a drive.
    mutating func addCleaningRoutes() {
        addCleanerRoute(
            .put, "slot", "Reserve an empty slot as the cleaner slot (ReserveNtmsCleanerSlot).", "CleanerSlotBody"
        ) {
            call, session, library in
            try await session.reserveCleanerSlot(library, slot: try await call.body(CleanerSlotBody.self).slot)
        }
        addCleanerRoute(.delete, "slot", "Release the empty cleaner slot (ReleaseNtmsCleanerSlot).", nil) {
            _, session, library in
            try await session.releaseCleanerSlot(library)
        }
        addCleanerRoute(
            .post, "inject", "Inject a cleaning cartridge into the cleaner slot (InjectNtmsCleaner).",
            "CleanerInjectBody"
        ) { call, session, library in
            let body = try await call.body(CleanerInjectBody.self)
            try await session.injectCleaner(library: library, port: body.port, barcode: body.barcode, uses: body.uses)
        }
        addCleanerRoute(
            .post, "eject", "Eject the cleaning cartridge to a port (EjectNtmsCleaner).", "CleanerEjectBody"
        ) {
            call, session, library in
            try await session.ejectCleaner(library: library, port: try await call.body(CleanerEjectBody.self).port)
        }
        addCleanerRoute(.put, "interval", "Set the mounts a drive may have between cleanings.", "CleaningIntervalBody")
        {
            call, session, library in
            try await session.setCleaningInterval(
                library, mounts: try await call.body(CleaningIntervalBody.self).mounts)
        }
        addDriveCleaningRoute("clean", "Clean an empty drive with the library's cleaner (CleanNtmsDrive).", "control") {
            try await $0.clean($1)
        }
        addDriveCleaningRoute("needs-cleaning", "Report that a drive needs cleaning before its next mount.", "use") {
            try await $0.requestCleaning($1)
        }
    }

    /// A route under `/v1/libraries/{library}/cleaner/` that answers with the library.
    private mutating func addCleanerRoute(
        _ method: APIRouteDescription.Method, _ action: String, _ summary: String, _ body: String?,
        _ act: @escaping @Sendable (APICall, Session, LibraryID) async throws -> Void
    ) {
        add(
            method, "/v1/libraries/{library}/cleaner/" + action, summary, access: "control on the library", body: body,
            response: "library"
        ) { call in
            let library = try NameResolver(state: call.catalogue.snapshot.state).library(try call.parameter("library"))
            try await act(call, try call.session(), library.id)
            return jsonResponse(LibraryJSON(try present(call.catalogue.snapshot.state.libraries[library.id])))
        }
    }

    /// A route under `/v1/libraries/{library}/drives/{drive}/` that answers with the drive.
    private mutating func addDriveCleaningRoute(
        _ action: String, _ summary: String, _ right: String,
        _ act: @escaping @Sendable (Session, DriveAddress) async throws -> Void
    ) {
        add(
            .post, "/v1/libraries/{library}/drives/{drive}/" + action, summary, access: "\(right) on the library",
            response: "drive"
        ) { call in
            let drive = try call.driveAddress()
            try await act(try call.session(), drive)
            let state = call.catalogue.snapshot.state
            return jsonResponse(DriveJSON(try present(state.drives[drive]), state))
        }
    }
}
