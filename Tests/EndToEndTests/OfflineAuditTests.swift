import Foundation
import Testing
import TestSupport

/// Runs the binary from the package root and waits for it, bounded.
func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    // Tests never write the repository's own history database.
    let arguments = arguments.first == "audit" && !arguments.contains("--history") ? arguments + ["--no-history"] : arguments
    return try runProcess(product("cors-audit"), arguments, environment: environment.mapValues { Optional($0) })
}

@Suite struct OfflineAuditTests {
    @Test func labAuditFindsTheSubscriberGapAndExits1() throws {
        let out = try temporaryDirectory("cors-audit-e2e")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", "inventory/transcripts/lab", "--format", "json", "--output", out],
                        environment: ["SOURCE_DATE_EPOCH": "1795683600"])
        #expect(r.status == 1, "stderr: \(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(json["schema"] as? String == "cors-audit/report/v1")
        #expect(json["complete"] as? Bool == true)
        #expect(json["generated_at"] as? String == "2026-11-26T09:00:00Z")
        let findings = json["findings"] as! [[String: Any]]
        let missing = findings.filter { $0["kind"] as? String == "missing-origin" }
        #expect(missing.count == 1)
        #expect(missing.first?["host"] as? String == "cuicsub.uccelab.tac")
        #expect(missing.first?["origin"] as? String == "https://finessep.uccelab.tac:8445")
        #expect(missing.first?["list"] as? String == "cuic")
        let asym = findings.filter { $0["kind"] as? String == "asymmetric-list" && $0["list"] as? String == "cuic" }
        #expect(asym.count == 1)
        #expect(asym.first?["host"] is NSNull)
        #expect((asym.first?["hosts"] as? [String]) == ["cuicsub.uccelab.tac"])
        let nodes = json["nodes"] as! [[String: Any]]
        #expect(nodes.map { $0["status"] as? String } == ["audited", "audited", "audited", "audited"])
    }

    @Test func tableOutputAndReportFiles() throws {
        let out = try temporaryDirectory("cors-audit-e2e")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", "inventory/transcripts/lab", "--output", out])
        #expect(r.status == 1)
        #expect(r.stdout.contains("cuicsub.uccelab.tac   cuic       enabled  3/4"))
        #expect(r.stdout.contains("utils cuic cors allowed_origin add https://finessep.uccelab.tac:8445"))
        #expect(r.stdout.contains("Result: DRIFT (exit 1)"))
        #expect(FileManager.default.fileExists(atPath: out + "/report.json"))
        let runbook = try String(contentsOfFile: out + "/remediation/cuicsub.uccelab.tac.txt", encoding: .utf8)
        #expect(runbook.contains("utils service restart Intelligence Center Reporting Service"))
        #expect(!FileManager.default.fileExists(atPath: out + "/remediation/cuicpub.uccelab.tac.txt"))
    }

    @Test func failOnErrorStillReportsTheMissingOrigin() throws {
        let out = try temporaryDirectory("cors-audit-e2e")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", "inventory/transcripts/lab", "--fail-on", "error", "--output", out])
        #expect(r.status == 1)
    }

    @Test func missingTranscriptMakesTheRunIncomplete() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cors-audit-tx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for host in ["cuicpub", "finessep", "finesses"] {
            try FileManager.default.copyItem(atPath: "\(repoRoot)/inventory/transcripts/lab/\(host).uccelab.tac.txt", toPath: "\(dir)/\(host).uccelab.tac.txt")
        }
        let r = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", dir, "--output", dir + "/out"])
        #expect(r.status == 2)
        #expect(r.stdout.contains("cuicsub.uccelab.tac  —  PARTIAL (no transcript: \(dir)/cuicsub.uccelab.tac.txt is missing or unreadable)"))
        #expect(r.stdout.contains("Result: INCOMPLETE (exit 2)"))
    }

    @Test func badInventoryExits64WithFileLineColumn() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml").path
        try "version: 1\nclusters:\n  - name: x\n    finesse:\n      - host: f.tac\n    cuic:\n      - host: c.tac\n        rol: publisher\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try run(["audit", "--inventory", file, "--transcripts", "inventory/transcripts/lab"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("\(file):8:9: clusters[0].cuic[0].rol: unknown key 'rol' (did you mean 'role'?)"))
        #expect(r.stdout.isEmpty)
    }

    @Test func usageErrorExits64() throws {
        #expect(try run(["audit"]).status == 64)
        #expect(try run(["audit", "--inventory", "x", "--fail-on", "sometimes"]).status == 64)
    }
}

/// Issue 15 item 2: a pasted transcript whose entry ends in U+00A0 was reported `4/4 ok`.
@Suite struct InvisibleCharacterTranscriptTests {
    @Test func aNoBreakSpaceAfterAnEntryIsNotClean() throws {
        let dir = try temporaryDirectory("cors-audit-nbsp")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for host in ["cuicpub", "cuicsub", "finessep", "finesses"] {
            var text = try String(contentsOfFile: "\(repoRoot)/inventory/transcripts/lab/\(host).uccelab.tac.txt", encoding: .utf8)
            if host == "cuicpub" {
                // The first entry of the CUIC list (the Live Data list has the same line later): a browser
                // sends no NBSP, so this entry never matches.
                let line = "1. https://finessep.uccelab.tac \n"
                let range = try #require(text.range(of: line))
                text.replaceSubrange(range, with: "1. https://finessep.uccelab.tac\u{A0} \n")
            }
            try text.write(toFile: "\(dir)/\(host).uccelab.tac.txt", atomically: true, encoding: .utf8)
        }
        let r = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", dir, "--format", "table,json", "--output", dir + "/out"])
        #expect(r.status == 1, "stderr: \(r.stderr)")
        #expect(!r.stdout.contains("cuicpub.uccelab.tac  cuic       enabled  4/4"), "\(r.stdout)")
        #expect(r.stdout.contains(#""https://finessep.uccelab.tac\u{a0}" (entry 1) on cuicpub.uccelab.tac's CUIC list can never match a browser Origin: it contains \u{00A0} (NO-BREAK SPACE) at its end"#), "\(r.stdout)")
        #expect(r.stdout.contains("probably meant https://finessep.uccelab.tac, which is expected and reported missing"))
        // The terminal never receives the raw character.
        #expect(!r.stdout.unicodeScalars.contains("\u{A0}"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/report.json"))) as! [String: Any]
        let findings = (json["findings"] as! [[String: Any]]).filter { $0["host"] as? String == "cuicpub.uccelab.tac" && $0["list"] as? String == "cuic" }
        #expect(Set(findings.compactMap { $0["kind"] as? String }) == ["ineffective-origin", "missing-origin"])
        #expect(findings.contains { $0["origin"] as? String == "https://finessep.uccelab.tac\u{A0}" })
    }
}
