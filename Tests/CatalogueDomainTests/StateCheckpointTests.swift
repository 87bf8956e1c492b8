import CatalogueDomain
import Testing

/// The state's checkpoint encoding: exact round trip, and damage is refused, never trapped on.
@Suite struct StateCheckpointTests {
    private func populated() throws -> CatalogueState {
        var f = try Fixture(policy: PoolPolicy(allocateFromScratch: true))
        for slot in 1...4 { _ = try f.h.medium("CK\(slot)", type: f.type, at: .slot(f.robot, UInt32(slot))) }
        try f.h.run(.disable(.medium(f.h.state.medium(withBarcode: "CK4")!.id)))
        try f.h.run(.disable(.drive(DriveAddress(library: f.robot, number: 1))))
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
