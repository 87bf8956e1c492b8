import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Hummingbird

extension APIRouteTable {
    /// Enable/DisableNtmsObject for libraries, drives and media: a pair of routes under each object.
    mutating func addEnablementRoutes() {
        let objects: [(EnablementKind, String, String)] = [
            (.library, "/v1/libraries/{library}", "a library"),
            (.drive, "/v1/libraries/{library}/drives/{drive}", "a drive"),
            (.medium, "/v1/media/{medium}", "a medium"),
        ]
        for (kind, path, what) in objects {
            add(
                .post, path + "/disable",
                "Take \(what) out of use (DisableNtmsObject); `service` also raises a DEVICESERVICE request.",
                access: "modify on its library (and control with service)", body: "DisableBody",
                response: "enablement"
            ) { call in
                let body = try await call.body(DisableBody.self)
                let target = try call.enablementTarget(kind)
                let request = try await call.session().disable(
                    target, serviceMessage: body.service, idempotencyKey: call.idempotencyKey)
                return jsonResponse(EnablementJSON(target, serviceRequest: request, call.catalogue.snapshot.state))
            }
            add(
                .post, path + "/enable", "Put \(what) back in use (EnableNtmsObject).",
                access: "modify on its library", response: "enablement"
            ) { call in
                let target = try call.enablementTarget(kind)
                try await call.session().enable(target, idempotencyKey: call.idempotencyKey)
                return jsonResponse(EnablementJSON(target, call.catalogue.snapshot.state))
            }
        }
    }
}

extension APICall {
    /// The drive `/v1/libraries/{library}/drives/{drive}` names.
    func driveAddress() throws -> DriveAddress {
        let library = try NameResolver(state: catalogue.snapshot.state).library(try parameter("library"))
        let text = try parameter("drive")
        guard let number = UInt32(text), String(number) == text else {
            throw NtmsError(.invalidParameter, "a drive is numbered from 0, not \(TextRules.preview(text))")
        }
        return DriveAddress(library: library.id, number: number)
    }

    /// The object the path names.
    fileprivate func enablementTarget(_ kind: EnablementKind) throws -> EnablementTarget {
        let names = NameResolver(state: catalogue.snapshot.state)
        switch kind {
        case .library:
            return try names.enablementTarget(.library, try parameter("library"))
        case .drive:
            return .drive(try driveAddress())
        case .medium:
            return try names.enablementTarget(.medium, try parameter("medium"))
        }
    }
}
