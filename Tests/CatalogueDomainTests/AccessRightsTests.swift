import CatalogueDomain
import Testing

@Suite struct AccessRightsTests {
    static let alice = Principal(user: "alice", groups: ["backup"])
    static let bob = Principal(user: "bob", groups: ["staff"])

    static func acting(_ principal: Principal) -> DecisionContext { DecisionContext(principal: principal) }

    func outcome(_ f: Fixture, _ command: CatalogueCommand, as principal: Principal) -> Result<Decision, NtmsError> {
        f.h.state.decide(command, context: Self.acting(principal))
    }

    @Test func theCreatorAdministersANewCatalogueAndOthersHoldNothing() throws {
        let state = try CatalogueState().decide(.createCatalogue(), context: Self.acting(Self.alice)).get()
        var created = CatalogueState()
        created.evolve(state.events)
        #expect(created.isAdministrator(Self.alice))
        #expect(created.rights(of: Self.bob, on: .catalogue) == [])
        #expect(created.accessLists[.catalogue]?.entries == [AccessEntry(.user("alice"), .all)])
    }

    @Test func allocationNeedsControlOnThePoolAndUseOnTheFreePoolWhenItDrawsFromScratch() throws {
        var f = try Fixture()
        _ = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        let allocate = CatalogueCommand.allocate(AllocationRequest(pool: f.daily))
        try f.h.run(.grantAccess(.pool(f.daily), .group("backup"), .control))
        // Nothing in the pool: the side would come from scratch, which needs USE on the free pool.
        guard case .failure(let refusal) = outcome(f, allocate, as: Self.alice) else {
            Issue.record("allocated without USE on the free pool")
            return
        }
        #expect(refusal.code == .accessDenied)
        #expect(refusal.message.contains("pool \\Free\\MO-5.2GB"))
        let denial = try #require(f.h.state.accessDenial(for: allocate, context: Self.acting(Self.alice)))
        #expect(denial.object == .pool(f.freePool) && denial.missing == .use && denial.action == "AllocateNtmsMedia")
        try f.h.run(.grantAccess(.pool(f.freePool), .everyone, .use))
        #expect(throws: Never.self) { try outcome(f, allocate, as: Self.alice).get() }
        // Bob is in neither entry.
        #expect(f.h.state.accessDenial(for: allocate, context: Self.acting(Self.bob))?.object == .pool(f.daily))
    }

    @Test func aPoolFollowsItsNearestAncestorWithAListElseTheCatalogue() throws {
        var f = try Fixture()
        let folder = f.h.state.pool(atPath: "\\Backup")!.id
        #expect(f.h.state.governingAccessList(for: .pool(f.daily))?.from == .catalogue)
        try f.h.run(.grantAccess(.catalogue, .user("bob"), .use))
        #expect(f.h.state.rights(of: Self.bob, on: .pool(f.daily)) == .use)
        #expect(f.h.state.rights(of: Self.bob, on: .library(f.robot)) == .use)
        try f.h.run(.grantAccess(.pool(folder), .user("alice"), .modify))
        let governing = try #require(f.h.state.governingAccessList(for: .pool(f.daily)))
        #expect(governing.from == .pool(folder))
        // The folder's first list started from what it inherited: bob keeps USE.
        #expect(f.h.state.rights(of: Self.bob, on: .pool(f.daily)) == .use)
        #expect(f.h.state.rights(of: Self.alice, on: .pool(f.daily)) == .modify)
        try f.h.run(.revokeAccess(.pool(f.daily), .user("bob"), .use))
        #expect(f.h.state.rights(of: Self.bob, on: .pool(f.daily)) == [])
        #expect(f.h.state.rights(of: Self.bob, on: .pool(folder)) == .use)
        try f.h.run(.inheritAccess(.pool(f.daily)))
        #expect(f.h.state.rights(of: Self.bob, on: .pool(f.daily)) == .use)
    }

    @Test func catalogueControlPassesEveryCheckAsAnAdministratorsDoes() throws {
        var f = try Fixture()
        try f.h.run(.grantAccess(.catalogue, .group("admins"), .control))
        try f.h.run(.grantAccess(.pool(f.daily), .user("alice"), .use))
        let admin = Principal(user: "carol", groups: ["admins"])
        #expect(f.h.state.rights(of: admin, on: .pool(f.daily)) == .all)
        _ = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        #expect(throws: Never.self) { try outcome(f, .allocate(AllocationRequest(pool: f.daily)), as: admin).get() }
    }

    @Test func mountingNeedsUseOnTheMediumsPoolAndOnItsLibrary() throws {
        var f = try Fixture()
        let medium = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        try f.h.run(.attachChanger(f.robot, .simulated, device: ""))
        let mount = CatalogueCommand.beginMount(medium.sides[0], drive: nil)
        try f.h.run(.grantAccess(.pool(f.freePool), .user("alice"), .use))
        #expect(f.h.state.accessDenial(for: mount, context: Self.acting(Self.alice))?.object == .library(f.robot))
        try f.h.run(.grantAccess(.library(f.robot), .group("backup"), .use))
        #expect(f.h.state.accessDenial(for: mount, context: Self.acting(Self.alice)) == nil)
        // Ejecting needs CONTROL on the library, which USE is not.
        let eject = CatalogueCommand.beginEject(medium.id, port: 1)
        #expect(f.h.state.accessDenial(for: eject, context: Self.acting(Self.alice))?.missing == .control)
    }

    @Test func aRefusedCommandChangesNothing() throws {
        var f = try Fixture()
        _ = try f.h.medium("MO0001", type: f.type, at: .slot(f.robot, 1))
        let before = f.h.state
        for command: CatalogueCommand in [
            .allocate(AllocationRequest(pool: f.daily)), .setPoolPolicy(pool: f.daily, policy: PoolPolicy()),
            .deletePool(f.daily), .grantAccess(.catalogue, .user("bob"), .control),
            .addLibrary(name: "Other", slots: 4, drives: 0, ports: 0),
            .submitRequest(type: .message, message: "hello", firstArgument: nil, secondArgument: nil),
        ] {
            guard case .failure(let error) = outcome(f, command, as: Self.bob) else {
                Issue.record("\(command) was accepted from bob")
                continue
            }
            #expect(error.code == .accessDenied)
            #expect(f.h.state.accessDenial(for: command, context: Self.acting(Self.bob)) != nil)
        }
        #expect(f.h.state == before)
    }

    @Test func nobodyCanRevokeTheLastControlOfTheCatalogue() throws {
        var f = try Fixture()
        #expect(f.h.expectFailure(.revokeAccess(.catalogue, .user(""), .control), .invalidOperation))
        try f.h.run(.grantAccess(.catalogue, .user("alice"), .control))
        try f.h.run(.revokeAccess(.catalogue, .user(""), .all))
        #expect(f.h.state.accessLists[.catalogue]?.entries == [AccessEntry(.user("alice"), .control)])
        #expect(f.h.expectFailure(.inheritAccess(.catalogue), .invalidParameter))
    }

    @Test func badTrusteesRightsAndObjectsAreRefusedWithTheirOwnErrors() throws {
        let f = try Fixture()
        #expect(f.h.expectFailure(.grantAccess(.catalogue, .user(""), .use), .invalidName))
        #expect(f.h.expectFailure(.grantAccess(.catalogue, .group("a\u{202E}b"), .use), .invalidName))
        #expect(
            f.h.expectFailure(.grantAccess(.catalogue, .user(String(repeating: "x", count: 65)), .use), .invalidName))
        #expect(f.h.expectFailure(.grantAccess(.catalogue, .user("alice"), []), .invalidParameter))
        #expect(
            f.h.expectFailure(.grantAccess(.catalogue, .user("alice"), AccessRights(rawValue: 8)), .invalidParameter))
        #expect(f.h.expectFailure(.grantAccess(.pool(PoolID(999_999)), .user("alice"), .use), .invalidMediaPool))
        #expect(f.h.expectFailure(.grantAccess(.library(LibraryID(999_999)), .user("alice"), .use), .invalidLibrary))
    }

    @Test func groupAndEveryoneEntriesAddToTheUsersOwn() {
        let list = AccessList([
            AccessEntry(.user("alice"), .use), AccessEntry(.group("backup"), .control), AccessEntry(.everyone, .modify),
            AccessEntry(.user("alice"), .modify),
        ])
        #expect(list.entries.count == 3)
        #expect(list.rights(of: Self.alice) == .all)
        #expect(list.rights(of: Self.bob) == .modify)
        #expect(list.changing(.everyone, .modify, granting: false).rights(of: Self.bob) == [])
    }
}
