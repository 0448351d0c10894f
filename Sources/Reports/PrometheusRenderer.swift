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
        // Waived findings are not in cors_audit_findings (alerts stay quiet) but in cors_audit_findings_waived.
        var waived: [String: Int] = [:]
        var waivedOrder: [String] = []
        for f in report.findings {
            if let w = f.waiver {
                let labels = "cluster=\"\(Escape.promLabel(f.cluster))\",host=\"\(Escape.promLabel(f.host ?? ""))\",list=\"\(f.list?.rawValue ?? "")\",kind=\"\(f.kind.rawValue)\",severity=\"\(f.severity.rawValue)\",expires=\"\(Escape.promLabel(w.expires))\""
                if waived[labels] == nil { waivedOrder.append(labels) }
                waived[labels, default: 0] += 1
                continue
            }
            let labels = "cluster=\"\(Escape.promLabel(f.cluster))\",host=\"\(Escape.promLabel(f.host ?? ""))\",list=\"\(f.list?.rawValue ?? "")\",kind=\"\(f.kind.rawValue)\",severity=\"\(f.severity.rawValue)\""
            if counts[labels] == nil { order.append(labels) }
            counts[labels, default: 0] += 1
        }
        out += order.map { "cors_audit_findings{\($0)} \(counts[$0]!)" }
        if !report.waivers.isEmpty {
            out.append("# HELP cors_audit_findings_waived Findings an inventory waiver accepts until its expiry date; not counted in cors_audit_findings.")
            out.append("# TYPE cors_audit_findings_waived gauge")
            out += waivedOrder.map { "cors_audit_findings_waived{\($0)} \(waived[$0]!)" }
            out.append("# HELP cors_audit_waivers_expired Inventory waivers past their expiry date (their findings count again).")
            out.append("# TYPE cors_audit_waivers_expired gauge")
            out.append("cors_audit_waivers_expired \(report.waivers.filter(\.expired).count)")
        }
        out.append("# HELP cors_audit_node_up 1 when the node was fully audited, 0 when it was not (skipped nodes are not listed).")
        out.append("# TYPE cors_audit_node_up gauge")
        for node in report.nodes where node.status != .skipped && node.status != .probeOnly {
            out.append("cors_audit_node_up{cluster=\"\(Escape.promLabel(node.cluster))\",host=\"\(Escape.promLabel(node.host))\"} \(node.status == .audited ? 1 : 0)")
        }
        let unchecked = Summary(report: report, failOn: .warning).hostKeysUnchecked
        if !unchecked.isEmpty {
            out.append("# HELP cors_audit_host_key_unchecked 1 for a node audited with host_key_policy: off (its host key was NOT checked).")
            out.append("# TYPE cors_audit_host_key_unchecked gauge")
            for node in unchecked {
                out.append("cors_audit_host_key_unchecked{cluster=\"\(Escape.promLabel(node.cluster))\",host=\"\(Escape.promLabel(node.host))\"} 1")
            }
        }
        if let probe = report.probe {
            out.append("# HELP cors_audit_preflight_allowed 1 when the endpoint allowed the preflight from the origin, 0 when it refused; absent without an answer.")
            out.append("# TYPE cors_audit_preflight_allowed gauge")
            func labels(_ r: PreflightResult) -> String {
                "cluster=\"\(Escape.promLabel(r.endpoint.cluster))\",host=\"\(Escape.promLabel(r.endpoint.host))\",list=\"\(r.endpoint.list.rawValue)\",url=\"\(Escape.promLabel(r.endpoint.url))\",origin=\"\(Escape.promLabel(r.origin))\",should=\"\(ProbeSummary.should(r))\""
            }
            for r in probe.results where r.verdict.outcome != .error {
                out.append("cors_audit_preflight_allowed{\(labels(r))} \(r.verdict.outcome == .allowed ? 1 : 0)")
            }
            out.append("# HELP cors_audit_preflight_answered 1 when the preflight got an HTTP answer, 0 on a connect, TLS or timeout error.")
            out.append("# TYPE cors_audit_preflight_answered gauge")
            for r in probe.results {
                out.append("cors_audit_preflight_answered{\(labels(r))} \(r.verdict.outcome == .error ? 0 : 1)")
            }
            out.append("# HELP cors_audit_probe_insecure 1 when the probe did not verify TLS certificates (--insecure).")
            out.append("# TYPE cors_audit_probe_insecure gauge")
            out.append("cors_audit_probe_insecure \(probe.insecure ? 1 : 0)")
        }
        out.append("# HELP cors_audit_last_run_timestamp_seconds When the last cors-audit run ended, in Unix seconds.")
        out.append("# TYPE cors_audit_last_run_timestamp_seconds gauge")
        let f = ISO8601DateFormatter()
        let seconds = f.date(from: report.generatedAt).map { Int($0.timeIntervalSince1970) } ?? 0
        out.append("cors_audit_last_run_timestamp_seconds \(seconds)")
        return out.joined(separator: "\n") + "\n"
    }
}
