import AuditCore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Reports
import Testing

let repoRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let path = repoRoot + "/Tests/ReportsTests/Golden/" + name
    if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
        try! actual.write(toFile: path, atomically: true, encoding: .utf8)
        return
    }
    guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
        Issue.record("golden file \(name) missing: run with RECORD_GOLDEN=1", sourceLocation: sourceLocation)
        return
    }
    #expect(expected == actual, "\(name) differs from its golden file (RECORD_GOLDEN=1 rewrites it)", sourceLocation: sourceLocation)
}

/// The lab audited from its transcripts, plus a hostile node and a failed node, so every renderer
/// shows drift, failures and device strings that need escaping.
func sampleReport() throws -> AuditReport {
    var inventory = try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml")
    inventory.path = "inventory/lab.yaml"
    var observations: [String: NodeObservation] = [:]
    for (_, node) in inventory.nodes {
        let text = try String(contentsOfFile: "\(repoRoot)/inventory/transcripts/lab/\(node.host).txt", encoding: .utf8)
        observations[node.host] = .fromTranscript(host: node.host, text: text)
    }
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
