import Foundation
import Testing
import TestSupport
import AuditCore
import History

/// `cors-audit history --format json`: the run list for machines, as the table shows it.
@Suite struct HistoryFormatTests {
    @Test func jsonListsTheRunsWithTheirCountsNewestFirst() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = "\(dir)/history.sqlite"
        let store = try HistoryStore(path: db)
        for day in 1...3 { try store.record(try labAudit(generatedAt: "2026-11-0\(day)T02:15:00Z")) }
        try store.approveBaseline(run: 1)
        let binary = product("cors-audit")
        let r = try runProcess(binary, ["history", "--history", db, "--format", "json", "--limit", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["schema"] as? String == "cors-audit/history/v1")
        #expect(json["total"] as? Int == 3 && json["shown"] as? Int == 2)
        #expect((json["baseline"] as? [String: Any])?["run"] as? Int == 1)
        let runs = try #require(json["runs"] as? [[String: Any]])
        #expect(runs.map { $0["id"] as? Int } == [3, 2])
        #expect(runs.map { $0["generated_at"] as? String } == ["2026-11-03T02:15:00Z", "2026-11-02T02:15:00Z"])
        let latest = try #require(try store.runs(limit: 1).first)
        #expect(runs[0]["result"] as? String == latest.verdict.rawValue)
        #expect((runs[0]["findings"] as? [String: Int]) == ["error": latest.errors, "warning": latest.warnings, "info": latest.infos])
        #expect((runs[0]["nodes"] as? [String: Int]) == ["total": 4, "audited": 4, "skipped": 0, "incomplete": 0])
        #expect(runs.allSatisfy { $0["baseline"] as? Bool == false })

        let table = try runProcess(binary, ["history", "--history", db, "--format", "table"])
        #expect(table.status == 0 && table.stdout.hasPrefix("RUN  STARTED"))
        let html = try runProcess(binary, ["history", "--history", db, "--format", "html"])
        #expect(html.status == 0 && html.stdout.hasPrefix("<!DOCTYPE html>") && html.stdout.contains("<svg"))
        let bad = try runProcess(binary, ["history", "--history", db, "--format", "pdf"])
        #expect(bad.status == 64)
    }
}
