import CatalogueFuzzChecks
import Foundation
import Testing

/// Every seed and every input a fuzzer once crashed on goes through the same
/// checks on every test run, so a fixed crash stays fixed.
@Suite struct FuzzRegressionTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ target: String) throws -> [[UInt8]] {
        var inputs: [[UInt8]] = []
        for folder in ["Corpus", "Regressions"] {
            let directory = fuzzDirectory.appendingPathComponent(folder).appendingPathComponent(target)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for file in files.sorted() where !file.hasPrefix(".") {
                inputs.append(Array(try Data(contentsOf: directory.appendingPathComponent(file))))
            }
        }
        return inputs
    }

    @Test func theEventDecoderSurvivesEveryCorpusAndRegressionInput() throws {
        let inputs = try Self.inputs("FuzzEventDecoder")
        #expect(inputs.count >= FuzzChecks.seeds(for: "FuzzEventDecoder").count)
        for input in inputs { FuzzChecks.eventDecoder(input) }
    }

    @Test func nameParsingSurvivesEveryCorpusAndRegressionInput() throws {
        let inputs = try Self.inputs("FuzzNames")
        #expect(inputs.count >= FuzzChecks.seeds(for: "FuzzNames").count)
        for input in inputs { FuzzChecks.names(input) }
    }

    @Test func theCheckpointDecoderSurvivesEveryCorpusAndRegressionInput() throws {
        let inputs = try Self.inputs("FuzzCheckpoint")
        #expect(inputs.count >= FuzzChecks.seeds(for: "FuzzCheckpoint").count)
        for input in inputs { FuzzChecks.checkpoint(input) }
    }

    @Test func theMtxStatusParserSurvivesEveryCorpusAndRegressionInput() throws {
        let inputs = try Self.inputs("FuzzMtxStatus")
        #expect(inputs.count >= FuzzChecks.seeds(for: "FuzzMtxStatus").count)
        for input in inputs { FuzzChecks.mtxStatus(input) }
    }

    @Test func requestBodyDecodingSurvivesEveryCorpusAndRegressionInput() throws {
        let inputs = try Self.inputs("FuzzRequestBodies")
        #expect(inputs.count >= FuzzChecks.seeds(for: "FuzzRequestBodies").count)
        for input in inputs { FuzzChecks.requestBodies(input) }
    }

    /// Writes the seed corpora; run with MEDIACATALOGUE_WRITE_FUZZ_SEEDS=1 after changing the formats.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MEDIACATALOGUE_WRITE_FUZZ_SEEDS"] != nil))
    func writeSeedCorpora() throws {
        for target in ["FuzzEventDecoder", "FuzzNames", "FuzzCheckpoint", "FuzzMtxStatus", "FuzzRequestBodies"] {
            let directory = Self.fuzzDirectory.appendingPathComponent("Corpus").appendingPathComponent(target)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for (index, seed) in FuzzChecks.seeds(for: target).enumerated() {
                try Data(seed).write(to: directory.appendingPathComponent(String(format: "seed-%03d", index)))
            }
        }
    }
}
