import Foundation
import GRDB
import Testing
import TestSupport
import AuditCore
import History

/// `history prune`: what goes, what always stays, and that it is one transaction.
@Suite struct PruneTests {
    /// The lab recorded nightly at 02:15 from `first` for `nights` nights; returns the store and its run ids, oldest first.
    func nightly(_ db: String, nights: Int, first: String = "2026-09-01") throws -> (HistoryStore, [Int64]) {
        let store = try HistoryStore(path: db)
        let start = ISOTime.parse(first + "T02:15:00Z")!
        var ids: [Int64] = []
        for night in 0..<nights {
            ids.append(try store.record(try labAudit(generatedAt: ISOTime.format(start.addingTimeInterval(Double(night) * 86_400)))))
        }
        return (store, ids)
    }

    func rows(_ db: String, _ table: String) throws -> Int {
        try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table)") ?? -1 }
    }

    @Test func keepsTheNewestNAndTakesEveryRowOfTheOthersWithThem() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = "\(dir)/history.sqlite"
        let (store, ids) = try nightly(db, nights: 10)
        let perRun = (node: try rows(db, "node") / 10, list: try rows(db, "node_list") / 10, origin: try rows(db, "list_origin") / 10, finding: try rows(db, "finding") / 10)
        #expect(perRun.node == 4 && perRun.origin > 0 && perRun.finding > 0)

        let result = try store.prune(keep: .runs(3))
        #expect(result == PruneResult(deleted: 7, kept: 3, newestDeleted: "2026-09-07T02:15:00Z", keptBaseline: nil))
        #expect(try store.runs().map(\.id) == Array(ids.suffix(3).reversed()))
        // Nothing of a deleted run is left behind in any table.
        #expect(try rows(db, "node") == 3 * perRun.node)
        #expect(try rows(db, "node_list") == 3 * perRun.list)
        #expect(try rows(db, "list_origin") == 3 * perRun.origin)
        #expect(try rows(db, "finding") == 3 * perRun.finding)
        #expect(try store.prune(keep: .runs(3)).deleted == 0)
    }

    @Test func keepsTheDaysAskedTheNewestRunAndTheBaseline() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = "\(dir)/history.sqlite"
        let (store, ids) = try nightly(db, nights: 30)
        try store.approveBaseline(run: ids[2])
        let now = ISOTime.parse("2026-09-30T12:00:00Z")!
        // Dry: the count, and nothing changes.
        let dry = try store.prune(keep: .days(7), now: now, dryRun: true)
        #expect(dry.deleted == 22 && dry.keptBaseline == ids[2])
        #expect(try store.runCount() == 30)
        // 7 days before noon on the 30th: runs from the 24th on stay (7 of them), and the baseline's run.
        let result = try store.prune(keep: .days(7), now: now)
        #expect(result.deleted == 22 && result.kept == 8 && result.keptBaseline == ids[2])
        #expect(try store.baseline()?.run.id == ids[2])
        #expect(try store.runs().last?.id == ids[2])
        // Even a policy that keeps nothing by date keeps the newest run, so drift and the former-entry probe still have one.
        let late = try store.prune(keep: .days(1), now: ISOTime.parse("2027-06-01")!)
        #expect(try store.runs().map(\.id) == [ids[29], ids[2]] && late.deleted == 6)
    }

    @Test func oneTransactionAllOrNothing() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = "\(dir)/history.sqlite"
        let (store, ids) = try nightly(db, nights: 6)
        let before = [try rows(db, "node"), try rows(db, "finding"), try rows(db, "list_origin")]
        // A trigger makes the cascade fail on the last finding of the third run: by then two runs' rows are gone.
        try DatabaseQueue(path: db).write { db in
            try db.execute(sql: """
                CREATE TRIGGER stop BEFORE DELETE ON finding WHEN old.run_id = \(ids[2])
                BEGIN SELECT RAISE(ABORT, 'stopped mid-prune'); END
                """)
        }
        #expect(throws: (any Error).self) { try store.prune(keep: .runs(1)) }
        #expect(try store.runCount() == 6)
        #expect([try rows(db, "node"), try rows(db, "finding"), try rows(db, "list_origin")] == before)
    }

    @Test func vacuumGivesTheSpaceBack() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = "\(dir)/history.sqlite"
        let (store, _) = try nightly(db, nights: 120)
        try store.prune(keep: .runs(1))
        // The file and its write-ahead log: what the history takes on disk.
        let unvacuumed = store.sizeOnDisk()
        try store.prune(keep: .runs(1), vacuum: true)
        let vacuumed = store.sizeOnDisk()
        #expect(vacuumed * 4 < unvacuumed, "\(vacuumed) vs \(unvacuumed)")
        #expect(try store.runCount() == 1)
    }

    @Test func keepArgument() {
        #expect(KeepPolicy(argument: "90d") == .days(90))
        #expect(KeepPolicy(argument: "90D") == .days(90))
        #expect(KeepPolicy(argument: "30") == .runs(30))
        for bad in ["0", "0d", "-1", "d", "", "90 days", "1.5d", "1w"] { #expect(KeepPolicy(argument: bad) == nil, "\(bad)") }
    }

    @Test func throughTheCommandLine() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = "\(dir)/history.sqlite"
        let binary = product("cors-audit")
        var r = try runProcess(binary, ["history", "prune", "--keep", "5", "--history", db])
        #expect(r.status == 64 && r.stderr.contains("no history at \(db)"))
        _ = try nightly(db, nights: 8)
        r = try runProcess(binary, ["history", "prune", "--keep", "0", "--history", db])
        #expect(r.status == 64, "\(r.stderr)")
        r = try runProcess(binary, ["history", "prune", "--keep", "5", "--history", db, "--dry-run"])
        #expect(r.status == 0)
        #expect(r.stdout == "Would delete 3 runs (the newest of them started 2026-09-03T02:15:00Z); 5 kept.\n")
        r = try runProcess(binary, ["history", "prune", "--keep", "5", "--history", db, "--vacuum"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("Deleted 3 runs (the newest of them started 2026-09-03T02:15:00Z); 5 kept. Database "))
        // The list is still `history` with no subcommand.
        r = try runProcess(binary, ["history", "--history", db, "--limit", "1"])
        #expect(r.status == 0 && r.stdout.contains("2026-09-08T02:15:00Z"), "\(r.stdout)\(r.stderr)")
    }
}
