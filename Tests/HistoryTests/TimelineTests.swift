import Foundation
import Reports
import Testing
import TestSupport
@testable import AuditCore
import CLIParsers
@testable import History

func expectHistoryGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    TestSupport.expectGolden(actual, name, in: "Tests/HistoryTests/Golden", sourceLocation: sourceLocation)
}

/// `history` as drift over time: findings by severity per run, what changed run by run, since when each finding is open.
@Suite struct TimelineTests {
    static let identity = InventoryIdentity(key: "/srv/cors-audit/inventory/lab.yaml", digest: "0123456789abcdef")
    static let hostile = "https://evil.example/<script>alert(1)</script>"

    /// Five nights and an apply: a gap planted on the 21st, fixed by an apply that day; a stale entry (hostile text
    /// included) and a version change on the 22nd; the inventory edited on the 23rd, the publisher unreachable.
    static func history(_ store: HistoryStore) throws {
        let labels = RunLabels(inventory: identity)
        // Written a minute after each run started, as a nightly job does: the same bytes on every test run.
        func record(_ report: AuditReport, labels: RunLabels) throws {
            try store.record(report, recordedAt: ISOTime.parse(report.generatedAt)!.addingTimeInterval(60), labels: labels)
        }
        let missing = Finding(kind: .missingOrigin, cluster: "uccelab", host: "cuicsub.uccelab.tac", list: .cuic,
                              origin: "https://finesses.uccelab.tac:8445", message: "cuicsub.uccelab.tac lacks https://finesses.uccelab.tac:8445")
        let gap = node("cuicsub.uccelab.tac", role: .subscriber, lists: [list(.cuic, Array(allFour.dropLast())), list(.liveData)])
        try record(report(labNodes(), at: "2026-11-20T02:15:00Z"), labels: labels)
        try record(report(labNodes(replacing: [gap]), at: "2026-11-21T02:15:00Z", findings: [missing]), labels: labels)
        try record(report(labNodes(replacing: [gap]), at: "2026-11-21T10:00:00Z", findings: [missing]),
                         labels: RunLabels(inventory: identity, tag: .applyBefore))
        try record(report([node("cuicsub.uccelab.tac", role: .subscriber)], at: "2026-11-21T10:05:00Z"),
                         labels: RunLabels(inventory: identity, tag: .applyAfter, planRun: 3))
        let stale = node("cuicpub.uccelab.tac", role: .publisher, version: "12.6.2.10000-21",
                         lists: [list(.cuic, allFour + [hostile]), list(.liveData)])
        let unexpected = Finding(kind: .unexpectedOrigin, cluster: "uccelab", host: "cuicpub.uccelab.tac", list: .cuic, origin: hostile,
                                 message: "cuicpub.uccelab.tac allows an origin the inventory does not name")
        let skew = Finding(kind: .versionSkew, cluster: "uccelab", host: nil, list: nil, message: "the CUIC nodes run different versions")
        try record(report(labNodes(replacing: [stale]), at: "2026-11-22T02:15:00Z", findings: [unexpected, skew]), labels: labels)
        let down = node("cuicpub.uccelab.tac", role: .publisher, status: .unreachable, detail: "phase connect: timed out", version: nil,
                        lists: [list(.cuic, nil, state: nil), list(.liveData, nil, state: nil)])
        try record(report(labNodes(replacing: [down]), at: "2026-11-23T02:15:00Z", findings: [skew]),
                         labels: RunLabels(inventory: InventoryIdentity(key: identity.key, digest: "fedcba9876543210")))
    }

    func rendered(limit: Int = 20) throws -> (HistoryList, HistoryTimeline) {
        let t = try TempStore()
        try Self.history(t.store)
        let scope = try t.store.scope(for: Self.identity)
        let runs = try t.store.runs(limit: limit, scope: scope)
        let total = try t.store.runCount(scope: scope)
        let list = HistoryList(runs: runs, total: total, baseline: nil, database: "reports/history.sqlite", inventory: "inventory/lab.yaml")
        return (list, HistoryTimeline(try t.store.snapshots(limit: limit, scope: scope), olderRuns: total > runs.count))
    }

    @Test func theTimelineSaysWhatChangedWhenAndSinceWhenEachFindingIsOpen() throws {
        let (_, timeline) = try rendered()
        #expect(timeline.runs.map(\.id) == [1, 2, 3, 4, 5, 6])
        #expect(timeline.inventoryEdited == [6])
        let cluster = try #require(timeline.clusters.first)
        #expect(cluster.counts.map { $0?.total } == [0, 1, 1, 0, 2, 1])
        // The apply's fix is named; the changes of the 22nd are not the apply's.
        let fix = try #require(cluster.events.first { $0.change.kind == .originAdded && $0.change.host == "cuicsub.uccelab.tac" })
        #expect(fix.run == 5 && fix.previous == 3 && fix.change.appliedBy == 4)
        #expect(cluster.events.filter { $0.change.appliedBy != nil }.count == 1)
        #expect(cluster.events.contains { $0.run == 5 && $0.change.kind == .versionChanged && $0.change.after == "12.6.2.10000-21" })
        #expect(cluster.events.contains { $0.run == 6 && $0.change.kind == .statusChanged && $0.change.after == "unreachable" })
        // The version skew has been open since run 5; nothing older.
        #expect(cluster.open.map(\.firstSeen) == [5])
        #expect(cluster.open.allSatisfy { !$0.beforeWindow })
        // With a window of three runs, the open finding may be older than the window.
        let (_, short) = try rendered(limit: 2)
        #expect(short.runs.map(\.id) == [5, 6])
        #expect(short.clusters.first?.open.map(\.beforeWindow) == [true])
    }

    @Test func tableGolden() throws {
        let (list, timeline) = try rendered()
        expectHistoryGolden(HistoryListRenderer().text(list, timeline: timeline), "history-timeline.txt")
    }

    @Test func jsonGolden() throws {
        let (list, timeline) = try rendered()
        let json = HistoryListRenderer().json(list, timeline: timeline).serialized()
        expectHistoryGolden(json, "history-timeline.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "cors-audit/history/v1")
        let timelineObject = try #require(object["timeline"] as? [String: Any])
        #expect(timelineObject["runs"] as? [Int] == [1, 2, 3, 4, 5, 6])
    }

    @Test func htmlGoldenIsSelfContainedAndEscaped() throws {
        let (list, timeline) = try rendered()
        let html = HistoryHTMLRenderer().render(list, timeline: timeline)
        expectHistoryGolden(html, "history-timeline.html")
        #expect(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"))
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("http://") || !html.contains("src=\"http"))
        #expect(html.contains("<svg") && html.contains("pattern id=\"w0\""))
        #expect(html.contains("apply run 4"))
    }
}
