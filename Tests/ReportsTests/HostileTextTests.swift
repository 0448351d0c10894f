import AuditCore
import Foundation
import History
import Reports
import Testing
import TestSupport

/// Issue 15 item 5: every device-derived string a renderer puts on a terminal passes `Escaping.terminal`.
/// Each renderer gets the same hostile string in every field a node or a file can fill.
let hostile = "ok\u{8}\u{8}FAILED\u{1B}[2K\u{1B}[1A\u{1B}]0;title\u{7}\u{C2}\u{9B}31m\u{9D}8;;https://x\u{9C}"
    + "\u{202E}deilppa\u{202C}\u{2066}\u{2069}\u{200B}\u{200D}\u{2060}\u{FEFF}\u{7F}\r\n  applied  FAKE\u{85}"

/// Scalars no terminal rendering may carry: C0 but the renderer's own line breaks, DEL, C1, bidi, zero-width.
func terminalUnsafe(_ text: String) -> [String] {
    text.unicodeScalars.filter { u in
        let v = u.value
        return (v < 0x20 && u != "\n") || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v)
            || (0x2066...0x2069).contains(v) || (0x200B...0x200F).contains(v) || v == 0x2060 || v == 0xFEFF
    }.map { String(format: "U+%04X", $0.value) }
}

func expectTerminalSafe(_ text: String, _ renderer: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(terminalUnsafe(text).isEmpty, "\(renderer) leaks \(Set(terminalUnsafe(text)).sorted())", sourceLocation: sourceLocation)
    // Escaped visibly, not dropped; and the device's line break made no line of its own.
    #expect(text.contains("\\u{8}\\u{8}FAILED\\u{1b}[2K"), "\(renderer): \(text)", sourceLocation: sourceLocation)
    #expect(!text.split(separator: "\n").contains { $0.hasPrefix("  applied  FAKE") }, sourceLocation: sourceLocation)
}

@Suite struct TerminalSanitizingTests {
    @Test func theOneFunctionEscapesEveryClass() {
        let out = Escaping.terminal(hostile)
        #expect(terminalUnsafe(out).isEmpty)
        for escaped in ["\\u{8}", "\\u{1b}", "\\u{7}", "\\u{9b}", "\\u{9d}", "\\u{9c}", "\\u{202e}", "\\u{202c}", "\\u{2066}", "\\u{2069}",
                        "\\u{200b}", "\\u{200d}", "\\u{2060}", "\\u{feff}", "\\u{7f}", "\\u{d}", "\\u{a}", "\\u{85}"] {
            #expect(out.contains(escaped), "\(escaped) missing from \(out)")
        }
        #expect(Escaping.terminal("https://finessep.uccelab.tac:8445 ✓ é") == "https://finessep.uccelab.tac:8445 ✓ é")
    }

    @Test func tableEscapesNodeDetailsFindingsProbeLinesAndFixes() throws {
        var report = try sampleProbeReport()
        report.nodes[0].detail = hostile
        report.nodes[0].status = .timeout
        report.findings[0].message = hostile
        // The node's Access-Control-Allow-Origin value as the prober quotes it.
        let results = report.probe!.results.map { r -> PreflightResult in
            var r = r
            r.verdict.detail = "200, Access-Control-Allow-Origin: " + hostile
            return r
        }
        report.probe = ProbeReport(insecure: true, caFile: nil, results: results)
        report.plans[0].steps += [.note(hostile), .restart(service: hostile)]
        let table = TableRenderer(runbookLocation: "reports/x/remediation/").render(report)
        expectTerminalSafe(table, "table")
        // The probe line holds the escaped header value.
        #expect(table.contains("Access-Control-Allow-Origin: ok\\u{8}\\u{8}FAILED"))
        // Colour stays the renderer's own: every ESC in a coloured table opens an SGR it wrote.
        let coloured = TableRenderer(color: true).render(report)
        #expect(coloured.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression) == TableRenderer().render(report))
    }

    @Test func applySummaryEscapesDetailsSoAFailedStepCannotLookApplied() throws {
        let step = NodeApplyRecord.Step(step: .add(.cuic, origins: ["https://finessep.uccelab.tac"]), status: .failed, detail: hostile, output: hostile)
        let restart = NodeApplyRecord.Step(step: .restart(service: hostile), status: .skipped, detail: nil, output: nil)
        let record = NodeApplyRecord(cluster: hostile, host: "cuicpub.uccelab.tac", status: .stopped, detail: hostile,
                                     steps: [step, restart], restartsPending: [.restart(service: hostile)], transcript: nil)
        var after = try sampleReport()
        after.nodes[0].status = .timeout
        after.nodes[0].detail = hostile
        after.findings[0].message = hostile
        let summary = ApplySummary(records: [record], before: [], after: after, restart: false, failOn: .warning)
        let text = summary.text()
        expectTerminalSafe(text, "apply summary")
        #expect(text.contains("  FAILED   utils cuic cors allowed_origin add https://finessep.uccelab.tac  (ok\\u{8}\\u{8}FAILED"))
    }

    @Test func driftEscapesOriginsVersionsAndNames() throws {
        func summary(_ id: Int64) -> RunSummary {
            RunSummary(id: id, generatedAt: "2026-11-2\(id)T09:00:00Z", generatedEpoch: Double(id), recordedAt: "", inventory: hostile,
                       verdict: .drift, failOn: .warning, complete: true, nodes: 1, audited: 1, skipped: 0, incomplete: 0,
                       errors: 0, warnings: 0, infos: 0)
        }
        func node(_ origins: [String], _ version: String) -> StoredNode {
            StoredNode(cluster: "uccelab", host: "cuicpub.uccelab.tac", product: .cuic, status: .audited, version: version,
                       lists: [StoredList(kind: .cuic, state: .enabled, origins: origins)])
        }
        let drift = DriftReport(from: RunSnapshot(summary: summary(1), nodes: [node(["https://a.tac"], "12.6.2")], findings: []),
                                to: RunSnapshot(summary: summary(2), nodes: [node(["https://a.tac", hostile], hostile)], findings: []))
        let text = DriftRenderer().text(drift)
        expectTerminalSafe(text, "drift")
        #expect(text.contains("+ ok\\u{8}"))
        let json = DriftRenderer().json(drift).serialized()
        #expect(terminalUnsafe(json).isEmpty, "drift JSON leaks \(terminalUnsafe(json))")
        #expect(try JSONSerialization.jsonObject(with: Data(json.utf8)) is [String: Any])
    }

    @Test func historyListEscapesTheInventoryPath() {
        let run = RunSummary(id: 1, generatedAt: "2026-11-26T09:00:00Z", generatedEpoch: 0, recordedAt: "", inventory: hostile,
                             verdict: .clean, failOn: .warning, complete: true, nodes: 1, audited: 1, skipped: 0, incomplete: 0,
                             errors: 0, warnings: 0, infos: 0)
        expectTerminalSafe(HistoryListRenderer().text(runs: [run], total: 1, baseline: nil, database: "h.sqlite"), "history")
    }

    @Test func reportJSONOnStdoutIsTerminalSafeAndStillTheSameJSON() throws {
        var report = try sampleReport()
        report.nodes[0].detail = hostile
        let json = report.json(failOn: .warning).serialized()
        #expect(terminalUnsafe(json).isEmpty)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        #expect((parsed["nodes"] as! [[String: Any]])[0]["detail"] as? String == hostile)
    }
}

/// Issue 15 item 6: runbook Markdown judged by a real CommonMark renderer (markdown-it-py, `make commonmark`).
@Suite(.serialized) struct MarkdownCommonMarkTests {
    static let venv = repoRoot + "/.build/commonmark-venv"

    /// The venv's python with markdown-it-py, created like `make commonmark` does when missing.
    static func python() throws -> String {
        let python = venv + "/bin/python3"
        if (try? runProcess(python, ["-c", "import markdown_it"], timeout: .seconds(60)))?.status != 0 {
            let made = try runProcess("/usr/bin/env", ["python3", "-m", "venv", venv], timeout: .seconds(120))
            try #require(made.status == 0, "python3 -m venv: \(made.stderr)")
            let pip = try runProcess(venv + "/bin/pip", ["install", "-q", "markdown-it-py==3.0.0"], timeout: .seconds(300))
            try #require(pip.status == 0, "pip install markdown-it-py (make commonmark): \(pip.stderr)")
        }
        return python
    }

    struct Tokens: Decodable {
        var code_inline: [String]
        var code_block: [String]
        var html: [String]
        var links: [String]
        var rendered: String
    }

    static func tokens(_ markdown: String) throws -> Tokens {
        let r = try runProcess(try python(), [repoRoot + "/scripts/commonmark-tokens.py"], stdin: markdown, timeout: .seconds(60))
        try #require(r.status == 0, "commonmark-tokens.py: \(r.stderr)")
        return try JSONDecoder().decode(Tokens.self, from: Data(r.stdout.utf8))
    }

    static let origins = [
        "https://x.tac`<img src=x onerror=alert(1)>`",
        "`https://x.tac",
        "https://x.tac``[link](https://evil.example)``",
        "https://x.tac```<b>bold</b>",
        " https://x.tac ",
        "https://x.tac<https://evil.example>`",
    ]

    @Test(arguments: origins)
    func aBacktickInAnEntryNeverBreaksOutOfItsCodeSpan(_ origin: String) throws {
        let plan = RemediationPlan(cluster: "uccelab", host: "cuicpub.uccelab.tac", steps: [
            .delete(.cuic, index: 5, origin: origin), .restart(service: "Svc`<i>x</i>`"),
        ])
        let finding = Finding(kind: .ineffectiveOrigin, cluster: "uccelab", host: "cuicpub.uccelab.tac", list: .cuic, origin: origin,
                              message: "\"\(origin)\" (entry 5) can never match", remediation: [])
        let markdown = RunbookRenderer().markdown(plan, findings: [finding])
        let t = try Self.tokens(markdown)
        #expect(t.html.isEmpty, "raw HTML from \(origin): \(t.html)\n\(markdown)")
        #expect(t.links.isEmpty, "a link from \(origin): \(t.links)\n\(markdown)")
        // The entry and the service name read back exactly from their code spans.
        #expect(t.code_inline.contains(origin), "\(t.code_inline)\n\(markdown)")
        #expect(t.code_inline.contains("utils service restart Svc`<i>x</i>`"), "\(t.code_inline)")
    }

    @Test func theMarkdownReportsListsAndFixBlocksHoldEveryEntryLiterally() throws {
        var report = try sampleReport()
        let origin = "https://x.tac```` <b>x</b>"
        report.inventoryPath = "inv`<b>x</b>`.yaml"
        report.plans[0].steps.append(.delete(.cuic, index: 9, origin: origin))
        let t = try Self.tokens(MarkdownRenderer().render(report))
        #expect(t.html.filter { !$0.hasPrefix("<details>") && !$0.hasPrefix("<summary>") && !$0.hasPrefix("</details>") }.isEmpty, "\(t.html)")
        #expect(t.links.isEmpty)
        #expect(t.code_inline.contains("inv`<b>x</b>`.yaml"))
        #expect(t.code_block.contains { $0.contains(origin) }, "\(t.code_block)")
    }
}
