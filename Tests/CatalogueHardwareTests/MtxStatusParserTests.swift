import Foundation
import Testing

@testable import CatalogueHardware

func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "txt"))
    return try String(contentsOf: url, encoding: .utf8)
}

/// The `mtx status` parser on the captured samples (peers.md 3.2) and on
/// shapes made for the pitfalls they do not show (peers.md 3.3).
@Suite struct MtxStatusParserTests {
    @Test func aRealLibraryWithTwoDrivesClaimingOneSourceSlotParsesEveryElement() throws {
        let status = try MtxStatusParser.parse(try fixture("sample1-lto9-hera"))
        #expect(status.device == "/dev/sg25")
        #expect(status.driveCount == 2 && status.storageCount == 24 && status.importExportCount == 1)
        #expect(status.drives.count == 2)
        #expect(status.storage.count == 24)
        // Both drives claim element 8, which is empty: the parser reports it, it does not "fix" it.
        #expect(status.drives.map(\.sourceElement) == [8, 8])
        #expect(status.drives.map(\.volumeTag) == ["042142L9", "HER002L9"])
        let eight = try #require(status.storage.first { $0.number == 8 })
        #expect(!eight.isFull && eight.volumeTag == nil)
        let port = try #require(status.storage.first { $0.number == 24 })
        #expect(port.kind == .importExport && port.isFull && port.volumeTag == "HER003L9")
        #expect(status.storage.first { $0.number == 12 }?.volumeTag == "CLN003L1")
        #expect(status.warnings.isEmpty, "the shell prompt before the header is not a warning")
    }

    @Test func tagsWithoutAMediaSuffixAndImportExportAtTheEndParse() throws {
        let status = try MtxStatusParser.parse(try fixture("sample2-proxmox"))
        #expect(status.device == "/dev/tape/by-id/scsi-387408F60F0000", "a device name is taken up to its last colon")
        #expect(status.drives.allSatisfy { !$0.isFull })
        #expect(status.storage.first { $0.number == 5 }?.volumeTag == "test1")
        #expect(status.storage.filter { $0.kind == .importExport }.map(\.number) == [21, 22, 23, 24])
        #expect(status.warnings.isEmpty)
    }

    @Test func importExportElementsInTheMiddleTrailingBlanksAndAFullElementWithoutATag() throws {
        let status = try MtxStatusParser.parse(try fixture("sample3-ibm3361-freebsd"))
        #expect(status.storage.first { $0.number == 3 }?.volumeTag == "UN0101L3", "trailing blanks are trimmed")
        let untagged = try #require(status.storage.first { $0.number == 6 })
        #expect(untagged.isFull, "full comes from the Full word, not from a tag being present")
        #expect(untagged.volumeTag == nil)
        #expect(untagged.kind == .importExport)
        // The capture elides elements 8-37: the parser says so instead of calling them empty.
        #expect(status.warnings.contains { $0.contains("38 storage elements but 8 were reported") })
        #expect(status.warnings.contains { $0.contains("not understood: ...") })
    }

    @Test func aUnitAttentionDumpIsAnErrorNotAnEmptyLibrary() throws {
        #expect(throws: ChangerError.self) { try MtxStatusParser.parse(try fixture("sample4-unit-attention")) }
        let text = try fixture("sample4-unit-attention")
        do {
            _ = try MtxStatusParser.parse(text)
        } catch {
            #expect(error.kind == .unavailable)
        }
    }

    @Test func oldMtxWithoutADriveIndexAnUnknownSourceAndAnAlternateTag() throws {
        let status = try MtxStatusParser.parse(try fixture("own-old-mtx-no-drive-index"))
        let drive = try #require(status.drives.first)
        #expect(drive.number == 0 && drive.isFull && drive.sourceElement == nil && drive.volumeTag == "OLD001L4")
        let first = try #require(status.storage.first { $0.number == 1 })
        #expect(first.volumeTag == "OLD002L4" && first.alternateVolumeTag == "ALT002")
        #expect(status.storage.first { $0.number == 3 }?.isFull == true)
        #expect(status.warnings.isEmpty)
    }

    @Test func carriageReturnsSpacedTagsOnDrivesAndImportExportFirst() throws {
        let status = try MtxStatusParser.parse(try fixture("own-crlf-mixed-ie"))
        let drive = try #require(status.drives.first { $0.number == 0 })
        #expect(drive.volumeTag == "A00002L8" && drive.alternateVolumeTag == "ALT-X" && drive.sourceElement == 2)
        #expect(status.storage.filter { $0.kind == .importExport }.map(\.number) == [1, 4])
        #expect(status.storage.first { $0.number == 5 }?.volumeTag == "000002")
        #expect(status.warnings.isEmpty)
    }

    @Test func anUnknownLineShapeIsReportedAndItsElementIsNotInvented() throws {
        let status = try MtxStatusParser.parse(try fixture("own-truncated-with-unknown-line"))
        #expect(status.storage.map(\.number) == [1, 3])
        #expect(status.warnings.count == 2)
    }

    @Test func textWithoutAHeaderIsRefused() {
        #expect(throws: ChangerError.self) { try MtxStatusParser.parse("") }
        #expect(throws: ChangerError.self) { try MtxStatusParser.parse("Data Transfer Element 0:Empty\n") }
    }
}
