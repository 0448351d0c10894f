import Foundation
import Testing
import TestSupport
import History

/// The history, drift and baseline commands through the built cors-audit binary.
@Suite struct CommandLineTests {
    let binary = product("cors-audit")

    /// `cors-audit audit` of the lab from `transcripts`, recording into `history`.
    func audit(_ dir: String, transcripts: String = labTranscripts, extra: [String]) throws -> ProcessResult {
        try runProcess(binary, ["audit", "--inventory", "inventory/lab.yaml", "--transcripts", transcripts,
                         "--output", "\(dir)/run-\(UUID().uuidString)", "--quiet"] + extra)
    }

    @Test func auditRecordsAndDriftHistoryAndBaselineAnswerWithTheirExitCodes() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = "\(dir)/history.sqlite"

        var r = try runProcess(binary, ["history", "--history", db])
        #expect(r.status == 64)
        #expect(r.stderr.contains("no history at \(db)"))

        r = try audit(dir, extra: ["--history", db])
        #expect(r.status == 1, "\(r.stderr)")  // the lab's planted gap
        r = try runProcess(binary, ["drift", "--history", db])
        #expect(r.status == 64)
        #expect(r.stderr.contains("only one"))

        r = try audit(dir, extra: ["--history", db])
        r = try runProcess(binary, ["drift", "--history", db])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.hasSuffix("Result: NO DRIFT (exit 0)\n"))

        // The publisher's transcript goes missing: it is `partial`, and the run incomplete.
        let fixed = "\(dir)/transcripts"
        try FileManager.default.createDirectory(atPath: fixed, withIntermediateDirectories: true)
        for host in ["cuicsub.uccelab.tac", "finessep.uccelab.tac", "finesses.uccelab.tac"] {
            try FileManager.default.copyItem(atPath: "\(labTranscripts)/\(host).txt", toPath: "\(fixed)/\(host).txt")
        }
        r = try audit(dir, transcripts: fixed, extra: ["--history", db])
        #expect(r.status == 2)
        r = try runProcess(binary, ["drift", "--history", db])
        #expect(r.status == 2, "\(r.stdout)")
        #expect(r.stdout.contains("cuicpub.uccelab.tac\n    status     audited → partial: not fully audited this run\n"))

        r = try runProcess(binary, ["history", "--history", db, "--limit", "2"])
        #expect(r.status == 0)
        // The run table, then (after a blank line) the timeline.
        let lines = r.stdout.components(separatedBy: "\n\n")[0].split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("RUN  STARTED") == true)
        #expect(lines.count == 4)
        #expect(lines[1].contains("incomplete  3/4"))
        #expect(lines[3] == "2 of 3 runs shown (--limit N for more)")

        r = try runProcess(binary, ["baseline", "approve", "1", "--history", db])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("Approved run 1 ("))
        r = try runProcess(binary, ["baseline", "approve", "99", "--history", db])
        #expect(r.status == 64)
        #expect(r.stderr.contains("no run 99"))
        r = try runProcess(binary, ["drift", "--baseline", "--format", "json", "--history", db])
        #expect(r.status == 2)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect((json["from"] as? [String: Any])?["id"] as? Int == 1)
        #expect((json["against"] as? [String: Any])?["type"] as? String == "baseline")
        r = try runProcess(binary, ["history", "--history", db])
        #expect(r.stdout.components(separatedBy: "\n\n")[0].split(separator: "\n").last?.hasSuffix("(baseline)") == true)

        r = try runProcess(binary, ["drift", "--since", "not-a-date", "--history", db])
        #expect(r.status == 64)
        r = try runProcess(binary, ["drift", "--since", "2026-01-01", "--baseline", "--history", db])
        #expect(r.status == 64)
        r = try runProcess(binary, ["drift", "--since", "2000-01-01", "--history", db])
        #expect(r.status == 64)
        #expect(r.stderr.contains("no run started before 2000-01-01T00:00:00Z"))
    }

    @Test func noHistoryRecordsNothingAndAnUnwritableHistoryNeverLosesTheReport() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var r = try audit(dir, extra: ["--no-history", "--history", "\(dir)/unused.sqlite"])
        #expect(r.status == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/unused.sqlite"))

        // A history path under a regular file cannot be created: stderr says so, the report lands, exit stays 1.
        let blocker = "\(dir)/not-a-folder"
        _ = FileManager.default.createFile(atPath: blocker, contents: Data())
        let out = "\(dir)/kept"
        r = try runProcess(binary, ["audit", "--inventory", "inventory/lab.yaml", "--transcripts", labTranscripts,
                             "--output", out, "--history", "\(blocker)/history.sqlite"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("could not record this run in the history \(blocker)/history.sqlite"))
        #expect(FileManager.default.fileExists(atPath: "\(out)/report.json"))
        #expect(r.stdout.contains("Result: DRIFT"))
    }

    @Test func twoAuditsRecordingAtOnceBothLand() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = "\(dir)/history.sqlite"
        let args = { ["audit", "--inventory", "inventory/lab.yaml", "--transcripts", labTranscripts,
                      "--output", "\(dir)/run-\(UUID().uuidString)", "--quiet", "--history", db] }
        let started = try (0..<4).map { _ in try StartedProcess(binary, args()) }
        let results = try started.map { try $0.finish() }
        #expect(results.map(\.status) == [1, 1, 1, 1], "\(results.map(\.stderr))")
        try expectConsistent(db, runs: 4, nodesPerRun: 4)
    }
}
