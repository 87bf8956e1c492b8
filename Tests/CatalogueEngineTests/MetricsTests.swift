import CatalogueDomain
import CatalogueEngine
import MetricsTestKit
import Testing

@Suite struct MetricsTests {
    @Test func theEngineReportsAllocationsSidesRequestsDrivesCommitsAndRobotMovesToTheEmbeddersBackend()
        async throws
    {
        let store = TestStore()
        defer { store.remove() }
        let metrics = TestMetrics()
        var options = CatalogueOptions()
        options.metricsFactory = metrics
        let catalogue = try await store.open(options: options)
        defer { catalogue.close() }
        let session = try catalogue.session(application: "backup", user: "svc")
        let seeded = try await Seeded.make(session, media: 3)
        try await session.attachChanger(seeded.robot, kind: .simulated)
        let first = try await session.allocate(AllocationRequest(pool: seeded.pool))
        let second = try await session.allocate(AllocationRequest(pool: seeded.pool))
        try await session.deallocate(first.logicalMedium)
        _ = try await session.submitRequest(.message, message: "check the door")
        _ = try await session.mount(second.side)
        try await session.disable(.drive(DriveAddress(library: seeded.robot, number: 1)))
        catalogue.updateMetrics()

        let backup = [("pool", "\\Backup")]
        #expect(try metrics.expectCounter("mediacatalogue_allocations_total", backup).totalValue == 2)
        #expect(try metrics.expectCounter("mediacatalogue_deallocations_total", backup).totalValue == 1)
        let free = try #require(
            catalogue.snapshot.state.pools[catalogue.snapshot.state.mediaTypes[seeded.type]!.freePool])
        let freeLabels = [("pool", free.path), ("media_type", "MO"), ("pool_type", "FREE")]
        #expect(
            try metrics.expectGauge("mediacatalogue_available_sides", freeLabels).lastValue
                == Double(catalogue.snapshot.state.availableSideCount(in: free.id)))
        #expect(
            try metrics.expectGauge("mediacatalogue_scratch_sides", [("media_type", "MO")]).lastValue
                == Double(catalogue.snapshot.state.availableSideCount(in: free.id)))
        #expect(try metrics.expectGauge("mediacatalogue_open_requests", [("type", "MESSAGE")]).lastValue == 1)
        #expect(try metrics.expectGauge("mediacatalogue_open_requests", [("type", "NEWMEDIA")]).lastValue == 0)
        #expect((try metrics.expectGauge("mediacatalogue_oldest_open_request_age_seconds").lastValue ?? -1) >= 0)
        #expect(
            try metrics.expectGauge("mediacatalogue_drives", [("library", "Robot"), ("state", "LOADED")]).lastValue
                == 1)
        #expect(
            try metrics.expectGauge("mediacatalogue_drives", [("library", "Robot"), ("state", "DISMOUNTED")])
                .lastValue == 1)
        #expect(
            try metrics.expectGauge("mediacatalogue_library_needs_inventory", [("library", "Robot")]).lastValue == 0)
        #expect(try metrics.expectGauge("mediacatalogue_library_disabled", [("library", "Robot")]).lastValue == 0)
        #expect(try metrics.expectGauge("mediacatalogue_disabled_drives", [("library", "Robot")]).lastValue == 1)
        let moves = try metrics.expectCounter(
            "mediacatalogue_robot_operations_total",
            [("library", "Robot"), ("task", "mount"), ("result", "succeeded")])
        #expect(moves.totalValue == 1)
        #expect(
            try metrics.expectTimer("mediacatalogue_robot_operation_duration_seconds", [("task", "mount")]).values
                .count == 1)
        let commits = try metrics.expectTimer("mediacatalogue_commit_duration_seconds").values
        let batches = try metrics.expectRecorder("mediacatalogue_commit_batch_commands").values
        #expect(!commits.isEmpty && commits.count == batches.count)
        #expect(batches.reduce(0, +) >= 8)
        let head = Double(catalogue.snapshot.head.sequence)
        #expect(try metrics.expectGauge("mediacatalogue_head_sequence").lastValue == head)
        #expect(try metrics.expectCounter("mediacatalogue_events_appended_total").totalValue == Int64(head))
    }

    @Test func countersOnlyGrowAndGaugesOfADeletedPoolFallToZero() async throws {
        let store = TestStore()
        defer { store.remove() }
        let metrics = TestMetrics()
        var options = CatalogueOptions()
        options.metricsFactory = metrics
        let catalogue = try await store.open(options: options)
        defer { catalogue.close() }
        let session = try catalogue.session(application: "backup", user: "svc")
        let seeded = try await Seeded.make(session, media: 2)
        let spare = try await session.createPool(path: "\\Spare", mediaType: seeded.type)
        let free = try #require(catalogue.snapshot.state.mediaTypes[seeded.type]?.freePool)
        try await session.move(seeded.media[0], to: spare)
        catalogue.updateMetrics()
        let spareLabels = [("pool", "\\Spare"), ("media_type", "MO"), ("pool_type", "APPLICATION")]
        #expect(try metrics.expectGauge("mediacatalogue_available_sides", spareLabels).lastValue == 2)
        _ = try await session.allocate(AllocationRequest(pool: seeded.pool))
        // Updating twice adds nothing twice.
        catalogue.updateMetrics()
        catalogue.updateMetrics()
        #expect(try metrics.expectCounter("mediacatalogue_allocations_total", [("pool", "\\Backup")]).totalValue == 1)
        try await session.move(seeded.media[0], to: free)
        try await session.deletePool(spare)
        catalogue.updateMetrics()
        #expect(try metrics.expectGauge("mediacatalogue_available_sides", spareLabels).lastValue == 0)
        let denied = try metrics.expectCounter("mediacatalogue_access_denied_total")
        #expect(denied.totalValue == 0)
    }
}
