import AuditCore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Reports
import Testing
import TestSupport

func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    TestSupport.expectGolden(actual, name, in: "Tests/ReportsTests/Golden", sourceLocation: sourceLocation)
}

/// The lab audited from its transcripts, plus a hostile node and a failed node, so every renderer
/// shows drift, failures and device strings that need escaping.
func sampleReport() throws -> AuditReport {
    var (inventory, observations) = try labObservations()
    // A hostile entry on the publisher's Live Data list: markup, quotes, a comma, pipes and backticks
    // (an entry with control characters is not read at all: the parsers report its list unparsed).
    let pub = observations["cuicpub.uccelab.tac"]!
    observations["cuicpub.uccelab.tac"] = NodeObservation(host: pub.host, captures: pub.captures.map { c in
        guard c.command == "utils live-data cors allowed_origin list" else { return c }
        return CommandCapture(command: c.command, output: c.output + "\n5. https://x.tac/<script>alert(\"1\")</script>,'| `*_\n")
    }, notes: ["host key NOT checked (host_key_policy: off)"])
    observations["finesses.uccelab.tac"] = NodeObservation(host: "finesses.uccelab.tac", captures: [],
        failure: CollectionFailure(status: .timeout, detail: "phase login: no admin: prompt within the 90 s limit; last bytes: \"please wait ...\\r\\n<b>\u{7}\""))
    return Auditor.audit(inventory: inventory, observations: observations, generatedAt: "2026-11-26T09:00:00Z")
}

@Suite struct RendererTests {
    @Test func tableGolden() throws {
        expectGolden(TableRenderer(runbookLocation: "reports/2026-11-26T09-00-00Z/remediation/").render(try sampleReport()), "sample-table.txt")
    }

    @Test func tableColourOnlyWhenAsked() throws {
        let report = try sampleReport()
        #expect(!TableRenderer().render(report).contains("\u{1B}["))
        // A device's control characters reach no terminal or Markdown viewer (the sample's last bytes hold a BEL).
        #expect(!TableRenderer().render(report).contains("\u{7}") && TableRenderer().render(report).contains("\\u{7}"))
        #expect(!MarkdownRenderer().render(report).contains("\u{7}"))
        let coloured = TableRenderer(color: true).render(report)
        #expect(coloured.contains("\u{1B}[31m"))
        // Same content once the colour is removed.
        let stripped = coloured.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        #expect(stripped == TableRenderer().render(report))
    }

    @Test func markdownGolden() throws {
        expectGolden(MarkdownRenderer().render(try sampleReport()), "sample-report.md")
    }

    @Test func htmlGoldenAndEscaping() throws {
        let html = HTMLRenderer().render(try sampleReport())
        expectGolden(html, "sample-report.html")
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt;"))
        #expect(!html.contains("\u{7}"))
        #expect(!html.contains("http-equiv=\"refresh\""))
        // Self-contained: no external references.
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("@import"))
    }

    @Test func junitGoldenIsWellFormed() throws {
        let xml = JUnitRenderer().render(try sampleReport())
        expectGolden(xml, "sample-junit.xml")
        let doc = try XMLDocument(xmlString: xml)
        let cases = try doc.nodes(forXPath: "//testcase")
        // node × list: 2 CUIC nodes × 2 lists + 2 Finesse nodes, plus 2 cluster-level checks.
        #expect(cases.count == 8)
        #expect(try doc.nodes(forXPath: "//testcase/error").count == 1)
        #expect(try doc.nodes(forXPath: "//testcase/failure").count >= 3)
    }

    @Test func prometheusGolden() throws {
        let text = PrometheusRenderer().render(try sampleReport())
        expectGolden(text, "sample-metrics.prom")
        #expect(text.contains("cors_audit_node_up{cluster=\"uccelab\",host=\"finesses.uccelab.tac\"} 0"))
        #expect(text.contains("cors_audit_findings{cluster=\"uccelab\",host=\"cuicsub.uccelab.tac\",list=\"cuic\",kind=\"missing-origin\",severity=\"error\"} 1"))
        #expect(text.contains("cors_audit_last_run_timestamp_seconds 1795683600"))
        // Every sample line is `name{labels} value` or `name value`.
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.range(of: #"^[a-z_]+(\{[^{}]*\})? [0-9]+$"#, options: .regularExpression) != nil, "\(line)")
        }
    }

    @Test func runbookMarkdownGolden() throws {
        let report = try sampleReport()
        let plan = try #require(report.plans.first { $0.host == "cuicsub.uccelab.tac" })
        expectGolden(RunbookRenderer().markdown(plan, findings: report.findings), "sample-runbook-cuicsub.md")
    }
}

/// The sample report with live preflight results merged in: a refused expected origin on both CUIC ports, an
/// allowed extra, a wildcard answer to the made-up origin, and an endpoint that did not answer, probed with --insecure.
func sampleProbeReport() throws -> AuditReport {
    var inventory = try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml")
    inventory.path = "inventory/lab.yaml"
    let sub = "cuicsub.uccelab.tac", pub = "cuicpub.uccelab.tac"
    func result(_ host: String, _ list: ListKind, _ port: Int, _ origin: String, _ reason: ProbeOriginReason,
                _ outcome: PreflightOutcome, status: Int?, allow: String?, _ detail: String) -> PreflightResult {
        PreflightResult(endpoint: PreflightEndpoint(cluster: "uccelab", host: host, list: list, port: port,
                                                    path: list == .cuic ? ProbePlan.cuicPath : ProbePlan.liveDataPath,
                                                    address: "127.0.0.1", connectPort: port + 40000),
                        origin: origin, reason: reason,
                        verdict: PreflightVerdict(outcome: outcome, status: status, allowOrigin: allow, detail: detail))
    }
    let missing = "https://finessep.uccelab.tac:8445"
    let probe = ProbeReport(insecure: true, caFile: nil, results: [
        result(pub, .cuic, 8444, missing, .expected, .allowed, status: 200, allow: missing, "200, Access-Control-Allow-Origin: \(missing)"),
        result(pub, .cuic, 8444, ProbePlan.syntheticOrigin, .synthetic, .allowed, status: 200, allow: "*", "200, Access-Control-Allow-Origin: *"),
        result(pub, .liveData, 443, missing, .expected, .error, status: nil, allow: nil, "connect: connection refused"),
        result(pub, .liveData, 443, ProbePlan.syntheticOrigin, .synthetic, .error, status: nil, allow: nil, "connect: connection refused"),
        result(sub, .cuic, 8444, missing, .expected, .rejected, status: 403, allow: nil, "403 without Access-Control-Allow-Origin"),
        result(sub, .cuic, 443, missing, .expected, .rejected, status: 403, allow: nil, "403 without Access-Control-Allow-Origin"),
        result(sub, .liveData, 443, "http://127.0.0.1:5500", .unexpectedEntry, .allowed, status: 200, allow: "http://127.0.0.1:5500",
               "200, Access-Control-Allow-Origin: http://127.0.0.1:5500"),
    ])
    return try sampleReport().merging(probe: probe, inventory: inventory)
}

@Suite struct ProbeRendererTests {
    @Test func everyFormatCarriesTheProbeAndSaysInsecure() throws {
        let report = try sampleProbeReport()
        let table = TableRenderer(runbookLocation: "reports/2026-11-26T09-00-00Z/remediation/").render(report)
        expectGolden(table, "sample-probe-table.txt")
        let md = MarkdownRenderer().render(report)
        expectGolden(md, "sample-probe-report.md")
        let html = HTMLRenderer().render(report)
        expectGolden(html, "sample-probe-report.html")
        let xml = JUnitRenderer().render(report)
        expectGolden(xml, "sample-probe-junit.xml")
        let prom = PrometheusRenderer().render(report)
        expectGolden(prom, "sample-probe-metrics.prom")
        for text in [table, md, html, xml] { #expect(text.contains("NOT verified")) }
        #expect(prom.contains("cors_audit_probe_insecure 1"))
        #expect(report.json().serialized().contains("\"insecure\": true"))
        // The unanswered endpoint is one line, and the run is incomplete whatever the nodes say.
        #expect(table.contains("✗ https://cuicpub.uccelab.tac/livedata/: NO ANSWER for 2 origins — connect: connection refused (reached at 127.0.0.1:40443)"))
        #expect(table.contains("Result: INCOMPLETE (exit 2) · 1 of 4 nodes not fully audited, 2 preflights without an answer"))
    }

    @Test func junitHasOneCasePerEndpointAndStaysWellFormed() throws {
        let doc = try XMLDocument(xmlString: JUnitRenderer().render(try sampleProbeReport()))
        let names = try doc.nodes(forXPath: "//testcase/@name").compactMap(\.stringValue).filter { $0.hasPrefix("preflight ") }
        #expect(names == ["preflight https://cuicpub.uccelab.tac:8444/cuic/ (cuic)", "preflight https://cuicpub.uccelab.tac/livedata/ (live-data)",
                          "preflight https://cuicsub.uccelab.tac:8444/cuic/ (cuic)", "preflight https://cuicsub.uccelab.tac/cuic/ (cuic)",
                          "preflight https://cuicsub.uccelab.tac/livedata/ (live-data)"])
        #expect(try doc.nodes(forXPath: "//testcase/error[@type='preflight-error']").count == 1)
        #expect(try doc.nodes(forXPath: "//testcase/failure[@type='preflight-rejected']").count == 2)
        #expect(try doc.nodes(forXPath: "//property[@name='probe.insecure']").count == 1)
    }
}

/// The README promises that `host_key_policy: off` is stated in every report: each format, one test.
@Suite struct HostKeyPolicyOffTests {
    @Test func everyFormatStatesTheUncheckedHostKey() throws {
        let report = try sampleReport()
        let note = "cuicpub.uccelab.tac: host key NOT checked (host_key_policy: off)"
        let formats: [(String, String)] = [
            ("table", TableRenderer().render(report)),
            ("json", report.json().serialized()),
            ("markdown", MarkdownRenderer().render(report)),
            ("html", HTMLRenderer().render(report)),
            ("junit", JUnitRenderer().render(report)),
        ]
        for (name, text) in formats {
            // Markdown escapes the underscores.
            #expect(text.contains("host key NOT checked (host_key_policy: off)") || text.contains("host key NOT checked (host\\_key\\_policy: off)"),
                    "\(name) does not state it")
        }
        #expect(TableRenderer().render(report).hasPrefix("⚠ \(note)"))
        #expect(JUnitRenderer().render(report).contains("<property name=\"notice\" value=\"\(note)\"/>"))
        #expect(PrometheusRenderer().render(report).contains("cors_audit_host_key_unchecked{cluster=\"uccelab\",host=\"cuicpub.uccelab.tac\"} 1"))
    }
}
