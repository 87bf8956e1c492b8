import CatalogueDomain
import CatalogueEngine
import CatalogueStorage
import Foundation
import Testing

@Suite struct AccessControlTests {
    /// A store its creator (this process's user) administers, with a robot
    /// holding `media` scratch media and an application pool.
    static func strictStore(_ store: TestStore, media: Int = 4) async throws -> (Catalogue, Seeded) {
        let catalogue = try await store.open(strictAccess: true)
        let admin = try catalogue.session(application: "setup", principal: OSAccounts.currentPrincipal())
        return (catalogue, try await Seeded.make(admin, media: media))
    }

    @Test func aDeniedCommandGetsAccessDeniedAndIsRecordedForAuditors() async throws {
        let store = TestStore()
        defer { store.remove() }
        let (catalogue, seeded) = try await Self.strictStore(store)
        let alice = try catalogue.session(application: "backup", user: "alice", groups: ["tape"])
        let before = catalogue.snapshot.state
        let error = await #expect(throws: NtmsError.self) {
            _ = try await alice.allocate(AllocationRequest(pool: seeded.pool), idempotencyKey: "job-1")
        }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains("alice may not AllocateNtmsMedia: it needs control on pool \\Backup") == true)
        let after = catalogue.snapshot.state
        #expect(after.accessDenialCount == before.accessDenialCount + 1)
        #expect(after.sides.values.filter { $0.state == .allocated }.isEmpty)
        var logged: [LoggedEvent] = []
        let head = catalogue.snapshot.head.sequence
        try catalogue.forEachEvent(from: head, through: head) { logged.append($0) }
        let last = try #require(logged.first)
        #expect(last.user == "alice" && last.application == "backup")
        guard case .accessDenied(let denial) = last.event else {
            Issue.record("the refusal was not recorded: \(last.event.name)")
            return
        }
        #expect(denial.principal == Principal(user: "alice", groups: ["tape"]))
        #expect(denial.object == .pool(seeded.pool) && denial.missing == .control)
        // The refusal was not kept as the key's answer: once granted, the retry allocates.
        let admin = try catalogue.session(application: "setup", principal: OSAccounts.currentPrincipal())
        try await admin.grantAccess(.control, to: .group("tape"), on: .pool(seeded.pool))
        let free = try #require(catalogue.snapshot.state.mediaTypes[seeded.type]?.freePool)
        try await admin.grantAccess(.use, to: .group("tape"), on: .pool(free))
        let allocation = try await alice.allocate(AllocationRequest(pool: seeded.pool), idempotencyKey: "job-1")
        #expect(catalogue.snapshot.state.sides[allocation.side]?.state == .allocated)
        catalogue.close()
        // Replay rebuilds the rights and the refusal count.
        let reopened = try await Catalogue.open(at: store.path)
        defer { reopened.close() }
        #expect(reopened.snapshot.state.accessLists == catalogue.snapshot.state.accessLists)
        #expect(reopened.snapshot.state.accessDenialCount == 1)
    }

    @Test func aWaitingAllocationWithoutTheRightIsRefusedBeforeItWaits() async throws {
        let store = TestStore()
        defer { store.remove() }
        let (catalogue, seeded) = try await Self.strictStore(store, media: 0)
        defer { catalogue.close() }
        let bob = try catalogue.session(application: "backup", user: "bob")
        let error = await #expect(throws: NtmsError.self) {
            _ = try await bob.allocate(AllocationRequest(pool: seeded.pool), timeout: .milliseconds(60_000))
        }
        #expect(error?.code == .accessDenied)
        #expect(catalogue.snapshot.state.requests.isEmpty)
        #expect(catalogue.snapshot.state.accessDenialCount == 1)
    }

    @Test func aStoreFromBeforeAccessRightsOpensWithItsOwnerAsAdministrator() async throws {
        let store = TestStore()
        defer { store.remove() }
        // The first event alone, as every store written before access rights began.
        var state = CatalogueState()
        let created = try state.decide(.createCatalogue()).get().events[0]
        state.evolve(created, EventEnvelope(time: 1, application: "mediactl", user: "root"))
        let log = try EventLog(directory: store.path, create: true)
        try log.write { writer in
            let header = RecordHeader(
                sequence: 1, eventType: created.typeCode, schemaVersion: 1, timestamp: 1, application: "mediactl",
                user: "root", idempotencyKey: nil)
            try writer.recordHead(try writer.append(header, payload: created.encodedPayload(), after: .empty))
        }
        log.close()
        // A read-only open writes nothing and finds no list.
        do {
            let reader = try await Catalogue.open(at: store.path, mode: .readOnly)
            #expect(reader.snapshot.state.accessLists[.catalogue] == nil)
            reader.close()
        }
        let catalogue = try await Catalogue.open(at: store.path)
        defer { catalogue.close() }
        let owner = OSAccounts.ownerName(of: store.path)
        #expect(catalogue.snapshot.state.accessLists[.catalogue]?.entries == [AccessEntry(.user(owner), .all)])
        #expect(catalogue.snapshot.state.rights(of: Principal(user: "someone-else"), on: .catalogue) == [])
        let session = try catalogue.session(application: "other", user: "someone-else")
        await #expect(
            throws: NtmsError(.accessDenied, "someone-else may not AddNtmsMediaType: it needs modify on the catalogue")
        ) {
            _ = try await session.registerMediaType(name: "LTO", sides: 1)
        }
    }
}
