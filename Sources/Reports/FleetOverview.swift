import AuditCore
import Foundation

/// The run at a glance, stated the same way by the table, Markdown and HTML: which clusters need work (with their
/// worst finding), which are clean, and the nodes not fully audited grouped by cause.
public struct FleetOverview: Sendable {
    public struct ClusterState: Sendable {
        public var name: String
        /// The findings that count (a waived one does not).
        public var findings: [Finding]
        /// Findings a live inventory waiver accepts: reported, never counted.
        public var waived: Int = 0
        /// Nodes not fully audited (a skipped or probe-only node is complete).
        public var notAudited: [NodeReport]
        /// Preflights of the cluster that got no answer.
        public var unanswered: Int
        /// Preflights sent to the cluster's endpoints.
        public var preflights: Int
        /// At least one finding at or above the run's `--fail-on`.
        public var drifted: Bool
        public var incomplete: Bool { !notAudited.isEmpty || unanswered > 0 }
        /// Clean: every node complete, every preflight answered, no finding at or above `--fail-on`.
        public var clean: Bool { !incomplete && !drifted }
        /// No node of the cluster was read (each failed or was skipped) and nothing was found: its causes say it all.
        public var unreached: Bool
        /// The first of the most severe findings, in report order.

        public var worst: Finding? {
            guard let top = findings.map(\.severity).max() else { return nil }
            return findings.first { $0.severity == top }
        }
    }

    /// Nodes sharing one cause of failure: the status and the detail with the node's own name and keys blanked.
    public struct Cause: Sendable {
        public var status: NodeStatus
        public var detail: String
        public var hosts: [String]
        /// The first node's own detail, shown whole when the cause is that node's alone.
        public var example: String
    }

    /// A table of more clusters or nodes than this starts with the summary and collapses clean clusters.
    public static let summaryFromClusters = 4
    public static let summaryFromNodes = 20

    public let failOn: Severity
    public let clusters: [ClusterState]
    public let causes: [Cause]

    public init(report: AuditReport, failOn: Severity) {
        self.failOn = failOn
        var unanswered: [String: Int] = [:], sent: [String: Int] = [:]
        for r in report.probe?.results ?? [] {
            sent[r.endpoint.cluster, default: 0] += 1
            if r.verdict.outcome == .error { unanswered[r.endpoint.cluster, default: 0] += 1 }
        }
        clusters = report.clusters.map { name in
            let all = report.findings.filter { $0.cluster == name }
            let findings = all.filter { $0.waiver == nil }
            return ClusterState(name: name, findings: findings, waived: all.count - findings.count,
                                notAudited: report.nodes.filter { $0.cluster == name && !$0.status.isComplete },
                                unanswered: unanswered[name] ?? 0, preflights: sent[name] ?? 0,
                                drifted: findings.contains { $0.severity >= failOn },
                                unreached: findings.isEmpty && (unanswered[name] ?? 0) == 0
                                    && report.nodes.contains { $0.cluster == name && !$0.status.isComplete }
                                    && report.nodes.allSatisfy { $0.cluster != name || !$0.status.isComplete || $0.status == .skipped })
        }
        causes = Self.group(report.incompleteNodes)
    }

    /// Whether a table of this report starts with the summary (and collapses clean clusters unless asked not to).
    public static func isFleet(_ report: AuditReport) -> Bool {
        report.clusters.count >= summaryFromClusters || report.nodes.count >= summaryFromNodes
    }

    public var needingWork: [ClusterState] { clusters.filter { !$0.clean } }

    /// Groups failed nodes by cause, in report order: one line per cause, however many nodes share it.
    public static func group(_ nodes: [NodeReport]) -> [Cause] {
        var causes: [Cause] = []
        for node in nodes {
            let detail = normalized(node.detail, host: node.host)
            if let i = causes.firstIndex(where: { $0.status == node.status && $0.detail == detail }) {
                causes[i].hosts.append(node.host)
            } else {
                causes.append(Cause(status: node.status, detail: detail, hosts: [node.host], example: node.detail))
            }
        }
        return causes
    }

    /// A node's failure detail without what is unique to the node (its name, its key's fingerprint and
    /// known_hosts line), so the same cause on many nodes reads as one.
    static func normalized(_ detail: String, host: String) -> String {
        var text = host.isEmpty ? detail : detail.replacingOccurrences(of: host, with: "<node>")
        for (pattern, replacement) in [("SHA256:[A-Za-z0-9+/=]+", "SHA256:…"), ("AAAA[A-Za-z0-9+/=]{16,}", "…"),
                                       ("\\b[0-9]{1,3}(\\.[0-9]{1,3}){3}(:[0-9]+)?\\b", "<address>"), ("\\]:[0-9]+", "]:<port>")] {
            text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return text
    }

    /// `a, b, c and 197 more`: a few names, then how many were left out.
    public static func abbreviate(_ hosts: [String], shown: Int = 3) -> String {
        hosts.count <= shown + 1 ? hosts.joined(separator: ", ")
            : hosts.prefix(shown).joined(separator: ", ") + " and \(hosts.count - shown) more"
    }

    /// `2 errors, 1 warning` for the findings given (severities with none left out).
    static func counts(_ findings: [Finding]) -> String {
        Severity.allCases.reversed().compactMap { s -> String? in
            let n = findings.filter { $0.severity == s }.count
            return n == 0 ? nil : "\(n) \(s.rawValue)\(n == 1 || s == .info ? "" : "s")"
        }.joined(separator: ", ")
    }

    /// What a cluster needs, in one line: what is incomplete, the counts, and the worst finding.
    public func line(_ c: ClusterState) -> String {
        var parts: [String] = []
        if !c.notAudited.isEmpty { parts.append("\(c.notAudited.count) node\(c.notAudited.count == 1 ? "" : "s") not audited") }
        if c.unanswered > 0 {
            parts.append(c.unanswered == c.preflights ? "not probed: none of its \(c.preflights) preflight\(c.preflights == 1 ? "" : "s") answered"
                         : "\(c.unanswered) preflight\(c.unanswered == 1 ? "" : "s") without an answer")
        }
        let counts = Self.counts(c.findings)
        if !counts.isEmpty { parts.append(counts) }
        if c.waived > 0 { parts.append("\(c.waived) waived") }
        var text = "\(c.name): " + parts.joined(separator: ", ")
        if let w = c.worst {
            text += " · worst: \(w.kind.rawValue)" + (w.origin.map { " \($0)" } ?? "")
                + (w.host.map { " on \($0)" } ?? "") + (w.list.map { " (\($0.rawValue))" } ?? "")
        }
        return text
    }

    /// A failure cause in one line: `AUTH_FAILED on 200 nodes (a, b, c and 197 more): detail`.
    public static func line(_ cause: Cause) -> String {
        let n = cause.hosts.count
        return "\(cause.status.rawValue.uppercased()) on \(n) node\(n == 1 ? "" : "s") (\(abbreviate(cause.hosts))): \(n == 1 ? cause.example : cause.detail)"
    }

    /// The closing line's tail: how many clusters need work and which, then the finding counts.
    public var closing: String {
        let work = needingWork
        var text = work.isEmpty ? "\(clusters.count) of \(clusters.count) cluster\(clusters.count == 1 ? "" : "s") clean"
            : "\(work.count) of \(clusters.count) cluster\(clusters.count == 1 ? "" : "s") need\(work.count == 1 ? "s" : "") work: "
                + Self.abbreviate(work.map(\.name))
        let counts = Self.counts(clusters.flatMap(\.findings))
        text += " · " + (counts.isEmpty ? "no findings" : counts)
        let waived = clusters.map(\.waived).reduce(0, +)
        if waived > 0 { text += " · \(waived) waived" }
        return text
    }
}
