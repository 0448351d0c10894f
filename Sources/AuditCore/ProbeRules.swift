/// Findings from preflight answers, read beside the node's CLI list when the audit read it.
enum ProbeRules {
    static func findings(probe: ProbeReport, inventory: Inventory, nodes: [NodeReport]) -> [Finding] {
        let reports = Dictionary(nodes.map { ($0.host, $0) }, uniquingKeysWith: { a, _ in a })
        let (counted, idle) = probe.partition
        let allowing = probe.allowingEndpoints
        // An endpoint that shows no sign of serving the list's CORS: one finding for it, and its refusals count for nothing.
        let idleEndpoints = grouped(idle) { $0.endpoint.url }
        // One finding per node, list, origin and kind, naming every serving endpoint that answered that way.
        let groups = grouped(counted.filter { $0.verdict.outcome != .error && !$0.asExpected }) { "\($0.endpoint.listKey)\u{0}\($0.origin)" }
        return groups.map { group in
            let first = group[0]
            let urls = group.map(\.endpoint.url)
            return finding(first, urls: urls, stillServing: urls.contains { allowing.contains($0) }, report: reports[first.endpoint.host])
        } + idleEndpoints.map { notServing($0[0].endpoint.url, $0) }
    }

    /// `results` in groups of equal `key`, groups in the order their first result came.
    private static func grouped(_ results: [PreflightResult], by key: (PreflightResult) -> String) -> [[PreflightResult]] {
        var groups: [[PreflightResult]] = []
        var index: [String: Int] = [:]
        for result in results {
            let k = key(result)
            if let i = index[k] { groups[i].append(result) } else {
                index[k] = groups.count
                groups.append([result])
            }
        }
        return groups
    }

    /// What answered at an endpoint that does not serve the list's CORS; never a restart.
    private static func notServing(_ url: String, _ results: [PreflightResult]) -> Finding {
        let e = results[0].endpoint
        let what: String
        if results.allSatisfy({ $0.verdict.outcome == .error }) {
            what = "no answer (\(results[0].verdict.detail)); the node's release is not known, so this was one candidate port of several"
        } else {
            let statuses = Array(Set(results.compactMap(\.verdict.status))).sorted().map(String.init).joined(separator: ", ")
            what = "HTTP \(statuses) without any CORS header to all \(results.count) preflights"
        }
        let release = e.release == .unknown ? "release unknown" : "release \(e.release.rawValue)"
        return Finding(kind: .endpointNotServing, cluster: e.cluster, host: e.host, list: e.list,
                       message: "\(url) does not serve the \(e.list.displayName) list's CORS (\(release)): \(what). Its refusals say nothing about the list; no restart follows from them.")
    }

    /// `stillServing`: one of `urls` allowed some origin in this run, so a list is being served there (maybe an old one).
    private static func finding(_ result: PreflightResult, urls: [String], stillServing: Bool, report: NodeReport?) -> Finding {
        let e = result.endpoint
        let host = e.host, origin = result.origin
        let observed = report?.lists.first { $0.kind == e.list }
        let read = report?.status == .audited || observed?.origins != nil
        let lines = report.map { RemediationPlanner.Lines(list: e.list, report: $0) }
            ?? RemediationPlanner.Lines(list: e.list, restart: CORSServices.restart(for: e.list, services: nil, family: e.release))
        let at = urls.joined(separator: " and ")
        if result.reason.shouldAllow, let refusal = result.verdict.refusal, refusal.rule.beyondTheList || echoesAnother(result, observed) {
            return beyondTheList(result, refusal, at: at, count: urls.count, lines: lines)
        }
        if result.reason.shouldAllow {
            var message = "\(at) \(urls.count == 1 ? "refuses" : "refuse") the preflight from \(origin) (\(result.verdict.detail))"
            var fix: [RemediationAction]
            if let origins = observed?.origins, origins.contains(origin), observed?.state != .disabled, stillServing {
                let services = lines.restartPhrase
                message += ": configured but not effective: restart \(services)."
                fix = lines.restarts + [lines.verifyList]
            } else if let origins = observed?.origins, origins.contains(origin), observed?.state != .disabled {
                // Nothing was allowed here in this run: no sign the old list is served, so a restart is not the known fix.
                message += ": configured on \(host)'s \(e.list.displayName) list, yet no origin was allowed at \(urls.count == 1 ? "this URL" : "these URLs") in this run; check `\(lines.verifyStatus.commandLine!)` and the service before any restart."
                fix = [lines.verifyStatus, lines.verifyList]
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
        case _ where result.verdict.allowOrigin == "*":
            // `*` answers every origin: the list is not consulted, so no entry or old list explains it.
            message += " (`*`: the node answers any origin, whatever its list holds)."
            fix = [lines.verifyStatus, lines.verifyList]
        default:
            let services = lines.restartPhrase
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

extension ProbeRules {
    /// The origin was refused for an `Access-Control-Allow-Origin` that names it twice, or names another origin of the
    /// node's own list: the list holds the origin and serves, so the answer is garbled on its way (a proxy, a cache
    /// that ignores `Vary: Origin`) and a restart is not the fix.
    static func echoesAnother(_ result: PreflightResult, _ observed: ObservedList?) -> Bool {
        guard let rule = result.verdict.refusal?.rule, let allow = result.verdict.allowOrigin,
              (200...299).contains(result.verdict.status ?? 0) else { return false }
        switch rule {
        case .allowOriginMultiple:
            return allow.split(separator: ",").allSatisfy { $0.trimmingCharacters(in: [" ", "\t"]) == result.origin }
        case .allowOriginMismatch:
            return observed?.origins?.contains(allow) == true && observed?.origins?.contains(result.origin) == true
        default:
            return false
        }
    }

    /// An expected origin let in whose call the browser still refuses: the fix is not on the origin list, so the
    /// finding says which part of the answer is, and plans neither an add nor a restart.
    static func beyondTheList(_ result: PreflightResult, _ refusal: PreflightRefusal, at: String, count: Int,
                              lines: RemediationPlanner.Lines) -> Finding {
        let e = result.endpoint
        let family = "utils \(e.list.cliFamily) cors"
        let how = result.verdict.allowOrigin == "*" ? "answered with `Access-Control-Allow-Origin: *`" : "echoed in Access-Control-Allow-Origin"
        var message = "\(at) \(count == 1 ? "refuses" : "refuse") the gadget's call from \(result.origin): \(refusal.reason). "
            + "The origin is \(how), so \(e.host)'s \(e.list.displayName) origin list is not the cause: adding the origin or restarting does not fix this. "
        var fix: [RemediationAction]
        switch refusal.rule {
        case .headerNotAllowed, .allowHeadersInvalid:
            message += "The node's allowed request headers are: compare `\(family) allowed_headers list` with the other nodes' and add what is missing with `\(family) allowed_headers add`."
            fix = [.verifyHeaders(e.list),
                   .note("Add the missing header names to the allowed headers with `\(family) allowed_headers add` (the allowed_headers family is in Cisco's CLI guides; the argument format is assumed to be the allowed_origin one), then restart \(lines.restartPhrase) as for an origin change.")]
        case .wildcardWithCredentials:
            message += "The node's own filter echoes the origin (field capture); `*` means the node answers every origin or something in front of it (a reverse proxy, a load balancer) adds its own CORS headers."
            fix = [lines.verifyStatus, lines.verifyList,
                   .note("Find what answers `*` at \(e.url): a proxy or load balancer rewriting CORS headers, or a permissive CORS mode.")]
        case .credentialsMissing, .credentialsNotTrue:
            message += "Cisco documents no CLI for Access-Control-Allow-Credentials; CUIC sends `true` in the field capture, so an answer without it usually comes from something in front of the node rewriting CORS headers."
            fix = [.note("Find what answers at \(e.url) without `Access-Control-Allow-Credentials: true` (a reverse proxy or load balancer rewriting CORS headers) and compare with another node's answer.")]
        case .allowOriginMultiple, .allowOriginMismatch:
            message = "\(at) \(count == 1 ? "refuses" : "refuse") the gadget's call from \(result.origin): \(refusal.reason). "
                + "\(e.host)'s \(e.list.displayName) list holds the origin and the node answers with origins of its list, so neither adding it nor a restart fixes this: "
                + "something garbles the answer on its way (a cache or proxy that ignores `Vary: Origin`, or adds its own header)."
            fix = [.note("Find what sits between browsers and \(e.url) (a cache, reverse proxy or load balancer) and make it keep the node's Access-Control-Allow-Origin per Origin.")]
        default:
            message += "Cisco documents no CLI for the allowed methods; compare this answer with another node's."
            fix = [.note("Find what answers at \(e.url) with this Access-Control-Allow-Methods (a reverse proxy or load balancer rewriting CORS headers).")]
        }
        return Finding(kind: .preflightResponseHeaders, cluster: e.cluster, host: e.host, list: e.list, origin: result.origin,
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
