import Foundation

/// A synthetic fleet for benchmarks: many clusters, correct lists everywhere except planted drift.
///
/// Clusters `siteNNN.fleet.test` each have two Finesse nodes (`audit: false`: topology only) and
/// CUIC nodes: usually a publisher and a subscriber with co-resident Live Data; every fifth
/// cluster instead a publisher without Live Data plus a standalone Live Data node.
public struct FleetGenerator: Sendable {
    /// CUIC plus Live Data nodes to generate (Finesse nodes come on top).
    public var nodes: Int
    /// About one node in `driftEvery` gets one planted fault in a list (0: none), whatever its kind.
    public var driftEvery: Int
    public var startupDelay: Double
    public var commandDelay: Double
    /// The share of nodes (0...1) given one fault from `faultPool`, chosen by `seed`.
    public var faultRate: Double
    public var seed: UInt64
    /// The client's timeouts written into the inventory (connect, login, command; seconds).
    public var timeouts: (connect: Double, login: Double, command: Double)

    /// Faults planted at random: the ones that need no parameter, no special host name, and end a
    /// node's session quickly (`endless_pager`, `oversize_output` and `drip_output` are left to the
    /// fault matrix, `unresolvable` needs a host under `.invalid`).
    public static let faultPool = ["refuse", "silent", "garbage_banner", "no_common_algorithm", "wrong_host_key",
                                   "unknown_host_key", "reject_auth", "kbd_int_unexpected_prompt", "never_prompt",
                                   "drop_mid_output", "garbage_output", "unknown_output", "confirm_prompt"]

    public init(nodes: Int, driftEvery: Int = 10, startupDelay: Double = 2, commandDelay: Double = 0.1,
                faultRate: Double = 0, seed: UInt64 = 1, timeouts: (connect: Double, login: Double, command: Double) = (10, 90, 60)) {
        self.nodes = nodes
        self.driftEvery = driftEvery
        self.startupDelay = startupDelay
        self.commandDelay = commandDelay
        self.faultRate = faultRate
        self.seed = seed
        self.timeouts = timeouts
    }

    /// One planted fault: the node and the fault's state-file name.
    public struct PlantedFault: Sendable, Codable, Equatable {
        public var host: String
        public var fault: String
    }

    /// One planted deviation, as the audit should find it.
    public struct Drift: Sendable, Codable, Equatable {
        public var host: String
        public var list: String
        public var missing: [String]
        public var extra: [String]
    }

    public struct Output: Sendable {
        /// The inventory (host names only; the simulator writes the addressed copy).
        public var inventoryYAML: String
        public var stateYAML: String
        public var drift: [Drift]
        public var faults: [PlantedFault]
    }

    private struct Member {
        var host: String
        var kind: String  // cuic or live_data
        var role: String?
        var coresident: Bool
    }

    public func generate() -> Output {
        var clusters: [(name: String, domain: String, members: [Member])] = []
        var remaining = nodes
        var index = 0
        while remaining > 0 {
            let domain = String(format: "site%03d.fleet.test", index)
            var members: [Member]
            if index % 5 == 4 {
                members = [Member(host: "cuicpub.\(domain)", kind: "cuic", role: "publisher", coresident: false),
                           Member(host: "ld.\(domain)", kind: "live_data", role: nil, coresident: false)]
            } else {
                members = [Member(host: "cuicpub.\(domain)", kind: "cuic", role: "publisher", coresident: true),
                           Member(host: "cuicsub.\(domain)", kind: "cuic", role: "subscriber", coresident: true)]
            }
            members = Array(members.prefix(remaining))
            remaining -= members.count
            clusters.append((String(format: "site%03d", index), domain, members))
            index += 1
        }

        var inventory = """
            # Synthetic fleet written by `vos-sim fleet --nodes \(nodes)`.
            version: 1
            defaults:
              username: admin
              password_env: VOS_SIM_PASSWORD
              host_key_policy: strict
              timeouts: {connect: \(Self.seconds(timeouts.connect)), login: \(Self.seconds(timeouts.login)), command: \(Self.seconds(timeouts.command))}
            clusters:

            """
        var state = """
            # vos-sim state for the synthetic fleet (schema: Sources/VOSSimulator/README.md).
            defaults:
              startup_delay: \(startupDelay)
              command_delay: \(commandDelay)
            nodes:

            """
        var drift: [Drift] = []
        var faults: [PlantedFault] = []
        // Exactly round(rate × nodes) distinct nodes, picked and given faults by the seeded generator.
        var random = SplitMix64(seed: seed)
        let members = clusters.flatMap { $0.members.map(\.host) }
        var faulty: [String: String] = [:]
        var order = Array(members.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(random.next() % UInt64(i + 1))) }
        let count = min(members.count, Int((faultRate * Double(members.count)).rounded()))
        for i in order.prefix(count) {
            faulty[members[i]] = Self.faultPool[Int(random.next() % UInt64(Self.faultPool.count))]
        }
        var nodeNumber = 0
        for (clusterIndex, cluster) in clusters.enumerated() {
            let fp = "finessep.\(cluster.domain)", fs = "finesses.\(cluster.domain)"
            let expected = ["https://\(fp)", "https://\(fp):8445", "https://\(fs)", "https://\(fs):8445"]
            inventory += "  - name: \(cluster.name)\n    finesse:\n"
            inventory += "      - {host: \(fp), audit: false}\n      - {host: \(fs), audit: false}\n"
            let cuic = cluster.members.filter { $0.kind == "cuic" }
            let ld = cluster.members.filter { $0.kind == "live_data" }
            inventory += cuic.isEmpty ? "    cuic: []\n" : "    cuic:\n"
            for m in cuic {
                inventory += "      - {host: \(m.host), role: \(m.role!), live_data: \(m.coresident ? "coresident" : "none")}\n"
            }
            inventory += ld.isEmpty ? "    live_data: []\n" : "    live_data:\n"
            for m in ld { inventory += "      - {host: \(m.host)}\n" }

            for m in cluster.members {
                nodeNumber += 1
                var lists: [(String, [String])] = []
                if m.kind == "cuic" { lists.append(("cuic", expected)) }
                if m.kind == "live_data" || m.coresident { lists.append(("live-data", expected)) }
                // The layout repeats every 5 clusters (10 nodes): shifting the count by one per repeat moves the
                // planted drift across publishers, subscribers and Live Data nodes whatever K is.
                let slot = nodeNumber + clusterIndex / 5
                if driftEvery > 0, slot % driftEvery == 0 {
                    // Cycle through the kinds of drift seen in the field.
                    let variant = (slot / driftEvery) % 3
                    let target = variant == 1 ? lists.count - 1 : 0
                    let name = lists[target].0
                    switch variant {
                    case 0:  // the TAC case: the subscriber-side list lacks the primary's :8445
                        lists[target].1.removeAll { $0 == "https://\(fp):8445" }
                        drift.append(Drift(host: m.host, list: name, missing: ["https://\(fp):8445"], extra: []))
                    case 1:  // a developer's leftover
                        lists[target].1.append("http://127.0.0.1:5500")
                        drift.append(Drift(host: m.host, list: name, missing: [], extra: ["http://127.0.0.1:5500"]))
                    default:  // the secondary Finesse never added
                        lists[target].1.removeAll { $0.hasPrefix("https://\(fs)") }
                        drift.append(Drift(host: m.host, list: name, missing: ["https://\(fs)", "https://\(fs):8445"], extra: []))
                    }
                }
                state += "  \(m.host):\n"
                if let fault = faulty[m.host] {
                    state += "    faults: [\(fault)]\n"
                    faults.append(PlantedFault(host: m.host, fault: fault))
                }
                state += "    lists:\n"
                for (name, origins) in lists {
                    state += "      \(name):\n        status: enabled\n        origins:\n"
                    for o in origins { state += "          - \"\(o)\"\n" }
                }
            }
            inventory += "    expected: {finesse_ports: [443, 8445]}\n"
        }
        return Output(inventoryYAML: inventory, stateYAML: state, drift: drift, faults: faults)
    }

    /// `planted.json`: exactly which node lacks or has extra which origin, and which has which fault.
    public static func plantedJSON(_ drift: [Drift], faults: [PlantedFault] = [], nodes: Int) throws -> Data {
        struct Planted: Codable { var nodes: Int; var drift: [Drift]; var faults: [PlantedFault] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Planted(nodes: nodes, drift: drift, faults: faults))
    }

    private static func seconds(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(d) }
}

/// A small seeded generator (SplitMix64): the same seed plants the same faults on every machine,
/// which the system generator does not promise. Tests draw seeded data from it too.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
