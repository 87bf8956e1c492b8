import CatalogueDomain
import CatalogueHardware
import Foundation
import Testing

@testable import CatalogueEngine

/// On-media labels through the engine, a real store and the simulated robot, which carries a label per cartridge.
@Suite struct OnMediaLabelEngineTests {
    static let label = OnMediaIdentifier(labelType: "MTF", labelID: "NIGHTLY-42")

    @Test func aRelabelledCartridgeIsRecognisedByItsTapeLabelOnInjectAndOnInventory() async throws {
        let f = try await RobotFixture.make(media: 2)
        defer { f.close() }
        let lmid = try #require(f.state.sides[f.sides[0]]?.logicalMedium)
        try await f.session.updateOnMediaIdentifier(lmid, Self.label)
        // Ejected, taken away and given a new bar code; an operator injects it with its tape label read.
        _ = try await f.session.eject(f.media[0])
        _ = try f.robot.removeFromPort(1)
        let back = try await f.session.injectAsOperator(
            library: f.library, port: 1, barcode: "R00001L8", mediaType: f.type, onMediaLabel: Self.label)
        #expect(back == f.media[0])
        #expect(f.medium(0).barcode == "R00001L8" && f.medium(0).pool == f.pool)
        #expect(f.state.logicalMedia[lmid]?.side == f.sides[0])
        try f.expectConsistent()

        // By hand, the cartridge is relabelled again and moved: the inventory reads the tape label.
        let second = try #require(f.state.sides[f.sides[1]]?.logicalMedium)
        let other = OnMediaIdentifier(labelType: "MTF", labelID: "WEEKLY-7")
        try await f.session.updateOnMediaIdentifier(second, other)
        try f.robot.modify { state in
            state.slots[1] = nil
            state.slots[6] = .init(barcode: "R00002L8", label: TapeLabel(type: "MTF", id: "WEEKLY-7"))
        }
        let report = try await f.session.inventory(f.library)
        #expect(report.taken.moved.map(\.medium) == [f.media[1]] && report.taken.missing.isEmpty)
        #expect(f.medium(1).barcode == "R00002L8" && f.medium(1).location == .slot(f.library, 7))
        try f.expectConsistent()
    }
}
