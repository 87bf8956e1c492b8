import CatalogueDomain
import Foundation
import Testing

@testable import CatalogueEngine
@testable import CatalogueStorage

/// A failed write must leave the published state and the log as they were,
/// answer every caller of the batch, and let later commands succeed.
@Suite struct FaultInjectionTests {
    static let faults: [(StorageFaults.Fault, NtmsErrorCode)] = [
        (.commit(errno: EIO), .databaseFailure),
        (.commit(errno: ENOSPC), .databaseFull),
        (.mapFull, .databaseFull),
    ]

    @Test(arguments: 0..<3)
    func aFailedWriteChangesNothingAndTheStoreRecovers(_ index: Int) async throws {
        let (fault, code) = Self.faults[index]
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 20)
        let before = catalogue.snapshot
        let eventsBefore = try catalogue.audit().events

        catalogue.log.faults.current = fault
        let answers = await withTaskGroup(of: NtmsErrorCode?.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    do {
                        _ = try await session.allocate(
                            AllocationRequest(pool: seeded.pool), idempotencyKey: UUID().uuidString)
                        return nil
                    } catch let error as NtmsError {
                        return error.code
                    } catch {
                        return .notEnoughMemory
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0 == code })
        #expect(catalogue.snapshot === before)
        #expect(try catalogue.audit().events == eventsBefore)

        catalogue.log.faults.current = nil
        let allocation = try await session.allocate(AllocationRequest(pool: seeded.pool))
        #expect(catalogue.snapshot.state.logicalMedia[allocation.logicalMedium] != nil)
        let report = try catalogue.audit()
        #expect(report.ok)
        #expect(report.events > eventsBefore)
    }

    /// One failed fsync in the middle of many concurrent callers: only the
    /// callers of that batch hear the error; the batches around it commit, and
    /// what was answered is exactly what was published and logged.
    @Test(arguments: [0, 2, 5, 10, 20])
    func aCommitThatFailsMidRunFailsOnlyItsOwnBatch(_ successes: Int) async throws {
        let store = TestStore()
        defer { store.remove() }
        // Small batches, so that many commit around the failing one.
        let catalogue = try await store.open(
            options: CatalogueOptions(
                writer: WriterTuning(maximumBatch: 4, commandsPerChunk: 4), checkpoints: .disabled))
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 64)

        catalogue.log.faults.failCommits(errno: EIO, after: successes)
        let results = await withTaskGroup(of: Result<Allocation, NtmsError>.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    do {
                        return .success(try await session.allocate(AllocationRequest(pool: seeded.pool)))
                    } catch let error as NtmsError {
                        return .failure(error)
                    } catch {
                        return .failure(NtmsError(.notEnoughMemory, "unexpected \(error)"))
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let allocated = results.compactMap { try? $0.get() }
        let failed = results.compactMap { result -> NtmsErrorCode? in
            if case .failure(let error) = result { error.code } else { nil }
        }
        // Exactly one batch (at most four callers) failed, with the commit's error.
        #expect((1...4).contains(failed.count))
        #expect(failed.allSatisfy { $0 == .databaseFailure })
        #expect(allocated.count == 100 - failed.count)
        // What was answered is what was published and logged, and nothing else.
        #expect(Set(allocated.map(\.logicalMedium)) == Set(catalogue.snapshot.state.logicalMedia.keys))
        #expect(Set(allocated.map(\.side)).count == allocated.count)
        let report = try catalogue.audit()
        #expect(report.ok)
        let published = catalogue.snapshot.state
        catalogue.close()
        let reopened = try await store.open(options: CatalogueOptions(checkpoints: .disabled))
        defer { reopened.close() }
        #expect(reopened.snapshot.state == published)
    }

    @Test func aFailedCommitDoesNotRememberTheIdempotencyKey() async throws {
        let store = TestStore()
        defer { store.remove() }
        let catalogue = try await store.open()
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let seeded = try await Seeded.make(session, media: 2)
        catalogue.log.faults.current = .commit(errno: EIO)
        await #expect(throws: NtmsError.self) {
            _ = try await session.allocate(AllocationRequest(pool: seeded.pool), idempotencyKey: "job-1")
        }
        catalogue.log.faults.current = nil
        let retried = try await session.allocate(AllocationRequest(pool: seeded.pool), idempotencyKey: "job-1")
        let again = try await session.allocate(AllocationRequest(pool: seeded.pool), idempotencyKey: "job-1")
        #expect(retried == again)
        #expect(catalogue.snapshot.state.logicalMedia.count == 1)
    }

    @Test func aMapThatCannotGrowPastItsLimitIsAFullDatabase() async throws {
        let store = TestStore()
        defer { store.remove() }
        let configuration = StoreConfiguration(initialMapSize: 128 * 1024, maximumMapSize: 256 * 1024)
        let catalogue = try await store.open(options: CatalogueOptions(store: configuration))
        defer { catalogue.close() }
        let session = try catalogue.session(application: "test", user: "tester")
        let type = try await session.registerMediaType(name: "LTO-6", sides: 1)
        var registered = 0
        do {
            for n in 0..<10_000 {
                try await session.registerMedium(barcode: "L\(n)", mediaType: type, location: .shelf)
                registered += 1
            }
            Issue.record("a 256 KiB map held 10,000 media")
        } catch {
            #expect(error.code == .databaseFull)
        }
        #expect(catalogue.snapshot.state.media.count == registered)
        #expect(try catalogue.audit().ok)
    }
}
