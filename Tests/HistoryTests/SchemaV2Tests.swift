import Foundation
import GRDB
import Reports
import Testing
import TestSupport
@testable import AuditCore
import CLIParsers
@testable import History

/// Schema v2: a database written by v1 migrated in place; what a verdict rested on stored and read back.
@Suite struct SchemaV2Tests {
    /// A database exactly as cors-audit left it before v2: the v1 migration, one run written with v1's columns, a baseline.
    func v1Database(_ path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(queue, upTo: Schema.v1)
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO run (generated_at, generated_epoch, recorded_at, inventory, verdict, fail_on, complete, node_count,
                                 audited_count, skipped_count, incomplete_count, error_count, warning_count, info_count)
                VALUES ('2026-11-20T02:15:00Z', 1795140900, '2026-11-20T02:16:00Z', 'inventory/lab.yaml', 'drift', 'warning', 1,
                        1, 1, 0, 0, 1, 0, 0);
                INSERT INTO node (id, run_id, position, cluster, host, product, role, status, detail, version)
                VALUES (1, 1, 0, 'uccelab', 'cuicpub.uccelab.tac', 'cuic', 'publisher', 'audited', '', '12.6.2.10000-19');
                INSERT INTO node_list (id, node_id, kind, state, received) VALUES (1, 1, 'cuic', 'enabled', 1);
                INSERT INTO list_origin (list_id, position, origin) VALUES (1, 1, 'https://finessep.uccelab.tac');
                INSERT INTO finding (run_id, position, kind, severity, cluster, host, list, origin, message)
                VALUES (1, 0, 'missing-origin', 'error', 'uccelab', 'cuicpub.uccelab.tac', 'cuic', 'https://finesses.uccelab.tac', 'missing');
                INSERT INTO baseline (run_id, approved_at) VALUES (1, '2026-11-20T03:00:00Z');
                """)
        }
        #expect(try queue.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") } == [Schema.v1])
    }

    @Test func aVersion1DatabaseIsMigratedInPlaceAndItsRunsStayReadable() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/history.sqlite"
        try v1Database(path)

        let store = try HistoryStore(path: path)
        let applied = try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
        #expect(applied == [Schema.v1, Schema.v2])
        let old = try #require(try store.snapshot(run: 1))
        #expect(old.summary.inventoryKey == nil && old.summary.tag == nil && old.context == nil)
        #expect(old.nodes.map(\.host) == ["cuicpub.uccelab.tac"] && old.nodes[0].services == nil)
        #expect(old.findings.map(\.kind) == [.missingOrigin])
        #expect(try store.baseline()?.run.id == 1)

        // The old run belongs to the inventory whose path it recorded, resolved from the current directory (the package root).
        let lab = InventoryIdentity(key: InventoryIdentity.key(path: "inventory/lab.yaml"), digest: "")
        #expect(try store.scope(for: lab) == .inventory(key: lab.key, legacyPaths: ["inventory/lab.yaml"]))
        try store.record(try labAudit(generatedAt: "2026-11-21T02:15:00Z"), labels: RunLabels(inventory: lab))
        #expect(try store.runs(scope: try store.scope(for: lab)).map(\.id) == [2, 1])
        #expect(try store.runs(scope: try store.scope(for: InventoryIdentity(key: "/elsewhere/site.yaml", digest: ""))).isEmpty)
        let drift = try store.drift(against: .previous, scope: try store.scope(for: lab))
        #expect(drift.from.id == 1 && drift.to.id == 2)

        // Opening again applies nothing more.
        _ = try HistoryStore(path: path)
        #expect(try store.runCount() == 2)
    }

    @Test func aMigrationThatFailsChangesNothing() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/history.sqlite"
        try v1Database(path)
        // An index in the way of v2's last statement (a hand-edited database): v2 fails once its table and columns are made,
        // and they are rolled back with it.
        try DatabaseQueue(path: path).write { try $0.execute(sql: "CREATE TABLE hand_made (x); CREATE INDEX run_by_inventory ON hand_made (x)") }
        #expect(throws: (any Error).self) { try HistoryStore(path: path) }
        let columns = try DatabaseQueue(path: path).read { db in try db.columns(in: "run").map(\.name) }
        #expect(!columns.contains("inventory_key"))
        #expect(try DatabaseQueue(path: path).read { try $0.tableExists("blob") } == false)
        #expect(try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") } == [Schema.v1])
    }

    @Test func aRunKeepsWhatItsVerdictRestedOnAndIsReRenderedFromIt() throws {
        let t = try TempStore()
        let report = try labAudit()
        #expect(!report.plans.isEmpty)
        let identity = InventoryIdentity(key: "/srv/cors-audit/inventory/lab.yaml", digest: "0123456789abcdef")
        let id = try t.store.record(report, labels: RunLabels(inventory: identity))
        let stored = try #require(try t.store.snapshot(run: id))
        #expect(stored.summary.inventoryKey == identity.key && stored.summary.inventoryDigest == identity.digest)
        let context = try #require(stored.context)
        // Expected origins per cluster and list, as the audit compared with them.
        for node in report.nodes {
            for list in node.lists { #expect(context.expected[node.cluster]?[list.kind] == list.expected, "\(node.host) \(list.kind)") }
        }
        // The plans, decoded back through the report reader: each runbook renders byte for byte as on the day.
        #expect(context.plans == report.plans)
        for (a, b) in zip(context.plans, report.plans) { #expect(RunbookRenderer().text(a) == RunbookRenderer().text(b)) }
        // Services and versions per node.
        #expect(stored.nodes.map(\.services) == report.nodes.map(\.services))
        #expect(stored.nodes.contains { $0.services != nil })
        #expect(stored.nodes.map(\.version) == report.nodes.map(\.version))

        // Stored once: a second identical run adds no document, and a prune takes the documents no run names.
        let documents = { try t.store.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM blob") ?? 0 } }
        let once = try documents()
        try t.store.record(try labAudit(generatedAt: "2026-11-27T09:00:00Z"), labels: RunLabels(inventory: identity))
        #expect(try documents() == once)
        var clean = report
        clean.plans = []
        clean.generatedAt = "2026-11-28T09:00:00Z"
        try t.store.record(clean, labels: RunLabels(inventory: identity))
        #expect(try documents() == once)
        try t.store.prune(keep: .runs(1))
        // Left: the expected origins and each distinct service list; the plans went with the runs that named them.
        #expect(try documents() == 1 + Set(report.nodes.compactMap { n in n.services.flatMap { try? Blob.encode($0) } }).count)
    }
}

/// Each inventory has its own history: listing, drift, baseline and prune are scoped by the inventory's identity.
@Suite struct InventoryScopeTests {
    let a = InventoryIdentity(key: "/srv/a.yaml", digest: "aaaaaaaaaaaaaaaa")
    let b = InventoryIdentity(key: "/srv/b.yaml", digest: "bbbbbbbbbbbbbbbb")

    @Test func twoInventoriesInOneDatabaseAreKeptApart() throws {
        let t = try TempStore()
        let s = t.store
        let sub = node("cuicsub.uccelab.tac", role: .subscriber, lists: [list(.cuic, Array(allFour.dropLast())), list(.liveData)])
        try s.record(report(labNodes(), at: "2026-11-24T02:15:00Z"), labels: RunLabels(inventory: a))                       // 1
        try s.record(report([node("other.example.com", cluster: "other")], at: "2026-11-24T02:20:00Z"), labels: RunLabels(inventory: b)) // 2
        try s.record(report(labNodes(replacing: [sub]), at: "2026-11-25T02:15:00Z"), labels: RunLabels(inventory: a))       // 3
        try s.record(report([node("other.example.com", cluster: "other")], at: "2026-11-25T02:20:00Z"), labels: RunLabels(inventory: b)) // 4

        #expect(throws: HistoryError.severalInventories(["/srv/a.yaml", "/srv/b.yaml"])) {
            try s.soleInventoryScope()
        }
        let scopeA = try s.scope(for: a), scopeB = try s.scope(for: b)
        #expect(try s.runs(scope: scopeA).map(\.id) == [3, 1])
        #expect(try s.runs(scope: scopeB).map(\.id) == [4, 2])
        #expect(try s.runs(scope: .all).map(\.id) == [4, 3, 2, 1])

        let driftA = try s.drift(against: .previous, scope: scopeA)
        #expect(driftA.from.id == 1 && driftA.to.id == 3)
        #expect(driftA.changes.map(\.kind) == [.originRemoved])
        #expect(try s.drift(against: .previous, scope: scopeB).changes.isEmpty)
        // Unscoped, the latest two runs are of different inventories: every node differs.
        #expect(try s.drift(against: .previous, scope: .all).changes.count > 1)

        // RUN_A RUN_B: any two runs of the scope; a run of another inventory is refused.
        #expect(try s.drift(from: 3, to: 1, scope: scopeA).changes.map(\.kind) == [.originAdded])
        #expect(throws: HistoryError.runOfAnotherInventory(2, "inventory/lab.yaml")) { try s.drift(from: 1, to: 2, scope: scopeA) }

        // One baseline per inventory.
        try s.approveBaseline(run: 1, scope: scopeA)
        #expect(try s.baseline(scope: scopeB) == nil)
        try s.approveBaseline(scope: scopeB)
        #expect(try s.baseline(scope: scopeA)?.run.id == 1 && s.baseline(scope: scopeB)?.run.id == 4)
        #expect(throws: HistoryError.runOfAnotherInventory(3, "inventory/lab.yaml")) { try s.approveBaseline(run: 3, scope: scopeB) }
        #expect(try s.drift(against: .baseline, scope: scopeA).from.id == 1)

        // Prune keeps N runs of each inventory, each one's newest and its baseline.
        let pruned = try s.prune(keep: .runs(1))
        #expect(pruned.deleted == 1 && pruned.keptBaseline == 1)
        #expect(try s.runs(scope: .all).map(\.id) == [4, 3, 1])
    }

    @Test func applysReAuditIsNeverTheLatestRunAndNamesTheChangesItMade() throws {
        let t = try TempStore()
        let s = t.store
        let gap = node("cuicsub.uccelab.tac", role: .subscriber, lists: [list(.cuic, Array(allFour.dropLast())), list(.liveData)])
        try s.record(report(labNodes(replacing: [gap]), at: "2026-11-24T02:15:00Z"), labels: RunLabels(inventory: a))      // 1 nightly
        try s.record(report(labNodes(replacing: [gap]), at: "2026-11-24T10:00:00Z"), labels: RunLabels(inventory: a, tag: .applyBefore)) // 2
        // The re-audit holds only the changed cluster's nodes (here: the subscriber alone).
        try s.record(report([node("cuicsub.uccelab.tac", role: .subscriber)], at: "2026-11-24T10:05:00Z"),
                     labels: RunLabels(inventory: a, tag: .applyAfter, planRun: 2))                                                    // 3
        // Someone else removes an origin from the publisher the same day.
        let pub = node("cuicpub.uccelab.tac", role: .publisher, lists: [list(.cuic), list(.liveData, Array(allFour.dropFirst()))])
        try s.record(report(labNodes(replacing: [pub]), at: "2026-11-25T02:15:00Z"), labels: RunLabels(inventory: a))      // 4 nightly

        let scope = try s.scope(for: a)
        #expect(throws: Never.self) { try s.soleInventoryScope() }
        let drift = try s.drift(against: .previous, scope: scope)
        #expect(drift.from.id == 2 && drift.to.id == 4)
        #expect(drift.changes.map(\.host) == ["cuicpub.uccelab.tac", "cuicsub.uccelab.tac"])
        #expect(drift.changes.map(\.appliedBy) == [nil, 3])
        let text = DriftRenderer().text(drift)
        #expect(text.contains("cuic       + https://finesses.uccelab.tac:8445  (changed by apply run 3)\n"))
        #expect(text.hasSuffix("Result: DRIFT, 2 changes, 1 made by cors-audit's apply (exit 1)\n"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(DriftRenderer().json(drift).serialized().utf8)) as? [String: Any])
        #expect((json["changes"] as? [[String: Any]])?.map { $0["applied_by"] as? Int } == [nil, 3])

        // From the nightly before the apply too.
        let fromNightly = try s.drift(from: 1, to: 4, scope: scope)
        #expect(fromNightly.changes.map(\.appliedBy) == [nil, 3])
        // The baseline defaults to the latest whole run, never the partial re-audit.
        #expect(try s.approveBaseline(scope: scope).run.id == 4)
    }
}
