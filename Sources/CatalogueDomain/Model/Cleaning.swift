/// A library's cleaning cartridge (InjectNtmsCleaner), kept in its cleaner slot.
public struct CleanerCartridge: Sendable, Equatable {
    public var barcode: String
    /// Cleanings it has left; nil: unlimited (RSM's 0xFFFFFFFF, IGNORECLEANERUSESREMAINING).
    public var usesLeft: UInt32?

    public init(barcode: String, usesLeft: UInt32?) {
        self.barcode = barcode
        self.usesLeft = usesLeft
    }

    /// No cleaning is left in it.
    public var isSpent: Bool { usesLeft == 0 }
}

extension CatalogueState {
    /// Whether a drive is due for cleaning: someone reported it, or it was
    /// mounted as often as its library's interval allows since its last cleaning.
    public func needsCleaning(_ drive: Drive) -> Bool {
        guard !drive.cleaningRequested else { return true }
        let interval = libraries[drive.address.library]?.cleaningInterval ?? 0
        return interval > 0 && drive.mountsSinceCleaning >= interval
    }
}
