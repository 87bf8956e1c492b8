import CatalogueDomain

// Enable/DisableNtmsObject for libraries, drives and physical media. Both need
// MODIFY on the library that holds the object (the shelf for an offline medium).
extension Session {
    /// DisableNtmsObject: takes a library, drive or medium out of use. A
    /// disabled library does no robot work and its media are not allocated; a
    /// disabled drive is never mounted into; a disabled medium is neither
    /// allocated, mounted nor ejected. With `serviceMessage` (empty: a default
    /// text) a DEVICESERVICE operator request is raised too, and returned.
    ///
    /// - Throws: `ERROR_INVALID_STATE` (5023) when it is already disabled;
    ///   `ERROR_LIBRARY_OFFLINE` (4305) for the shelf; `ERROR_INVALID_LIBRARY`
    ///   (4301), `ERROR_INVALID_DRIVE` (15) or `ERROR_INVALID_MEDIA` (4300)
    ///   for an object that does not exist; `ERROR_ACCESS_DENIED` (5).
    @discardableResult
    public func disable(_ target: EnablementTarget, serviceMessage: String? = nil, idempotencyKey: String? = nil)
        async throws(NtmsError) -> OperatorRequestID?
    {
        let outcome = try await execute(
            .disable(target, serviceMessage: serviceMessage), idempotencyKey: idempotencyKey)
        if case .request(let id) = outcome { return id }
        return nil
    }

    /// EnableNtmsObject: puts a disabled library, drive or medium back in use;
    /// a drive's count of failures in a row starts again.
    ///
    /// - Throws: `ERROR_INVALID_STATE` (5023) when it is already enabled, and
    ///   as `disable(_:serviceMessage:idempotencyKey:)`.
    public func enable(_ target: EnablementTarget, idempotencyKey: String? = nil) async throws(NtmsError) {
        _ = try await execute(.enable(target), idempotencyKey: idempotencyKey)
    }
}
