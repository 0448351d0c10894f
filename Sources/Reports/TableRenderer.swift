import AuditCore
import Foundation

/// The terminal view of a report: the answer first (per-cluster table), then the evidence, then the fix.
public struct TableRenderer: Sendable {
    public var failOn: Severity
    /// Where the full runbooks were written, mentioned in the fix section.
    public var runbookLocation: String?
    /// ANSI colour: only on a terminal and when NO_COLOR is unset (the caller decides).
    public var color: Bool
    /// `--all`: at fleet scale, show clean clusters and skipped nodes too instead of collapsing them.
    public var showAll: Bool

    public init(failOn: Severity = .warning, runbookLocation: String? = nil, color: Bool = false, showAll: Bool = false) {
        self.failOn = failOn; self.runbookLocation = runbookLocation; self.color = color; self.showAll = showAll
    }

    private func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    private func paint(_ text: String, _ severity: Severity) -> String {
        paint(text, severity == .error ? "31" : severity == .warning ? "33" : "36")
    }

    /// Every string from a device, a file or the inventory reaches the terminal through `Escaping.terminal`
    /// (`t`), field by field, so no field can move the cursor, erase, recolour or reorder what the table shows.
    public func render(_ report: AuditReport) -> String {
        let t = Escaping.terminal
        var out: [String] = []
        // Notes every format carries (--insecure, a host key not checked, a key added): before the answer, not after it.
        let notices = Summary(report: report, failOn: failOn).notices
        for notice in notices {
            out.append(notice == ProbeReport.insecureNotice ? paint("⚠ " + notice, "1;31") : paint("⚠ " + Escaping.terminal(notice), "1;33"))
        }
        if !notices.isEmpty { out.append("") }
        // Unanswered preflights per node and list, for the probe-only rows: the probe's split is made once, not per row.
        var unanswered: [String: Int] = [:]
        for r in report.probe?.errors ?? [] { unanswered["\(r.endpoint.host)\u{0}\(r.endpoint.list.rawValue)", default: 0] += 1 }
        // The probe's split into counted and idle results is made once for the whole report.
        let probeSummary = report.probe.map(ProbeSummary.init)
        let overview = FleetOverview(report: report, failOn: failOn)
        // At fleet scale the answer comes first and clean clusters and skipped rows fold away (unless --all).
        let fleet = FleetOverview.isFleet(report), collapse = fleet && !showAll
        if fleet { out += summaryBlock(overview, report: report) }
        var hiddenSkipped = 0, unreached = 0
        for (cluster, state) in zip(report.clusters, overview.clusters) {
            if collapse && state.clean { continue }
            let nodes = report.nodes.filter { $0.cluster == cluster }
            // A cluster of which no node was read and nothing found has nothing to show beyond the summary's causes.
            if collapse && state.unreached {
                unreached += 1
                continue
            }
            let findings = report.findings.filter { $0.cluster == cluster && $0.waiver == nil }
            // Waived findings are shown, marked, and never counted.
            let waived = report.findings.filter { $0.cluster == cluster && $0.waiver != nil }
            let failed = nodes.filter { !$0.status.isComplete }.count
            var counts = Severity.allCases.reversed().compactMap { s -> String? in
                let n = findings.filter { $0.severity == s }.count
                return n == 0 ? nil : "\(n) \(s.rawValue)\(n == 1 ? "" : "s")"
            }
            // A cluster whose preflights went unanswered was not probed: never headed "clean".
            if state.unanswered > 0 {
                counts.insert(state.unanswered == state.preflights
                              ? "not probed (none of its \(state.preflights) preflight\(state.preflights == 1 ? "" : "s") answered)"
                              : "\(state.unanswered) preflight\(state.unanswered == 1 ? "" : "s") without an answer", at: 0)
            }
            if failed > 0 { counts.insert("\(failed) node\(failed == 1 ? "" : "s") not audited", at: 0) }
            out.append(paint("cluster \(t(cluster))", "1") + " — \(counts.isEmpty ? paint("clean", "32") : counts.joined(separator: ", "))"
                       + (waived.isEmpty ? "" : ", \(waived.count) waived"))
            var rows: [[String]] = [["NODE", "LIST", "STATUS", "ORIGINS", "FINDINGS"]]
            var failures: [String] = []
            // One line per cause: the same failure on many nodes is named once, with the count and the nodes.
            for cause in FleetOverview.group(nodes.filter { !$0.status.isComplete }) {
                if cause.hosts.count == 1, let node = nodes.first(where: { $0.host == cause.hosts[0] }) {
                    failures.append("  \(t(node.host))  —  " + paint("\(node.status.rawValue.uppercased())", "1;31") + " (\(t(node.detail)))")
                } else {
                    failures.append("  " + paint("\(cause.status.rawValue.uppercased())", "1;31")
                                    + t(" on \(cause.hosts.count) nodes (\(FleetOverview.abbreviate(cause.hosts))): \(cause.detail)"))
                }
            }
            for node in nodes {
                if node.status == .skipped && collapse { hiddenSkipped += 1; continue }
                if node.status == .skipped {
                    rows.append([node.host, node.lists.map(\.kind.rawValue).joined(separator: ","), "skipped", "—", "not contacted (audit: false)"])
                    continue
                }
                if node.status == .probeOnly && node.product == .finesse { continue }
                for list in node.lists {
                    let mine = findings.filter { $0.host == node.host && $0.list == list.kind }
                    var cell = summary(mine, node: node)
                    let waivedHere = waived.filter { $0.host == node.host && $0.list == list.kind }.count
                    if waivedHere > 0 { cell += ", \(waivedHere) waived" }
                    if mine.isEmpty, node.status == .probeOnly, report.probe != nil {
                        let errors = unanswered["\(node.host)\u{0}\(list.kind.rawValue)"] ?? 0
                        cell = errors > 0 ? "✗ \(errors) preflight\(errors == 1 ? "" : "s") without an answer" : "preflight ok (CLI not read)"
                    }
                    rows.append([node.host, list.kind.rawValue, Summary.stateCell(list, node: node), Summary.originsCell(list), cell])
                }
                let nodeLevel = findings.filter { $0.host == node.host && $0.list == nil }
                if !nodeLevel.isEmpty { rows.append([node.host, "services", "", "", summary(nodeLevel, node: node)]) }
            }
            out += Self.align(rows.map { $0.map(t) }).enumerated().map { i, line in "  " + (i == 0 ? paint(line, "1") : colorize(line)) }
            if !failures.isEmpty { out.append(""); out += failures }
            if let summary = probeSummary {
                out.append("")
                out.append("  Preflight probe: " + t(summary.countLine))
                for line in summary.lines(cluster: cluster) {
                    out.append("  " + paint(line.severity == .error ? "✗" : "!", line.severity) + " " + t(line.text))
                }
            }
            if !findings.isEmpty {
                out.append("")
                out += Self.findingLines(findings).map { "  " + paint(Self.symbol($0.severity), $0.severity) + " \(t($0.text))" }
            }
            if !waived.isEmpty {
                if findings.isEmpty { out.append("") }
                out += waived.map { "  ~ " + t(Self.waivedLine($0)) }
            }
            out.append("")
        }
        if collapse {
            let folded = overview.clusters.filter(\.clean).count
            var parts: [String] = []
            if folded > 0 { parts.append("\(folded) clean cluster\(folded == 1 ? "" : "s")") }
            if unreached > 0 { parts.append("\(unreached) cluster\(unreached == 1 ? "" : "s") with no node audited (causes in the summary)") }
            if hiddenSkipped > 0 { parts.append("\(hiddenSkipped) skipped node\(hiddenSkipped == 1 ? "" : "s") (audit: false)") }
            if !parts.isEmpty { out += ["Not shown: " + parts.joined(separator: ", ") + " · --all shows them", ""] }
        }
        let plans = report.plans
        if !plans.isEmpty {
            let location = runbookLocation.map { "; full runbooks in \(t($0))" } ?? ""
            out.append("Fix (run at each node's admin: prompt\(location)):")
            for plan in plans {
                out.append("  \(t(plan.host))")
                for step in plan.steps {
                    switch step {
                    case .delete(_, let index, let origin):
                        out.append("    \(t(step.commandLine!))")
                        out.append("    \(index)    ← at the index prompt; must be \(Escaping.visible(origin))")
                    case .note(let n): out.append("    # \(t(n))")
                    // A restart names the service as the node listed it.
                    default: out += step.cliLines.map { "    \(t($0))" }
                    }
                }
            }
            out.append("")
        }
        out.append(resultLine(report, overview: overview))
        return out.joined(separator: "\n") + "\n"
    }

    /// The run's last line: the verdict and exit code, why it is incomplete, which clusters need work, the counts.
    public func resultLine(_ report: AuditReport) -> String { resultLine(report, overview: FleetOverview(report: report, failOn: failOn)) }

    private func resultLine(_ report: AuditReport, overview: FleetOverview) -> String {
        let t = Escaping.terminal
        let verdict = report.verdict(failOn: failOn)
        let word = verdict.rawValue.uppercased()
        var result = "Result: " + paint(word, verdict == .clean ? "1;32" : verdict == .drift ? "1;33" : "1;31") + " (exit \(verdict.exitCode))"
        if verdict == .incomplete {
            result += " · " + t(Summary(report: report, failOn: failOn).incompleteReason)
        }
        let scoped = report.scope.map { " · SCOPED to " + t($0) } ?? ""
        return result + scoped + " · " + t(overview.closing)
    }

    /// The fleet's summary: clusters by state, the ones needing work named with their worst finding, failures by cause.
    private func summaryBlock(_ overview: FleetOverview, report: AuditReport) -> [String] {
        let t = Escaping.terminal
        let work = overview.needingWork
        let clean = overview.clusters.count - work.count
        var out = [paint("Summary", "1") + ": \(overview.clusters.count) clusters, \(Summary(report: report, failOn: failOn).nodeCounts)",
                   "  \(work.count) cluster\(work.count == 1 ? "" : "s") need\(work.count == 1 ? "s" : "") work, \(clean) clean"]
        // Clusters of which nothing was read are one line: their causes follow.
        let unreached = work.filter(\.unreached), reached = work.filter { !$0.unreached }
        let shown = reached.prefix(Self.summaryLines)
        for c in shown {
            let severity: Severity = c.incomplete ? .error : c.worst?.severity ?? .info
            out.append("  " + paint(c.incomplete ? "?" : Self.symbol(severity), severity) + " " + t(overview.line(c)))
        }
        if reached.count > shown.count { out.append("  … and \(reached.count - shown.count) more clusters, each below") }
        if !unreached.isEmpty {
            out.append("  " + paint("?", .error) + t(" \(unreached.count) cluster\(unreached.count == 1 ? "" : "s") with no node audited: "
                                                     + FleetOverview.abbreviate(unreached.map(\.name))))
        }
        if !overview.causes.isEmpty {
            out.append("  Not fully audited, by cause:")
            out += overview.causes.map { "    " + t(FleetOverview.line($0)) }
        }
        out.append("")
        return out
    }

    /// Clusters named one per line in the summary before the rest is left to the per-cluster sections.
    static let summaryLines = 20

    /// Colours the findings cell of an aligned row by its leading symbol.
    private func colorize(_ line: String) -> String {
        guard color else { return line }
        for (symbol, severity) in [("✗", Severity.error), ("!", .warning), ("i ", .info)] {
            if let r = line.range(of: "  " + symbol) {
                return String(line[..<r.lowerBound]) + "  " + paint(String(line[line.index(r.lowerBound, offsetBy: 2)...]), severity)
            }
        }
        if line.hasSuffix("  ok") { return String(line.dropLast(2)) + paint("ok", "32") }
        return line
    }

    func summary(_ findings: [Finding], node: NodeReport) -> String {
        guard let worst = findings.max(by: { $0.severity < $1.severity }) else {
            return node.status == .audited ? "ok" : node.status == .probeOnly ? "CLI not read" : "not audited"
        }
        let kinds = Dictionary(grouping: findings, by: \.kind)
        let parts = FindingKind.allCases.compactMap { kind -> String? in
            guard let n = kinds[kind]?.count else { return nil }
            return "\(n) \(kind.rawValue)"
        }
        return "\(Self.symbol(worst.severity)) " + parts.joined(separator: ", ")
    }

    /// `waived until 2027-03-31 (lab tool, inventory line 40): <message>`.
    public static func waivedLine(_ f: Finding) -> String {
        guard let w = f.waiver else { return f.message }
        return "waived until \(w.expires) (\(w.reason); inventory line \(w.line)): \(f.severity.rawValue) \(f.message)"
    }

    /// The finding lines of a cluster: two or more origins missing from one list are one line, at the first one's place
    /// (an empty site's list would otherwise repeat one sentence per origin); every other finding keeps its own line.
    static func findingLines(_ findings: [Finding]) -> [(severity: Severity, text: String)] {
        func key(_ f: Finding) -> String? {
            guard f.kind == .missingOrigin, let host = f.host, let list = f.list else { return nil }
            return "\(host)\u{0}\(list.rawValue)\u{0}\(f.severity.rawValue)"
        }
        let groups = Dictionary(grouping: findings.filter { key($0) != nil }, by: { key($0)! })
        var shown: Set<String> = []
        var lines: [(severity: Severity, text: String)] = []
        for finding in findings {
            if let k = key(finding), let group = groups[k], group.count > 1 {
                guard shown.insert(k).inserted else { continue }
                let origins = group.compactMap(\.origin)
                lines.append((finding.severity, "\(finding.host!)'s \(finding.list!.displayName) list lacks \(group.count) expected origins "
                              + "(\(FleetOverview.abbreviate(origins, shown: 4))): browsers refuse what is loaded from them."))
            } else {
                lines.append((finding.severity, finding.message))
            }
        }
        return lines
    }

    static func symbol(_ severity: Severity) -> String {
        switch severity { case .error: "✗"; case .warning: "!"; case .info: "i" }
    }

    /// Left-aligned columns two spaces apart, measured in characters.
    static func align(_ rows: [[String]]) -> [String] {
        let widths = (0..<(rows.first?.count ?? 0)).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in
                c == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - cell.count)
            }.joined(separator: "  ")
        }
    }
}
