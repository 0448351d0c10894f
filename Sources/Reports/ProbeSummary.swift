import AuditCore

/// How every renderer states the preflight probe: one count line, then the answers worth reading.
struct ProbeSummary {
    let probe: ProbeReport
    /// The results that speak about their lists (`ProbeReport.partition`), split once.
    let counted: [PreflightResult]

    init(probe: ProbeReport) {
        self.probe = probe
        counted = probe.partition.counted
    }

    /// `30 preflights: 22 allowed, 8 refused, 0 without an answer; 2 not as the inventory wants`.
    var countLine: String {
        let off = counted.filter { !$0.asExpected && $0.verdict.outcome != .error }.count
        return "\(probe.results.count) preflight\(probe.results.count == 1 ? "" : "s"): \(probe.count(.allowed)) allowed, "
            + "\(probe.count(.rejected)) refused, \(probe.count(.error)) without an answer; \(off) not as the inventory wants"
            + (probe.caFile.map { " · extra CA \($0)" } ?? "")
    }

    /// Errors and answers that differ from what the inventory wants, in run order.
    func notable(cluster: String) -> [PreflightResult] {
        counted.filter { $0.endpoint.cluster == cluster && !$0.asExpected }
    }

    /// The notable results of a cluster as lines; an endpoint's errors with the same cause are one line.
    func lines(cluster: String) -> [(severity: Severity, text: String)] {
        var out: [(severity: Severity, text: String)] = []
        var errors: [(first: PreflightResult, count: Int, line: Int)] = []
        for r in notable(cluster: cluster) {
            guard r.verdict.outcome == .error else {
                out.append((r.reason.shouldAllow ? .error : .warning, Self.line(r)))
                continue
            }
            if let g = errors.firstIndex(where: { $0.first.endpoint == r.endpoint && $0.first.verdict.detail == r.verdict.detail }) {
                errors[g].count += 1
            } else {
                errors.append((r, 1, out.count))
                out.append((.error, ""))
            }
        }
        for g in errors {
            let e = g.first.endpoint
            out[g.line].text = "\(e.url): NO ANSWER for \(g.count) origin\(g.count == 1 ? "" : "s") — \(g.first.verdict.detail)"
                + (e.reachedAt.map { " (reached at \($0))" } ?? "")
        }
        return out
    }

    static func should(_ r: PreflightResult) -> String { r.reason.shouldAllow ? "allow" : "refuse" }

    static func got(_ r: PreflightResult) -> String {
        switch r.verdict.outcome {
        case .allowed: "allowed"
        case .rejected: "refused"
        case .error: "NO ANSWER"
        }
    }

    static func line(_ r: PreflightResult) -> String {
        "\(r.endpoint.url) from \(r.origin): \(got(r)), should \(should(r)) — \(r.verdict.detail)"
            + (r.endpoint.reachedAt.map { " (reached at \($0))" } ?? "")
    }
}

extension Summary {
    /// Preflights without an answer: they make the run incomplete like a node that was not audited.
    var probeErrors: Int { report.probe?.errors.count ?? 0 }

    /// What keeps the run from complete, in words.
    var incompleteReason: String {
        var parts: [String] = []
        if !report.incompleteNodes.isEmpty { parts.append("\(report.incompleteNodes.count) of \(report.nodes.count) nodes not fully audited") }
        if probeErrors > 0 { parts.append("\(probeErrors) preflight\(probeErrors == 1 ? "" : "s") without an answer") }
        return parts.joined(separator: ", ")
    }
}
