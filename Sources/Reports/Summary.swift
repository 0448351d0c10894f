import AuditCore

/// Facts every renderer states the same way.
struct Summary {
    let report: AuditReport
    let failOn: Severity

    var verdict: Verdict { report.verdict(failOn: failOn) }

    var headline: String {
        switch verdict {
        case .clean: "CLEAN: every node audited, no finding at or above \(failOn.rawValue)"
        case .drift: "DRIFT: \(counts)"
        case .incomplete: "INCOMPLETE: \(incompleteReason); \(counts)"
        }
    }

    var counts: String {
        let parts = Severity.allCases.reversed().map { s in
            let n = report.count(s)
            return "\(n) \(s.rawValue)\(n == 1 || s == .info ? "" : "s")"
        }
        let waived = report.waivedFindings.count
        return parts.joined(separator: ", ") + (waived > 0 ? ", \(waived) waived" : "")
    }

    var nodeCounts: String {
        let audited = report.nodes.filter { $0.status == .audited }.count
        let skipped = report.nodes.filter { $0.status == .skipped }.count
        let probeOnly = report.nodes.filter { $0.status == .probeOnly }.count
        return "\(report.nodes.count) nodes: \(audited) audited" + (skipped > 0 ? ", \(skipped) skipped" : "")
            + (probeOnly > 0 ? ", \(probeOnly) probed only (CLI not read)" : "")
            + (report.incompleteNodes.isEmpty ? "" : ", \(report.incompleteNodes.count) not fully audited")
    }

    /// What the note of a node whose host key was not checked says (SSHClient writes it; HostKeyTests pin the text).
    static let hostKeyUncheckedMark = "host_key_policy: off"

    /// Nodes audited without checking their host key: every format states them.
    var hostKeysUnchecked: [NodeReport] {
        report.nodes.filter { $0.notes.contains { $0.contains(Self.hostKeyUncheckedMark) } }
    }

    /// Notes that every report must carry (e.g. host keys not checked).
    var notices: [String] {
        var seen: Set<String> = []
        let insecure = report.probe?.insecure == true ? [ProbeReport.insecureNotice] : []
        // Waivers that expired or match nothing: said in every format, not only on stderr.
        // A scoped run first: it must never read as the whole fleet.
        let scoped = report.scope.map { ["scoped run (\($0)): only part of \(report.inventoryPath) was audited; nodes outside the scope show as skipped"] } ?? []
        return scoped + insecure + report.nodes.flatMap { n in n.notes.map { "\(n.host): \($0)" } }.filter { seen.insert($0).inserted }
            + report.waiverWarnings
    }

    static func originsCell(_ list: ObservedList) -> String {
        guard let origins = list.origins else { return "—" }
        if list.expected.isEmpty { return "\(origins.count)" }
        let present = Set(origins)
        let have = list.expected.filter(present.contains).count
        let extra = present.subtracting(list.expected).count
        return "\(have)/\(list.expected.count)" + (extra > 0 ? " +\(extra)" : "")
    }

    static func stateCell(_ list: ObservedList, node: NodeReport) -> String {
        list.state?.rawValue ?? "—"
    }
}
