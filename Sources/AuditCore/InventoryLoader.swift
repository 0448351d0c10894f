import Foundation
import Yams

/// One problem in an inventory file, located at `path:line:column` and naming the key.
public struct InventoryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var column: Int
    /// Dotted key path, e.g. `clusters[0].cuic[1].role`.
    public var key: String
    public var message: String

    public var description: String { "\(path):\(line):\(column): \(key): \(message)" }
}

/// Every problem found in an inventory; the inventory is unusable while any remains.
public struct InventoryErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [InventoryError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Reads the YAML inventory (schema version 1), rejecting anything it does not understand.
public enum InventoryLoader {
    public static func load(path: String) throws -> Inventory {
        let text: String
        do {
            let data = try BoundedFile.read(path, limit: BoundedFile.inventoryLimit, what: "the inventory")
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw BoundedFile.Problem(description: "the inventory is not UTF-8 text")
            }
            text = decoded
        } catch {
            throw InventoryErrors(errors: [InventoryError(path: path, line: 0, column: 0, key: "(file)", message: "\(error)")])
        }
        let base = (path as NSString).deletingLastPathComponent
        return try parse(yaml: text, path: path, baseDirectory: base.isEmpty ? "." : base)
    }

    /// Parses inventory text; relative file paths in it resolve against `baseDirectory`.
    public static func parse(yaml: String, path: String, baseDirectory: String = ".",
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Inventory {
        // Before composing: expanding an alias bomb (or hashing one used as a key) never finishes.
        if let found = YAMLAliasScan.first(in: yaml) {
            let what = found.isAnchor ? "anchor" : "alias"
            throw InventoryErrors(errors: [InventoryError(
                path: path, line: found.line, column: found.column, key: "(yaml)",
                message: "YAML \(what) '\(found.token)' is not accepted: anchors and aliases are refused (a few lines of them can expand into billions of values); write each value out (a '&' or '*' right before a name is refused wherever it stands, quotes included)")])
        }
        let root: Node?
        do {
            // Every value is read as its text (`scalar.string`), so no tag needs resolving: the basic resolver skips the
            // default one's regular expressions on every scalar, the most of a large inventory's load time.
            root = try Yams.compose(yaml: yaml, .basic)
        } catch let error as YamlError {
            throw InventoryErrors(errors: [yamlSyntaxError(error, path: path)])
        }
        var walker = Walker(path: path, baseDirectory: baseDirectory, home: environment["HOME"] ?? NSHomeDirectory())
        guard let root else {
            throw InventoryErrors(errors: [InventoryError(path: path, line: 1, column: 1, key: "(document)", message: "the inventory is empty")])
        }
        let inventory = walker.inventory(root)
        if !walker.errors.isEmpty || inventory == nil {
            throw InventoryErrors(errors: walker.errors.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return inventory!
    }

    static func yamlSyntaxError(_ error: YamlError, path: String) -> InventoryError {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return InventoryError(path: path, line: mark.line, column: mark.column, key: "(syntax)", message: "invalid YAML: \(problem)")
        default:
            return InventoryError(path: path, line: 1, column: 1, key: "(syntax)", message: "invalid YAML: \(error)")
        }
    }
}

private let connectionKeys = ["username", "password_env", "password_file", "password_prompt", "key_file", "passphrase_env",
                              "port", "known_hosts", "host_key_policy", "timeouts"]
private let defaultsKeys = Set(connectionKeys)
private let nodeKeys = Set(connectionKeys + ["host", "address", "aliases", "audit", "https_ports", "release"])
private let cuicOnlyKeys: Set<String> = ["role", "live_data"]
private let clusterKeys: Set<String> = ["name", "finesse", "cuic", "live_data", "expected", "release"]
private let topKeys: Set<String> = ["version", "defaults", "clusters", "waivers"]
private let waiverKeys: Set<String> = ["kind", "cluster", "host", "list", "origin", "reason", "expires"]
private let expectedKeys: Set<String> = ["finesse_ports", "extra_origins", "tolerated_origins", "finesse_origins", "prune"]
private let timeoutKeys: Set<String> = ["connect", "login", "command"]
private let inlineSecretKeys: Set<String> = ["password", "passphrase", "secret"]

/// Connection keys as written at one level (defaults or node), before merging.
private struct ConnectionKeys {
    var username: String?
    var credential: CredentialSource?
    var passphraseEnv: String?
    var port: Int?
    var knownHosts: String?
    var hostKeyPolicy: HostKeyPolicySetting?
    var timeouts: [String: Double] = [:]
}

private struct Walker {
    let path: String
    let baseDirectory: String
    let home: String
    var errors: [InventoryError] = []
    var seenHosts: [String: String] = [:]  // lower-cased host -> where first declared

    init(path: String, baseDirectory: String, home: String) {
        self.path = path; self.baseDirectory = baseDirectory; self.home = home
    }

    mutating func fail(_ node: Node?, _ key: String, _ message: String) {
        let mark = node?.mark
        // The top level has no key path; name it as the empty-inventory error does, not with an empty key.
        errors.append(InventoryError(path: path, line: mark?.line ?? 0, column: mark?.column ?? 0,
                                     key: key.isEmpty ? "(document)" : key, message: message))
    }

    /// The mapping's pairs keyed by name, reporting unknown and duplicate keys.
    mutating func mapping(_ node: Node, at key: String, allowed: Set<String>, hint: (String) -> String? = { _ in nil }) -> [String: (key: Node, value: Node)]? {
        guard let mapping = node.mapping else {
            fail(node, key, "expected a mapping of keys (\(allowed.sorted().joined(separator: ", ")))")
            return nil
        }
        var result: [String: (key: Node, value: Node)] = [:]
        for (k, v) in mapping {
            guard let name = k.scalar?.string else { fail(k, key, "keys must be plain names"); continue }
            let path = key.isEmpty ? name : "\(key).\(name)"
            if inlineSecretKeys.contains(name) {
                fail(k, path, "secrets are never written in the inventory: use password_env (an environment variable), password_file (a file readable only by you), password_prompt: true (asked on the terminal) or key_file")
                continue
            }
            guard allowed.contains(name) else {
                if let special = hint(name) { fail(k, path, special); continue }
                let suggestion = closest(name, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""
                fail(k, path, "unknown key '\(name)'\(suggestion); expected one of: \(allowed.sorted().joined(separator: ", "))")
                continue
            }
            if result[name] != nil { fail(k, path, "key '\(name)' appears twice"); continue }
            result[name] = (k, v)
        }
        return result
    }

    mutating func string(_ node: Node, at key: String) -> String? {
        guard let s = node.scalar?.string, !s.isEmpty else { fail(node, key, "expected a non-empty text value"); return nil }
        return s
    }

    mutating func int(_ node: Node, at key: String, range: ClosedRange<Int>) -> Int? {
        guard let s = node.scalar?.string, let v = Int(s), range.contains(v) else {
            fail(node, key, "expected a whole number in \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return v
    }

    mutating func bool(_ node: Node, at key: String) -> Bool? {
        switch node.scalar?.string.lowercased() {
        case "true": return true
        case "false": return false
        default: fail(node, key, "expected true or false"); return nil
        }
    }

    mutating func sequence(_ node: Node, at key: String) -> [Node]? {
        if let s = node.scalar?.string, s.isEmpty || s == "~" || s.lowercased() == "null" { return [] }
        guard let seq = node.sequence else { fail(node, key, "expected a list"); return nil }
        return Array(seq)
    }

    func expand(_ p: String) -> String {
        var p = p
        if p == "~" { p = home } else if p.hasPrefix("~/") { p = home + p.dropFirst(1) }
        if !p.hasPrefix("/") { p = baseDirectory + "/" + p }
        return p
    }

    mutating func inventory(_ root: Node) -> Inventory? {
        guard let top = mapping(root, at: "", allowed: topKeys) else { return nil }
        var version = 1
        if let v = top["version"] {
            if let n = int(v.value, at: "version", range: 0...Int.max) {
                if n != 1 { fail(v.value, "version", "unsupported inventory version \(n); this cors-audit reads version 1") }
                version = n
            }
        } else {
            fail(root, "version", "missing 'version: 1'")
        }
        var defaults = ConnectionKeys()
        if let d = top["defaults"], let m = mapping(d.value, at: "defaults", allowed: defaultsKeys) {
            defaults = connectionKeys(m, at: "defaults", scope: "defaults")
        }
        guard let c = top["clusters"] else { fail(root, "clusters", "missing 'clusters' (a list of clusters)"); return nil }
        guard let seq = sequence(c.value, at: "clusters") else { return nil }
        if seq.isEmpty { fail(c.value, "clusters", "no clusters: list at least one") }
        var clusters: [Cluster] = []
        var names: Set<String> = []
        for (i, node) in seq.enumerated() {
            if let cluster = cluster(node, at: "clusters[\(i)]", defaults: defaults) {
                if !names.insert(cluster.name.lowercased()).inserted {
                    fail(node, "clusters[\(i)].name", "cluster name '\(cluster.name)' is used twice")
                }
                clusters.append(cluster)
            }
        }
        var inventory = Inventory(version: version, clusters: clusters, path: path)
        if let w = top["waivers"], let seq = sequence(w.value, at: "waivers") {
            inventory.waivers = seq.enumerated().compactMap { i, n in waiver(n, at: "waivers[\(i)]", clusters: clusters) }
        }
        return inventory
    }

    /// One `waivers:` entry: kind, reason and expires (YYYY-MM-DD) required; cluster, host, list and origin narrow it,
    /// and a cluster or host must be one the inventory lists.
    mutating func waiver(_ node: Node, at key: String, clusters: [Cluster]) -> Waiver? {
        guard let m = mapping(node, at: key, allowed: waiverKeys) else { return nil }
        let errorsBefore = errors.count
        var kind: FindingKind?
        if let v = m["kind"], let s = string(v.value, at: "\(key).kind") {
            kind = FindingKind(rawValue: s)
            if kind == nil {
                let suggestion = closest(s, in: Set(FindingKind.allCases.map(\.rawValue))).map { " (did you mean '\($0)'?)" } ?? ""
                fail(v.value, "\(key).kind", "unknown finding kind '\(s)'\(suggestion); expected one of: \(FindingKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        } else if m["kind"] == nil { fail(node, "\(key).kind", "missing 'kind' (the finding kind it waives, e.g. unexpected-origin)") }
        var reason: String?
        if let v = m["reason"] { reason = string(v.value, at: "\(key).reason") } else { fail(node, "\(key).reason", "missing 'reason': say why the finding is accepted") }
        var expires: String?
        if let v = m["expires"] {
            if let s = v.value.scalar?.string, Waiver.isDate(s) { expires = s } else {
                fail(v.value, "\(key).expires", "expected a date YYYY-MM-DD (the last day the waiver holds)")
            }
        } else { fail(node, "\(key).expires", "missing 'expires: YYYY-MM-DD': every waiver ends") }
        var cluster: String?
        if let v = m["cluster"], let s = string(v.value, at: "\(key).cluster") {
            if clusters.contains(where: { $0.name.lowercased() == s.lowercased() }) { cluster = s } else {
                fail(v.value, "\(key).cluster", "no cluster '\(s)' in this inventory")
            }
        }
        var host: String?
        if let v = m["host"], let s = string(v.value, at: "\(key).host") {
            let hosts = clusters.flatMap(\.nodes).filter { cluster == nil || clusters.first { $0.name.lowercased() == cluster!.lowercased() }?.nodes.contains($0) == true }
            if hosts.contains(where: { $0.host.lowercased() == s.lowercased() }) { host = s } else {
                fail(v.value, "\(key).host", "no node '\(s)' in \(cluster.map { "cluster '\($0)' of " } ?? "")this inventory")
            }
        }
        var list: ListKind?
        if let v = m["list"], let s = string(v.value, at: "\(key).list") {
            list = ListKind(rawValue: s)
            if list == nil { fail(v.value, "\(key).list", "unknown list '\(s)'; expected one of: cuic, live-data, finesse") }
        }
        var origin: String?
        if let v = m["origin"] { origin = string(v.value, at: "\(key).origin") }
        guard errors.count == errorsBefore, let kind, let reason, let expires else { return nil }
        return Waiver(kind: kind, cluster: cluster, host: host, list: list, origin: origin, reason: reason, expires: expires,
                      line: (node.mark?.line ?? 0))
    }

    mutating func connectionKeys(_ m: [String: (key: Node, value: Node)], at key: String, scope: String) -> ConnectionKeys {
        var c = ConnectionKeys()
        if let v = m["username"] { c.username = string(v.value, at: "\(key).username") }
        if let v = m["port"] { c.port = int(v.value, at: "\(key).port", range: 1...65535) }
        if let v = m["known_hosts"], let s = string(v.value, at: "\(key).known_hosts") { c.knownHosts = expand(s) }
        if let v = m["host_key_policy"], let s = string(v.value, at: "\(key).host_key_policy") {
            if let p = HostKeyPolicySetting(rawValue: s) { c.hostKeyPolicy = p } else {
                fail(v.value, "\(key).host_key_policy", "'\(s)' is not a host key policy; use strict, accept-new or off")
            }
        }
        if let v = m["passphrase_env"] { c.passphraseEnv = envName(v.value, at: "\(key).passphrase_env") }
        // `password_prompt: false` says nothing at this level; only `true` is a credential.
        var prompt = false
        if let v = m["password_prompt"] { prompt = bool(v.value, at: "\(key).password_prompt") ?? false }
        let credentialKeys = ["password_env", "password_file", "password_prompt", "key_file"]
            .filter { m[$0] != nil && ($0 != "password_prompt" || prompt) }
        if credentialKeys.count > 1 {
            fail(m[credentialKeys[1]]!.key, "\(key).\(credentialKeys[1])",
                 "give only one of password_env, password_file, password_prompt, key_file (found \(credentialKeys.joined(separator: " and ")))")
        } else if let name = credentialKeys.first {
            let v = m[name]!.value
            switch name {
            case "password_env": if let e = envName(v, at: "\(key).password_env") { c.credential = .passwordEnv(e) }
            case "password_file": if let s = string(v, at: "\(key).password_file") { c.credential = .passwordFile(expand(s)) }
            case "password_prompt": c.credential = .passwordPrompt(scope: scope)
            default: if let s = string(v, at: "\(key).key_file") { c.credential = .keyFile(path: expand(s), passphraseEnv: nil) }
            }
        }
        if let t = m["timeouts"], let tm = mapping(t.value, at: "\(key).timeouts", allowed: timeoutKeys) {
            for (name, pair) in tm {
                guard let s = pair.value.scalar?.string, let d = Double(s), d > 0, d.isFinite else {
                    fail(pair.value, "\(key).timeouts.\(name)", "expected a positive number of seconds"); continue
                }
                c.timeouts[name] = d
            }
        }
        return c
    }

    mutating func envName(_ node: Node, at key: String) -> String? {
        guard let s = string(node, at: key) else { return nil }
        let ok = s.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } ?? false
            && s.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        if !ok { fail(node, key, "'\(s)' is not an environment variable name (the password itself never goes in the inventory)") }
        return ok ? s : nil
    }

    mutating func cluster(_ node: Node, at key: String, defaults: ConnectionKeys) -> Cluster? {
        guard let m = mapping(node, at: key, allowed: clusterKeys) else { return nil }
        var name = "?"
        if let n = m["name"] {
            name = string(n.value, at: "\(key).name") ?? "?"
            // Cluster names label metrics and reports: a safe set, so no name can carry a path, a quote or a control character.
            if name != "?" && !SafeName.isClusterName(name) {
                fail(n.value, "\(key).name", "'\(name)' is not a cluster name: use \(SafeName.clusterRule)")
            }
        } else {
            fail(node, "\(key).name", "missing cluster 'name'")
        }
        var expected = ExpectedPolicy()
        if let e = m["expected"], let em = mapping(e.value, at: "\(key).expected", allowed: expectedKeys) {
            expected = expectedPolicy(em, at: "\(key).expected")
        }
        var finesse = nodes(m["finesse"]?.value, at: "\(key).finesse", product: .finesse, defaults: defaults)
        var cuic = nodes(m["cuic"]?.value, at: "\(key).cuic", product: .cuic, defaults: defaults)
        var liveData = nodes(m["live_data"]?.value, at: "\(key).live_data", product: .livedata, defaults: defaults)
        // A cluster's `release:` holds for its nodes that do not name their own.
        if let r = m["release"], let release = release(r.value, at: "\(key).release") {
            for i in finesse.indices where finesse[i].release == nil { finesse[i].release = release }
            for i in cuic.indices where cuic[i].release == nil { cuic[i].release = release }
            for i in liveData.indices where liveData[i].release == nil { liveData[i].release = release }
        }
        if finesse.isEmpty {
            fail(m["finesse"]?.key ?? node, "\(key).finesse", "cluster '\(name)' lists no Finesse nodes, so no origin can be expected: list its Finesse nodes (audit: false if they are not to be contacted)")
        }
        if cuic.isEmpty && liveData.isEmpty {
            fail(node, key, "cluster '\(name)' lists no CUIC or Live Data nodes: nothing to audit")
        }
        return Cluster(name: name, finesse: finesse, cuic: cuic, liveData: liveData, expected: expected)
    }

    mutating func expectedPolicy(_ m: [String: (key: Node, value: Node)], at key: String) -> ExpectedPolicy {
        var p = ExpectedPolicy()
        if let v = m["finesse_ports"], let seq = sequence(v.value, at: "\(key).finesse_ports") {
            var ports: [Int] = []
            for (i, n) in seq.enumerated() {
                guard let port = int(n, at: "\(key).finesse_ports[\(i)]", range: 1...65535) else { continue }
                if ports.contains(port) { fail(n, "\(key).finesse_ports[\(i)]", "port \(port) is listed twice") } else { ports.append(port) }
            }
            if seq.isEmpty { fail(v.value, "\(key).finesse_ports", "list at least one port (443 means the origin without a port)") }
            p.finessePorts = ports
        }
        p.extraOrigins = origins(m["extra_origins"]?.value, at: "\(key).extra_origins")
        p.toleratedOrigins = origins(m["tolerated_origins"]?.value, at: "\(key).tolerated_origins")
        p.finesseOrigins = origins(m["finesse_origins"]?.value, at: "\(key).finesse_origins")
        if let v = m["prune"] { p.prune = bool(v.value, at: "\(key).prune") ?? false }
        return p
    }

    /// `release: "12.5"` (also 12.5(1), 12.6, 15.0): a family the release profiles describe, or an error.
    mutating func release(_ node: Node, at key: String) -> ReleaseFamily? {
        guard let s = string(node, at: key) else { return nil }
        let family = ReleaseFamily(version: s)
        if family == .unknown {
            fail(node, key, "'\(s)' is not a release cors-audit describes; use 12.5, 12.6 or 15.0 (or leave it out: the node's `show version active` decides)")
            return nil
        }
        return family
    }

    mutating func origins(_ node: Node?, at key: String) -> [Origin] {
        guard let node, let seq = sequence(node, at: key) else { return [] }
        var result: [Origin] = []
        for (i, n) in seq.enumerated() {
            guard let s = string(n, at: "\(key)[\(i)]") else { continue }
            switch OriginAnalysis.analyze(s) {
            case .effective(let o): result.append(o)
            case .ineffective(let reason, let meant):
                let hint = meant.map { "; write '\($0)'" } ?? ""
                fail(n, "\(key)[\(i)]", "'\(s)' is not a valid browser origin (http[s]://host[:port], lower case, no path or default port): it \(reason)\(hint)")
            }
        }
        return result
    }

    mutating func nodes(_ node: Node?, at key: String, product: Product, defaults: ConnectionKeys) -> [InventoryNode] {
        guard let node, let seq = sequence(node, at: key) else { return [] }
        return seq.enumerated().compactMap { i, n in inventoryNode(n, at: "\(key)[\(i)]", product: product, defaults: defaults) }
    }

    mutating func inventoryNode(_ node: Node, at key: String, product: Product, defaults: ConnectionKeys) -> InventoryNode? {
        let allowed = product == .cuic ? nodeKeys.union(cuicOnlyKeys) : nodeKeys
        guard let m = mapping(node, at: key, allowed: allowed, hint: { name in
            cuicOnlyKeys.contains(name) ? "key '\(name)' applies only to cuic nodes" : nil
        }) else { return nil }
        guard let h = m["host"] else { fail(node, "\(key).host", "missing 'host' (the node's FQDN)"); return nil }
        guard let hostRaw = string(h.value, at: "\(key).host") else { return nil }
        let host = hostRaw.lowercased()
        if !SafeName.isHostName(host) {
            fail(h.value, "\(key).host", "'\(hostRaw)' is not a host name (letters, digits, hyphens and dots)")
        }
        if let first = seenHosts[host] {
            fail(h.value, "\(key).host", "host '\(host)' is already listed at \(first)")
        } else {
            seenHosts[host] = "\(path):\(h.value.mark?.line ?? 0)"
        }
        var aliases: [String] = []
        if let a = m["aliases"], let seq = sequence(a.value, at: "\(key).aliases") {
            for (i, n) in seq.enumerated() {
                guard let s = string(n, at: "\(key).aliases[\(i)]") else { continue }
                if OriginAnalysis.isDNSName(s) || OriginAnalysis.isIPv4(s) { aliases.append(s.lowercased()) } else {
                    fail(n, "\(key).aliases[\(i)]", "'\(s)' is not a host name")
                }
            }
        }
        var role: CUICRole?
        var coresident = false
        if product == .cuic {
            if let r = m["role"], let s = string(r.value, at: "\(key).role") {
                role = CUICRole(rawValue: s)
                if role == nil { fail(r.value, "\(key).role", "'\(s)' is not a role; use publisher or subscriber") }
            } else if m["role"] == nil {
                fail(node, "\(key).role", "missing 'role' (publisher or subscriber)")
            }
            if let l = m["live_data"], let s = string(l.value, at: "\(key).live_data") {
                switch s {
                case "coresident": coresident = true
                case "none": coresident = false
                default: fail(l.value, "\(key).live_data", "'\(s)' is not valid; use coresident (this node holds a Live Data list) or none")
                }
            }
        }
        var audit = true
        if let a = m["audit"] { audit = bool(a.value, at: "\(key).audit") ?? true }
        var httpsPorts: [Int: Int] = [:]
        if let hp = m["https_ports"] {
            // Keys are the ports a browser uses (443, 8444); values where the probe reaches them (NAT, port forwards, vos-sim).
            if let pairs = hp.value.mapping {
                for (k, v) in pairs {
                    guard let standard = int(k, at: "\(key).https_ports", range: 1...65535),
                          let actual = int(v, at: "\(key).https_ports.\(standard)", range: 1...65535) else { continue }
                    httpsPorts[standard] = actual
                }
            } else {
                fail(hp.value, "\(key).https_ports", "expected a mapping from browser port to reachable port, e.g. {443: 8443, 8444: 9444}")
            }
        }
        let own = connectionKeys(m, at: key, scope: host)
        var address = host
        if let a = m["address"], let s = string(a.value, at: "\(key).address") {
            if SafeName.isAddress(s) { address = s } else {
                fail(a.value, "\(key).address", "'\(s)' is not a host name or an IP address (e.g. cuicpub.example.com, 10.1.2.3, fd00::12, without brackets or a port)")
            }
        }
        var credential = own.credential ?? defaults.credential ?? .none
        if case .keyFile(let p, _) = credential {
            credential = .keyFile(path: p, passphraseEnv: own.passphraseEnv ?? defaults.passphraseEnv)
        }
        let t = Timeouts()
        let timeouts = Timeouts(
            connect: own.timeouts["connect"] ?? defaults.timeouts["connect"] ?? t.connect,
            login: own.timeouts["login"] ?? defaults.timeouts["login"] ?? t.login,
            command: own.timeouts["command"] ?? defaults.timeouts["command"] ?? t.command)
        let connection = ConnectionSettings(
            address: address,
            port: own.port ?? defaults.port ?? 22,
            username: own.username ?? defaults.username ?? "admin",
            credential: credential,
            knownHosts: own.knownHosts ?? defaults.knownHosts ?? expand("~/.ssh/known_hosts"),
            hostKeyPolicy: own.hostKeyPolicy ?? defaults.hostKeyPolicy ?? .strict,
            timeouts: timeouts)
        var inventoryNode = InventoryNode(host: host, product: product, aliases: aliases, role: role, coresidentLiveData: coresident,
                                          audit: audit, connection: connection, httpsPorts: httpsPorts, line: node.mark?.line ?? 0)
        if let r = m["release"] { inventoryNode.release = release(r.value, at: "\(key).release") }
        return inventoryNode
    }
}

/// The allowed name nearest to a typo, when it is close enough to be a likely slip.
private func closest(_ word: String, in candidates: Set<String>) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var prev = row[0]; row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return row[b.count]
    }
    let w = Array(word)
    return candidates.map { ($0, distance(w, Array($0))) }.filter { $0.1 <= 2 }.min { ($0.1, $0.0) < ($1.1, $1.0) }?.0
}
