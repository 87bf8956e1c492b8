// The events of access rights; `CatalogueEvent` lists every event.

/// An object's own access list was set, or (`list` nil) dropped so that the
/// object inherits again. The event carries the whole resulting list, so an
/// auditor reads who held what after it without folding earlier changes.
public struct AccessListChanged: Sendable, Equatable {
    public var object: SecuredObject
    public var list: AccessList?

    public init(object: SecuredObject, list: AccessList?) {
        self.object = object
        self.list = list
    }
}

/// A command was refused for want of a right: who asked, for what, on which
/// object, and which right was missing. Changes nothing but the record.
public struct AccessDenied: Sendable, Equatable {
    public var principal: Principal
    /// The NTMS function (or `mediactl` operation beyond RSM) that was refused.
    public var action: String
    public var object: SecuredObject
    public var missing: AccessRights

    public init(principal: Principal, action: String, object: SecuredObject, missing: AccessRights) {
        self.principal = principal
        self.action = action
        self.object = object
        self.missing = missing
    }
}
