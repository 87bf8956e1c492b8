// The events of Enable/DisableNtmsObject; `CatalogueEvent` lists every event.

/// A library, drive or medium was taken out of use: a disabled library does no
/// robot work, a disabled drive is never mounted into, a disabled medium is
/// neither allocated nor mounted.
public struct ObjectDisabled: Sendable, Equatable {
    public var target: EnablementTarget
    public var reason: DisableReason
}

/// A disabled library, drive or medium was put back in use.
public struct ObjectEnabled: Sendable, Equatable {
    public var target: EnablementTarget
}
