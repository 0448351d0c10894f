import Foundation
import GRDB
import Testing
@testable import AuditCore
import CLIParsers
import History

@Suite struct RecordingTests {
    @Test func recordsTheRunItsNodesListsAndFindings() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try HistoryStore(path: "\(dir)/history.sqlite")
        let audit = try labAudit()
        let id = try store.record(audit, failOn: .warning, recordedAt: Date(timeIntervalSince1970: 1_795_687_200))

        let snap = try #require(try store.snapshot(run: id))
        #expect(snap.summary.generatedAt == "2026-11-26T09:00:00Z")
        #expect(snap.summary.generatedEpoch == 1_795_683_600)
        #expect(snap.summary.recordedAt == "2026-11-26T10:00:00Z")
        #expect(snap.summary.inventory == audit.inventoryPath)
        #expect(snap.summary.verdict == .drift)
        #expect(snap.summary.failOn == .warning)
        #expect(snap.summary.complete)
        #expect((snap.summary.nodes, snap.summary.audited, snap.summary.skipped, snap.summary.incomplete) == (4, 4, 0, 0))
        #expect((snap.summary.errors, snap.summary.warnings, snap.summary.infos)
                == (audit.count(.error), audit.count(.warning), audit.count(.info)))

        // Every node, list, state and origin as the report holds them, in inventory and list order.
        #expect(snap.nodes.map(\.host) == audit.nodes.map(\.host))
        for (stored, observed) in zip(snap.nodes, audit.nodes) {
            #expect(stored.cluster == observed.cluster)
            #expect(stored.product == observed.product)
            #expect(stored.role == observed.role)
            #expect(stored.status == observed.status)
            #expect(stored.detail == observed.detail)
            #expect(stored.version == observed.version)
            #expect(stored.lists == observed.lists.map { StoredList(kind: $0.kind, state: $0.state, origins: $0.origins) })
        }
        let sub = try #require(snap.nodes.first { $0.host == "cuicsub.uccelab.tac" })
        #expect(sub.list(.cuic)?.origins?.contains("https://finessep.uccelab.tac:8445") == false)

        #expect(snap.findings.count == audit.findings.count)
        for (stored, finding) in zip(snap.findings, audit.findings) {
            #expect(stored == StoredFinding(kind: finding.kind, severity: finding.severity, cluster: finding.cluster,
                                            host: finding.host, list: finding.list, origin: finding.origin, message: finding.message))
        }
    }

    @Test func originsAreOneRowEachWithTheNodesIndex() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/history.sqlite"
        let store = try HistoryStore(path: path)
        let lists = [list(.cuic, ["https://b.example", "https://a.example", "https://b.example"]), list(.liveData, nil, state: nil)]
        try store.record(report(labNodes(replacing: [node("cuicpub.uccelab.tac", role: .publisher, lists: lists)])))

        let db = try DatabaseQueue(path: path)
        let rows = try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT o.position, o.origin FROM list_origin o JOIN node_list l ON l.id = o.list_id JOIN node n ON n.id = l.node_id
                WHERE n.host = 'cuicpub.uccelab.tac' AND l.kind = 'cuic' ORDER BY o.position
                """)
        }
        #expect(rows.map { $0["position"] as Int } == [1, 2, 3])
        #expect(rows.map { $0["origin"] as String } == ["https://b.example", "https://a.example", "https://b.example"])

        // A list not read is stored as such, not as an empty list.
        let snap = try #require(try store.snapshot(run: 1))
        let pub = try #require(snap.nodes.first)
        #expect(pub.list(.liveData) == StoredList(kind: .liveData, state: nil, origins: nil))
        #expect(pub.list(.cuic)?.origins == ["https://b.example", "https://a.example", "https://b.example"])

        let tables = try db.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") }
        #expect(Set(tables).isSuperset(of: ["run", "node", "node_list", "list_origin", "finding", "baseline", "grdb_migrations"]))
        #expect(try db.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }

    @Test func runsAreListedNewestFirstWithALimit() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try HistoryStore(path: "\(dir)/history.sqlite")
        try store.record(report(labNodes(), at: "2026-11-24T02:15:00Z"))
        try store.record(report(labNodes(), at: "2026-11-26T02:15:00Z"))
        // Recorded late but started earlier (a slow run): ordered by when it started.
        try store.record(report(labNodes(), at: "2026-11-25T02:15:00Z"))
        #expect(try store.runs().map(\.id) == [2, 3, 1])
        #expect(try store.runs(limit: 2).map(\.generatedAt) == ["2026-11-26T02:15:00Z", "2026-11-25T02:15:00Z"])
        #expect(try store.runCount() == 3)
    }

    @Test func readingNeverCreatesADatabase() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: HistoryError.missingDatabase("\(dir)/typo.sqlite")) { try HistoryStore(path: "\(dir)/typo.sqlite", create: false) }
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/typo.sqlite"))
        // Writing creates the folders on the way.
        _ = try HistoryStore(path: "\(dir)/reports/nested/history.sqlite")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/reports/nested/history.sqlite"))
    }

    @Test func aDatabaseFromANewerCorsAuditIsRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/history.sqlite"
        try HistoryStore(path: path).record(report(labNodes()))
        try DatabaseQueue(path: path).write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('v9: from the future')") }
        #expect(throws: HistoryError.newerSchema(path)) { try HistoryStore(path: path) }
    }

    @Test func isoDatesAndDateTimes() throws {
        func epoch(_ s: String) -> Double? { ISOTime.parse(s)?.timeIntervalSince1970 }
        #expect(epoch("2026-11-26") == 1_795_651_200)
        #expect(epoch("2026-11-26T09:00:00Z") == 1_795_683_600)
        #expect(epoch("2026-11-26T09:00Z") == 1_795_683_600)
        #expect(epoch("2026-11-26T09:00:00") == 1_795_683_600)
        #expect(epoch("2026-11-26 09:00") == 1_795_683_600)
        #expect(epoch("2026-11-26T10:00:00+01:00") == 1_795_683_600)
        #expect(epoch("2026-11-26T09:00:00.500Z") == 1_795_683_600.5)
        for bad in ["", "yesterday", "2026-13-01", "26/11/2026", "2026-11-26T25:00:00Z"] {
            #expect(ISOTime.parse(bad) == nil, "\(bad)")
        }
        #expect(ISOTime.format(Date(timeIntervalSince1970: 1_795_683_600)) == "2026-11-26T09:00:00Z")
    }
}
