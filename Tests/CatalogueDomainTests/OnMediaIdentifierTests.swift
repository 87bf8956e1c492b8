import CatalogueDomain
import Testing

/// UpdateNtmsOmidInfo and identification by on-media label on inject and inventory.
@Suite struct OnMediaIdentifierTests {
    static let label = OnMediaIdentifier(labelType: "MTF", labelID: "SET-0001", info: "NTFS")

    /// Given: a labelled, allocated medium that was ejected (it waits on the shelf).
    private func labelledOffline(_ f: inout RobotLibrary) throws -> Allocation {
        let allocation = try f.allocatedMedium("OLD001", slot: 1)
        try f.h.run(.recordOnMediaIdentifier(allocation.logicalMedium, Self.label))
        guard case .operation(let id) = try f.h.run(.beginEject(allocation.medium, port: 1)) else {
            throw NtmsError(.invalidHandle, "no eject started")
        }
        try f.h.run(.finishOperation(id, .succeeded))
        return allocation
    }

    @Test func onlyAnOwnersSideRecordsALabelAndALabelNamesOneSide() throws {
        var f = try RobotLibrary()
        let first = try f.allocatedMedium("LAB001", slot: 1)
        let second = try f.allocatedMedium("LAB002", slot: 2)
        try f.h.run(.recordOnMediaIdentifier(first.logicalMedium, Self.label))
        #expect(f.h.state.side(withOnMediaLabel: Self.label.key)?.id == first.side)
        #expect(f.h.expectFailure(.recordOnMediaIdentifier(second.logicalMedium, Self.label), .alreadyExists))
        #expect(
            f.h.expectFailure(
                .recordOnMediaIdentifier(second.logicalMedium, OnMediaIdentifier(labelType: "", labelID: "x")),
                .invalidParameter))
        #expect(
            f.h.expectFailure(
                .recordOnMediaIdentifier(second.logicalMedium, OnMediaIdentifier(labelType: "MTF", labelID: "a\nb")),
                .invalidParameter))
        #expect(f.h.expectFailure(.recordOnMediaIdentifier(LogicalMediumID(9_999), Self.label), .invalidMedia))
        // Given back, the data and its label are gone: another side may carry it.
        try f.h.run(.deallocate(first.logicalMedium))
        #expect(f.h.state.onMediaIdentifiers[first.side] == nil)
        try f.h.run(.recordOnMediaIdentifier(second.logicalMedium, Self.label))
        #expect(f.h.state.side(withOnMediaLabel: Self.label.key)?.id == second.side)
    }

    @Test func anInjectedCartridgeWithAKnownLabelComesBackAsItsMediumUnderItsNewBarcode() throws {
        var f = try RobotLibrary()
        let allocation = try labelledOffline(&f)
        guard
            case .operation(let id) = try f.h.run(
                .beginInject(
                    f.robot, port: 1, barcode: "NEW999", mediaType: f.type, label: .none, onMediaLabel: Self.label))
        else {
            Issue.record("no inject started")
            return
        }
        try f.h.run(.finishOperation(id, .succeeded))
        let medium = try #require(f.h.state.media[allocation.medium])
        #expect(medium.barcode == "NEW999" && f.h.state.medium(withBarcode: "OLD001") == nil)
        #expect(medium.pool == f.pool && medium.location == .slot(f.robot, 1))
        #expect(f.h.state.logicalMedia[allocation.logicalMedium]?.side == allocation.side)
        #expect(f.h.state.sides[allocation.side]?.state == .allocated)
        #expect(f.h.state.invariantViolations().isEmpty)
    }

    @Test func anUnknownLabelImportsANewCartridgeAndNoLabelKeepsWhatTheCallerSaid() throws {
        var f = try RobotLibrary()
        let unknown = OnMediaIdentifier(labelType: "MTF", labelID: "FOREIGN-SET")
        for (barcode, onMediaLabel, expected) in [
            ("IMP001", Optional(unknown), SideState.import), ("FREE01", nil, .available),
        ] {
            guard
                case .operation(let id) = try f.h.run(
                    .beginInject(
                        f.robot, port: 1, barcode: barcode, mediaType: f.type, label: .free, onMediaLabel: onMediaLabel)
                )
            else {
                Issue.record("no inject started")
                return
            }
            try f.h.run(.finishOperation(id, .succeeded))
            let medium = try #require(f.h.state.medium(withBarcode: barcode))
            #expect(f.h.state.sides(of: medium).map(\.state) == [expected])
        }
    }

    @Test func anInventoryRecognisesALabelledCartridgeAndClassifiesTheRestByTheirLabels() throws {
        var f = try RobotLibrary()
        let allocation = try labelledOffline(&f)
        let reading = InventoryReading(
            elements: [
                .init(location: .slot(f.robot, 3), isFull: true, barcode: "RELAB1", onMediaLabel: Self.label),
                .init(
                    location: .slot(f.robot, 4), isFull: true, barcode: "STRNG1",
                    onMediaLabel: OnMediaIdentifier(labelType: "MTF", labelID: "OTHER")),
                .init(location: .slot(f.robot, 5), isFull: true, barcode: "BLANK1"),
            ], incomplete: false)
        try f.h.run(.recordInventory(f.robot, reading, mediaType: nil))
        let medium = try #require(f.h.state.media[allocation.medium])
        #expect(medium.barcode == "RELAB1" && medium.location == .slot(f.robot, 3) && medium.pool == f.pool)
        #expect(f.h.state.sides[allocation.side]?.logicalMedium == allocation.logicalMedium)
        let stranger = try #require(f.h.state.medium(withBarcode: "STRNG1"))
        let blank = try #require(f.h.state.medium(withBarcode: "BLANK1"))
        #expect(f.h.state.sides(of: stranger).map(\.state) == [.import])
        #expect(f.h.state.sides(of: blank).map(\.state) == [.foreign])
        #expect(f.h.state.invariantViolations().isEmpty)
    }

    @Test func aLabelReadTwiceIdentifiesNothing() throws {
        var f = try RobotLibrary()
        let allocation = try labelledOffline(&f)
        let reading = InventoryReading(
            elements: [
                .init(location: .slot(f.robot, 3), isFull: true, barcode: "TWIN01", onMediaLabel: Self.label),
                .init(location: .slot(f.robot, 4), isFull: true, barcode: "TWIN02", onMediaLabel: Self.label),
            ], incomplete: false)
        try f.h.run(.recordInventory(f.robot, reading, mediaType: nil))
        #expect(f.h.state.media[allocation.medium]?.location == .shelf)
        #expect(f.h.state.media[allocation.medium]?.barcode == "OLD001")
    }
}
