import AuditCore
import Foundation
import Yams

/// A problem in a state file; the simulator does not start while any remains.
public struct StateFileError: Error, Sendable, CustomStringConvertible {
    public var messages: [String]
    public var description: String { messages.joined(separator: "\n") }
}

/// Timing used for nodes that do not set their own (short, for demos and tests; real nodes take
/// about 8.6 s to start and seconds per command).
public struct SimulationTiming: Sendable, Equatable {
    public var startupDelay: Double
    public var commandDelay: Double
    public var restartDelay: Double

    public init(startupDelay: Double = 0.8, commandDelay: Double = 0.05, restartDelay: Double = 0.3) {
        self.startupDelay = startupDelay
        self.commandDelay = commandDelay
        self.restartDelay = restartDelay
    }
}

/// The node definitions of a simulation: every inventory node, with the state file's settings
/// merged over the defaults. The schema is in Sources/VOSSimulator/README.md.
public enum StateFile {
    static let defaultVersion: [Product: String] = [
        .cuic: "12.6.2.10000-19", .livedata: "12.6.2.10000-19", .finesse: "12.6.2.10000-27",
    ]

    /// Reads a state file (nil: defaults for every node) against the inventory.
    public static func load(path: String?, inventory: Inventory, timing: SimulationTiming = .init()) throws -> [NodeDefinition] {
        guard let path else { return try parse(yaml: "", inventory: inventory, timing: timing) }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw StateFileError(messages: ["\(path): cannot read the state file: \(error.localizedDescription)"])
        }
        return try parse(yaml: text, inventory: inventory, timing: timing, path: path)
    }

    /// Parses state YAML against the inventory; nodes missing from it get defaults.
    public static func parse(yaml: String, inventory: Inventory, timing: SimulationTiming = .init(),
                             path: String = "state") throws -> [NodeDefinition] {
        var errors: [String] = []
        func fail(_ node: Node?, _ message: String) {
            let line = node?.mark.map { ":\($0.line)" } ?? ""
            errors.append("\(path)\(line): \(message)")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            throw StateFileError(messages: ["\(path): invalid YAML: \(error)"])
        }
        var timing = timing
        var nodeMaps: [String: Node] = [:]
        if let root {
            guard let top = root.mapping else { throw StateFileError(messages: ["\(path): expected a mapping with 'defaults' and 'nodes'"]) }
            for (k, v) in top {
                switch k.string {
                case "defaults":
                    for (dk, dv) in v.mapping ?? [:] {
                        guard let d = dv.double, d >= 0 else { fail(dv, "defaults.\(dk.string ?? "?"): expected seconds"); continue }
                        switch dk.string {
                        case "startup_delay": timing.startupDelay = d
                        case "command_delay": timing.commandDelay = d
                        case "restart_delay": timing.restartDelay = d
                        default: fail(dk, "unknown key 'defaults.\(dk.string ?? "?")' (startup_delay, command_delay, restart_delay)")
                        }
                    }
                case "nodes":
                    for (nk, nv) in nv_mapping(v) {
                        guard let host = nk.string?.lowercased() else { continue }
                        nodeMaps[host] = nv
                    }
                default:
                    fail(k, "unknown key '\(k.string ?? "?")' (defaults, nodes)")
                }
            }
        }
        let known = Set(inventory.nodes.map(\.node.host))
        for (host, node) in nodeMaps where !known.contains(host) {
            fail(node, "node '\(host)' is not in the inventory \(inventory.path)")
        }
        var result: [NodeDefinition] = []
        for (_, inv) in inventory.nodes {
            let yaml = nodeMaps[inv.host]
            var version = defaultVersion[inv.product]!
            var product = inv.product
            var lists: [ListKind: CORSList] = [:]
            for kind in inv.lists { lists[kind] = CORSList(status: .enabled, origins: []) }
            var faults: [Fault] = []
            var serviceOverrides: [(String, ServiceState?)] = []
            var startup = timing.startupDelay, command = timing.commandDelay, restart = timing.restartDelay
            var deleteMenu = DeleteMenuForm.documented
            var preflight = PreflightBehaviour.field
            var settings = NodeSettings()
            var clusterView = ClusterViewDefinition()
            if let yaml {
                for (k, v) in yaml.mapping ?? [:] {
                    let key = k.string ?? "?"
                    switch key {
                    case "product":
                        if let p = v.string.flatMap(Product.init(rawValue:)), p == inv.product { product = p } else {
                            fail(v, "\(inv.host).product: '\(v.string ?? "?")' does not match the inventory's \(inv.product.rawValue)")
                        }
                    case "version":
                        if let s = v.string, !s.isEmpty { version = s } else { fail(v, "\(inv.host).version: expected text") }
                    case "startup_delay", "command_delay", "restart_delay":
                        guard let d = v.double, d >= 0 else { fail(v, "\(inv.host).\(key): expected seconds"); continue }
                        if key == "startup_delay" { startup = d } else if key == "command_delay" { command = d } else { restart = d }
                    case "services":
                        for (sk, sv) in v.mapping ?? [:] {
                            guard let name = sk.string else { continue }
                            switch sv.string {
                            case "absent": serviceOverrides.append((name, nil))
                            case let s?: if let st = ServiceState(rawValue: s) { serviceOverrides.append((name, st)) } else {
                                fail(sv, "\(inv.host).services.\(name): '\(s)' is not started, stopped, not_activated or absent")
                            }
                            case nil: fail(sv, "\(inv.host).services.\(name): expected a state")
                            }
                        }
                    case "lists":
                        for (lk, lv) in v.mapping ?? [:] {
                            guard let kind = lk.string.flatMap(ListKind.init(rawValue:)) else {
                                fail(lk, "\(inv.host).lists: '\(lk.string ?? "?")' is not cuic, live-data or finesse"); continue
                            }
                            var list = CORSList()
                            for (ek, ev) in lv.mapping ?? [:] {
                                switch ek.string {
                                case "status":
                                    guard let s = ev.string.flatMap(CORSStatus.init(rawValue:)) else {
                                        fail(ev, "\(inv.host).lists.\(kind.rawValue).status: use enabled, disabled or enable_all"); continue
                                    }
                                    if s == .enableAll && kind != .finesse {
                                        fail(ev, "\(inv.host).lists.\(kind.rawValue).status: enable_all exists on Finesse only")
                                    }
                                    list.status = s
                                case "origins":
                                    list.origins = (ev.sequence.map(Array.init) ?? []).compactMap(\.string)
                                case "allowed_headers":
                                    list.allowedHeaders = (ev.sequence.map(Array.init) ?? []).compactMap(\.string)
                                case "exposed_headers":
                                    list.exposedHeaders = (ev.sequence.map(Array.init) ?? []).compactMap(\.string)
                                default:
                                    fail(ek, "\(inv.host).lists.\(kind.rawValue): unknown key '\(ek.string ?? "?")' (status, origins, allowed_headers, exposed_headers)")
                                }
                            }
                            lists[kind] = list
                        }
                    case "gadget_source_check":
                        guard inv.product == .finesse else { fail(k, "\(inv.host).gadget_source_check: Finesse nodes only"); continue }
                        for (gk, gv) in v.mapping ?? [:] {
                            switch gk.string {
                            case "status":
                                guard let s = gv.string, s == "enabled" || s == "disabled" else {
                                    fail(gv, "\(inv.host).gadget_source_check.status: use enabled or disabled"); continue
                                }
                                settings.gadgetSourceCheck = s == "enabled"
                            case "allowed_list":
                                settings.gadgetSources = (gv.sequence.map(Array.init) ?? []).compactMap(\.string)
                            default:
                                fail(gk, "\(inv.host).gadget_source_check: unknown key '\(gk.string ?? "?")' (status, allowed_list)")
                            }
                        }
                    case "private_network_access":
                        guard inv.product == .cuic else { fail(k, "\(inv.host).private_network_access: CUIC nodes only"); continue }
                        guard let s = v.string, s == "enabled" || s == "disabled" else {
                            fail(v, "\(inv.host).private_network_access: use enabled or disabled"); continue
                        }
                        settings.privateNetworkAccess = s == "enabled"
                    case "faults":
                        faults = parseFaults(v, host: inv.host, fail: fail)
                    case "delete_menu":
                        if let form = v.string.flatMap(DeleteMenuForm.init(rawValue:)) { deleteMenu = form } else {
                            fail(v, "\(inv.host).delete_menu: '\(v.string ?? "?")' is not documented or colon")
                        }
                    case "preflight":
                        if let b = v.string.flatMap(PreflightBehaviour.init(rawValue:)) { preflight = b } else {
                            fail(v, "\(inv.host).preflight: '\(v.string ?? "?")' is not one of \(PreflightBehaviour.allCases.map(\.rawValue).joined(separator: ", "))")
                        }
                    case "cluster_view":
                        clusterView = parseClusterView(v, inv: inv, inventory: inventory, fail: fail)
                    default:
                        fail(k, "\(inv.host): unknown key '\(key)' (product, version, services, lists, faults, startup_delay, command_delay, restart_delay, delete_menu, preflight, gadget_source_check, private_network_access, cluster_view)")
                    }
                }
            }
            var services = ServiceCatalog.defaults(product: product, version: version, liveData: lists[.liveData] != nil)
            for (name, state) in serviceOverrides {
                if let i = services.firstIndex(where: { $0.name == name }) {
                    if let state { services[i].state = state } else { services.remove(at: i) }
                } else if let state {
                    services.append(ServiceEntry(name: name, state: state))
                }
            }
            var definition = NodeDefinition(host: inv.host, product: product, version: version, services: services, lists: lists,
                                            faults: faults, startupDelay: startup, commandDelay: command, restartDelay: restart,
                                            deleteMenu: deleteMenu, preflight: preflight)
            definition.settings = settings
            definition.clusterView = clusterView
            result.append(definition)
        }
        if !errors.isEmpty { throw StateFileError(messages: errors) }
        return result
    }

    /// `cluster_view: {extra: [{host, address, role}], hide: [host], swap_role: [host]}`: how this node's `show network
    /// cluster` departs from the simulated cluster (members the inventory lacks, members it leaves out, roles it flips).
    static func parseClusterView(_ node: Node, inv: InventoryNode, inventory: Inventory, fail: (Node?, String) -> Void) -> ClusterViewDefinition {
        var view = ClusterViewDefinition()
        let at = "\(inv.host).cluster_view"
        guard let map = node.mapping else { fail(node, "\(at): expected a mapping (extra, hide, swap_role)"); return view }
        let known = Set(inventory.nodes.map(\.node.host))
        for (k, v) in map {
            switch k.string {
            case "extra":
                for item in v.sequence.map(Array.init) ?? [] {
                    guard let m = item.mapping, let host = m["host"]?.string?.lowercased(), let address = m["address"]?.string,
                          isIPAddress(address) else {
                        fail(item, "\(at).extra: each member needs host and address (an IP address), and role publisher or subscriber"); continue
                    }
                    let role = m["role"]?.string ?? "subscriber"
                    guard role == "publisher" || role == "subscriber" else { fail(item, "\(at).extra: role '\(role)' is not publisher or subscriber"); continue }
                    view.extra.append(SimulatedMember(host: host, address: address, publisher: role == "publisher",
                                                      application: m["application"]?.string ?? Membership.application(inv.product)))
                }
            case "hide", "swap_role":
                var hosts: [String] = []
                for item in v.sequence.map(Array.init) ?? [] {
                    guard let host = item.string?.lowercased(), known.contains(host) else {
                        fail(item, "\(at).\(k.string!): '\(item.string ?? "?")' is not a node of the inventory"); continue
                    }
                    hosts.append(host)
                }
                if k.string == "hide" { view.hide = hosts } else { view.swapRole = hosts }
            default:
                fail(k, "\(at): unknown key '\(k.string ?? "?")' (extra, hide, swap_role)")
            }
        }
        return view
    }

    /// A dotted IPv4 quad or hex-and-colon IPv6 text: what a member line starts with.
    static func isIPAddress(_ s: String) -> Bool {
        let quads = s.split(separator: ".", omittingEmptySubsequences: false)
        if quads.count == 4 && quads.allSatisfy({ q in !q.isEmpty && q.count <= 3 && q.allSatisfy { $0.isASCII && $0.isNumber } && Int(q)! <= 255 }) { return true }
        return s.contains(":") && s.allSatisfy { $0 == ":" || $0.isHexDigit }
    }

    private static func nv_mapping(_ node: Node) -> [(Node, Node)] {
        node.mapping.map { $0.map { ($0.key, $0.value) } } ?? []
    }

    /// `faults:` as a list (`[refuse, {slow_start: 30}]`) or a map (`{refuse: true, slow_start: 30}`).
    static func parseFaults(_ node: Node, host: String, fail: (Node?, String) -> Void) -> [Fault] {
        var pairs: [(String, Node?, Node)] = []
        if let seq = node.sequence {
            for item in seq {
                if let s = item.string { pairs.append((s, nil, item)) }
                for (k, v) in item.mapping ?? [:] { pairs.append((k.string ?? "?", v, k)) }
            }
        } else if let map = node.mapping {
            for (k, v) in map {
                if v.string?.lowercased() == "false" { continue }
                pairs.append((k.string ?? "?", v, k))
            }
        } else if let s = node.string, !s.isEmpty {
            pairs.append((s, nil, node))
        }
        var faults: [Fault] = []
        for (name, value, at) in pairs {
            switch name {
            case "refuse": faults.append(.refuse)
            case "wrong_host_key": faults.append(.wrongHostKey)
            case "reject_auth": faults.append(.rejectAuth)
            case "never_prompt": faults.append(.neverPrompt)
            case "drop_mid_output": faults.append(.dropMidOutput)
            case "garbage_output": faults.append(.garbageOutput)
            case "unknown_output": faults.append(.unknownOutput)
            case "confirm_prompt": faults.append(.confirmPrompt)
            case "keyboard_interactive_only": faults.append(.keyboardInteractiveOnly)
            case "silent": faults.append(.silent)
            case "garbage_banner": faults.append(.garbageBanner)
            case "no_common_algorithm": faults.append(.noCommonAlgorithm)
            case "unknown_host_key": faults.append(.unknownHostKey)
            case "unresolvable":
                if host.hasSuffix(".invalid") { faults.append(.unresolvable) } else {
                    fail(at, "\(host).faults.unresolvable: only a host under .invalid (which never resolves) can be unresolvable")
                }
            case "kbd_int_unexpected_prompt": faults.append(.kbdIntUnexpectedPrompt)
            case "endless_pager": faults.append(.endlessPager)
            case "restart_stays_stopped": faults.append(.restartStaysStopped)
            case "oversize_output":
                // A bare `oversize_output` prints 5 MiB: past the client's 4 MiB cap.
                if value == nil || value?.string == "true" { faults.append(.oversizeOutput(5 << 20)) }
                else if let n = value?.string.flatMap(Int.init), n > 0 { faults.append(.oversizeOutput(n)) } else {
                    fail(at, "\(host).faults.oversize_output: give the output size in bytes (oversize_output: 5242880)")
                }
            case "drip_output":
                // A bare `drip_output`: a millisecond between bytes.
                if value == nil || value?.string == "true" { faults.append(.dripOutput(0.001)) }
                else if let d = value?.double, d >= 0 { faults.append(.dripOutput(d)) } else {
                    fail(at, "\(host).faults.drip_output: give the seconds between bytes (drip_output: 0.001)")
                }
            case "slow_start":
                if let d = value?.double, d >= 0 { faults.append(.slowStart(d)) } else {
                    fail(at, "\(host).faults.slow_start: give the start-up time in seconds (slow_start: 30)")
                }
            default:
                fail(at, "\(host).faults: unknown fault '\(name)' (\(Fault.allNames.joined(separator: ", ")))")
            }
        }
        return faults
    }
}

private extension Node {
    var double: Double? { string.flatMap(Double.init) }
}
