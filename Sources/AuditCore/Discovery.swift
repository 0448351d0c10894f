import CLIParsers

/// `cors-audit discover`: from what each publisher given returned (versions, services, its cluster's members), a
/// commented starter inventory in the format InventoryLoader reads. Pure; the command does the SSH and the files.
public enum Discovery {
    /// What a publisher runs to be discovered: read-only, the same commands an audit sends.
    public static let commands: [VOSCommand] = [.version, .services, .networkCluster]

    /// One `--host` entry: the name looked up in known_hosts, and where to connect (the name itself when not given).
    public struct Target: Sendable, Equatable {
        public var name: String
        public var address: String
        public init(name: String, address: String) { self.name = name; self.address = address }

        /// `NAME` or `NAME=ADDRESS`; nil with the reason when it is neither.
        public static func parse(_ text: String) -> Result<Target, DiscoveryError> {
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let name = parts[0].lowercased()
            guard SafeName.isHostName(name) else { return .failure(DiscoveryError("'\(text)': '\(parts[0])' is not a host name or an IPv4 address")) }
            let address = parts.count == 2 ? parts[1] : name
            guard SafeName.isAddress(address) else { return .failure(DiscoveryError("'\(text)': '\(address)' is not a host name or an IP address")) }
            return .success(Target(name: name, address: address))
        }
    }

    /// The connection keys `discover` was given, written back as the inventory's `defaults`.
    public struct Defaults: Sendable, Equatable {
        public var username = "admin"
        public var credential: CredentialSource = .none
        /// Absolute or `~/` path, as the inventory will hold it.
        public var knownHosts = "~/.ssh/known_hosts"
        public var hostKeyPolicy: HostKeyPolicySetting = .strict
        public var port = 22
        public var home: String
        public init(home: String) { self.home = home }

        var expandedKnownHosts: String {
            knownHosts == "~" ? home : knownHosts.hasPrefix("~/") ? home + knownHosts.dropFirst(1) : knownHosts
        }

        /// A node that logs in as the inventory would make it, for the collector.
        func connection(address: String) -> ConnectionSettings {
            var credential = credential
            if case .passwordPrompt = credential { credential = .passwordPrompt(scope: "defaults") }
            return ConnectionSettings(address: address, port: port, username: username, credential: credential,
                                      knownHosts: expandedKnownHosts, hostKeyPolicy: hostKeyPolicy, timeouts: Timeouts())
        }

        var yaml: [String] {
            var lines = ["defaults:", "  username: \(yamlQuoted(username))"]
            switch credential {
            case .passwordEnv(let name): lines.append("  password_env: \(name)")
            case .passwordFile(let path): lines.append("  password_file: \(yamlQuoted(path))")
            case .passwordPrompt: lines.append("  password_prompt: true")
            case .keyFile(let path, let passphrase):
                lines.append("  key_file: \(yamlQuoted(path))")
                if let passphrase { lines.append("  passphrase_env: \(passphrase)") }
            case .none: break
            }
            lines.append("  known_hosts: \(yamlQuoted(knownHosts))")
            lines.append("  host_key_policy: \(hostKeyPolicy.rawValue)")
            if port != 22 { lines.append("  port: \(port)") }
            return lines
        }
    }

    /// The inventory the collector logs in with: one node per publisher (its product is not known yet and does not
    /// matter: the commands are ``commands``).
    public static func loginInventory(targets: [Target], defaults: Defaults) -> Inventory {
        let nodes = targets.enumerated().map { i, t in
            InventoryNode(host: t.name, product: .cuic, aliases: [], role: .publisher, coresidentLiveData: false, audit: true,
                          connection: defaults.connection(address: t.address), line: i + 1)
        }
        return Inventory(version: 1, clusters: [Cluster(name: "discover", finesse: [], cuic: nodes, liveData: [], expected: ExpectedPolicy())],
                         path: "(cors-audit discover --host)")
    }

    /// What one publisher told.
    public struct Publisher: Sendable, Equatable {
        public var target: Target
        public var product: Product?
        public var version: String?
        public var coresidentLiveData = false
        public var liveDataServices: [String] = []
        public var membership: ClusterMembership?
        /// Why the publisher, or its cluster's members, could not be read; nil when all was.
        public var problem: String?
    }

    /// Reads one publisher's observation: a collection failure or an output not understood is its `problem`.
    public static func interpret(_ target: Target, observation: NodeObservation?) -> Publisher {
        var p = Publisher(target: target)
        guard let observation else { p.problem = "nothing was collected"; return p }
        if let failure = observation.failure {
            p.problem = "\(failure.status.rawValue): \(failure.detail)"
            return p
        }
        func parsed<T: Sendable & Equatable>(_ command: VOSCommand, _ parse: (String) -> ParseOutcome<T>) -> Result<T, DiscoveryError> {
            guard let capture = observation.capture(command) else { return .failure(DiscoveryError("`\(command.rawValue)` was not answered")) }
            if let failure = capture.failure { return .failure(DiscoveryError("`\(command.rawValue)` did not complete: \(failure)")) }
            switch parse(capture.output) {
            case .parsed(let v): return .success(v)
            case .failed(let marker): return .failure(DiscoveryError("`\(command.rawValue)` failed: \(marker)"))
            case .unparsed(let why):
                return .failure(DiscoveryError("`\(command.rawValue)` output not understood (\(why)): \"\(Escaping.excerpt(capture.output, limit: 200))\""))
            }
        }
        p.version = try? parsed(.version, VersionParser.parse).get().active
        switch parsed(.services, ServiceListParser.parse) {
        case .failure(let e): p.problem = "\(e.description); the product cannot be told without the service list"; return p
        case .success(let services):
            p.liveDataServices = MembershipRules.liveDataServices(services)
            let names = services.services.filter { !$0.notActivated }.map(\.name)
            if names.contains(where: ReleaseProfiles.finesseTomcat.matches) {
                p.product = .finesse
            } else if names.contains(where: ReleaseProfiles.cuicReporting.matches) {
                p.product = .cuic
                p.coresidentLiveData = !p.liveDataServices.isEmpty
            } else if !p.liveDataServices.isEmpty {
                p.product = .livedata
            } else {
                p.problem = "its `utils service list` shows neither Cisco Finesse Tomcat, Intelligence Center Reporting Service nor a Live Data service: not a CUIC, Live Data or Finesse publisher"
                return p
            }
        }
        switch parsed(.networkCluster, ClusterMembershipParser.parse) {
        case .failure(let e): p.problem = "\(e.description): only the publisher itself is written"
        case .success(let m): p.membership = m
        }
        return p
    }

    /// The members written for one publisher: its cluster's view, or the publisher alone when the view was not read.
    static func members(of p: Publisher) -> [ClusterMember] {
        guard let view = p.membership else {
            return [ClusterMember(address: p.target.address, host: p.target.name, shortName: nil, role: .publisher, application: nil, line: "")]
        }
        // The publisher first, then its subscribers in the order the cluster lists them.
        return view.members.filter { $0.role == .publisher } + view.members.filter { $0.role == .subscriber }
    }

    /// `uccelab` from `cuicpub.uccelab.tac`: the first label of the publishers' domain, when it is a cluster name.
    public static func defaultClusterName(_ publishers: [Publisher]) -> String {
        for p in publishers {
            let host = members(of: p).first?.host ?? p.target.name
            let labels = host.split(separator: ".")
            if labels.count >= 3, SafeName.isClusterName(String(labels[1])) { return String(labels[1]) }
        }
        return "cluster1"
    }

    /// The starter inventory: comments say where each part came from and what to check.
    public static func inventoryYAML(clusterName: String, defaults: Defaults, publishers: [Publisher], generatedAt: String) -> String {
        var out = [
            "# Starter inventory written by `cors-audit discover` at \(generatedAt) from the publishers "
                + publishers.map(\.target.name).joined(separator: ", ") + ".",
            "# Each node list below is its cluster's own `show network cluster`, read on the publisher. Review it, then audit with",
            "#   cors-audit audit --inventory THIS_FILE",
            "# The expected origins are derived from the Finesse nodes listed: https://<finesse> and https://<finesse>:8445.",
        ]
        for p in publishers where p.problem != nil {
            out.append("# NOT COMPLETE: \(p.target.name): \(Escaping.visible(p.problem!))")
        }
        out += ["version: 1"] + defaults.yaml + ["clusters:", "  - name: \(clusterName)"]
        var written: Set<String> = []
        for (key, product) in [("finesse", Product.finesse), ("cuic", .cuic), ("live_data", .livedata)] {
            let mine = publishers.filter { $0.product == product }
            if mine.isEmpty {
                let hint = product == .finesse
                    ? "no Finesse publisher was read: list the Finesse nodes here (an audit needs them for the expected origins)"
                    : product == .livedata ? "no standalone Live Data publisher was read (co-resident Live Data is on the CUIC nodes above)"
                    : "no \(product.displayName) publisher was read"
                out += ["    # \(hint)", "    \(key): []"]
                continue
            }
            out.append("    \(key):")
            for p in mine {
                let listed = Self.members(of: p)
                var about = "      # \(product.displayName) cluster of \(p.target.name): \(p.membership.map { "\($0.members.count) node\($0.members.count == 1 ? "" : "s") in its show network cluster" } ?? "its members not read")"
                if let v = p.version { about += "; publisher version \(Escaping.visible(v))" }
                out.append(about)
                if product == .cuic && p.coresidentLiveData {
                    out.append("      # live_data: coresident because the publisher runs \(p.liveDataServices.prefix(2).map { Escaping.visible($0) }.joined(separator: ", ")); every audit checks it on each node")
                }
                for m in listed {
                    guard SafeName.isHostName(m.host), !written.contains(m.host) else {
                        out.append("    # skipped \(Escaping.visible(m.host)): \(written.contains(m.host) ? "already listed above" : "not a host name an inventory accepts")")
                        continue
                    }
                    written.insert(m.host)
                    out.append("      - host: \(m.host)")
                    if m.address != m.host && SafeName.isAddress(m.address) { out.append("        address: \(m.address)") }
                    if product == .cuic {
                        out.append("        role: \(m.role.rawValue)")
                        out.append("        live_data: \(p.coresidentLiveData ? "coresident" : "none")")
                    }
                }
            }
        }
        out += [
            "    expected:",
            "      finesse_ports: [443, 8445]",
            "      # Reverse-proxy (VPN-less) and other web app origins every CUIC and Live Data list must hold:",
            "      extra_origins: []",
            "      tolerated_origins: []",
        ]
        return out.joined(separator: "\n") + "\n"
    }
}

public struct DiscoveryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// YAML double-quoted when the value is not a plain safe word.
func yamlQuoted(_ s: String) -> String {
    let plain = !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/._-~@+".contains($0)) }
        && !["true", "false", "null", "yes", "no", "on", "off", "~"].contains(s.lowercased())
    if plain { return s }
    return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}
