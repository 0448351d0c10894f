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

    /// What a Finesse list must hold when Finesse CORS is `enabled`: the reverse-proxy origins (`extra_origins`: Cisco's
    /// VPN-less guides add them on Finesse, CUIC and Live Data alike) and the site's other web apps (`finesse_origins`).
    /// Stock gadgets run under the Finesse origin and need nothing here.
    public static func finesseRequired(for cluster: Cluster) -> [Origin] {
        var seen: Set<Origin> = []
        return (cluster.expected.extraOrigins + cluster.expected.finesseOrigins).filter { seen.insert($0).inserted }
    }
}
