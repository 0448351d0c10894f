import AuditCore
import Foundation
import Testing
import TestSupport
@testable import VOSSimulator

/// `cors-audit probe` and `audit --probe` as a user runs them, against vos-sim over SSH and HTTPS.
@Suite(.serialized) struct ProbeEndToEndTests {
    @Test func probeFindsTheRefusedOriginInEveryReportFormat() async throws {
        try await withLab { lab in
            let out = lab.directory + "/probe"
            let r = try corsAudit(["probe", "--inventory", lab.inventoryPath, "--ca-file", lab.caFile,
                                   "--format", "table,json,markdown,html,junit,prometheus", "--output", out])
            #expect(r.status == 1, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            #expect(r.stdout.contains("Preflight probe: 30 preflights: 22 allowed, 8 refused, 0 without an answer; 2 not as the inventory wants"))
            #expect(r.stdout.contains("✗ https://\(sub):8444/cuic/ from \(missingOnSub): refused, should allow — 403 without Access-Control-Allow-Origin"))
            #expect(r.stdout.contains("https://\(sub):8444/cuic/ and https://\(sub)/cuic/ refuse the preflight from \(missingOnSub)"))
            #expect(r.stdout.contains("Result: DRIFT (exit 1)"))
            #expect(!r.stdout.contains("insecure"))
            let json = try readJSON(out + "/report.json")
            let probe = try #require(json["probe"] as? [String: Any])
            #expect(probe["insecure"] as? Bool == false)
            #expect(probe["ca_file"] as? String == lab.caFile)
            #expect((probe["results"] as? [Any])?.count == 30)
            let findings = json["findings"] as! [[String: Any]]
            #expect(findings.map { $0["kind"] as! String } == ["preflight-rejected"])
            #expect((json["summary"] as? [String: Any])?["result"] as? String == "drift")
            let md = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
            #expect(md.contains("### Preflight probe"))
            let junit = try String(contentsOfFile: out + "/junit.xml", encoding: .utf8)
            #expect(junit.contains("name=\"preflight https://\(sub):8444/cuic/ (cuic)\"><failure type=\"preflight-rejected\""))
            let prom = try String(contentsOfFile: out + "/cors_audit.prom", encoding: .utf8)
            #expect(prom.contains("cors_audit_preflight_allowed{cluster=\"uccelab\",host=\"\(sub)\",list=\"cuic\",url=\"https://\(sub):8444/cuic/\",origin=\"\(missingOnSub)\",should=\"allow\"} 0"))
            #expect(prom.contains("cors_audit_probe_insecure 0"))
        }
    }

    @Test func insecureIsStatedInEveryReportFormat() async throws {
        try await withLab { lab in
            let out = lab.directory + "/insecure"
            let r = try corsAudit(["probe", "--inventory", lab.inventoryPath, "--insecure",
                                   "--format", "table,json,markdown,html,junit,prometheus", "--output", out])
            #expect(r.status == 1, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            #expect(r.stdout.hasPrefix("⚠ --insecure: TLS certificates of the probed endpoints were NOT verified"))
            #expect((try readJSON(out + "/report.json")["probe"] as? [String: Any])?["insecure"] as? Bool == true)
            for file in ["report.md", "report.html", "junit.xml"] {
                let text = try String(contentsOfFile: "\(out)/\(file)", encoding: .utf8)
                #expect(text.contains("NOT verified"), "\(file)")
            }
            #expect(try String(contentsOfFile: out + "/cors_audit.prom", encoding: .utf8).contains("cors_audit_probe_insecure 1"))
        }
    }

    @Test func withoutTheCAOrWithANodeDownTheRunIsIncomplete() async throws {
        try await withLab(faults: [pub: "faults: [refuse]"]) { lab in
            let noCA = try corsAudit(["probe", "--inventory", lab.inventoryPath, "--output", lab.directory + "/noca"])
            #expect(noCA.status == 2, "stdout: \(noCA.stdout)\nstderr: \(noCA.stderr)")
            #expect(noCA.stdout.contains("✗ https://\(sub):8444/cuic/: NO ANSWER for 5 origins — TLS: certificate not trusted (CERTIFICATE_VERIFY_FAILED)"))
            #expect(noCA.stdout.contains("Result: INCOMPLETE (exit 2) · 30 preflights without an answer"))
            // No preflight answered: the cluster is headed as not probed, never "clean" (issue 20, item 4).
            #expect(!noCA.stdout.contains("— clean"), "\(noCA.stdout)")
            #expect(noCA.stdout.contains("— not probed (none of its 30 preflights answered)"), "\(noCA.stdout)")
            let down = try corsAudit(["probe", "--inventory", lab.inventoryPath, "--ca-file", lab.caFile, "--output", lab.directory + "/down"])
            #expect(down.status == 2)
            #expect(down.stdout.contains("✗ https://\(pub):8444/cuic/: NO ANSWER for 5 origins — connect"))
            #expect(down.stdout.contains("15 preflights without an answer"))
            let bad = try corsAudit(["probe", "--inventory", lab.inventoryPath, "--ca-file", lab.directory + "/inventory.yaml"])
            #expect(bad.status == 64)
            #expect(bad.stderr.contains("--ca-file"))
        }
    }

    /// The scenario: add over SSH, probe (refused: configured but not effective), restart, probe (allowed).
    @Test func anOriginAddedOverSSHIsServedOnlyAfterTheRestart() async throws {
        try await withLab { lab in
            let before = lab.directory + "/before"
            let audit = try corsAudit(["audit", "--inventory", lab.inventoryPath, "--output", before, "--no-history"])
            #expect(audit.status == 1, "stderr: \(audit.stderr)")
            // Apply the fix over SSH without restarting: the CLI list is right, the service still serves the old one.
            let apply = try corsAudit(["remediate", "--from", before + "/report.json", "--inventory", lab.inventoryPath,
                                       "--apply", "--no-history", "--yes", "--output", lab.directory + "/apply"])
            #expect(apply.stdout.contains("restarts pending"), "stdout: \(apply.stdout)\nstderr: \(apply.stderr)")
            #expect(lab.node(sub).configuredList(.cuic)?.origins.contains(missingOnSub) == true)
            #expect(lab.node(sub).effectiveList(.cuic)?.origins.contains(missingOnSub) == false)

            let pending = lab.directory + "/pending"
            let probed = try corsAudit(["audit", "--probe", "--inventory", lab.inventoryPath, "--ca-file", lab.caFile,
                                        "--output", pending, "--no-history"])
            #expect(probed.status == 1, "stdout: \(probed.stdout)\nstderr: \(probed.stderr)")
            #expect(probed.stdout.contains("refuse the preflight from \(missingOnSub) (403 without Access-Control-Allow-Origin): configured but not effective: restart Intelligence Center Reporting Service."))
            let json = try readJSON(pending + "/report.json")
            let kinds = (json["findings"] as! [[String: Any]]).map { $0["kind"] as! String }
            #expect(kinds == ["preflight-rejected"])
            // The runbook holds the restart, so the usual apply carries it out.
            let plan = (json["remediation"] as! [[String: Any]]).first { $0["host"] as? String == sub }
            let lines = (plan?["steps"] as? [[String: Any]])?.compactMap { $0["line"] as? String } ?? []
            #expect(lines == ["utils service restart Intelligence Center Reporting Service", "utils cuic cors allowed_origin list"])

            let restart = try corsAudit(["remediate", "--from", pending + "/report.json", "--inventory", lab.inventoryPath,
                                         "--apply", "--no-history", "--yes", "--restart", "--output", lab.directory + "/restart"])
            #expect(restart.stdout.contains("applied  utils service restart Intelligence Center Reporting Service"), "stdout: \(restart.stdout)\nstderr: \(restart.stderr)")

            let after = try corsAudit(["probe", "--inventory", lab.inventoryPath, "--ca-file", lab.caFile, "--output", lab.directory + "/after"])
            #expect(after.status == 0, "stdout: \(after.stdout)\nstderr: \(after.stderr)")
            #expect(after.stdout.contains("30 preflights: 24 allowed, 6 refused, 0 without an answer; 0 not as the inventory wants"))
        }
    }

    /// The other way round: an entry deleted over SSH without a restart is gone from the CLI list but still allowed;
    /// only the history knows to ask about it.
    @Test func anOriginDeletedOverSSHWithoutARestartIsStillAllowedAndTheHistoryFindsIt() async throws {
        try await withLab { lab in
            let stale = "http://127.0.0.1:5500", history = lab.directory + "/history.sqlite"
            let first = lab.directory + "/first"
            let audit = try corsAudit(["audit", "--inventory", lab.inventoryPath, "--output", first, "--history", history])
            #expect(audit.status == 1, "stderr: \(audit.stderr)")
            let apply = try corsAudit(["remediate", "--from", first + "/report.json", "--inventory", lab.inventoryPath,
                                       "--apply", "--no-history", "--yes", "--output", lab.directory + "/apply"])
            #expect(apply.stdout.contains("restarts pending"), "stdout: \(apply.stdout)\nstderr: \(apply.stderr)")
            #expect(lab.node(sub).configuredList(.liveData)?.origins.contains(stale) == false)
            #expect(lab.node(sub).effectiveList(.liveData)?.origins.contains(stale) == true)

            func unexpectedAllows(_ extra: [String], _ name: String) throws -> [[String: Any]] {
                let out = lab.directory + "/" + name
                let r = try corsAudit(["audit", "--probe", "--inventory", lab.inventoryPath, "--ca-file", lab.caFile,
                                       "--output", out] + extra)
                #expect(r.status == 1, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
                let findings = try readJSON(out + "/report.json")["findings"] as! [[String: Any]]
                return findings.filter { $0["kind"] as? String == "preflight-unexpected-allow" }
            }
            // Without the history nothing names the deleted entry, so nothing asks about it.
            #expect(try unexpectedAllows(["--no-history"], "blind").isEmpty)
            let found = try unexpectedAllows(["--history", history], "pending")
            #expect(found.count == 1)
            #expect(found.first?["host"] as? String == sub && found.first?["origin"] as? String == stale)
            #expect((found.first?["message"] as? String)?.contains("https://\(sub)/livedata/ allows a preflight from \(stale) echoing it, which should be refused: it is no longer on the list; the node still serves an old list: configured but not effective: restart Unified CCE Live Data NGINX Service.") == true)
            let json = try readJSON(lab.directory + "/pending/report.json")
            let reasons = ((json["probe"] as? [String: Any])?["results"] as? [[String: Any]] ?? [])
                .filter { $0["origin"] as? String == stale }.compactMap { $0["reason"] as? String }
            #expect(reasons == ["former-entry"])
            // The probe alone (no CLI read) asks about it too, and says the list was not read.
            let alone = try corsAudit(["probe", "--inventory", lab.inventoryPath, "--ca-file", lab.caFile,
                                       "--output", lab.directory + "/alone", "--history", history])
            #expect(alone.status == 1, "stdout: \(alone.stdout)\nstderr: \(alone.stderr)")
            let aloneFindings = try readJSON(lab.directory + "/alone/report.json")["findings"] as! [[String: Any]]
            let stillServed = aloneFindings.first { $0["kind"] as? String == "preflight-unexpected-allow" && $0["origin"] as? String == stale }
            #expect(stillServed?["host"] as? String == sub)
            #expect((stillServed?["message"] as? String)?.contains("(it was on the list in a recent recorded run); the CLI list was not read now") == true)

            let restart = try corsAudit(["remediate", "--from", lab.directory + "/pending/report.json", "--inventory", lab.inventoryPath,
                                         "--apply", "--no-history", "--yes", "--restart", "--output", lab.directory + "/restart"])
            #expect(restart.stdout.contains("applied  utils service restart Unified CCE Live Data NGINX Service"), "stdout: \(restart.stdout)\nstderr: \(restart.stderr)")
            // The history still names the entry (recent runs held it), and now it is refused.
            let out = lab.directory + "/after"
            let after = try corsAudit(["audit", "--probe", "--inventory", lab.inventoryPath, "--ca-file", lab.caFile,
                                       "--output", out, "--history", history])
            #expect(after.status == 0, "stdout: \(after.stdout)\nstderr: \(after.stderr)")
            let results = (try readJSON(out + "/report.json")["probe"] as? [String: Any])?["results"] as? [[String: Any]] ?? []
            #expect(results.filter { $0["origin"] as? String == stale }.map { $0["outcome"] as? String } == ["rejected"])
        }
    }

    @Test func auditProbeSendsTheListsUnexpectedEntryAndFlagsItsAllow() async throws {
        try await withLab { lab in
            let out = lab.directory + "/audit-probe"
            let r = try corsAudit(["audit", "--probe", "--inventory", lab.inventoryPath, "--ca-file", lab.caFile, "--output", out, "--no-history"])
            #expect(r.status == 1, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            let json = try readJSON(out + "/report.json")
            let findings = json["findings"] as! [[String: Any]]
            let unexpected = findings.filter { $0["kind"] as? String == "preflight-unexpected-allow" }
            #expect(unexpected.count == 1)
            #expect(unexpected.first?["origin"] as? String == "http://127.0.0.1:5500")
            #expect((unexpected.first?["message"] as? String)?.contains("entry 5 of \(sub)'s Live Data list") == true)
            #expect(findings.contains { $0["kind"] as? String == "missing-origin" })
            #expect((json["probe"] as? [String: Any]).map { ($0["results"] as! [Any]).count } == 32)  // pub is asked about sub's entry too
            let noProbe = try corsAudit(["audit", "--inventory", lab.inventoryPath, "--insecure", "--no-history"])
            #expect(noProbe.status == 64)
        }
    }
}
