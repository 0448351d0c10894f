import CLIParsers

/// One step of a node's runbook.
public enum RemediationStep: Sendable, Equatable {
    /// A line to type at the `admin:` prompt.
    case command(String)
    /// An interactive delete: run `command`, then at the index prompt type `index`, which must show `origin`.
    case delete(command: String, index: Int, origin: String)
    /// A note for the person; never typed.
    case note(String)
}

/// The ordered fix for one node: adds, enables, deletes (highest index first), restarts, verification.
public struct RemediationPlan: Sendable, Equatable {
    public var cluster: String
    public var host: String
    public var steps: [RemediationStep]

    public init(cluster: String, host: String, steps: [RemediationStep]) {
        self.cluster = cluster; self.host = host; self.steps = steps
    }

    /// The plan as CLI lines: commands and index answers; notes as `#` lines, which are not to be typed.
    public var text: String {
        var lines = ["# \(host) (cluster \(cluster)): run at the node's admin: prompt, in this order.",
                     "# Lines starting with # are notes, not commands."]
        for step in steps {
            switch step {
            case .command(let c): lines.append(c)
            case .delete(let command, let index, let origin):
                lines.append(command)
                lines.append("# at the index prompt, check that entry \(index) is \(Escaping.visible(origin)), then type:")
                lines.append(String(index))
            case .note(let n): lines.append("# " + n)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

public enum RemediationPlanner {
    /// The CLI lines for one list of one node.
    struct Lines {
        let list: ListKind
        let restartServices: [String]

        init(list: ListKind, report: NodeReport) {
            self.list = list
            self.restartServices = CORSServices.restart(for: list, services: report.services, version: report.version)
        }

        init(list: ListKind, restartServices: [String]) {
            self.list = list
            self.restartServices = restartServices
        }

        var family: String { "utils \(list.cliFamily) cors" }
        var enable: String { "\(family) enable" }
        var verifyList: String { "\(family) allowed_origin list" }
        var verifyStatus: String { "\(family) status" }
        var deleteCommand: String { "\(family) allowed_origin delete" }
        var restarts: [String] { restartServices.map { "utils service restart \($0)" } }

        /// `add o1,o2` with only grammar-valid origins: nothing else may reach a device's command line.
        func add(_ origins: [String]) -> String {
            "\(family) allowed_origin add " + origins.filter(OriginAnalysis.isSafeForCommandLine).joined(separator: ",")
        }

        func delete(index: Int, origin: String) -> [String] {
            [deleteCommand, String(index)] + restarts + [verifyList]
        }
    }

    /// The runbook for a node, from the lists it returned; nil when nothing needs changing.
    public static func plan(for report: NodeReport, cluster: Cluster) -> RemediationPlan? {
        let tolerated = Set(cluster.expected.toleratedOrigins.map(\.description))
        var adds: [RemediationStep] = []
        var enables: [RemediationStep] = []
        var deletes: [RemediationStep] = []
        var restarts: [String] = []
        var verify: [RemediationStep] = []
        var notes: [RemediationStep] = []
        for list in report.lists {
            let lines = Lines(list: list.kind, report: report)
            var changed = false
            var statusChanged = false
            if list.kind != .finesse, list.state == .disabled {
                enables.append(.command(lines.enable)); changed = true; statusChanged = true
            }
            if list.kind == .finesse, list.state == .enableAll {
                notes.append(.note("Finesse CORS is in enable_all mode (any origin). Check `\(lines.verifyList)` before `\(lines.enable)`: it is left for you to decide."))
            }
            if let entries = list.origins {
                let expected = list.expected
                var seen: Set<String> = []
                var toDelete: [(Int, String)] = []
                for (offset, entry) in entries.enumerated() {
                    switch OriginAnalysis.analyze(entry) {
                    case .effective:
                        if !seen.insert(entry).inserted || (list.kind != .finesse && !expected.contains(entry) && !tolerated.contains(entry)) {
                            toDelete.append((offset + 1, entry))
                        }
                    case .ineffective:
                        toDelete.append((offset + 1, entry))
                    }
                }
                let missing = expected.filter { !seen.contains($0) }
                if !missing.isEmpty {
                    adds.append(.command(lines.add(missing))); changed = true
                }
                for (index, origin) in toDelete.sorted(by: { $0.0 > $1.0 }) {
                    deletes.append(.delete(command: lines.deleteCommand, index: index, origin: origin)); changed = true
                }
            }
            if changed {
                for r in lines.restarts where !restarts.contains(r) { restarts.append(r) }
                verify.append(.command(lines.verifyList))
                if statusChanged { verify.append(.command(lines.verifyStatus)) }
            }
        }
        var steps = adds + enables
        if !deletes.isEmpty {
            steps.append(.note("Delete indices are those observed before any change; the delete prompt shows the list, so check each before typing it."))
            steps += deletes
        }
        steps += restarts.map { .command($0) } + verify + notes
        return steps.isEmpty ? nil : RemediationPlan(cluster: report.cluster, host: report.host, steps: steps)
    }
}
