import CatalogueDomain
import Testing

/// The state's checkpoint encoding: exact round trip, and damage is refused, never trapped on.
@Suite struct StateCheckpointTests {
    private func populated() throws -> CatalogueState {
        var f = try Fixture(policy: PoolPolicy(allocateFromScratch: true))
        for slot in 1...4 { _ = try f.h.medium("CK\(slot)", type: f.type, at: .slot(f.robot, UInt32(slot))) }
        try f.h.run(.disable(.medium(f.h.state.medium(withBarcode: "CK4")!.id)))
        try f.h.run(.disable(.drive(DriveAddress(library: f.robot, number: 1))))
        try f.h.run(.attachChanger(f.robot, .simulated, device: ""))
        try f.h.run(.reserveCleanerSlot(f.robot, slot: 9))
        guard
            case .operation(let cleanerIn) = try f.h.run(
                .beginCleanerInject(f.robot, port: 1, barcode: "CLN001", uses: 3))
        else { throw NtmsError(.invalidHandle, "no cleaner inject") }
        try f.h.run(.finishOperation(cleanerIn, .succeeded))
        try f.h.run(.setCleaningInterval(f.robot, mounts: 4))
        try f.h.run(.requestCleaning(DriveAddress(library: f.robot, number: 0)))
        _ = try f.h.medium("SHELF1", type: f.type, at: .shelf)
        _ = try f.h.run(.allocate(AllocationRequest(pool: f.daily)))
        guard case .allocation(let labelled) = try f.h.run(.allocate(AllocationRequest(pool: f.daily, new: true)))
        else { throw NtmsError(.invalidHandle, "no allocation") }
        try f.h.run(
            .recordOnMediaIdentifier(labelled.logicalMedium, OnMediaIdentifier(labelType: "MTF", labelID: "CK")))
        _ = try f.h.run(
            .submitRequest(type: .message, message: "clean drive 2", firstArgument: nil, secondArgument: nil))
        return f.h.state
    }

    @Test func aCheckpointRebuildsTheSameStateIncludingItsIndexes() throws {
        let state = try populated()
        let restored = try CatalogueState(checkpointPayload: state.checkpointPayload())
        #expect(restored == state)
        #expect(restored.invariantViolations().isEmpty)
    }

    @Test func everyTruncationOfACheckpointIsRefused() throws {
        let payload = try populated().checkpointPayload()
        for length in 0..<payload.count {
            #expect(throws: PayloadDecodingError.self) {
                try CatalogueState(checkpointPayload: Array(payload[..<length]))
            }
        }
        #expect(throws: PayloadDecodingError.self) { try CatalogueState(checkpointPayload: payload + [0]) }
    }
}
