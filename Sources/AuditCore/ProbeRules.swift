/// Findings from preflight answers, read beside the node's CLI list when the audit read it.
enum ProbeRules {
    static func findings(probe: ProbeReport, inventory: Inventory, nodes: [NodeReport]) -> [Finding] {
        let reports = Dictionary(nodes.map { ($0.host, $0) }, uniquingKeysWith: { a, _ in a })
        // One finding per node, list, origin and kind, naming every endpoint that answered that way.
        var groups: [(key: String, results: [PreflightResult])] = []
        var index: [String: Int] = [:]
        for result in probe.results where result.verdict.outcome != .error && !result.asExpected {
            let key = "\(result.endpoint.host)\u{0}\(result.endpoint.list.rawValue)\u{0}\(result.origin)"
            if let i = index[key] { groups[i].results.append(result) } else {
                index[key] = groups.count
                groups.append((key, [result]))
            }
        }
        return groups.map { group in
            let first = group.results[0]
            return finding(first, urls: group.results.map(\.endpoint.url), report: reports[first.endpoint.host])
        }
    }

    private static func finding(_ result: PreflightResult, urls: [String], report: NodeReport?) -> Finding {
        let e = result.endpoint
        let host = e.host, origin = result.origin
        let observed = report?.lists.first { $0.kind == e.list }
        let read = report?.status == .audited || observed?.origins != nil
        let lines = report.map { RemediationPlanner.Lines(list: e.list, report: $0) }
            ?? RemediationPlanner.Lines(list: e.list, restartServices: CORSServices.restart(for: e.list, services: nil, version: nil))
        let at = urls.joined(separator: " and ")
        if result.reason.shouldAllow {
            var message = "\(at) \(urls.count == 1 ? "refuses" : "refuse") the preflight from \(origin) (\(result.verdict.detail))"
            var fix: [RemediationAction]
            if let origins = observed?.origins, origins.contains(origin), observed?.state != .disabled {
                let services = lines.restartServices.joined(separator: " and ")
                message += ": configured but not effective: restart \(services)."
                fix = lines.restarts + [lines.verifyList]
            } else if observed?.state == .disabled {
                message += ": \(e.list.displayName) CORS is disabled on \(host)."
                fix = [lines.enable] + lines.restarts + [lines.verifyStatus]
            } else if read {
                message += ": \(host)'s \(e.list.displayName) list lacks it."
                fix = [lines.add([origin])] + lines.restarts + [lines.verifyList]
            } else {
                message += "; gadgets loaded from that origin fail. The CLI list was not read: check `\(lines.verifyList.commandLine!)`, add the origin if absent, restart."
                fix = [lines.verifyList, lines.add([origin])] + lines.restarts
            }
            return Finding(kind: .preflightRejected, cluster: e.cluster, host: host, list: e.list, origin: origin,
                           message: message, remediation: fix)
        }
        let how = result.verdict.allowOrigin == "*" ? "with Access-Control-Allow-Origin: *" : "echoing it"
        var message = "\(at) \(urls.count == 1 ? "allows" : "allow") a preflight from \(origin) \(how), which should be refused"
        var fix: [RemediationAction] = []
        switch result.reason {
        case .synthetic:
            message += " (a made-up origin: the node answers any origin)."
            fix = [lines.verifyStatus, lines.verifyList]
        default:
            let services = lines.restartServices.joined(separator: " and ")
            if let origins = observed?.origins, let i = origins.firstIndex(of: origin) {
                message += ": entry \(i + 1) of \(host)'s \(e.list.displayName) list, neither expected nor tolerated."
                fix = lines.delete(index: i + 1, origin: origin)
            } else if observed?.origins == nil {
                let whence = result.reason == .formerEntry ? "it was on the list in a recent recorded run" : "another node of the cluster lists it"
                message += " (\(whence)); the CLI list was not read now: check `\(lines.verifyList.commandLine!)`; if the origin is absent, the node serves an old list: restart \(services)."
                fix = [lines.verifyList] + lines.restarts
            } else {
                let whence = result.reason == .formerEntry ? "it is no longer on the list"
                    : "\(host)'s \(e.list.displayName) list does not hold it (another node of the cluster does)"
                message += ": \(whence); the node still serves an old list: configured but not effective: restart \(services)."
                fix = lines.restarts + [lines.verifyList]
            }
        }
        return Finding(kind: .preflightUnexpectedAllow, cluster: e.cluster, host: host, list: e.list, origin: origin,
                       message: message, remediation: fix)
    }
}

extension AuditReport {
    /// This report with the preflight results and their findings merged in; a node configured right but serving
    /// the old list gets the restart in its runbook.
    public func merging(probe: ProbeReport, inventory: Inventory) -> AuditReport {
        let extra = ProbeRules.findings(probe: probe, inventory: inventory, nodes: nodes)
        var plans = self.plans
        for finding in extra where finding.kind == .preflightRejected || finding.kind == .preflightUnexpectedAllow {
            guard let host = finding.host, let node = nodes.first(where: { $0.host == host }), node.status == .audited else { continue }
            let restarts = finding.remediation.filter(\.isRestart)
            // Only findings that a restart alone fixes: the others are already in the plan from the list itself.
            guard !restarts.isEmpty, finding.remediation.allSatisfy({ action in
                if case .restart = action { return true }
                if case .verifyList = action { return true }
                return false
            }) else { continue }
            let verify = finding.remediation.filter { !$0.isRestart }
            if let i = plans.firstIndex(where: { $0.host == host }) {
                for action in restarts + verify where !plans[i].steps.contains(action) { plans[i].steps.append(action) }
            } else {
                plans.append(RemediationPlan(cluster: node.cluster, host: host, steps: restarts + verify))
            }
        }
        let order = Dictionary(nodes.enumerated().map { ($1.host, $0) }, uniquingKeysWith: { a, _ in a })
        plans.sort { (order[$0.host] ?? .max) < (order[$1.host] ?? .max) }
        var merged = AuditReport(generatedAt: generatedAt, inventoryPath: inventoryPath, clusters: clusters, nodes: nodes,
                                 findings: findings + extra, plans: plans)
        merged.probe = probe
        return merged
    }
}
