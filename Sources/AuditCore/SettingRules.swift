import CLIParsers

/// Findings and fixes for the node-specific settings beside the CORS lists: Finesse's gadget source check, CUIC's
/// private network access, and the header lists. None is replicated between nodes (S2, S9), so each is judged per
/// node where a rule says what it must hold, and compared across the peers of a cluster where none does.
enum SettingRules {
    /// The CUIC URLs a Finesse gadget source allow-list must hold when the check is enabled: `https://<cuic>` and
    /// `https://<cuic>:8444` for every CUIC node of the cluster (S9, S10: "otherwise Finesse Desktop fails to load").
    /// The cluster, not the whole inventory: a cluster is one Finesse deployment and the CUIC its desktops load from.
    static func requiredGadgetSources(for cluster: Cluster) -> [String] {
        cluster.cuic.flatMap { ["https://\($0.host)", "https://\($0.host):8444"] }
    }

    /// A change to the gadget source check takes effect after a restart of Cisco Finesse Tomcat (S9), found in the
    /// node's service list when it was read.
    static func gadgetSourceRestart(services: ServiceList?) -> [RemediationAction] {
        let rule = ReleaseProfiles.finesseTomcat
        if let services {
            guard let name = services.services.first(where: { rule.matches($0.name) })?.name else {
                return [.note("no service in `utils service list` matches \(rule.documentedName): restart by hand the service that serves the Finesse desktop")]
            }
            return [.restart(service: name)]
        }
        return [.restart(service: rule.documentedName)]
    }

    /// Per node: a Finesse node whose gadget source check is enabled and lacks a CUIC URL.
    static func nodeFindings(for report: NodeReport, cluster: Cluster) -> [Finding] {
        guard let check = report.gadgetSourceCheck, check.enabled == true, let sources = check.sources else { return [] }
        return missingGadgetSources(check: check, sources: sources, cluster: cluster).map { url in
            Finding(kind: .gadgetSourceMissing, cluster: cluster.name, host: report.host, list: .finesse, origin: url,
                    message: "\(report.host)'s gadget source check is enabled and its allowed list lacks \(url): Finesse Desktop fails to load the CUIC gadgets served from it.",
                    remediation: [.addGadgetSource(url)] + gadgetSourceRestart(services: report.services) + [.verifyGadgetSources])
        }
    }

    private static func missingGadgetSources(check: GadgetSourceCheck, sources: [String], cluster: Cluster) -> [String] {
        // "The format of the allowed list entry should match the format in which the gadget requests" (S9): exact.
        requiredGadgetSources(for: cluster).filter { !sources.contains($0) }
    }

    /// The steps a node's runbook gains from these settings: the gadget sources to add (per node), and private network
    /// access to enable where peers have it (from the cluster).
    static func plannedSteps(for report: NodeReport, cluster: Cluster, peers: [NodeReport]) -> [RemediationAction] {
        var steps: [RemediationAction] = []
        if let check = report.gadgetSourceCheck, check.enabled == true, let sources = check.sources {
            let missing = missingGadgetSources(check: check, sources: sources, cluster: cluster)
            if !missing.isEmpty {
                steps += missing.map { .addGadgetSource($0) } + gadgetSourceRestart(services: report.services) + [.verifyGadgetSources]
            }
        }
        if report.privateNetworkAccess == false, peers.contains(where: { $0.host != report.host && $0.privateNetworkAccess == true }) {
            steps += privateNetworkAccessFix(report)
        }
        return steps
    }

    /// Enable on a node that lacks it, then restart Reporting (S2), by the CUIC list's restart rule.
    static func privateNetworkAccessFix(_ report: NodeReport) -> [RemediationAction] {
        [.setPrivateNetworkAccess(true)] + RemediationPlanner.Lines(list: .cuic, report: report).restarts + [.verifyPrivateNetworkAccess]
    }

    /// Differences between the peers of one cluster.
    static func clusterFindings(cluster: Cluster, nodes: [NodeReport]) -> [Finding] {
        var findings: [Finding] = []

        // Gadget source check: Finesse peers must agree on the switch and the list.
        let finesse = nodes.compactMap { n -> (host: String, enabled: Bool, sources: Set<String>)? in
            guard let g = n.gadgetSourceCheck, let enabled = g.enabled, let sources = g.sources else { return nil }
            return (n.host, enabled, Set(sources))
        }
        if finesse.count > 1 {
            var parts: [String] = []
            var involved: Set<String> = []
            if Set(finesse.map { $0.enabled }).count > 1 {
                let on = finesse.filter { $0.enabled }.map { $0.host }, off = finesse.filter { !$0.enabled }.map { $0.host }
                parts.append("the check is enabled on \(on.joined(separator: ", ")) and disabled on \(off.joined(separator: ", "))")
                involved.formUnion(finesse.map { $0.host })
            }
            parts += differences(finesse.map { ($0.host, $0.sources) }, involved: &involved)
            if !parts.isEmpty {
                findings.append(Finding(kind: .asymmetricGadgetSourceCheck, cluster: cluster.name, host: nil, hosts: sortedLike(nodes, involved), list: .finesse,
                    message: "Finesse gadget source checks differ between nodes of cluster \(cluster.name) (node-specific, S9): " + parts.joined(separator: "; ") + ".",
                    remediation: [.verifyGadgetSourceStatus, .verifyGadgetSources]))
            }
        }

        // Private network access: CUIC peers must agree; the nodes without it are the ones the fix enables.
        let pna = nodes.compactMap { n in n.privateNetworkAccess.map { (host: n.host, on: $0) } }
        if Set(pna.map { $0.on }).count > 1 {
            let off = pna.filter { !$0.on }.map { $0.host }, on = pna.filter { $0.on }.map { $0.host }
            let fix = nodes.first { $0.host == off.first }.map(privateNetworkAccessFix) ?? []
            findings.append(Finding(kind: .asymmetricPrivateNetworkAccess, cluster: cluster.name, host: nil, hosts: off, list: .cuic,
                message: "CUIC private network access is enabled on \(on.joined(separator: ", ")) and disabled on \(off.joined(separator: ", ")) in cluster \(cluster.name): browsers that send Private Network Access preflights load gadgets from some nodes only. Enable it on \(off.joined(separator: ", ")) (each node, then restart Reporting, S2).",
                remediation: fix))
        }

        // Header lists: no expected set, but nodes holding one kind of list must agree.
        for kind in ListKind.allCases {
            for headers in HeaderListKind.allCases {
                let holders = nodes.compactMap { n -> (String, Set<String>)? in
                    guard let list = n.lists.first(where: { $0.kind == kind }), let entries = list.headers(headers) else { return nil }
                    return (n.host, Set(entries))
                }
                guard holders.count > 1 else { continue }
                var involved: Set<String> = []
                let parts = differences(holders, involved: &involved)
                guard !parts.isEmpty else { continue }
                findings.append(Finding(kind: .asymmetricHeaders, cluster: cluster.name, host: nil, hosts: sortedLike(nodes, involved), list: kind,
                    message: "\(kind.displayName) \(headers.rawValue) lists differ between nodes of cluster \(cluster.name): " + parts.joined(separator: "; ")
                        + ". No set is required; make the nodes agree (a header on one node only works through that node only).",
                    remediation: [headers == .allowed ? .verifyHeaders(kind) : .verifyExposedHeaders(kind)]))
            }
        }
        return findings
    }

    /// "a has x that b, c do not" for each entry some holders lack.
    private static func differences(_ holders: [(String, Set<String>)], involved: inout Set<String>) -> [String] {
        guard Set(holders.map { $0.1 }).count > 1 else { return [] }
        var parts: [String] = []
        for (host, entries) in holders {
            for entry in entries.sorted() {
                let without = holders.filter { !$0.1.contains(entry) }.map(\.0)
                guard !without.isEmpty else { continue }
                parts.append("\(host) has \(Escaping.visible(entry)) that \(without.joined(separator: ", ")) \(without.count == 1 ? "does" : "do") not")
                involved.insert(host)
                involved.formUnion(without)
            }
        }
        return parts
    }

    private static func sortedLike(_ nodes: [NodeReport], _ hosts: Set<String>) -> [String] {
        nodes.map(\.host).filter(hosts.contains)
    }

    /// `plan` with `extra` merged in: changes first, restarts after the plan's own (no repeats), verifications after
    /// its verifications, notes last.
    static func merge(_ extra: [RemediationAction], into plan: RemediationPlan?, cluster: String, host: String) -> RemediationPlan? {
        guard !extra.isEmpty else { return plan }
        var steps = plan?.steps ?? []
        let changes = extra.filter { $0.changesNode && !$0.isRestart }
        steps.insert(contentsOf: changes, at: 0)
        let restarts = extra.filter { $0.isRestart }.reduce(into: [RemediationAction]()) { if !steps.contains($1) && !$0.contains($1) { $0.append($1) } }
        let afterRestart = (steps.lastIndex(where: \.isRestart) ?? steps.lastIndex(where: \.changesNode) ?? -1) + 1
        steps.insert(contentsOf: restarts, at: afterRestart)
        let checks = extra.filter { $0.isVerification && !steps.contains($0) }
        let afterCheck = (steps.lastIndex(where: \.isVerification) ?? steps.lastIndex(where: \.changesNode) ?? -1) + 1
        steps.insert(contentsOf: checks, at: afterCheck)
        let present = steps
        steps += extra.filter { step in
            guard case .note = step else { return false }
            return !present.contains(step)
        }
        return RemediationPlan(cluster: cluster, host: host, steps: steps)
    }
}
