import CLIParsers

/// One thing to do at a node's `admin:` prompt, typed: consumers match on it instead of reading CLI text
/// back. `cliLines` is the single rendering to what a person types.
public enum RemediationAction: Sendable, Equatable, Hashable {
    /// `utils <family> cors allowed_origin add o1,o2`.
    case add(ListKind, origins: [String])
    /// `utils <family> cors enable`.
    case enable(ListKind)
    /// The interactive delete: run the command, then at the index prompt type `index`, which must show `origin`.
    case delete(ListKind, index: Int, origin: String)
    /// `utils service restart <service>`: makes a list change effective.
    case restart(service: String)
    /// `utils service start <service>`.
    case start(service: String)
    /// `utils <family> cors allowed_origin list`.
    case verifyList(ListKind)
    /// `utils <family> cors status`.
    case verifyStatus(ListKind)
    /// `utils <family> cors allowed_headers list`: the request headers the node's CORS filter allows.
    case verifyHeaders(ListKind)
    /// `utils service list`.
    case verifyServices
    /// `utils <family> cors exposed_headers list`.
    case verifyExposedHeaders(ListKind)
    /// `utils finesse gadget_source_check allowed_list add <url>`, one URL per line as S9 prints it.
    case addGadgetSource(String)
    /// `utils finesse gadget_source_check status`.
    case verifyGadgetSourceStatus
    /// `utils finesse gadget_source_check allowed_list list`.
    case verifyGadgetSources
    /// `utils cuic cors private-network-access enable` (true) or `disable` (S2, 12.6(2)).
    case setPrivateNetworkAccess(Bool)
    /// `utils cuic cors private-network-access status`.
    case verifyPrivateNetworkAccess
    /// A note for the person; never typed.
    case note(String)

    static func family(_ list: ListKind) -> String { "utils \(list.cliFamily) cors" }
    static let restartPrefix = "utils service restart "
    static let startPrefix = "utils service start "
    static let servicesLine = "utils service list"
    static let gadgetSourceAddPrefix = "utils finesse gadget_source_check allowed_list add "

    /// The line typed at the prompt (for a delete, the command before its index prompt); nil for a note.
    public var commandLine: String? {
        switch self {
        case .add(let list, let origins):
            // Only grammar-valid origins: nothing else may reach a device's command line.
            return "\(Self.family(list)) allowed_origin add " + origins.filter(OriginAnalysis.isSafeForCommandLine).joined(separator: ",")
        case .enable(let list): return "\(Self.family(list)) enable"
        case .delete(let list, _, _): return "\(Self.family(list)) allowed_origin delete"
        case .restart(let service): return Self.restartPrefix + service
        case .start(let service): return Self.startPrefix + service
        case .verifyList(let list): return "\(Self.family(list)) allowed_origin list"
        case .verifyStatus(let list): return "\(Self.family(list)) status"
        case .verifyHeaders(let list): return "\(Self.family(list)) allowed_headers list"
        case .verifyServices: return Self.servicesLine
        case .verifyExposedHeaders(let list): return "\(Self.family(list)) exposed_headers list"
        case .addGadgetSource(let url):
            // Only a grammar-valid URL reaches the command line; anything else renders as nothing (a note).
            return OriginAnalysis.isSafeForCommandLine(url) ? Self.gadgetSourceAddPrefix + url : nil
        case .verifyGadgetSourceStatus: return VOSCommand.gadgetSourceStatus.rawValue
        case .verifyGadgetSources: return VOSCommand.gadgetSourceList.rawValue
        case .setPrivateNetworkAccess(let on): return "utils cuic cors private-network-access " + (on ? "enable" : "disable")
        case .verifyPrivateNetworkAccess: return VOSCommand.cuicPrivateNetworkAccess.rawValue
        case .note: return nil
        }
    }

    /// What a person types, in order: the command line, and for a delete the index answered at its prompt.
    public var cliLines: [String] {
        switch self {
        case .delete(_, let index, _): return [commandLine!, String(index)]
        case .note: return []
        default: return commandLine.map { [$0] } ?? []
        }
    }

    public var isRestart: Bool { if case .restart = self { true } else { false } }

    /// Reads state only (lists, statuses, services).
    public var isVerification: Bool {
        switch self {
        case .verifyList, .verifyStatus, .verifyHeaders, .verifyServices, .verifyExposedHeaders, .verifyGadgetSourceStatus,
             .verifyGadgetSources, .verifyPrivateNetworkAccess: true
        default: false
        }
    }

    /// Typing it may change the node's configuration or running services.
    public var changesNode: Bool {
        switch self {
        case .add, .enable, .delete, .restart, .start, .addGadgetSource, .setPrivateNetworkAccess: true
        case .verifyList, .verifyStatus, .verifyHeaders, .verifyServices, .note, .verifyExposedHeaders, .verifyGadgetSourceStatus,
             .verifyGadgetSources, .verifyPrivateNetworkAccess: false
        }
    }

    /// The action whose rendering is exactly `line` (a delete needs its index and origin: see `init(deleteLine:index:origin:)`);
    /// nil for anything cors-audit does not plan. A report read back may have been edited, so only exact renderings pass.
    public init?(commandLine line: String) {
        // Each candidate is rendered and compared: the one rendering decides what reads back.
        let fixed: [RemediationAction] = [.verifyServices, .verifyGadgetSourceStatus, .verifyGadgetSources, .setPrivateNetworkAccess(true),
                                          .setPrivateNetworkAccess(false), .verifyPrivateNetworkAccess]
            + ListKind.allCases.flatMap { [.enable($0), .verifyStatus($0), .verifyList($0), .verifyHeaders($0), .verifyExposedHeaders($0)] }
        var parsed = fixed.first { $0.commandLine == line }
        if parsed == nil, line.hasPrefix(Self.gadgetSourceAddPrefix) {
            parsed = .addGadgetSource(String(line.dropFirst(Self.gadgetSourceAddPrefix.count)))
        } else if parsed == nil, line.hasPrefix(Self.restartPrefix) {
            let name = String(line.dropFirst(Self.restartPrefix.count))
            if CORSServices.isKnown(name) { parsed = .restart(service: name) }
        } else if parsed == nil, line.hasPrefix(Self.startPrefix) {
            let name = String(line.dropFirst(Self.startPrefix.count))
            if CORSServices.isKnown(name) { parsed = .start(service: name) }
        } else if parsed == nil {
            for list in ListKind.allCases {
                let prefix = RemediationAction.add(list, origins: []).commandLine!
                guard line.hasPrefix(prefix) else { continue }
                let origins = line.dropFirst(prefix.count).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                if origins.allSatisfy(OriginAnalysis.isSafeForCommandLine) { parsed = .add(list, origins: origins) }
            }
        }
        guard let parsed, parsed.commandLine == line else { return nil }
        self = parsed
    }

    /// The delete whose command line is `line`; nil when it is not one or the index is not a list position.
    public init?(deleteLine line: String, index: Int, origin: String) {
        guard index > 0, let list = ListKind.allCases.first(where: { RemediationAction.delete($0, index: index, origin: origin).commandLine == line }) else { return nil }
        self = .delete(list, index: index, origin: origin)
    }

    /// Actions from the lines a person types (a finding's `remediation`): a delete command takes the next line
    /// as its index; `origin` is the entry a delete must show. Nil when any line is not one cors-audit plans.
    public static func parse(lines: [String], origin: String?) -> [RemediationAction]? {
        var actions: [RemediationAction] = []
        var i = 0
        while i < lines.count {
            if i + 1 < lines.count, let index = Int(lines[i + 1]), let origin,
               let delete = RemediationAction(deleteLine: lines[i], index: index, origin: origin) {
                actions.append(delete)
                i += 2
                continue
            }
            guard let action = RemediationAction(commandLine: lines[i]) else { return nil }
            actions.append(action)
            i += 1
        }
        return actions
    }
}

extension Array where Element == RemediationAction {
    /// The lines a person types for these actions, in order.
    public var cliLines: [String] { flatMap(\.cliLines) }
}

/// The ordered fix for one node: adds, enables, deletes (highest index first), restarts, verification.
public struct RemediationPlan: Sendable, Equatable {
    public var cluster: String
    public var host: String
    public var steps: [RemediationAction]

    public init(cluster: String, host: String, steps: [RemediationAction]) {
        self.cluster = cluster; self.host = host; self.steps = steps
    }
}

public enum RemediationPlanner {
    /// The actions for one list of one node.
    struct Lines {
        let list: ListKind
        let restart: RestartNeed

        init(list: ListKind, report: NodeReport) {
            self.list = list
            self.restart = CORSServices.restart(for: list, services: report.services, family: report.release)
        }

        init(list: ListKind, restart: RestartNeed) {
            self.list = list
            self.restart = restart
        }

        /// The services to restart, as one phrase for a finding's message.
        var restartPhrase: String {
            switch restart {
            case .services(let names): names.joined(separator: " and ")
            case .lookFor: "the service that serves it (see the runbook)"
            }
        }

        var enable: RemediationAction { .enable(list) }
        var verifyList: RemediationAction { .verifyList(list) }
        var verifyStatus: RemediationAction { .verifyStatus(list) }
        /// The restarts to type, or a note saying what to look for when the service is not settled.
        var restarts: [RemediationAction] {
            switch restart {
            case .services(let names): names.map { .restart(service: $0) }
            case .lookFor(let hint): [.note(hint)]
            }
        }

        func add(_ origins: [String]) -> RemediationAction { .add(list, origins: origins) }

        func delete(index: Int, origin: String) -> [RemediationAction] {
            [.delete(list, index: index, origin: origin)] + restarts + [verifyList]
        }
    }

    /// What switching a Finesse list from enable_all to enabled cuts off, in one line.
    static func enableAllCutOff(_ list: ObservedList) -> String {
        let kept = (list.origins ?? []) + list.expected.filter { !(list.origins ?? []).contains($0) }
        let allowed = kept.isEmpty ? "no origin at all" : "only " + kept.map(Escaping.visible).joined(separator: ", ")
        return "After `utils finesse cors enable`, Finesse allows \(allowed): every other web app, reverse proxy or VPN-less origin is refused until added."
    }

    /// A delete left to the person: the origin is reported, but only `expected.prune` or `--prune` plans its removal.
    public static func pruneSuggestion(list: ListKind, index: Int, origin: String) -> RemediationAction {
        .note("Suggestion, not planned: entry \(index) (\(Escaping.visible(origin))) is not named by the inventory. If nothing outside it uses the origin (another Finesse cluster, a reverse proxy, a web app), remove it with `\(RemediationAction.delete(list, index: index, origin: origin).commandLine!)` at index \(index); `expected.prune: true` or --prune plans it.")
    }

    /// The runbook for a node, from the lists it returned; nil when nothing needs changing.
    public static func plan(for report: NodeReport, cluster: Cluster) -> RemediationPlan? {
        let tolerated = Set(cluster.expected.toleratedOrigins.map(\.description))
        var adds: [RemediationAction] = []
        var enables: [RemediationAction] = []
        var deletes: [RemediationAction] = []
        var restarts: [RemediationAction] = []
        var verify: [RemediationAction] = []
        var notes: [RemediationAction] = []
        var suggestions: [RemediationAction] = []
        for list in report.lists {
            let lines = Lines(list: list.kind, report: report)
            var changed = false
            var statusChanged = false
            if list.kind != .finesse, list.state == .disabled {
                enables.append(lines.enable); changed = true; statusChanged = true
            }
            if list.kind == .finesse, list.state == .enableAll {
                notes.append(.note("Finesse CORS is in enable_all mode (any origin). Check `\(lines.verifyList.commandLine!)` before `\(lines.enable.commandLine!)`: it is left for you to decide."))
                notes.append(.note(enableAllCutOff(list)))
            }
            if let entries = list.origins {
                let expected = list.expected
                var seen: Set<String> = []
                var toDelete: [(Int, String)] = []
                for (offset, entry) in entries.enumerated() {
                    switch OriginAnalysis.analyze(entry) {
                    case .effective:
                        if !seen.insert(entry).inserted {
                            toDelete.append((offset + 1, entry))
                        } else if list.kind != .finesse && !expected.contains(entry) && !tolerated.contains(entry) {
                            // An origin the inventory does not name may still be someone's (another Finesse cluster, a
                            // proxy, a web app): deleted only when the inventory or --prune says so.
                            if cluster.expected.prune { toDelete.append((offset + 1, entry)) } else {
                                suggestions.append(pruneSuggestion(list: list.kind, index: offset + 1, origin: entry))
                            }
                        }
                    case .ineffective:
                        // Can never match a browser's Origin: removing it changes nothing a browser sees.
                        toDelete.append((offset + 1, entry))
                    }
                }
                // A Finesse list in enable_all or disabled mode is not enforced: nothing to add until the mode changes.
                let missing = list.kind == .finesse && list.state != .enabled ? [] : expected.filter { !seen.contains($0) }
                if !missing.isEmpty {
                    adds.append(lines.add(missing)); changed = true
                }
                for (index, origin) in toDelete.sorted(by: { $0.0 > $1.0 }) {
                    deletes.append(.delete(list.kind, index: index, origin: origin)); changed = true
                }
            }
            if changed {
                for r in lines.restarts where !restarts.contains(r) { restarts.append(r) }
                verify.append(lines.verifyList)
                if statusChanged { verify.append(lines.verifyStatus) }
            }
        }
        var steps = adds + enables
        if !deletes.isEmpty {
            steps.append(.note("Delete indices are those observed before any change; the delete prompt shows the list, so check each before typing it."))
            steps += deletes
        }
        steps += restarts + verify + notes + suggestions
        return steps.isEmpty ? nil : RemediationPlan(cluster: report.cluster, host: report.host, steps: steps)
    }
}
