import AuditCore

/// Who each simulated node counts as its VOS cluster: the inventory cluster's nodes of its product (CUIC, standalone
/// Live Data and Finesse are separate VOS clusters), publisher first, as changed by the node's `cluster_view`.
enum Membership {
    /// The application word printed after the role: assumed (no public capture from these products shows it).
    static func application(_ product: Product) -> String {
        switch product { case .cuic: "cuic"; case .livedata: "livedata"; case .finesse: "finesse" }
    }

    static func assign(nodes: [SimulatedNode], inventory: Inventory) {
        let byHost = Dictionary(nodes.map { ($0.host, $0) }, uniquingKeysWith: { a, _ in a })
        for cluster in inventory.clusters {
            for product in Product.allCases {
                let group = cluster.nodes.filter { $0.product == product }
                guard !group.isEmpty else { continue }
                // CUIC roles come from the inventory; Finesse and Live Data have none there: the first node publishes.
                let publisher = group.first { $0.role == .publisher }?.host ?? group[0].host
                let base = group.map { n in
                    // An unresolvable node has no address: a loopback one where nothing listens stands in (a VOS line has one).
                    let address = byHost[n.host].map(\.address).flatMap { StateFile.isIPAddress($0) ? $0 : nil } ?? "127.255.255.254"
                    return SimulatedMember(host: n.host, address: address, publisher: n.host == publisher, application: application(product))
                }
                for n in group {
                    guard let node = byHost[n.host] else { continue }
                    let view = node.definition.clusterView
                    var members = base.filter { !view.hide.contains($0.host) }
                    for i in members.indices where view.swapRole.contains(members[i].host) { members[i].publisher.toggle() }
                    members += view.extra
                    node.setMembership(members)
                }
            }
        }
    }
}
