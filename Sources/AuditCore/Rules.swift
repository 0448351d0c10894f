import CLIParsers

/// Findings about one node, from the data it returned. A list that was not received gives no findings.
enum NodeRules {
    static func findings(for report: NodeReport, node: InventoryNode, cluster: Cluster) -> [Finding] {
        var findings: [Finding] = []
        let tolerated = Set(cluster.expected.toleratedOrigins)
        for list in report.lists {
            let fix = RemediationPlanner.Lines(list: list.kind, report: report)
            if let state = list.state {
                switch (list.kind, state) {
                case (.cuic, .disabled), (.liveData, .disabled):
                    findings.append(Finding(kind: .corsDisabled, cluster: cluster.name, host: report.host, list: list.kind,
                        message: "\(list.kind.displayName) CORS is disabled on \(report.host): browsers get no CORS headers, whatever the list holds.",
                        remediation: [fix.enable] + fix.restarts + [fix.verifyStatus]))
                case (.finesse, .enableAll):
                    // The switch refuses every origin not on the list: what it must hold is added first.
                    let missing = list.expected.filter { !(list.origins ?? []).contains($0) }
                    findings.append(Finding(kind: .corsPermissive, cluster: cluster.name, host: report.host, list: list.kind,
                        message: "Finesse CORS on \(report.host) is in enable_all mode: any origin is allowed. Check its allowed-origin list, then enable list-based CORS. "
                            + RemediationPlanner.enableAllCutOff(list),
                        remediation: [fix.verifyList] + (missing.isEmpty ? [] : [fix.add(missing)]) + [fix.enable] + fix.restarts + [fix.verifyStatus]))
                default: break
                }
            }
            guard let entries = list.origins else { continue }
            let expected = list.expected
            let expectedSet = Set(expected)
            var effective: Set<String> = []
            for (offset, entry) in entries.enumerated() {
                let index = offset + 1
                switch OriginAnalysis.analyze(entry) {
                case .effective(let origin):
                    if !effective.insert(entry).inserted {
                        findings.append(Finding(kind: .duplicateOrigin, cluster: cluster.name, host: report.host, list: list.kind, origin: entry,
                            message: "\(entry) is listed more than once on \(report.host)'s \(list.kind.displayName) list (entry \(index)).",
                            remediation: fix.delete(index: index, origin: entry)))
                    } else if list.kind != .finesse && !expectedSet.contains(entry) && !tolerated.contains(origin) {
                        findings.append(Finding(kind: .unexpectedOrigin, cluster: cluster.name, host: report.host, list: list.kind, origin: entry,
                            message: "\(entry) (entry \(index)) on \(report.host)'s \(list.kind.displayName) list is neither expected nor tolerated\(origin.isLoopbackOrPlainHTTP ? " (a plain-http or loopback origin, likely a leftover)" : "")"
                                + (cluster.expected.prune ? "." : "; the runbook suggests its delete, planned only with expected.prune: true or --prune."),
                            remediation: cluster.expected.prune ? fix.delete(index: index, origin: entry) : []))
                    }
                case .ineffective(let reason, let meant):
                    var message = "\"\(Escaping.visible(entry))\" (entry \(index)) on \(report.host)'s \(list.kind.displayName) list can never match a browser Origin: it \(reason)"
                    if let meant {
                        message += "; probably meant \(meant)"
                        if expectedSet.contains(meant.description) && !entries.contains(meant.description) { message += ", which is expected and reported missing" }
                    }
                    findings.append(Finding(kind: .ineffectiveOrigin, cluster: cluster.name, host: report.host, list: list.kind,
                        origin: entry, message: message + ".", remediation: fix.delete(index: index, origin: entry)))
                }
            }
            // A Finesse list is enforced only in `enabled` mode (enable_all allows any origin, disabled none).
            let enforced = list.kind != .finesse || list.state == .enabled
            // What the origin is, as the inventory says: a Finesse node's (host or alias), or one of the site's own.
            let finesseNames = Set(cluster.finesse.flatMap { [$0.host.lowercased()] + $0.aliases.map { $0.lowercased() } })
            for origin in expected where enforced && !effective.contains(origin) {
                let what = list.kind == .finesse
                    ? "pages from that origin (the site's extra_origins / finesse_origins) cannot call Finesse"
                    : (Origin(canonical: origin).map { finesseNames.contains($0.host.lowercased()) } ?? true) ? "gadgets loaded from that Finesse origin are refused"
                    : "gadgets loaded from that origin (the site's extra_origins, e.g. a reverse proxy) are refused"
                findings.append(Finding(kind: .missingOrigin, cluster: cluster.name, host: report.host, list: list.kind, origin: origin,
                    message: "\(report.host)'s \(list.kind.displayName) list lacks \(origin): \(what).",
                    remediation: [fix.add([origin])] + fix.restarts + [fix.verifyList]))
            }
        }
        if let services = report.services {
            for name in CORSServices.relevant(for: node, services: services, family: report.release) {
                guard let service = services.service(named: name), service.state != .started, !service.notActivated else { continue }
                let tail = service.tail.isEmpty ? "" : " (\(service.tail))"
                findings.append(Finding(kind: .serviceStopped, cluster: cluster.name, host: report.host, list: nil,
                    message: "\(name) is \(service.rawState) on \(report.host)\(tail): the CORS configuration it serves is not in effect.",
                    remediation: [.start(service: name), .verifyServices]))
            }
        }
        return findings
    }
}

/// Findings that compare the nodes of one cluster.
enum ClusterRules {
    /// `nodeFindings`: the cluster's node findings, so a difference already counted (a missing-origin) is not counted twice.
    static func findings(cluster: Cluster, nodes: [NodeReport], nodeFindings: [Finding] = []) -> [Finding] {
        var findings: [Finding] = []
        let reportedMissing = Set(nodeFindings.filter { $0.kind == .missingOrigin }.map { "\($0.host ?? "")\u{0}\($0.list?.rawValue ?? "")\u{0}\($0.origin ?? "")" })
        let good = Set(ExpectedOrigins.required(for: cluster).map(\.description) + cluster.expected.toleratedOrigins.map(\.description))
        for kind in ListKind.allCases {
            let holders = nodes.compactMap { n -> (host: String, entries: Set<String>)? in
                guard let list = n.lists.first(where: { $0.kind == kind }), let origins = list.origins else { return nil }
                return (n.host, Set(origins))
            }
            guard holders.count > 1, Set(holders.map(\.entries)).count > 1 else { continue }
            var parts: [String] = []
            var involved: [String] = []
            // The severity of the difference behind the finding: an origin a node lacks that no missing-origin reports
            // (a tolerated one, or any on Finesse) refuses browsers on that node only: error. One the node's own
            // missing-origin already counts adds nothing (info). An entry on some nodes only that does not belong
            // is tidy-up or risk: warning.
            var severity = Severity.info
            for holder in holders {
                let others = holders.filter { $0.host != holder.host }
                let union = others.reduce(into: Set<String>()) { $0.formUnion($1.entries) }
                // An origin that belongs on the list is "lacking" where absent; one that does not is "extra" where present.
                let belongs: (String) -> Bool = { kind == .finesse ? OriginAnalysis.isSafeForCommandLine($0) : good.contains($0) }
                let lacks = union.subtracting(holder.entries).filter(belongs).sorted()
                let extra = holder.entries.filter { e in !belongs(e) && others.contains { !$0.entries.contains(e) } }.sorted()
                for origin in lacks {
                    severity = max(severity, reportedMissing.contains("\(holder.host)\u{0}\(kind.rawValue)\u{0}\(origin)") ? .info : .error)
                    let having = others.filter { $0.entries.contains(origin) }.map(\.host)
                    parts.append("\(holder.host) lacks \(origin) that \(having.joined(separator: ", ")) \(having.count == 1 ? "has" : "have")")
                }
                for origin in extra {
                    severity = max(severity, .warning)
                    let without = others.filter { !$0.entries.contains(origin) }.map(\.host)
                    parts.append("\(holder.host) has \(Escaping.visible(origin)) that \(without.joined(separator: ", ")) \(without.count == 1 ? "does" : "do") not")
                }
                if !lacks.isEmpty || !extra.isEmpty { involved.append(holder.host) }
            }
            findings.append(Finding(kind: .asymmetricList, severity: severity, cluster: cluster.name, host: nil, hosts: involved, list: kind,
                message: "\(kind.displayName) lists differ between nodes of cluster \(cluster.name): " + parts.joined(separator: "; ") + "."))
        }
        for product in Product.allCases {
            let versions = nodes.filter { $0.product == product }.compactMap { n in n.version.map { (n.host, $0) } }
            guard Set(versions.map(\.1)).count > 1 else { continue }
            findings.append(Finding(kind: .versionSkew, cluster: cluster.name, host: nil, hosts: versions.map(\.0), list: nil,
                message: "\(product.displayName) nodes of cluster \(cluster.name) run different versions: " +
                    versions.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "."))
        }
        return findings
    }
}

extension ListKind {
    public var displayName: String {
        switch self { case .cuic: "CUIC"; case .liveData: "Live Data"; case .finesse: "Finesse" }
    }
}

extension Product {
    public var displayName: String {
        switch self { case .cuic: "CUIC"; case .livedata: "Live Data"; case .finesse: "Finesse" }
    }
}

extension Origin {
    var isLoopbackOrPlainHTTP: Bool {
        scheme == "http" || host == "localhost" || host.hasPrefix("127.") || host == "[::1]"
    }
}
