import Foundation
import CLIParsers

/// Turns an inventory and what was received from its nodes into node reports, findings and runbooks.
///
/// Pure: the same inventory and observations always give the same report.
public enum Auditor {
    /// - Parameter early: nodes already parsed as their sessions ended (`EarlyEvaluation`); each is used only when
    ///   it was parsed from the very observation given here, so the report stays a function of the observations.
    public static func audit(inventory: Inventory, observations: [String: NodeObservation], generatedAt: String,
                             early: [String: EarlyEvaluation.Parsed] = [:]) -> AuditReport {
        var nodes: [NodeReport] = []
        var findings: [Finding] = []
        var plans: [RemediationPlan] = []
        let expectedByCluster = inventory.clusters.map(ExpectedOrigins.required(for:))
        let work = inventory.clusters.enumerated().flatMap { c, cluster in cluster.nodes.map { (c, cluster, $0) } }
        // Parsing is most of the audit's CPU and each node's is independent: spread it over the cores.
        let evaluated = ConcurrentMap.map(work) { c, cluster, node in
            let observation = observations[node.host]
            if let parsed = early[node.host], node.audit, let observation, parsed.report.cluster == cluster.name,
               parsed.observation == observation { return parsed.report }
            return evaluate(node: node, cluster: cluster, expected: expectedByCluster[c], observation: observation)
        }
        var next = 0
        for cluster in inventory.clusters {
            var clusterNodes: [NodeReport] = []
            var clusterFindings: [Finding] = []
            for node in cluster.nodes {
                let report = evaluated[next]
                next += 1
                clusterNodes.append(report)
                let nodeFindings = NodeRules.findings(for: report, node: node, cluster: cluster)
                    + SettingRules.nodeFindings(for: report, cluster: cluster)
                findings += nodeFindings
                clusterFindings += nodeFindings
            }
            // Plans after the whole cluster is read: some settings are fixed by what the node's peers hold.
            for report in clusterNodes {
                let plan = SettingRules.merge(SettingRules.plannedSteps(for: report, cluster: cluster, peers: clusterNodes),
                                              into: RemediationPlanner.plan(for: report, cluster: cluster), cluster: cluster.name, host: report.host)
                if let plan { plans.append(plan) }
            }
            findings += ClusterRules.findings(cluster: cluster, nodes: clusterNodes, nodeFindings: clusterFindings)
                + SettingRules.clusterFindings(cluster: cluster, nodes: clusterNodes)
            nodes += clusterNodes
        }
        findings += MembershipRules.findings(inventory: inventory, nodes: nodes)
        return AuditReport(generatedAt: generatedAt, inventoryPath: inventory.path, clusters: inventory.clusters.map(\.name),
                           nodes: nodes, findings: findings, plans: plans)
    }

    /// The nodes of a probe-only run: CLI not read, so no list findings; preflight results are merged in after.
    public static func probeOnly(inventory: Inventory, generatedAt: String) -> AuditReport {
        let nodes = inventory.clusters.flatMap { cluster in
            let expected = ExpectedOrigins.required(for: cluster)
            return cluster.nodes.map { node in
                var report = evaluate(node: node, cluster: cluster, expected: expected, observation: nil)
                if node.audit {
                    report.status = .probeOnly
                    report.detail = node.product == .finesse ? "not probed (Finesse serves no gadget preflights)" : "CLI not read (cors-audit probe)"
                }
                return report
            }
        }
        return AuditReport(generatedAt: generatedAt, inventoryPath: inventory.path, clusters: inventory.clusters.map(\.name),
                           nodes: nodes, findings: [], plans: [])
    }

    /// Parses what one node returned and decides its status. Findings come later, from parsed data only.
    static func evaluate(node: InventoryNode, cluster: Cluster, expected: [Origin], observation: NodeObservation?) -> NodeReport {
        var report = NodeReport(cluster: cluster.name, host: node.host, product: node.product, role: node.role,
                                status: .audited, detail: "", version: nil,
                                lists: node.lists.map { ObservedList(kind: $0, state: nil, origins: nil,
                                                                     expected: $0 == .finesse ? ExpectedOrigins.finesseRequired(for: cluster).map(\.description)
                                                                         : expected.map(\.description)) },
                                services: nil, unparsed: [], notes: observation?.notes ?? [])
        report.inventoryRelease = node.release
        guard node.audit else {
            report.status = .skipped
            report.detail = "audit: false in the inventory (topology only, not contacted)"
            return report
        }
        guard let observation else {
            report.status = .partial
            report.detail = "nothing was collected from this node"
            return report
        }
        var problems: [(NodeStatus, String)] = []
        if let failure = observation.failure { problems.append((failure.status, failure.detail)) }
        report.newHostKey = observation.failure?.knownHostsLine
        var missing: [String] = []

        /// The output of a command when it completed without a failure marker; records the problem otherwise.
        func output(_ command: VOSCommand) -> String? {
            guard let capture = observation.capture(command) else {
                if observation.failure == nil { missing.append(command.rawValue) }
                return nil
            }
            if let failure = capture.failure {
                problems.append((.commandFailed, "`\(command.rawValue)` did not complete: \(failure)"))
                return nil
            }
            // Failure markers are the parsers' first check (`.failed`), so they are not scanned for twice.
            return capture.output
        }
        func accept<T>(_ outcome: ParseOutcome<T>, _ command: VOSCommand, raw: String) -> T? {
            switch outcome {
            case .parsed(let value): return value
            case .failed(let marker):
                problems.append((.commandFailed, "`\(command.rawValue)` failed: \(marker)"))
            case .unparsed(let reason):
                problems.append((.unparsed, "`\(command.rawValue)` output not understood (\(reason)): \"\(Escaping.excerpt(raw, limit: 200))\""))
                report.unparsed.append(UnparsedOutput(command: command.rawValue, reason: reason, raw: raw))
            }
            return nil
        }

        for index in report.lists.indices {
            let kind = report.lists[index].kind
            let statusCommand = VOSCommand.status(of: kind)
            if let text = output(statusCommand) {
                report.lists[index].state = accept(CorsStatusParser.parse(text), statusCommand, raw: text)
            }
            let listCommand = VOSCommand.list(of: kind)
            if let text = output(listCommand) {
                let parsed = kind == .finesse ? OriginListParser.parseFinesse(text) : OriginListParser.parseNumbered(text)
                report.lists[index].origins = accept(parsed, listCommand, raw: text)?.origins
            }
        }
        for index in report.lists.indices {
            let kind = report.lists[index].kind
            for headers in HeaderListKind.allCases {
                let command = VOSCommand.headers(headers, of: kind)
                guard let text = output(command) else { continue }
                let entries = accept(SettingListParser.parseHeaders(text), command, raw: text)?.origins
                switch headers {
                case .allowed: report.lists[index].allowedHeaders = entries
                case .exposed: report.lists[index].exposedHeaders = entries
                }
            }
        }
        if node.product == .finesse {
            var check = GadgetSourceCheck()
            if let text = output(.gadgetSourceStatus) { check.enabled = accept(SwitchStatusParser.parse(text), .gadgetSourceStatus, raw: text) }
            if let text = output(.gadgetSourceList) { check.sources = accept(SettingListParser.parseGadgetSources(text), .gadgetSourceList, raw: text)?.origins }
            report.gadgetSourceCheck = check
        }
        if let text = output(.version) {
            report.version = accept(VersionParser.parse(text), .version, raw: text)?.active
        }
        if let text = output(.services) {
            report.services = accept(ServiceListParser.parse(text), .services, raw: text)
        }
        // Sent only where the release has it: the version read (else the inventory's release) decides, as it did for
        // the collector. An unknown release is not asked (12.5 lacks the command): said in a note, never guessed.
        for command in node.releaseCommands(report.release) {
            if let text = output(command) { report.privateNetworkAccess = accept(SwitchStatusParser.parse(text), command, raw: text) }
        }
        if node.lists.contains(.cuic), report.release == .unknown, observation.failure == nil {
            report.notes.append("private network access not read: the release is unknown, and 12.5 has no `\(VOSCommand.cuicPrivateNetworkAccess.rawValue)`")
        }
        // Transcripts saved before the membership audit lack it: their lists are still fully audited; the report then has
        // no `membership` for the node (the membership rules need it and say nothing without it).
        if observation.capture(.networkCluster) != nil, let text = output(.networkCluster) {
            report.membership = accept(ClusterMembershipParser.parse(text), .networkCluster, raw: text)
        }
        if !missing.isEmpty {
            problems.append((.partial, "the transcript lacks \(missing.map { "`\($0)`" }.joined(separator: ", "))"))
        }
        if let first = problems.first {
            // The collection failure, when there is one, names the status; otherwise the first problem in command order.
            let order: [NodeStatus] = [.commandFailed, .unparsed, .partial]
            let status = observation.failure?.status ?? order.first { s in problems.contains { $0.0 == s } } ?? first.0
            report.status = status
            report.detail = problems.map(\.1).joined(separator: "; ")
        }
        return report
    }
}

/// Parses each node as its observation arrives (while the other nodes' sessions still run), off the caller's thread;
/// `Auditor.audit` then takes what was parsed instead of parsing again.
public final class EarlyEvaluation: @unchecked Sendable {
    public struct Parsed: Sendable {
        public var observation: NodeObservation
        public var report: NodeReport
    }

    private let targets: [String: (node: InventoryNode, cluster: Cluster, expected: [Origin])]
    private let queue = DispatchQueue(label: "cors-audit.parse", attributes: .concurrent)
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var parsed: [String: Parsed] = [:]

    public init(_ inventory: Inventory) {
        var targets: [String: (node: InventoryNode, cluster: Cluster, expected: [Origin])] = [:]
        for cluster in inventory.clusters {
            let expected = ExpectedOrigins.required(for: cluster)
            for node in cluster.nodes where node.audit { targets[node.host] = (node, cluster, expected) }
        }
        self.targets = targets
    }

    /// Parses the node's observation in the background; an observation of a host the inventory does not audit is ignored.
    public func submit(_ observation: NodeObservation) {
        guard let target = targets[observation.host] else { return }
        queue.async(group: group) { [self] in
            let report = Auditor.evaluate(node: target.node, cluster: target.cluster, expected: target.expected, observation: observation)
            lock.lock()
            parsed[observation.host] = Parsed(observation: observation, report: report)
            lock.unlock()
        }
    }

    /// Everything submitted, once parsed.
    public func finished() async -> [String: Parsed] {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            group.notify(queue: .global()) { continuation.resume() }
        }
        return taken()
    }

    private func taken() -> [String: Parsed] {
        lock.lock(); defer { lock.unlock() }
        return parsed
    }
}

/// `map` over all cores, results in input order.
enum ConcurrentMap {
    static func map<T: Sendable, R>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
        guard items.count > 1 else { return items.map(transform) }
        return [R](unsafeUninitializedCapacity: items.count) { buffer, count in
            // Each index is written exactly once, by one worker: no two workers share an element.
            nonisolated(unsafe) let base = buffer.baseAddress!
            DispatchQueue.concurrentPerform(iterations: items.count) { i in
                (base + i).initialize(to: transform(items[i]))
            }
            count = items.count
        }
    }
}

/// Escapes device text for one-line messages: control characters made visible, length capped.
public enum Escaping {
    /// Device text quoted in a message: backslash and quote escaped, `\n` `\r` `\t` by name, every other
    /// character a reader could not see (``isInvisible``) as `\u{..}`.
    public static func visible(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if isInvisible(scalar) && scalar != " " {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// The one way device-derived text reaches a terminal: every character a terminal would act on (C0
    /// controls, ESC and so every escape sequence, DEL, C1 including a UTF-8 CSI or OSC) and every one that
    /// hides or reorders what is shown (bidi overrides and isolates, zero-width and other format characters,
    /// white space other than the ASCII space) written as `\u{..}`, visibly, never dropped. Backslashes are
    /// left alone: the text may already be escaped for reading (details, messages).
    public static func terminal(_ text: String) -> String {
        // Printable ASCII (the space included) is safe: most text is, and its bytes are checked faster than its scalars.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        guard text.unicodeScalars.contains(where: isUnsafeOnTerminal) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isUnsafeOnTerminal(scalar) { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// The same as ``terminal(_:)`` (its former name).
    public static func controls(_ text: String) -> String { terminal(text) }

    /// What ``terminal(_:)`` escapes: everything ``isInvisible`` but the ASCII space.
    public static func isUnsafeOnTerminal(_ scalar: Unicode.Scalar) -> Bool {
        scalar != " " && isInvisible(scalar)
    }

    /// Characters that show as nothing, as blank, or act on the terminal: C0 and C1 controls, DEL, every
    /// Unicode White_Space character (the ASCII space included), format characters (Cf: zero-width, bidi
    /// controls, the byte-order mark) and the other default-ignorable code points.
    public static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x20 || (0x7F...0x9F).contains(v) { return true }
        if v < 0x7F { return v == 0x20 }
        let p = scalar.properties
        return p.isWhitespace || p.generalCategory == .format || p.isDefaultIgnorableCodePoint
            || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) || (0x200B...0x200F).contains(v)
    }

    /// `\u{00A0}`: a code point as people look it up (upper case, at least four digits).
    public static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "\\u{" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "}"
    }

    /// The first `limit` characters of `text`, escaped, with an ellipsis when cut.
    public static func excerpt(_ text: String, limit: Int) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let cut = trimmed.count > limit
        return visible(cut ? String(trimmed.prefix(limit)) : trimmed) + (cut ? "…" : "")
    }
}
