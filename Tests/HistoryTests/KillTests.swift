import Foundation
import GRDB
import Testing
import TestSupport

/// Every file under `root`, relative, sorted; hidden names included.
private func files(under root: String) -> [String] {
    (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { path in
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDir) && !isDir.boolValue
    }.sorted()
}

@Suite(.serialized) struct KillTests {
    /// `cors-audit audit` SIGKILLed at moments spread over a whole run: every run folder that is visible is
    /// complete, `latest` points at one, the history database is consistent, and the next run cleans up.
    @Test func killedAtAnyMomentLeavesOnlyCompleteReportsAndAConsistentHistory() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let reports = dir + "/reports", db = dir + "/history.sqlite"
        let binary = product("cors-audit")
        let arguments = ["audit", "--inventory", labInventoryPath, "--transcripts", labTranscripts, "--reports-dir", reports,
                         "--history", db, "--format", "table,json,markdown,html,junit,prometheus", "--quiet"]

        // The warm run time (the first run also pays for loading the binary).
        var duration = Double.infinity
        for _ in 0..<3 {
            let started = Date()
            let reference = try runProcess(binary, arguments)
            duration = min(duration, Date().timeIntervalSince(started))
            #expect(reference.status == 1, "\(reference.stderr)")
        }
        let reference0 = try FileManager.default.destinationOfSymbolicLink(atPath: reports + "/latest")
        let complete = files(under: reports + "/" + reference0)
        #expect(complete.contains("report.json") && complete.contains("report.html") && complete.contains("remediation/cuicsub.uccelab.tac.txt"))

        var killed = 0, inWindow = 0
        // Each run holds 0.4 s just before its report.json (a test-only pause), so the write window is wide enough
        // for kills to land in it; they are spread from a third of the run to past its end.
        let pause = 0.4
        for i in 0..<40 {
            let child = try StartedProcess(binary, arguments, environment: ["CORS_AUDIT_TEST_PAUSE_BEFORE_REPORT_JSON": String(pause)])
            usleep(useconds_t((duration + pause) * (0.3 + 0.8 * Double(i) / 40) * 1_000_000))
            if child.isRunning { kill(child.pid, SIGKILL); killed += 1 }
            _ = try child.finish()
            // Its staging folder is there until the next run removes it: the kill landed inside the write window.
            let left = (try? FileManager.default.contentsOfDirectory(atPath: reports)) ?? []
            if left.contains(where: { $0.hasPrefix(".partial-\(child.pid)-") }) { inWindow += 1 }
        }
        #expect(killed >= 20, "the kills came too late to hit the runs (\(killed) of 40)")
        #expect(inWindow >= 5, "only \(inWindow) of \(killed) kills landed while a run was writing its reports")

        // Hidden leftovers only: a killed run's staging folder, never a half-written visible file.
        let entries = try FileManager.default.contentsOfDirectory(atPath: reports)
        for name in entries where !name.hasPrefix(".") && name != "latest" {
            #expect(files(under: reports + "/" + name) == complete, "\(name) is not a complete run folder")
            let json = try Data(contentsOf: URL(fileURLWithPath: "\(reports)/\(name)/report.json"))
            #expect((try? JSONSerialization.jsonObject(with: json)) != nil, "\(name)/report.json")
            let html = try String(contentsOfFile: "\(reports)/\(name)/report.html", encoding: .utf8)
            #expect(html.hasSuffix("</html>\n"), "\(name)/report.html")
        }
        let latest = try FileManager.default.destinationOfSymbolicLink(atPath: reports + "/latest")
        #expect(!latest.hasPrefix(".") && files(under: reports + "/" + latest) == complete)

        // The history: whole runs only, as many as the database says, each readable.
        let runs = try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM run") ?? 0 }
        #expect(runs >= 1)
        try expectConsistent(db, runs: runs, nodesPerRun: 4)
        let history = try runProcess(binary, ["history", "--history", db])
        #expect(history.status == 0, "\(history.stderr)")

        // The next run removes the dead runs' staging folders and lands whole.
        let next = try runProcess(binary, arguments)
        #expect(next.status == 1)
        let after = try FileManager.default.contentsOfDirectory(atPath: reports)
        #expect(!after.contains { $0.hasPrefix(".partial-") || $0.hasPrefix(".latest-") }, "\(after.filter { $0.hasPrefix(".") })")
        try expectConsistent(db, runs: runs + 1, nodesPerRun: 4)
    }

    @Test func onlyDeadRunsStagingFoldersAreRemoved() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let reports = dir + "/reports"
        // A pid that cannot be alive (above the kernel's pid_max) and this test process's own pid.
        let dead = reports + "/.partial-99999999-2026-11-26T09-00-00Z"
        let alive = reports + "/.partial-\(getpid())-2026-11-26T09-00-00Z"
        for folder in [dead, alive] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data("half".utf8).write(to: URL(fileURLWithPath: folder + "/report.html"))
        }
        let r = try runProcess(product("cors-audit"), ["audit", "--inventory", labInventoryPath, "--transcripts", labTranscripts,
                                                    "--reports-dir", reports, "--no-history", "--quiet"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: alive + "/report.html"))
    }

    /// With `--output DIR`, the finished run replaces the folder whole: an older run's report.json (and anything else it
    /// wrote) is gone, nothing hidden is left. That report.json is written last inside the staged folder is shown by
    /// RunFolderTests with a hook that stops the write just before it (file times cannot tell: they share a tick).
    @Test func anExplicitFolderIsReplacedWholeByTheNextRun() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/run"
        let binary = product("cors-audit")
        let arguments = ["audit", "--inventory", labInventoryPath, "--transcripts", labTranscripts, "--output", out,
                         "--no-history", "--quiet", "--format", "json,html,markdown"]
        #expect(try runProcess(binary, arguments).status == 1)
        let firstRun = files(under: out)
        #expect(firstRun.contains("report.json") && firstRun.contains("report.html") && firstRun.contains("report.md"))
        // A stale report.json from an older run in the same folder is replaced with the whole new run.
        try Data("{\"stale\": true}".utf8).write(to: URL(fileURLWithPath: out + "/report.json"))
        #expect(try runProcess(binary, arguments).status == 1)
        let json = try String(contentsOfFile: out + "/report.json", encoding: .utf8)
        #expect(!json.contains("stale") && json.contains("\"schema\""))
        #expect(files(under: out) == firstRun)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["run"])
    }
}
