/// The products whose nodes an inventory lists.
public enum Product: String, Sendable, Codable, CaseIterable {
    case cuic, livedata, finesse
}

/// A CORS allowed-origin list held by a node; its raw value is the JSON/CLI name.
public enum ListKind: String, Sendable, Codable, CaseIterable, Comparable {
    case cuic
    case liveData = "live-data"
    case finesse

    public static func < (a: ListKind, b: ListKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The VOS CLI command family for this list (`utils <family> cors ...`).
    public var cliFamily: String { rawValue }
}

public enum CUICRole: String, Sendable, Codable { case publisher, subscriber }

public enum HostKeyPolicySetting: String, Sendable, Codable { case strict, acceptNew = "accept-new", off }

/// Where a node's secret comes from. Secrets are never written inline in an inventory.
public enum CredentialSource: Sendable, Equatable {
    case passwordEnv(String)
    case passwordFile(String)
    /// Asked once, without echo, on the terminal; `scope` is where `password_prompt: true` was written
    /// ("defaults" or the node's host), so every node inheriting it shares one answer.
    case passwordPrompt(scope: String)
    case keyFile(path: String, passphraseEnv: String?)
    case none
}

/// Per-phase time limits, in seconds.
public struct Timeouts: Sendable, Equatable {
    public var connect: Double
    public var login: Double
    public var command: Double
    public init(connect: Double = 10, login: Double = 90, command: Double = 60) {
        self.connect = connect; self.login = login; self.command = command
    }

    /// The longest time limit taken seriously (a day): more is a typo, and past Int64 nanoseconds a
    /// conversion to Duration or milliseconds would trap.
    public static let maximum: Double = 86_400

    /// Whether `seconds` is a usable time limit: finite, positive, at most ``maximum``.
    public static func isValid(_ seconds: Double) -> Bool { seconds.isFinite && seconds > 0 && seconds <= maximum }

    /// `seconds` as a Duration, held within (0, ``maximum``] so no value can trap here (callers validate first
    /// and say so; this is the last guard).
    public static func duration(_ seconds: Double) -> Duration {
        let s = seconds.isNaN ? maximum : min(max(seconds, 0.001), maximum)
        return .milliseconds(Int64((s * 1000).rounded()))
    }

    /// The first limit that is not ``isValid(_:)``, by name.
    public var invalid: (name: String, value: Double)? {
        [("connect", connect), ("login", login), ("command", command)].first { !Self.isValid($0.1) }
    }
}

/// How to reach and log in to a node (defaults merged with the node's own keys).
public struct ConnectionSettings: Sendable, Equatable {
    public var address: String
    public var port: Int
    public var username: String
    public var credential: CredentialSource
    public var knownHosts: String
    public var hostKeyPolicy: HostKeyPolicySetting
    public var timeouts: Timeouts
}

/// One node of a cluster as the inventory describes it.
public struct InventoryNode: Sendable, Equatable {
    /// The node's FQDN: its identity and, for Finesse, its name in expected origins.
    public var host: String
    public var product: Product
    public var aliases: [String]
    public var role: CUICRole?
    /// A CUIC node that also holds a Live Data CORS list.
    public var coresidentLiveData: Bool
    /// False: topology only, never contacted.
    public var audit: Bool
    public var connection: ConnectionSettings
    /// Browser port (443, 8444) → the port the preflight probe connects to at `connection.address`; a port
    /// not listed is reached as itself.
    public var httpsPorts: [Int: Int] = [:]
    /// The release the inventory says the node runs (`release:`), for runs that do not read `show version active`.
    public var release: ReleaseFamily?
    /// Where the node is declared (1-based), for messages.
    public var line: Int

    /// The CORS lists this node holds, in report order.
    public var lists: [ListKind] {
        switch product {
        case .cuic: return coresidentLiveData ? [.cuic, .liveData] : [.cuic]
        case .livedata: return [.liveData]
        case .finesse: return [.finesse]
        }
    }
}

/// Site policy for the expected origins of a cluster.
public struct ExpectedPolicy: Sendable, Equatable {
    public var finessePorts: [Int] = [443, 8445]
    public var extraOrigins: [Origin] = []
    public var toleratedOrigins: [Origin] = []
    /// Other origins Finesse lists must allow (third-party web apps), beside `extraOrigins`.
    public var finesseOrigins: [Origin] = []
    /// Plan deletes for effective origins the inventory does not name (otherwise they are suggestions).
    public var prune = false
    public init(finessePorts: [Int] = [443, 8445], extraOrigins: [Origin] = [], toleratedOrigins: [Origin] = [],
                finesseOrigins: [Origin] = [], prune: Bool = false) {
        self.finessePorts = finessePorts; self.extraOrigins = extraOrigins; self.toleratedOrigins = toleratedOrigins
        self.finesseOrigins = finesseOrigins; self.prune = prune
    }
}

public struct Cluster: Sendable, Equatable {
    public var name: String
    public var finesse: [InventoryNode]
    public var cuic: [InventoryNode]
    public var liveData: [InventoryNode]
    public var expected: ExpectedPolicy

    /// Every node in report order: CUIC, standalone Live Data, Finesse.
    public var nodes: [InventoryNode] { cuic + liveData + finesse }

    /// Changes every node in place, whatever its product.
    public mutating func updateNodes(_ body: (inout InventoryNode) -> Void) {
        for i in cuic.indices { body(&cuic[i]) }
        for i in liveData.indices { body(&liveData[i]) }
        for i in finesse.indices { body(&finesse[i]) }
    }
}

public struct Inventory: Sendable, Equatable {
    public var version: Int
    public var clusters: [Cluster]
    /// The file it was read from, for messages.
    public var path: String
    /// Findings accepted for a time (`waivers:`).
    public var waivers: [Waiver] = []

    public var nodes: [(cluster: Cluster, node: InventoryNode)] {
        clusters.flatMap { c in c.nodes.map { (c, $0) } }
    }
}

extension Inventory {
    /// `--accept-new-host-keys`: for this run, nodes under `strict` take `accept-new` (a key known_hosts lacks is added
    /// and trusted from then on; a changed or revoked key is still refused). `off` stays off.
    public func acceptingNewHostKeys() -> Inventory {
        var out = self
        for i in out.clusters.indices {
            out.clusters[i].updateNodes { node in
                if node.connection.hostKeyPolicy == .strict { node.connection.hostKeyPolicy = .acceptNew }
            }
        }
        return out
    }
}
