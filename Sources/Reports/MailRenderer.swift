import AuditCore

/// A short plain-text report for a nightly mail: a `Subject:` line with the result and counts, then the clusters
/// needing work, one line each, and the causes of nodes not fully audited; never more than ``maxLines`` lines.
public struct MailRenderer: Sendable {
    public var failOn: Severity
    public init(failOn: Severity = .warning) { self.failOn = failOn }

    public static let maxLines = 40

    public func render(_ report: AuditReport) -> String {
        let t = Escaping.terminal
        let overview = FleetOverview(report: report, failOn: failOn)
        let summary = Summary(report: report, failOn: failOn)
        let verdict = report.verdict(failOn: failOn)
        let work = overview.needingWork
        var subject = "cors-audit \(report.inventoryPath): \(verdict.rawValue.uppercased())"
        subject += work.isEmpty ? " — \(overview.clusters.count) of \(overview.clusters.count) clusters clean"
            : " — \(work.count) of \(overview.clusters.count) cluster\(overview.clusters.count == 1 ? "" : "s") need\(work.count == 1 ? "s" : "") work"
        subject += " (\(summary.counts))"
        if let scope = report.scope { subject += " [scoped: \(scope)]" }
        var lines = ["Subject: " + t(subject), ""]
        lines.append(t(TableRenderer(failOn: failOn).resultLine(report)))
        lines.append(t("\(report.generatedAt) · \(summary.nodeCounts)"))
        // Notices (a scoped run, --insecure, host keys not checked, waivers expired) come before the clusters.
        let notices = summary.notices
        for n in notices.prefix(5) { lines.append("! " + t(n)) }
        if notices.count > 5 { lines.append("! … and \(notices.count - 5) more notices in the report") }
        // The tail (causes, closing) is kept; the cluster list gives way first.
        var tail: [String] = []
        if !overview.causes.isEmpty {
            tail.append("")
            tail.append("Not fully audited, by cause:")
            for c in overview.causes.prefix(5) { tail.append("  " + t(FleetOverview.line(c))) }
            if overview.causes.count > 5 { tail.append("  … and \(overview.causes.count - 5) more causes in the report") }
        }
        let clean = overview.clusters.count - work.count
        tail.append("")
        tail.append("\(clean) cluster\(clean == 1 ? "" : "s") clean. The full report, the runbooks and the evidence are in the run folder.")
        if !work.isEmpty {
            lines.append("")
            lines.append("Clusters needing work:")
            let room = Self.maxLines - lines.count - tail.count - 1
            let shown = work.prefix(max(1, room))
            for c in shown { lines.append("  - " + t(overview.line(c))) }
            if work.count > shown.count { lines.append("  … and \(work.count - shown.count) more clusters in the report") }
        }
        lines += tail
        return lines.prefix(Self.maxLines).joined(separator: "\n") + "\n"
    }
}
