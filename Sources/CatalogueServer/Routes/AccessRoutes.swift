import CatalogueDomain
import CatalogueEngine
import CatalogueJSON
import Foundation
import Hummingbird

extension APIRouteTable {
    mutating func addAccessRoutes() {
        for (action, summary) in [
            ("grant", "Give a trustee rights on an object (SetNtmsObjectSecurity)."),
            ("revoke", "Take a trustee's rights on an object."),
            ("inherit", "Make a pool or library follow its parent's list again."),
        ] {
            add(
                .post, "/v1/acl/\(action)", summary, access: "control on the object", body: "AccessChangeBody",
                response: "access_list"
            ) { call in
                let body = try await call.body(AccessChangeBody.self)
                let names = NameResolver(state: call.catalogue.snapshot.state)
                guard body.pool == nil || body.library == nil else {
                    throw NtmsError(.invalidParameter, "name a pool or a library, not both")
                }
                let object: SecuredObject =
                    try body.pool.map { .pool(try names.pool($0).id) }
                    ?? body.library.map { .library(try names.library($0).id) } ?? .catalogue
                let session = try call.session()
                if action == "inherit" {
                    try await session.inheritAccess(on: object)
                } else {
                    let (trustee, rights) = try Self.entry(body)
                    if action == "grant" {
                        try await session.grantAccess(rights, to: trustee, on: object)
                    } else {
                        try await session.revokeAccess(rights, from: trustee, on: object)
                    }
                }
                return jsonResponse(AccessListJSON(object, call.catalogue.snapshot.state))
            }
        }
        add(
            .get, "/v1/tokens", "List bearer tokens (never their secrets).", access: "control on the catalogue",
            response: "token", listing: true
        ) { call in
            let principal = try call.context.requirePrincipal()
            let state = call.catalogue.snapshot.state
            guard state.isAdministrator(principal) else {
                throw NtmsError(
                    .accessDenied, "\(principal.user) may not list tokens: it needs control on the catalogue")
            }
            return jsonResponse(state.tokens.values.sorted { $0.id < $1.id }.map(TokenJSON.init))
        }
        add(
            .post, "/v1/tokens", "Make a bearer token for a principal; its secret is answered only here.",
            access: "control on the catalogue", body: "TokenBody", created: true, response: "issued_token"
        ) { call in
            let body = try await call.body(TokenBody.self)
            let expires = try body.expires.map { text -> Int64 in
                guard let time = JSONModel.nanoseconds(parsing: text) else {
                    throw NtmsError(
                        .invalidParameter, "expires is an ISO-8601 time, not \"\(TextRules.preview(text))\"")
                }
                return time
            }
            let principal = Principal(user: body.principal, groups: body.groups ?? [])
            let issued = try await call.session().issueToken(for: principal, expires: expires)
            return jsonResponse(
                IssuedTokenJSON(try present(call.catalogue.snapshot.state.tokens[issued.id]), secret: issued.secret))
        }
        add(
            .delete, "/v1/tokens/{token}", "Revoke a bearer token.", access: "control on the catalogue",
            response: "token"
        ) { call in
            let text = try call.parameter("token")
            guard text.hasPrefix("token-"), let number = UInt64(text.dropFirst("token-".count)) else {
                throw NtmsError(.objectNotFound, "no token \"\(TextRules.preview(text))\"")
            }
            try await call.session().revokeToken(TokenID(number))
            return jsonResponse(TokenJSON(try present(call.catalogue.snapshot.state.tokens[TokenID(number)])))
        }
    }

    private static func entry(_ body: AccessChangeBody) throws -> (Trustee, AccessRights) {
        let named = [body.user != nil, body.group != nil, body.everyone == true].filter { $0 }.count
        guard named == 1 else { throw NtmsError(.invalidParameter, "name exactly one of user, group or everyone") }
        let trustee: Trustee = body.user.map { .user($0) } ?? body.group.map { .group($0) } ?? .everyone
        var rights: AccessRights = []
        for word in body.rights ?? [] {
            guard let right = AccessRights(name: word) else {
                throw NtmsError(
                    .invalidParameter, "rights are use, modify, control or all, not \"\(TextRules.preview(word))\"")
            }
            rights.formUnion(right)
        }
        return (trustee, rights)
    }
}
