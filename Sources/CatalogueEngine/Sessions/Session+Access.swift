import CatalogueDomain

// SetNtmsObjectSecurity, one entry at a time. Every change needs CONTROL on
// the object; refusals are recorded as `AccessDenied` events.
extension Session {
    /// Adds `rights` to `trustee`'s entry on `object`. An object that
    /// inherited its list gets its own, starting from what it inherited.
    ///
    /// - Throws: `ERROR_ACCESS_DENIED` (5) without CONTROL on `object`;
    ///   `ERROR_INVALID_LIBRARY` (4301) or `ERROR_INVALID_MEDIA_POOL` (4302)
    ///   for an object that does not exist; `ERROR_INVALID_NAME` (123) for a
    ///   user or group name that is empty, too long or not displayable;
    ///   `ERROR_INVALID_PARAMETER` (87) for no rights.
    public func grantAccess(_ rights: AccessRights, to trustee: Trustee, on object: SecuredObject)
        async throws(NtmsError)
    {
        _ = try await execute(.grantAccess(object, trustee, rights))
    }

    /// Takes `rights` from `trustee`'s entry on `object`.
    ///
    /// - Throws: as `grantAccess(_:to:on:)`, and `ERROR_INVALID_OPERATION`
    ///   (4317) when nobody would be left with CONTROL on the catalogue.
    public func revokeAccess(_ rights: AccessRights, from trustee: Trustee, on object: SecuredObject)
        async throws(NtmsError)
    {
        _ = try await execute(.revokeAccess(object, trustee, rights))
    }

    /// Drops a library's or pool's own list, so that it inherits again.
    ///
    /// - Throws: as `grantAccess(_:to:on:)`, and `ERROR_INVALID_PARAMETER`
    ///   (87) for the catalogue, which has nothing to inherit from.
    public func inheritAccess(on object: SecuredObject) async throws(NtmsError) {
        _ = try await execute(.inheritAccess(object))
    }
}
