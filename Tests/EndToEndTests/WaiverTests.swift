import Foundation
import Testing
import TestSupport

/// Inventory waivers on the lab's transcripts (the report's day pinned to 2026-11-26): a waived finding is reported as
/// waived in every format and does not count; an expired one counts again with a warning; one matching nothing is said.
@Suite struct WaiverTests {
    static let epoch = ["CORS_AUDIT_TEST_EPOCH": "1795683600"]

    /// The lab inventory with `waivers` appended, in a fresh folder.
    func inventory(_ waivers: String) throws -> (dir: String, path: String) {
        let dir = try temporaryDirectory("cors-audit-waivers")
        let lab = try String(contentsOfFile: "\(repoRoot)/inventory/lab.yaml", encoding: .utf8)
        let path = dir + "/lab.yaml"
        try (lab + "waivers:\n" + waivers).write(toFile: path, atomically: true, encoding: .utf8)
        return (dir, path)
    }

    @Test func waivedFindingsAreShownInEveryFormatAndDoNotCount() throws {
        let (dir, path) = try inventory("""
          - kind: missing-origin
            host: cuicsub.uccelab.tac
            list: cuic
            origin: https://finessep.uccelab.tac:8445
            reason: added at the next change window
            expires: 2026-12-31
          - {kind: unexpected-origin, origin: "http://127.0.0.1:5500", reason: lab tool, expires: 2026-12-31}
          - {kind: asymmetric-list, cluster: uccelab, reason: follows from the two above, expires: 2026-12-31}
          - {kind: cors-disabled, reason: nothing is disabled, expires: 2026-12-31}

        """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/run"
        let r = try run(["audit", "--inventory", path, "--transcripts", "inventory/transcripts/lab", "--output", out,
                         "--format", "table,markdown,html,junit,prometheus"], environment: Self.epoch)
        #expect(r.status == 0, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
        #expect(r.stdout.contains("cluster uccelab — clean, 4 waived\n"), "\(r.stdout)")
        #expect(r.stdout.contains("  ~ waived until 2026-12-31 (added at the next change window; inventory line 31): error "), "\(r.stdout)")
        #expect(r.stdout.contains("Result: CLEAN (exit 0)"))
        #expect(r.stdout.contains("4 waived"))
        // A waiver that matches nothing is said, on stderr and in the report.
        let unmatched = "waiver at \(path):39 (cors-disabled) matches no finding in this run: remove it or fix its scope"
        #expect(r.stderr.contains(unmatched), "\(r.stderr)")

        let json = try readJSON(out + "/report.json")
        #expect((json["summary"] as? [String: Any])?["result"] as? String == "clean")
        #expect((json["summary"] as? [String: Any])?["waived"] as? Int == 4)
        let findings = json["findings"] as! [[String: Any]]
        #expect(findings.count == 4 && findings.allSatisfy { $0["waived"] != nil })
        let waived = try #require(findings.first { $0["kind"] as? String == "missing-origin" }?["waived"] as? [String: Any])
        #expect(waived["reason"] as? String == "added at the next change window" && waived["expires"] as? String == "2026-12-31")
        let uses = json["waivers"] as! [[String: Any]]
        #expect(uses.map { $0["status"] as! String } == ["active", "active", "active", "unmatched"])
        #expect(uses.map { $0["matched"] as! Int } == [1, 1, 2, 0])
        #expect((json["waiver_warnings"] as? [String]) == [unmatched])
        // Every change waived: nothing is planned, so neither a runbook nor --apply types it.
        #expect((json["remediation"] as? [Any])?.isEmpty == true, "\(json["remediation"] ?? "")")
        #expect(!r.stdout.contains("Fix (run at"))

        let md = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        #expect(md.contains("- **waived** until 2026-12-31 (added at the next change window; inventory line 31) · **error** `missing-origin`"), "\(md)")
        #expect(md.contains("missing-origin (waived)"))
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("<p class=\"waiver\">Waived until 2026-12-31: added at the next change window (inventory line 31); not counted toward the result.</p>"))
        let junit = try String(contentsOfFile: out + "/junit.xml", encoding: .utf8)
        #expect(junit.contains("failures=\"0\""))
        #expect(junit.contains("<skipped message=\"waived until 2026-12-31 (added at the next change window; inventory line 31): error "), "\(junit)")
        let prom = try String(contentsOfFile: out + "/cors_audit.prom", encoding: .utf8)
        #expect(!prom.contains("cors_audit_findings{"), "\(prom)")
        #expect(prom.contains("cors_audit_findings_waived{cluster=\"uccelab\",host=\"cuicsub.uccelab.tac\",list=\"cuic\",kind=\"missing-origin\",severity=\"error\",expires=\"2026-12-31\"} 1"))
        #expect(prom.contains("cors_audit_waivers_expired 0"))
    }

    /// The stray origin waived (a tool still uses it): the runbook keeps the CUIC fix and its Reporting restart, and
    /// neither deletes the waived entry nor restarts the Live Data service for it.
    @Test func aWaivedDeleteIsNotPlannedNorItsRestart() throws {
        let (dir, path) = try inventory("""
          - {kind: unexpected-origin, host: cuicsub.uccelab.tac, origin: "http://127.0.0.1:5500", reason: a lab tool uses it, expires: 2026-12-31}

        """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run(["audit", "--inventory", path, "--transcripts", "inventory/transcripts/lab", "--output", dir + "/run",
                         "--format", "json"], environment: Self.epoch)
        #expect(r.status == 1, "\(r.stderr)")
        let plans = try readJSON(dir + "/run/report.json")["remediation"] as! [[String: Any]]
        #expect(plans.count == 1)
        let lines = (plans.first?["steps"] as? [[String: Any]] ?? []).compactMap { $0["line"] as? String }
        #expect(lines == ["utils cuic cors allowed_origin add https://finessep.uccelab.tac:8445",
                          "utils service restart Intelligence Center Reporting Service",
                          "utils cuic cors allowed_origin list"], "\(plans)")
        let runbook = try String(contentsOfFile: dir + "/run/remediation/cuicsub.uccelab.tac.txt", encoding: .utf8)
        #expect(!runbook.contains("live-data cors allowed_origin delete") && !runbook.contains("Live Data NGINX"), "\(runbook)")
    }

    @Test func anExpiredWaiverBringsItsFindingBackWithAWarning() throws {
        let (dir, path) = try inventory("""
          - {kind: unexpected-origin, host: cuicsub.uccelab.tac, origin: "http://127.0.0.1:5500", reason: lab tool, expires: 2026-11-25}

        """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run(["audit", "--inventory", path, "--transcripts", "inventory/transcripts/lab", "--output", dir + "/run",
                         "--format", "json"], environment: Self.epoch)
        #expect(r.status == 1)
        let warning = "waiver at \(path):31 (unexpected-origin cuicsub.uccelab.tac http://127.0.0.1:5500) expired on 2026-11-25: its 1 finding counts again"
        #expect(r.stderr.contains(warning), "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let findings = json["findings"] as! [[String: Any]]
        #expect(findings.allSatisfy { $0["waived"] == nil })
        #expect((json["waivers"] as? [[String: Any]])?.first?["status"] as? String == "expired")
        #expect((json["waiver_warnings"] as? [String]) == [warning])
    }

    @Test func malformedWaiversAreInventoryErrorsWithFileAndLine() throws {
        let (dir, path) = try inventory("""
          - {kind: unexpected-orign, reason: typo, expires: 2026-12-31}
          - {kind: missing-origin, host: nosuch.uccelab.tac, reason: x, expires: 2026-12-31}
          - {kind: missing-origin, reason: x, expires: 31.12.2026}
          - {kind: missing-origin, reason: x}
          - {kind: missing-origin, expires: 2026-12-31, cluster: other}

        """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run(["audit", "--inventory", path, "--transcripts", "inventory/transcripts/lab", "--output", dir + "/run"])
        #expect(r.status == 64, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("\(path):31:"), "\(r.stderr)")
        #expect(r.stderr.contains("waivers[0].kind: unknown finding kind 'unexpected-orign' (did you mean 'unexpected-origin'?)"))
        #expect(r.stderr.contains("\(path):32:"))
        #expect(r.stderr.contains("waivers[1].host: no node 'nosuch.uccelab.tac' in this inventory"))
        #expect(r.stderr.contains("waivers[2].expires: expected a date YYYY-MM-DD"))
        #expect(r.stderr.contains("waivers[3].expires: missing 'expires: YYYY-MM-DD': every waiver ends"))
        #expect(r.stderr.contains("waivers[4].reason: missing 'reason'"))
        #expect(r.stderr.contains("waivers[4].cluster: no cluster 'other' in this inventory"))
    }
}
