/// The origins every CUIC and Live Data list of a cluster must hold.
public enum ExpectedOrigins {
    /// For each Finesse node and alias F and each port p: `https://F` when p is 443, else `https://F:p`; then
    /// the site's extra origins. Inventory order, no duplicates.
    public static func required(for cluster: Cluster) -> [Origin] {
        var result: [Origin] = []
        var seen: Set<Origin> = []
        let names = cluster.finesse.flatMap { [$0.host] + $0.aliases }
        for name in names {
            for port in cluster.expected.finessePorts {
                let origin = Origin.https(host: name, port: port)
                if seen.insert(origin).inserted { result.append(origin) }
            }
        }
        for origin in cluster.expected.extraOrigins where seen.insert(origin).inserted { result.append(origin) }
        return result
    }
}
