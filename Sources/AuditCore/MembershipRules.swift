import CLIParsers

/// Findings that compare the inventory with each cluster's own view of its members (`show network cluster`), and the
/// inventory's `live_data: coresident` with the Live Data services a CUIC node runs. Their fixes are inventory edits,
/// named in the message (file and line); never a CLI command.
enum MembershipRules {
    static func findings(inventory: Inventory, nodes: [NodeReport]) -> [Finding] {
        var findings: [Finding] = []
        // One index for every lookup: a member resolved by scanning the inventory made the audit of 2,000 nodes
        // quadratic (20 s of a 28 s run in the benchmark).
        let everyNode = MemberIndex(inventory.nodes.map(\.node))
        let reports = Dictionary(nodes.map { ($0.host, $0) }, uniquingKeysWith: { a, _ in a })
        for cluster in inventory.clusters {
            for product in Product.allCases {
                let group = cluster.nodes.filter { $0.product == product }
                let viewers = group.compactMap { n in reports[n.host].flatMap { r in r.membership.map { (host: n.host, view: $0) } } }
                guard !viewers.isEmpty else { continue }
                findings += unknownMembers(cluster: cluster, product: product, group: group, viewers: viewers, everyNode: everyNode, path: inventory.path)
                for node in group {
                    findings += viewOf(node, cluster: cluster, product: product, viewers: viewers, everyNode: everyNode, path: inventory.path)
                }
            }
            for node in cluster.cuic {
                if let report = reports[node.host], let finding = coresidency(node, report: report, cluster: cluster, path: inventory.path) {
                    findings.append(finding)
                }
            }
        }
        return findings
    }

    /// The inventory node `member` is: by FQDN or alias (a bare short name by the FQDN's first label); failing that, by
    /// address when exactly one inventory node has it (nodes behind one address, as in port-forwarded labs, never match so).
    /// Of several nodes a name fits, the first in inventory order.
    struct MemberIndex {
        let nodes: [InventoryNode]
        private var byName: [String: Int] = [:]
        private var byShortName: [String: Int] = [:]
        private var byAddress: [String: [Int]] = [:]

        init(_ nodes: [InventoryNode]) {
            self.nodes = nodes
            for (i, node) in nodes.enumerated() {
                for name in [node.host] + node.aliases where byName[name] == nil { byName[name] = i }
                if let short = node.host.split(separator: ".").first.map(String.init), byShortName[short] == nil { byShortName[short] = i }
                for address in Set([node.connection.address.lowercased()] + node.aliases) { byAddress[address, default: []].append(i) }
            }
        }

        func resolve(_ member: ClusterMember) -> InventoryNode? {
            let exact = byName[member.host]
            let short = member.host.contains(".") ? nil : byShortName[member.host]
            if let i = [exact, short].compactMap({ $0 }).min() { return nodes[i] }
            let candidates = byAddress[member.address] ?? []
            return candidates.count == 1 ? nodes[candidates[0]] : nil
        }
    }

    static func groupKey(_ product: Product) -> String {
        switch product { case .cuic: "cuic"; case .livedata: "live_data"; case .finesse: "finesse" }
    }

    /// The inventory line that would list `member` in `cluster`'s `product` nodes.
    static func inventoryLine(for member: ClusterMember, product: Product, cluster: Cluster) -> String {
        var keys = ["host: \(member.host)"]
        if member.address != member.host { keys.append("address: \(member.address)") }
        if product == .cuic {
            keys.append("role: \(member.role.rawValue)")
            // As its peers are: the audit then checks the flag against the node's own services.
            if !cluster.cuic.isEmpty, cluster.cuic.allSatisfy(\.coresidentLiveData) { keys.append("live_data: coresident") }
        }
        return "- {\(keys.joined(separator: ", "))}"
    }

    static func unknownMembers(cluster: Cluster, product: Product, group: [InventoryNode], viewers: [(host: String, view: ClusterMembership)],
                               everyNode: MemberIndex, path: String) -> [Finding] {
        var order: [String] = []
        var seen: [String: (member: ClusterMember, viewers: [String])] = [:]
        for (viewer, view) in viewers {
            for member in view.members where everyNode.resolve(member) == nil {
                if seen[member.host] == nil { order.append(member.host); seen[member.host] = (member, []) }
                seen[member.host]!.viewers.append(viewer)
            }
        }
        return order.map { host in
            let (member, by) = seen[host]!
            let what = "\(Escaping.visible(member.host)) (\(Escaping.visible(member.address)), \(member.role.rawValue))"
            return Finding(kind: .nodeNotInInventory, cluster: cluster.name, host: nil, hosts: by, list: nil,
                message: "\(what) is a member of the \(product.displayName) cluster in the `show network cluster` of \(by.joined(separator: ", ")) "
                    + "but not in the inventory: it was never audited, so its CORS lists may lack origins no report shows. "
                    + "Add it to \(path) under cluster \(cluster.name)'s \(groupKey(product)): `\(inventoryLine(for: member, product: product, cluster: cluster))` "
                    + "(or `audit: false` if it is not to be contacted).")
        }
    }

    /// An inventory node missing from its cluster's views, or with another role there.
    static func viewOf(_ node: InventoryNode, cluster: Cluster, product: Product, viewers: [(host: String, view: ClusterMembership)],
                       everyNode: MemberIndex, path: String) -> [Finding] {
        var findings: [Finding] = []
        let isNode: (ClusterMember) -> Bool = { everyNode.resolve($0)?.host == node.host }
        let lacking = viewers.filter { v in !v.view.members.contains(where: isNode) }.map(\.host)
        if !lacking.isEmpty {
            findings.append(Finding(kind: .nodeNotInCluster, cluster: cluster.name, host: node.host, list: nil,
                message: "\(node.host) is one of cluster \(cluster.name)'s \(product.displayName) nodes in the inventory (\(path):\(node.line)) "
                    + "but the `show network cluster` of \(lacking.joined(separator: ", ")) does not list it: a name the cluster does not use, "
                    + "a node removed from the cluster, or an inventory that mixes clusters. Correct or remove the entry at \(path):\(node.line)."))
        }
        if let role = node.role {
            var disagree: [(String, ClusterRole)] = []
            for v in viewers {
                if let member = v.view.members.first(where: isNode), member.role.rawValue != role.rawValue {
                    disagree.append((v.host, member.role))
                }
            }
            if let said = disagree.first?.1 {
                findings.append(Finding(kind: .clusterRoleMismatch, cluster: cluster.name, host: node.host, list: nil,
                    message: "The inventory gives \(node.host) role: \(role.rawValue) (\(path):\(node.line)); the `show network cluster` of "
                        + "\(disagree.map(\.0).joined(separator: ", ")) says \(said.rawValue). Set `role: \(said.rawValue)` at \(path):\(node.line)."))
            }
        }
        return findings
    }

    /// The Live Data services a node runs, as its `utils service list` shows them (not activated ones excluded).
    public static func liveDataServices(_ services: ServiceList) -> [String] {
        services.services.filter { $0.name.lowercased().contains("live data") && !$0.notActivated }.map(\.name)
    }

    static func coresidency(_ node: InventoryNode, report: NodeReport, cluster: Cluster, path: String) -> Finding? {
        guard let services = report.services else { return nil }
        let running = liveDataServices(services)
        if node.coresidentLiveData && running.isEmpty {
            return Finding(kind: .liveDataCoresidency, cluster: cluster.name, host: node.host, list: nil,
                message: "The inventory says \(node.host) has co-resident Live Data (live_data: coresident, \(path):\(node.line)), "
                    + "but its `utils service list` shows no Live Data service: its Live Data list commands cannot be answered. "
                    + "If Live Data runs elsewhere, set `live_data: none` at \(path):\(node.line) and list the Live Data nodes under live_data.")
        }
        if !node.coresidentLiveData && !running.isEmpty {
            // The Live Data list of this node is never read: drift there goes unseen, so it counts as an error.
            return Finding(kind: .liveDataCoresidency, severity: .error, cluster: cluster.name, host: node.host, list: nil,
                message: "\(node.host) runs Live Data services (\(running.prefix(3).joined(separator: ", "))\(running.count > 3 ? ", …" : "")) "
                    + "but the inventory does not say live_data: coresident (\(path):\(node.line)): its Live Data CORS list is never read. "
                    + "Add `live_data: coresident` to the node at \(path):\(node.line).")
        }
        return nil
    }
}
