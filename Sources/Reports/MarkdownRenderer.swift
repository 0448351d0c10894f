import AuditCore

/// A report for tickets and change requests: verdict, per-cluster table, findings, failures, runbooks.
public struct MarkdownRenderer: Sendable {
    public var failOn: Severity
    public init(failOn: Severity = .warning) { self.failOn = failOn }

    public func render(_ report: AuditReport) -> String {
        let s = Summary(report: report, failOn: failOn)
        var out: [String] = []
        out.append("# CORS audit: \(s.verdict.rawValue.uppercased())")
        out.append("")
        out.append("**\(Escape.markdown(s.headline))**  ")
        out.append("Run \(report.generatedAt) · inventory \(Escape.codeSpan(report.inventoryPath)) · \(s.nodeCounts) · exit \(s.verdict.exitCode)")
        for notice in s.notices { out.append(""); out.append("> ⚠ \(Escape.markdown(notice))") }
        // The affected clusters first, named with their worst finding: a fleet's report is read from the top.
        let overview = FleetOverview(report: report, failOn: failOn)
        let work = overview.needingWork
        if !work.isEmpty {
            out += ["", "## Clusters needing work: \(work.count) of \(overview.clusters.count)", ""]
            out += work.map { "- \(Escape.markdown(overview.line($0)))" }
        }
        if !overview.causes.isEmpty {
            out += ["", "Not fully audited, by cause:", ""]
            out += overview.causes.map { "- \(Escape.markdown(FleetOverview.line($0)))" }
        }
        // The probe's split into counted and idle results is made once for the whole report.
        let probeSummary = report.probe.map(ProbeSummary.init)
        for cluster in report.clusters {
            let nodes = report.nodes.filter { $0.cluster == cluster }
            let findings = report.findings.filter { $0.cluster == cluster }
            out += ["", "## Cluster \(Escape.markdown(cluster))", "", "| Node | List | Status | CORS | Origins | Findings |", "|---|---|---|---|---|---|"]
            for node in nodes {
                for list in node.lists {
                    let mine = findings.filter { $0.host == node.host && $0.list == list.kind }
                    let cell = mine.isEmpty ? (node.status == .audited ? "ok" : "—") : mine.map { "\($0.kind.rawValue)" + ($0.waiver == nil ? "" : " (waived)") }.joined(separator: ", ")
                    out.append("| \(Escape.markdown(node.host)) | \(list.kind.rawValue) | \(node.status.rawValue) | \(Summary.stateCell(list, node: node)) | \(Summary.originsCell(list)) | \(cell) |")
                }
            }
            let failed = nodes.filter { !$0.status.isComplete }
            if !failed.isEmpty {
                out += ["", "### Not fully audited", ""]
                out += failed.map { "- **\(Escape.markdown($0.host))**: `\($0.status.rawValue)`: \(Escape.markdown($0.detail))" }
            }
            if !findings.isEmpty {
                out += ["", "### Findings", ""]
                for f in findings {
                    // A waived finding is reported as such, with its reason and expiry: never silently.
                    let waived = f.waiver.map { "**waived** until \($0.expires) (\(Escape.markdown($0.reason)); inventory line \($0.line)) · " } ?? ""
                    out.append("- \(waived)**\(f.severity.rawValue)** `\(f.kind.rawValue)`\(f.host.map { " on \(Escape.markdown($0))" } ?? ""): \(Escape.markdown(f.message))")
                }
            }
            if let probe = report.probe, let summary = probeSummary {
                let mine = probe.results.filter { $0.endpoint.cluster == cluster }
                out += ["", "### Preflight probe", "", Escape.markdown(summary.countLine) + (probe.insecure ? " · **certificates not verified (--insecure)**" : "")]
                let lines = summary.lines(cluster: cluster)
                if !lines.isEmpty {
                    out.append("")
                    out += lines.map { "- **\($0.severity.rawValue)** " + Escape.markdown($0.text) }
                }
                if !mine.isEmpty {
                    out += ["", "<details><summary>Every preflight</summary>", "", "| URL | Origin | Should | Got | Detail |", "|---|---|---|---|---|"]
                    out += mine.map { r in
                        "| \(Escape.markdown(r.endpoint.url)) | \(Escape.markdown(r.origin)) | \(ProbeSummary.should(r)) | \(ProbeSummary.got(r)) | \(Escape.markdown(r.verdict.detail)) |"
                    }
                    out += ["", "</details>"]
                }
            }
            let evidence = nodes.flatMap { n in n.lists.compactMap { l in l.origins.map { (n, l, $0) } } }
            if !evidence.isEmpty {
                out += ["", "<details><summary>Observed lists</summary>", ""]
                for (node, list, origins) in evidence {
                    out.append("**\(Escape.markdown(node.host)) · \(list.kind.rawValue)** (\(origins.count) entries)")
                    out.append("")
                    out += Escape.fencedBlock(origins.enumerated().map { "\($0 + 1). \($1)" })
                    out.append("")
                }
                out.append("</details>")
            }
        }
        if !report.plans.isEmpty {
            out += ["", "## Fix", "", "Run at each node's `admin:` prompt, in order. Lines starting with `#` are notes."]
            for plan in report.plans {
                out += ["", "### \(Escape.markdown(plan.host))", ""]
                out += Escape.fencedBlock(RunbookRenderer().text(plan).trimmingTrailingNewline.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
            }
        }
        return out.joined(separator: "\n") + "\n"
    }
}

extension Escape {
    /// A fenced code block of `lines` shown literally: the fence one backtick longer than any run inside (at
    /// least three), so no line can close it; each line through `Escaping.terminal`, so none holds a line break.
    static func fencedBlock(_ lines: [String]) -> [String] {
        let safe = lines.map { Escaping.terminal($0) }
        var longest = 0
        for line in safe {
            var run = 0
            for ch in line {
                if ch == "`" { run += 1; longest = max(longest, run) } else { run = 0 }
            }
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return [fence] + safe + [fence]
    }
}

extension String {
    var trimmingTrailingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}
