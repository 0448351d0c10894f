import Foundation
import Reports
import Testing
@testable import AuditCore
import CLIParsers
@testable import History

/// A fresh store in its own folder, removed when the test ends.
final class TempStore {
    let dir: String
    let store: HistoryStore
    init() throws {
        dir = try temporaryDirectory()
        store = try HistoryStore(path: "\(dir)/history.sqlite")
    }
    deinit { try? FileManager.default.removeItem(atPath: dir) }
}

@Suite struct DriftTests {
    @Test func originsAddedAndRemovedPerNodeAndList() throws {
        let t = try TempStore()
        try t.store.record(report(labNodes(), at: "2026-11-25T02:15:00Z"))
        let changed = node("cuicsub.uccelab.tac", role: .subscriber, lists: [
            list(.cuic, allFour.filter { $0 != "https://finessep.uccelab.tac:8445" }),
            list(.liveData, allFour + ["http://127.0.0.1:5500"]),
        ])
        try t.store.record(report(labNodes(replacing: [changed]), at: "2026-11-26T02:15:00Z"))

        let drift = try t.store.drift(against: .previous)
        #expect(drift.from.id == 1 && drift.to.id == 2)
        #expect(drift.changes == [
            DriftChange(kind: .originRemoved, cluster: "uccelab", host: "cuicsub.uccelab.tac", list: .cuic, origin: "https://finessep.uccelab.tac:8445"),
            DriftChange(kind: .originAdded, cluster: "uccelab", host: "cuicsub.uccelab.tac", list: .liveData, origin: "http://127.0.0.1:5500"),
        ])
        #expect(drift.exitCode == 1)
        #expect(drift.result == "drift")
        #expect(drift.changes[0].message == "cuicsub.uccelab.tac: https://finessep.uccelab.tac:8445 removed from the cuic list")

        let text = DriftRenderer().text(drift)
        #expect(text.hasPrefix("Drift: run 2 (2026-11-26T02:15:00Z) against run 1 (2026-11-25T02:15:00Z), the previous run\n"))
        #expect(text.contains("""
            cluster uccelab — 2 changes
              cuicsub.uccelab.tac
                cuic       - https://finessep.uccelab.tac:8445
                live-data  + http://127.0.0.1:5500

            """))
        #expect(text.hasSuffix("Result: DRIFT, 2 changes (exit 1)\n"))

        let json = DriftRenderer().json(drift).serialized()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "cors-audit/drift/v1")
        #expect(object["result"] as? String == "drift")
        #expect(object["exit_code"] as? Int == 1)
        let changes = try #require(object["changes"] as? [[String: Any]])
        #expect(changes.map { $0["type"] as? String } == ["origin-removed", "origin-added"])
        #expect(changes[1]["list"] as? String == "live-data")
    }

    @Test func aNodeThatBecameUnreachableIsOneStatusChangeNotAListOfLosses() throws {
        let t = try TempStore()
        try t.store.record(report(labNodes(), at: "2026-11-25T02:15:00Z"))
        let timedOut = node("cuicpub.uccelab.tac", role: .publisher, status: .timeout,
                            detail: "login: no prompt within 90 s", version: nil,
                            lists: [list(.cuic, nil, state: nil), list(.liveData, nil, state: nil)])
        try t.store.record(report(labNodes(replacing: [timedOut]), at: "2026-11-26T02:15:00Z"))

        let drift = try t.store.drift(against: .previous)
        #expect(drift.changes == [
            DriftChange(kind: .statusChanged, cluster: "uccelab", host: "cuicpub.uccelab.tac", before: "audited", after: "timeout"),
        ])
        #expect(drift.changes[0].message == "cuicpub.uccelab.tac: status audited → timeout: became unreachable, not audited this run")
        // An incomplete latest run is exit 2, as with `audit`.
        #expect(drift.exitCode == 2)
        #expect(DriftRenderer().text(drift).hasSuffix("Result: INCOMPLETE, 1 change (exit 2)\n"))

        // Back the next night: audited again, and nothing about its lists (the run in between read none).
        try t.store.record(report(labNodes(), at: "2026-11-27T02:15:00Z"))
        let back = try t.store.drift(against: .previous)
        #expect(back.changes.map(\.kind) == [.statusChanged])
        #expect(back.changes[0].message.hasSuffix("timeout → audited: audited again"))
        #expect(back.exitCode == 1)
    }

    @Test func versionStateAndInventoryChanges() throws {
        let t = try TempStore()
        try t.store.record(report(labNodes(), at: "2026-11-25T02:15:00Z"))
        let upgraded = node("cuicsub.uccelab.tac", role: .subscriber, version: "15.0.1.10000-11",
                            lists: [list(.cuic), list(.liveData, state: .disabled)])
        let finesse = node("finessep.uccelab.tac", product: .finesse, version: "12.6.2.10000-24",
                           lists: [list(.finesse, [], state: .enableAll)])
        var nodes = labNodes(replacing: [upgraded, finesse]).filter { $0.host != "finesses.uccelab.tac" }
        nodes.insert(node("livedata1.uccelab.tac", product: .livedata), at: 2)
        try t.store.record(report(nodes, at: "2026-11-26T02:15:00Z"))

        let drift = try t.store.drift(against: .previous)
        #expect(drift.changes == [
            DriftChange(kind: .versionChanged, cluster: "uccelab", host: "cuicsub.uccelab.tac", before: "12.6.2.10000-19", after: "15.0.1.10000-11"),
            DriftChange(kind: .stateChanged, cluster: "uccelab", host: "cuicsub.uccelab.tac", list: .liveData, before: "enabled", after: "disabled"),
            DriftChange(kind: .nodeAdded, cluster: "uccelab", host: "livedata1.uccelab.tac", after: "livedata"),
            DriftChange(kind: .stateChanged, cluster: "uccelab", host: "finessep.uccelab.tac", list: .finesse, before: "enabled", after: "enable_all"),
            DriftChange(kind: .nodeRemoved, cluster: "uccelab", host: "finesses.uccelab.tac", before: "finesse"),
        ])
        let text = DriftRenderer().text(drift)
        #expect(text.contains("  cuicsub.uccelab.tac\n    version    12.6.2.10000-19 → 15.0.1.10000-11\n    live-data  CORS enabled → disabled\n"))
        #expect(text.contains("  livedata1.uccelab.tac\n    inventory  added (livedata)\n"))
        #expect(text.contains("  finesses.uccelab.tac\n    inventory  removed (was finesse)\n"))
    }

    @Test func listsNoLongerReadAndListsGainedAreReported() throws {
        let t = try TempStore()
        try t.store.record(report(labNodes(), at: "2026-11-25T02:15:00Z"))
        // Still `partial` both nights, but this night its Live Data list could not be read; and the publisher
        // no longer holds a Live Data list (co-resident Live Data dropped from the inventory).
        let partialBefore = node("cuicsub.uccelab.tac", role: .subscriber, status: .partial)
        try t.store.record(report(labNodes(replacing: [partialBefore]), at: "2026-11-26T02:15:00Z"))
        let partialNow = node("cuicsub.uccelab.tac", role: .subscriber, status: .partial,
                              lists: [list(.cuic), list(.liveData, nil, state: nil)])
        let onlyCUIC = node("cuicpub.uccelab.tac", role: .publisher, lists: [list(.cuic)])
        try t.store.record(report(labNodes(replacing: [partialNow, onlyCUIC]), at: "2026-11-27T02:15:00Z"))

        let drift = try t.store.drift(against: .previous)
        #expect(drift.changes.map(\.kind) == [.listRemoved, .listNotRead])
        #expect(drift.changes.map(\.host) == ["cuicpub.uccelab.tac", "cuicsub.uccelab.tac"])
        #expect(drift.changes[1].message == "cuicsub.uccelab.tac: the live-data list was not read this run; its origins are unknown")
    }

    @Test func identicalRunsAreNoDrift() throws {
        let t = try TempStore()
        try t.store.record(try labAudit(generatedAt: "2026-11-25T02:15:00Z"))
        try t.store.record(try labAudit(generatedAt: "2026-11-26T02:15:00Z"))
        let drift = try t.store.drift(against: .previous)
        #expect(drift.changes.isEmpty)
        #expect(drift.exitCode == 0)
        #expect(DriftRenderer().text(drift).hasSuffix("Nothing changed: every node, list, origin, status and version is as in run 1.\nResult: NO DRIFT (exit 0)\n"))
    }

    @Test func reorderedAndDuplicatedOrigins() {
        // Order does not matter to a browser; a second copy of an entry is an addition.
        #expect(DriftReport.multisetDifference(["a", "b", "c"], ["c", "a", "b"]) == ([], []))
        #expect(DriftReport.multisetDifference(["a", "b"], ["a", "b", "a"]) == ([], ["a"]))
        #expect(DriftReport.multisetDifference(["a", "a", "b"], ["b"]) == (["a", "a"], []))
        #expect(DriftReport.multisetDifference([], []) == ([], []))
    }

    @Test func fewerThanTwoRunsIsAClearUsageError() throws {
        let t = try TempStore()
        #expect(throws: HistoryError.notEnoughRuns(0)) { try t.store.drift(against: .previous) }
        try t.store.record(report(labNodes()))
        #expect(throws: HistoryError.notEnoughRuns(1)) { try t.store.drift(against: .previous) }
        #expect(HistoryError.notEnoughRuns(1).description.contains("only one"))
    }

    @Test func baselineApproveAndDriftAgainstIt() throws {
        let t = try TempStore()
        #expect(throws: HistoryError.noRuns) { try t.store.approveBaseline() }
        try t.store.record(report(labNodes(), at: "2026-11-24T02:15:00Z"))
        #expect(throws: HistoryError.noBaseline) { try t.store.drift(against: .baseline) }
        #expect(throws: HistoryError.noSuchRun(7)) { try t.store.approveBaseline(run: 7) }

        // Approve the latest (the only run): drift against it is the run against itself.
        let first = try t.store.approveBaseline(approvedAt: Date(timeIntervalSince1970: 1_795_600_000))
        #expect(first.run.id == 1)
        #expect(try t.store.baseline() == first)
        let same = try t.store.drift(against: .baseline)
        #expect(same.changes.isEmpty && same.exitCode == 0)
        #expect(DriftRenderer().text(same).contains("The latest run is the run compared with."))

        let gap = node("cuicsub.uccelab.tac", role: .subscriber, lists: [list(.cuic, Array(allFour.dropLast())), list(.liveData)])
        try t.store.record(report(labNodes(replacing: [gap]), at: "2026-11-25T02:15:00Z"))
        try t.store.record(report(labNodes(replacing: [gap]), at: "2026-11-26T02:15:00Z"))
        // The previous run already had the gap: no drift night to night, but drift against the baseline.
        #expect(try t.store.drift(against: .previous).changes.isEmpty)
        let vsBaseline = try t.store.drift(against: .baseline)
        #expect(vsBaseline.from.id == 1 && vsBaseline.to.id == 3)
        #expect(vsBaseline.against == .baseline(approvedAt: first.approvedAt))
        #expect(vsBaseline.changes == [
            DriftChange(kind: .originRemoved, cluster: "uccelab", host: "cuicsub.uccelab.tac", list: .cuic, origin: "https://finesses.uccelab.tac:8445"),
        ])
        #expect(DriftRenderer().text(vsBaseline).contains("against run 1 (2026-11-24T02:15:00Z), the baseline approved \(first.approvedAt)"))

        // Approving run 2 (the gap accepted): the newest approval wins.
        let second = try t.store.approveBaseline(run: 2)
        #expect(try t.store.baseline()?.run.id == 2)
        #expect(try t.store.drift(against: .baseline).changes.isEmpty)
        #expect(second.run.generatedAt == "2026-11-25T02:15:00Z")
    }

    @Test func sinceComparesWithTheLatestRunBeforeTheDate() throws {
        let t = try TempStore()
        let v1 = labNodes()
        let v2 = labNodes(replacing: [node("cuicpub.uccelab.tac", role: .publisher, lists: [list(.cuic, allFour + ["https://one.example"]), list(.liveData)])])
        let v3 = labNodes(replacing: [node("cuicpub.uccelab.tac", role: .publisher, lists: [list(.cuic, allFour + ["https://two.example"]), list(.liveData)])])
        try t.store.record(report(v1, at: "2026-11-20T02:15:00Z"))
        try t.store.record(report(v2, at: "2026-11-23T02:15:00Z"))
        try t.store.record(report(v3, at: "2026-11-26T02:15:00Z"))

        let since = try t.store.drift(against: .since(try #require(ISOTime.parse("2026-11-22"))))
        #expect(since.from.id == 1 && since.to.id == 3)
        #expect(since.against == .since("2026-11-22T00:00:00Z"))
        #expect(since.changes.map(\.origin) == ["https://two.example"])
        #expect(DriftRenderer().text(since).contains("the latest run before 2026-11-22T00:00:00Z"))

        // A run exactly at the date is not before it.
        let atSecond = try t.store.drift(against: .since(try #require(ISOTime.parse("2026-11-23T02:15:00Z"))))
        #expect(atSecond.from.id == 1)
        let afterSecond = try t.store.drift(against: .since(try #require(ISOTime.parse("2026-11-23T03:00:00Z"))))
        #expect(afterSecond.from.id == 2)
        #expect(afterSecond.changes.map(\.kind) == [.originRemoved, .originAdded])

        #expect(throws: HistoryError.noRunBefore("2026-11-19T00:00:00Z")) {
            try t.store.drift(against: .since(ISOTime.parse("2026-11-19")!))
        }
        #expect(throws: HistoryError.noRunSince(date: "2026-11-27T00:00:00Z", latest: "2026-11-26T02:15:00Z")) {
            try t.store.drift(against: .since(ISOTime.parse("2026-11-27")!))
        }
    }

    @Test func aHostThatMovedClusterIsRemovedThenAdded() {
        func snap(_ id: Int64, _ nodes: [StoredNode]) -> RunSnapshot {
            RunSnapshot(summary: RunSummary(id: id, generatedAt: "t\(id)", generatedEpoch: Double(id), recordedAt: "t\(id)",
                                            inventory: "i.yaml", verdict: .clean, failOn: .warning, complete: true,
                                            nodes: nodes.count, audited: nodes.count, skipped: 0, incomplete: 0,
                                            errors: 0, warnings: 0, infos: 0),
                        nodes: nodes, findings: [])
        }
        let a = StoredNode(cluster: "east", host: "cuic1.example", product: .cuic, status: .audited, version: "12.6",
                           lists: [StoredList(kind: .cuic, state: .enabled, origins: ["https://f.example"])])
        var b = a
        b.cluster = "west"
        let drift = DriftReport(from: snap(1, [a]), to: snap(2, [b]))
        #expect(drift.changes.map(\.kind) == [.nodeRemoved, .nodeAdded])
        #expect(drift.changes.map(\.cluster) == ["east", "west"])
        #expect(DriftRenderer().text(drift).contains("cluster east — 1 change\n  cuic1.example\n    inventory  removed (was cuic)\ncluster west — 1 change\n"))
    }
}
