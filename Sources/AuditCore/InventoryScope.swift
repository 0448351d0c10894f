/// `--cluster`, `--host` and `--exclude`: the part of an inventory one run reads. Nodes outside the scope stay in
/// their clusters as topology (Finesse nodes still give the expected origins) but are not contacted, and the report
/// says the run was scoped, so it never reads as the whole fleet.
public struct InventoryScope: Sendable, Equatable {
    public var clusters: [String] = []
    public var hosts: [String] = []
    public var excluded: [String] = []

    public init(clusters: [String] = [], hosts: [String] = [], excluded: [String] = []) {
        self.clusters = clusters; self.hosts = hosts; self.excluded = excluded
    }

    public var isEmpty: Bool { clusters.isEmpty && hosts.isEmpty && excluded.isEmpty }

    /// Names the inventory does not hold, as `--cluster x`, `--host y`.
    public struct Unknown: Error, Sendable, CustomStringConvertible {
        public var names: [String]
        public var description: String { "not in the inventory: " + names.joined(separator: ", ") }
    }

    /// The inventory narrowed to the scope: only the named clusters (or those holding a named host); in them only
    /// the named hosts audited (all when none is named), excluded hosts never. Names match case-insensitively.
    public func apply(to inventory: Inventory) throws(Unknown) -> Inventory {
        guard !isEmpty else { return inventory }
        let clusterNames = Set(inventory.clusters.map { $0.name.lowercased() })
        let hostNames = Set(inventory.nodes.map { $0.node.host.lowercased() })
        var unknown = clusters.filter { !clusterNames.contains($0.lowercased()) }.map { "--cluster \($0)" }
        unknown += hosts.filter { !hostNames.contains($0.lowercased()) }.map { "--host \($0)" }
        unknown += excluded.filter { !hostNames.contains($0.lowercased()) }.map { "--exclude \($0)" }
        if !unknown.isEmpty { throw Unknown(names: unknown) }
        let wantedClusters = Set(clusters.map { $0.lowercased() }), wantedHosts = Set(hosts.map { $0.lowercased() })
        let dropped = Set(excluded.map { $0.lowercased() })
        var out = inventory
        out.clusters = inventory.clusters.filter { c in
            (wantedClusters.isEmpty || wantedClusters.contains(c.name.lowercased()))
                && (wantedHosts.isEmpty || c.nodes.contains { wantedHosts.contains($0.host.lowercased()) })
        }
        for i in out.clusters.indices {
            out.clusters[i].updateNodes { node in
                let host = node.host.lowercased()
                if dropped.contains(host) || (!wantedHosts.isEmpty && !wantedHosts.contains(host)) { node.audit = false }
            }
        }
        // Waivers of clusters left out would all "match nothing": keep only those that can apply.
        let kept = Set(out.clusters.map { $0.name.lowercased() })
        out.waivers = inventory.waivers.filter { w in w.cluster.map { kept.contains($0.lowercased()) } ?? true }
        return out
    }

    /// `cluster alpha; host a, b; excluding c` — what every report says of a scoped run.
    public var description: String {
        var parts: [String] = []
        if !clusters.isEmpty { parts.append("cluster\(clusters.count == 1 ? "" : "s") \(clusters.joined(separator: ", "))") }
        if !hosts.isEmpty { parts.append("host\(hosts.count == 1 ? "" : "s") \(hosts.joined(separator: ", "))") }
        if !excluded.isEmpty { parts.append("excluding \(excluded.joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }
}
