import AuditCore

/// One self-contained HTML file (no external assets): verdict banner, a table per cluster, each
/// finding with its evidence and fix. Every device-provided string is escaped.
public struct HTMLRenderer: Sendable {
    public var failOn: Severity
    public init(failOn: Severity = .warning) { self.failOn = failOn }

    public func render(_ report: AuditReport) -> String {
        let s = Summary(report: report, failOn: failOn)
        let h = Escape.html
        var body: [String] = []
        body.append("<header class=\"banner \(s.verdict.rawValue)\"><h1>CORS audit: \(s.verdict.rawValue.uppercased())</h1>")
        body.append("<p>\(h(s.headline))</p>")
        body.append("<p class=\"meta\">Run \(h(report.generatedAt)) · inventory <code>\(h(report.inventoryPath))</code> · \(h(s.nodeCounts)) · exit \(s.verdict.exitCode)</p></header>")
        for notice in s.notices { body.append("<p class=\"notice\">⚠ \(h(notice))</p>") }
        // The affected clusters first, named with their worst finding: a fleet's report is read from the top.
        let overview = FleetOverview(report: report, failOn: failOn)
        let work = overview.needingWork
        if !work.isEmpty || !overview.causes.isEmpty {
            body.append("<section class=\"overview\"><h2>Clusters needing work: \(work.count) of \(overview.clusters.count)</h2><ul>")
            body += work.map { "<li class=\"\($0.incomplete ? "failed" : $0.worst?.severity.rawValue ?? "ok")\">\(h(overview.line($0)))</li>" }
            body.append("</ul>")
            if !overview.causes.isEmpty {
                body.append("<p>Not fully audited, by cause:</p><ul>" + overview.causes.map { "<li>\(h(FleetOverview.line($0)))</li>" }.joined() + "</ul>")
            }
            body.append("</section>")
        }
        if report.nodes.contains(where: { !$0.lists.isEmpty }) { body.append(MatrixHTML.legend(probed: report.probe != nil)) }
        // An answer at an endpoint that serves no list (endpoint-not-serving) is shown, not flagged.
        let idle = Set(report.probe?.partition.idle.map(\.key) ?? [])
        // The probe's split into counted and idle results is made once for the whole report.
        let probeSummary = report.probe.map(ProbeSummary.init)
        for cluster in report.clusters {
            let nodes = report.nodes.filter { $0.cluster == cluster }
            let findings = report.findings.filter { $0.cluster == cluster }
            body.append("<section><h2>Cluster \(h(cluster))</h2>")
            // The grid first: which node lacks which origin, at a glance; the table and the prose follow.
            body += OriginMatrix.all(report, cluster: cluster).map(MatrixHTML.grid)
            body.append("<table><thead><tr><th>Node</th><th>List</th><th>Status</th><th>CORS</th><th>Origins</th><th>Findings</th></tr></thead><tbody>")
            for node in nodes {
                for list in node.lists {
                    let mine = findings.filter { $0.host == node.host && $0.list == list.kind }
                    // Waived findings are shown but do not colour the row.
                    let worst = mine.filter { $0.waiver == nil }.map(\.severity).max()
                    let cell = mine.isEmpty ? (node.status == .audited ? "ok" : "—") : mine.map { $0.kind.rawValue + ($0.waiver == nil ? "" : " (waived)") }.joined(separator: ", ")
                    body.append("<tr class=\"\(worst?.rawValue ?? (node.status.isComplete ? "ok" : "failed"))\"><td>\(h(node.host))</td><td>\(list.kind.rawValue)</td><td>\(node.status.rawValue)</td><td>\(h(Summary.stateCell(list, node: node)))</td><td>\(h(Summary.originsCell(list)))</td><td>\(h(cell))</td></tr>")
                }
            }
            body.append("</tbody></table>")
            for node in nodes where !node.status.isComplete && node.status != .skipped {
                body.append("<div class=\"failure\"><strong>\(h(node.host))</strong>: <code>\(node.status.rawValue)</code> — \(h(node.detail))</div>")
                for u in node.unparsed {
                    body.append("<details><summary>Raw output of <code>\(h(u.command))</code> (\(h(u.reason)))</summary><pre>\(h(u.raw))</pre></details>")
                }
            }
            if let probe = report.probe, let summary = probeSummary {
                let mine = probe.results.filter { $0.endpoint.cluster == cluster }
                body.append("<h3>Preflight probe</h3><p>\(h(summary.countLine))\(probe.insecure ? " · <strong>certificates not verified (--insecure)</strong>" : "")</p>")
                if !mine.isEmpty {
                    body.append("<table class=\"probe\"><thead><tr><th>URL</th><th>Origin</th><th>Should</th><th>Got</th><th>Detail</th></tr></thead><tbody>")
                    for r in mine {
                        let cls = r.asExpected || idle.contains(r.key) ? "ok"
                            : r.verdict.outcome == .error ? "failed" : r.reason.shouldAllow ? "error" : "warning"
                        body.append("<tr class=\"\(cls)\"><td>\(h(r.endpoint.url))</td><td>\(h(r.origin))</td><td>\(ProbeSummary.should(r))</td><td>\(ProbeSummary.got(r))</td><td>\(h(r.verdict.detail))</td></tr>")
                    }
                    body.append("</tbody></table>")
                }
            }
            for f in findings {
                body.append("<article class=\"finding \(f.waiver == nil ? f.severity.rawValue : "waived")\"><h3>\(f.waiver == nil ? "" : "waived · ")\(f.severity.rawValue) · \(f.kind.rawValue)\(f.host.map { " · " + h($0) } ?? "")\(f.list.map { " · " + $0.rawValue } ?? "")</h3>")
                if let w = f.waiver {
                    body.append("<p class=\"waiver\">Waived until \(h(w.expires)): \(h(w.reason)) (inventory line \(w.line)); not counted toward the result.</p>")
                }
                body.append("<p>\(h(f.message))</p>")
                if let host = f.host, let list = f.list, let node = nodes.first(where: { $0.host == host }),
                   let observed = node.lists.first(where: { $0.kind == list }), let origins = observed.origins {
                    body.append(evidence(observed: origins, expected: observed.expected, highlight: f.origin))
                }
                if !f.remediation.isEmpty {
                    body.append("<pre class=\"fix\">\(h(f.remediation.cliLines.joined(separator: "\n")))</pre>")
                }
                body.append("</article>")
            }
            body.append("</section>")
        }
        if !report.plans.isEmpty {
            body.append("<section><h2>Fix</h2><p>Run at each node's <code>admin:</code> prompt, in order. Lines starting with # are notes.</p>")
            for plan in report.plans {
                body.append("<h3>\(h(plan.host))</h3><pre class=\"fix\">\(h(RunbookRenderer().text(plan)))</pre>")
            }
            body.append("</section>")
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <title>CORS audit \(h(report.generatedAt)): \(s.verdict.rawValue)</title>
            <style>\(Self.css)</style></head><body>
            \(body.joined(separator: "\n"))
            </body></html>

            """
    }

    /// The observed list beside the expected one, each entry marked present, missing or extra.
    func evidence(observed: [String], expected: [String], highlight: String?) -> String {
        // Bidi overrides and zero-width characters shown as `\u{..}`: they would reorder or hide the entry on screen.
        let h = { Escape.html(Escaping.terminal($0)) }
        let present = Set(observed)
        let wanted = Set(expected)
        var rows: [String] = []
        for (i, o) in observed.enumerated() {
            let cls = wanted.contains(o) || expected.isEmpty ? "present" : "extra"
            rows.append("<li class=\"\(cls)\(o == highlight ? " hl" : "")\"><span class=\"n\">\(i + 1).</span> \(h(o))</li>")
        }
        let missing = expected.filter { !present.contains($0) }
        let missingRows = missing.map { "<li class=\"missing\(($0 == highlight) ? " hl" : "")\">\(h($0))</li>" }
        return "<div class=\"evidence\"><div><h4>Observed</h4><ul class=\"numbered\">\(rows.joined())</ul></div>"
            + "<div><h4>Expected</h4><ul>\(expected.map { "<li>\(h($0))</li>" }.joined())</ul></div>"
            + (missing.isEmpty ? "" : "<div><h4>Missing</h4><ul>\(missingRows.joined())</ul></div>") + "</div>"
    }

    static let css = """
        body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem;color:#1d1d1f}
        .banner{padding:1rem 1.25rem;border-radius:8px;color:#fff}.banner h1{margin:0 0 .3rem}
        .banner.clean{background:#1e7e34}.banner.drift{background:#b36b00}.banner.incomplete{background:#b00020}
        .meta{opacity:.9;font-size:.9em}.notice{background:#fff3cd;padding:.5rem;border-radius:4px}
        table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}
        tr.error td:last-child{color:#b00020;font-weight:600}tr.warning td:last-child{color:#b36b00}tr.failed td{color:#b00020}
        li.failed,li.error{color:#b00020}li.warning{color:#b36b00}
        .finding{border-left:4px solid #999;padding:.2rem .8rem;margin:.8rem 0}.finding.error{border-color:#b00020}
        .finding.warning{border-color:#b36b00}.finding.info{border-color:#0b6bcb}.finding h3{margin:.2rem 0;font-size:1em}
        .failure{background:#fdecea;padding:.5rem;border-radius:4px;margin:.4rem 0}
        pre{background:#f5f5f7;padding:.6rem;border-radius:4px;overflow-x:auto;white-space:pre-wrap}
        .evidence{display:flex;gap:2rem;flex-wrap:wrap}.evidence h4{margin:.3rem 0}.evidence ol,.evidence ul{margin:0;padding-left:1.2rem}
        ul.numbered{list-style:none;padding-left:0}li .n{color:#888;display:inline-block;min-width:1.6em}
        \(MatrixHTML.css)
        .banner code{background:rgba(255,255,255,.18);color:#fff}li.extra{color:#b36b00}li.missing{color:#b00020}li.hl{font-weight:700}code{background:#f5f5f7;padding:0 .2rem}
        """
}
