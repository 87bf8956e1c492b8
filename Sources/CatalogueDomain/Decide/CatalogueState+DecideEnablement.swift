extension CatalogueState {
    /// Enable/DisableNtmsObject. Asking for the state an object is already in is
    /// ERROR_INVALID_STATE, as RSM answers; the shelf cannot be disabled.
    func decideEnablement(_ command: CatalogueCommand, context: DecisionContext, ids: inout IdentifierSource)
        throws(NtmsError) -> Decision
    {
        switch command {
        case .disable(let target, let serviceMessage):
            let (name, enabled, library) = try describeEnablement(of: target)
            guard enabled else { throw NtmsError(.invalidState, "\(name) is already disabled") }
            let disabled = CatalogueEvent.objectDisabled(ObjectDisabled(target: target, reason: .requested))
            guard let serviceMessage else { return Decision(events: [disabled], outcome: .done) }
            let submission = try decideSubmission(
                type: .deviceService, message: serviceMessage.isEmpty ? "Service \(name)" : serviceMessage,
                first: library.rawValue, second: nil, context: context, ids: &ids)
            return Decision(events: [disabled] + submission.events, outcome: submission.outcome)

        case .enable(let target):
            let (name, enabled, _) = try describeEnablement(of: target)
            guard !enabled else { throw NtmsError(.invalidState, "\(name) is already enabled") }
            return Decision(events: [.objectEnabled(ObjectEnabled(target: target))], outcome: .done)

        default:
            preconditionFailure("not an enablement command")
        }
    }

    /// The target's name for messages, whether it is enabled, and the library
    /// that answers for it (a medium on the shelf: the offline library).
    private func describeEnablement(of target: EnablementTarget) throws(NtmsError) -> (String, Bool, LibraryID) {
        switch target {
        case .library(let id):
            guard let library = libraries[id] else { throw NtmsError(.invalidLibrary, "no library \(id)") }
            guard library.type == .online else {
                throw NtmsError(.libraryOffline, "the offline library (the shelf) cannot be enabled or disabled")
            }
            return ("library \(library.name)", library.enabled, id)
        case .drive(let address):
            let library = try onlineLibrary(address.library)
            guard let drive = drives[address] else {
                throw NtmsError(
                    .invalidDrive,
                    "library \(library.name) has drives 0 to \(Int(library.driveCount) - 1), not \(address.number)")
            }
            return ("drive \(address.number) of \(library.name)", drive.enabled, address.library)
        case .medium(let id):
            guard let medium = media[id] else { throw NtmsError(.invalidMedia, "no medium \(id)") }
            guard let library = medium.location.library ?? offlineLibrary else {
                throw NtmsError(.databaseFailure, "the catalogue has no offline library")
            }
            return (medium.barcode, !disabledMedia.contains(id), library)
        }
    }

    /// The drive-failure rule on a robot operation's outcome: after
    /// `Drive.failuresBeforeDisable` failures in a row the drive is disabled and
    /// a DEVICESERVICE request raised, in the decision that records the last one.
    func drivePenalty(
        for operation: RobotOperation, _ result: OperationResult, context: DecisionContext,
        ids: inout IdentifierSource
    ) -> [CatalogueEvent] {
        guard result != .succeeded, let address = operation.drive, let drive = drives[address], drive.enabled,
            drive.consecutiveFailures &+ 1 >= Drive.failuresBeforeDisable,
            let library = libraries[address.library]
        else { return [] }
        let message =
            "Drive \(address.number) of \(library.name) failed \(drive.consecutiveFailures &+ 1) operations in a row "
            + "and was disabled; service it, then enable it"
        let submitted = OperatorRequestSubmitted(
            request: ids.take(), type: .deviceService, firstArgument: address.library.rawValue,
            secondArgument: UInt64(address.number), message: message, submitted: context.now,
            application: context.application, user: context.user, deadline: nil, waiter: nil)
        return [
            .objectDisabled(ObjectDisabled(target: .drive(address), reason: .repeatedFailures)),
            .operatorRequestSubmitted(submitted),
        ]
    }
}
