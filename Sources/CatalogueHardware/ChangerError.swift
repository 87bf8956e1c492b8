/// Why a changer command failed, as the hardware layer sees it. The engine
/// maps each kind to its NTMS error; the hardware layer knows no catalogue.
public struct ChangerError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable, CaseIterable {
        /// The destination already holds a cartridge.
        case destinationFull
        /// The source holds no cartridge.
        case sourceEmpty
        /// The changer has no such element.
        case noSuchElement
        /// The changer refused the move as asked, before moving anything.
        case refused
        /// Another command holds the changer.
        case busy
        /// The changer or a drive is not ready: a unit attention, a cartridge
        /// stuck in a drive, a drive that must be taken offline first.
        case notReady
        /// The command ran past its time limit and was abandoned.
        case timedOut
        /// The changer, its device or its tool is missing or failed.
        case unavailable
    }

    public var kind: Kind
    public var message: String
    /// The changer refused before it moved anything, so every cartridge is
    /// where it was; any other failure may have left one anywhere.
    public var nothingMoved: Bool

    /// `nothingMoved` defaults to what `kind` implies: refusals moved nothing;
    /// a changer not ready, a timeout or a failure may have moved anything.
    public init(_ kind: Kind, _ message: String, nothingMoved: Bool? = nil) {
        self.kind = kind
        self.message = message
        self.nothingMoved =
            nothingMoved
            ?? {
                switch kind {
                case .destinationFull, .sourceEmpty, .noSuchElement, .refused, .busy: true
                case .notReady, .timedOut, .unavailable: false
                }
            }()
    }

    public var description: String { message }
}
