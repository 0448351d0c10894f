import AuditCore
import Foundation

extension SimulatedFleet {
    /// known_hosts lines by inventory host name (`[host]:port` when the port is not 22, as OpenSSH
    /// writes them), with the key each node is supposed to have.
    public func knownHostsText() -> String {
        // An `unknown_host_key` node is left out; an unresolvable one has no key to check.
        nodes.filter { !$0.definition.has(.unknownHostKey) && !$0.definition.has(.unresolvable) }.map { n in
            let name = n.port == 22 ? n.host : "[\(n.host)]:\(n.port)"
            return "\(name) \(n.knownHostKey)\n"
        }.joined()
    }

    /// The inventory with every node pointing at its simulated address and port, `known_hosts` at
    /// `knownHostsPath`, strict host-key checking and the password in `VOS_SIM_PASSWORD`.
    public func inventoryYAML(knownHostsPath: String) -> String {
        let byHost = Dictionary(uniqueKeysWithValues: nodes.map { ($0.host, $0) })
        let first = inventory.nodes.first?.node.connection
        var out = """
            # Written by vos-sim: the inventory \(inventory.path), pointed at simulated nodes on loopback.
            version: 1
            defaults:
              username: \(q(first?.username ?? "admin"))
              password_env: \(SimulatorOptions.passwordEnvironmentVariable)
              known_hosts: \(q(knownHostsPath))
              host_key_policy: strict

            """
        if let t = first?.timeouts {
            out += "  timeouts: {connect: \(num(t.connect)), login: \(num(t.login)), command: \(num(t.command))}\n"
        }
        out += "clusters:\n"
        for cluster in inventory.clusters {
            out += "  - name: \(q(cluster.name))\n"
            for (key, members) in [("finesse", cluster.finesse), ("cuic", cluster.cuic), ("live_data", cluster.liveData)] {
                if members.isEmpty { out += "    \(key): []\n"; continue }
                out += "    \(key):\n"
                for m in members {
                    out += "      - host: \(q(m.host))\n"
                    if let n = byHost[m.host], !n.definition.has(.unresolvable) {
                        out += "        address: \(q(n.address))\n        port: \(n.port)\n"
                        let moved = n.httpsPorts.sorted { $0.key < $1.key }.filter { $0.key != $0.value }
                        if !moved.isEmpty {
                            out += "        https_ports: {\(moved.map { "\($0.key): \($0.value)" }.joined(separator: ", "))}\n"
                        }
                    }
                    // The release the simulated node plays (major.minor of its version), as an admin who knows the fleet writes it.
                    if let n = byHost[m.host] {
                        let release = n.definition.version.split(separator: ".").prefix(2).joined(separator: ".")
                        out += "        release: \(q(release))\n"
                    } else if let release = m.release {
                        out += "        release: \(q(release.rawValue))\n"
                    }
                    if m.connection.username != first?.username { out += "        username: \(q(m.connection.username))\n" }
                    if let t = first?.timeouts, m.connection.timeouts != t {
                        let mt = m.connection.timeouts
                        out += "        timeouts: {connect: \(num(mt.connect)), login: \(num(mt.login)), command: \(num(mt.command))}\n"
                    }
                    if !m.aliases.isEmpty { out += "        aliases: [\(m.aliases.map(q).joined(separator: ", "))]\n" }
                    if let role = m.role { out += "        role: \(role.rawValue)\n" }
                    if m.product == .cuic { out += "        live_data: \(m.coresidentLiveData ? "coresident" : "none")\n" }
                    if !m.audit { out += "        audit: false\n" }
                    // Host-key policy per node as the input inventory gives it (strict otherwise).
                    if m.connection.hostKeyPolicy != .strict { out += "        host_key_policy: \(m.connection.hostKeyPolicy.rawValue)\n" }
                }
            }
            let e = cluster.expected
            out += "    expected:\n"
            out += "      finesse_ports: [\(e.finessePorts.map(String.init).joined(separator: ", "))]\n"
            out += "      extra_origins: [\(e.extraOrigins.map { q($0.description) }.joined(separator: ", "))]\n"
            out += "      tolerated_origins: [\(e.toleratedOrigins.map { q($0.description) }.joined(separator: ", "))]\n"
            if !e.finesseOrigins.isEmpty {
                out += "      finesse_origins: [\(e.finesseOrigins.map { q($0.description) }.joined(separator: ", "))]\n"
            }
            if e.prune { out += "      prune: true\n" }
        }
        return out
    }

    /// Writes `inventory.yaml`, `known_hosts` and `ca.pem` (the CA of every node's HTTPS certificate) into `directory`.
    public func writeFiles(to directory: String) throws {
        let dir = URL(fileURLWithPath: directory).standardizedFileURL
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try caPEM.write(to: dir.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        let knownHosts = dir.appendingPathComponent("known_hosts")
        try knownHostsText().write(to: knownHosts, atomically: true, encoding: .utf8)
        try inventoryYAML(knownHostsPath: knownHosts.path).write(to: dir.appendingPathComponent("inventory.yaml"),
                                                                  atomically: true, encoding: .utf8)
    }

    /// One line per node: where it listens and what it simulates.
    public func listingLines() -> [String] {
        nodes.map { n in
            let faults = n.definition.faults.map(\.name)
            let what = "\(n.definition.product.rawValue) \(n.definition.version)"
            let where_ = n.definition.has(.unresolvable) ? "\(n.host) (unresolvable)"
                : n.definition.has(.refuse) ? "\(n.address):\(n.port) (refusing)" : "\(n.address):\(n.port)"
            let web = n.httpsPorts.sorted { $0.key < $1.key }.map { "\($0.key)→\($0.value)" }
            return "\(n.host) \(where_)" + (web.isEmpty ? "" : " https \(web.joined(separator: ","))") + " \(what)" + (faults.isEmpty ? "" : " faults: \(faults.joined(separator: ","))")
        }
    }
}

/// A double-quoted YAML scalar.
private func q(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        default: out.unicodeScalars.append(c)
        }
    }
    return out + "\""
}

private func num(_ d: Double) -> String {
    d == d.rounded() ? String(Int(d)) : String(d)
}
