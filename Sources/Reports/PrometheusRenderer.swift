import AuditCore
import Foundation

/// Prometheus text format for node_exporter's textfile collector.
public struct PrometheusRenderer: Sendable {
    public init() {}

    public func render(_ report: AuditReport) -> String {
        var out: [String] = []
        out.append("# HELP cors_audit_findings Findings of the last cors-audit run, by node, list, kind and severity.")
        out.append("# TYPE cors_audit_findings gauge")
        var counts: [String: Int] = [:]
        var order: [String] = []
        for f in report.findings {
            let labels = "cluster=\"\(Escape.promLabel(f.cluster))\",host=\"\(Escape.promLabel(f.host ?? ""))\",list=\"\(f.list?.rawValue ?? "")\",kind=\"\(f.kind.rawValue)\",severity=\"\(f.severity.rawValue)\""
            if counts[labels] == nil { order.append(labels) }
            counts[labels, default: 0] += 1
        }
        out += order.map { "cors_audit_findings{\($0)} \(counts[$0]!)" }
        out.append("# HELP cors_audit_node_up 1 when the node was fully audited, 0 when it was not (skipped nodes are not listed).")
        out.append("# TYPE cors_audit_node_up gauge")
        for node in report.nodes where node.status != .skipped {
            out.append("cors_audit_node_up{cluster=\"\(Escape.promLabel(node.cluster))\",host=\"\(Escape.promLabel(node.host))\"} \(node.status == .audited ? 1 : 0)")
        }
        out.append("# HELP cors_audit_last_run_timestamp_seconds When the last cors-audit run ended, in Unix seconds.")
        out.append("# TYPE cors_audit_last_run_timestamp_seconds gauge")
        let f = ISO8601DateFormatter()
        let seconds = f.date(from: report.generatedAt).map { Int($0.timeIntervalSince1970) } ?? 0
        out.append("cors_audit_last_run_timestamp_seconds \(seconds)")
        return out.joined(separator: "\n") + "\n"
    }
}
