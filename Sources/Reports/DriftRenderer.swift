import AuditCore
import History

/// What changed between two recorded runs, for a terminal or a cron mail (text) and for machines (JSON).
public struct DriftRenderer: Sendable {
    public init() {}

    static func againstText(_ against: DriftReport.Against) -> String {
        switch against {
        case .previous: "the previous run"
        case .since(let d): "the latest run before \(d)"
        case .baseline(let at): "the baseline approved \(at)"
        case .runs: "as asked"
        }
    }

    /// The report for a terminal or a cron mail, grouped by cluster and node. Every recorded string (origins,
    /// versions and states as nodes printed them, names, paths) passes `Escaping.terminal` (`t`).
    public func text(_ drift: DriftReport) -> String {
        let t = Escaping.terminal
        let (from, to, changes, exitCode) = (drift.from, drift.to, drift.changes, drift.exitCode)
        var out = "Drift: run \(to.id) (\(t(to.generatedAt))) against run \(from.id) (\(t(from.generatedAt))), \(t(Self.againstText(drift.against)))\n"
        if from.inventory != to.inventory {
            out += "Note: the runs audited different inventory files (\(t(from.inventory)), then \(t(to.inventory)))\n"
        }
        if changes.isEmpty {
            out += from.id == to.id ? "The latest run is the run compared with.\n"
                                    : "Nothing changed: every node, list, origin, status and version is as in run \(from.id).\n"
        }
        var clusters: [String] = []
        for c in changes where !clusters.contains(c.cluster) { clusters.append(c.cluster) }
        for cluster in clusters {
            let inCluster = changes.filter { $0.cluster == cluster }
            out += "cluster \(t(cluster)) — \(Self.count(inCluster.count, "change"))\n"
            var hosts: [String] = []
            for c in inCluster where !hosts.contains(c.host) { hosts.append(c.host) }
            for host in hosts {
                out += "  \(t(host))\n"
                for c in inCluster where c.host == host {
                    let (label, text) = Self.line(c)
                    let by = c.appliedBy.map { "  (changed by apply run \($0))" } ?? ""
                    out += "    " + t(label).padding(toLength: 11, withPad: " ", startingAt: 0) + t(text) + by + "\n"
                }
            }
        }
        if !to.complete {
            out += "The latest run is incomplete: \(Self.count(to.incomplete, "node")) not fully audited; what they hold now is unknown.\n"
        }
        switch exitCode {
        case 0: out += "Result: NO DRIFT (exit 0)\n"
        case 1:
            let applied = drift.appliedCount
            out += "Result: DRIFT, \(Self.count(changes.count, "change"))"
                + (applied == 0 ? "" : ", \(applied == changes.count ? "all" : "\(applied)") made by cors-audit's apply") + " (exit 1)\n"
        default: out += "Result: INCOMPLETE, \(Self.count(changes.count, "change")) (exit 2)\n"
        }
        return out
    }

    private static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    /// The report as JSON (schema `cors-audit/drift/v1`), keys in a fixed order.
    public func json(_ drift: DriftReport) -> JSONValue {
        let (from, to, changes, exitCode, against) = (drift.from, drift.to, drift.changes, drift.exitCode, drift.against)
        func run(_ r: RunSummary) -> JSONValue {
            .object([
                ("id", .int(Int(r.id))),
                ("generated_at", .string(r.generatedAt)),
                ("inventory", .string(r.inventory)),
                ("verdict", .string(r.verdict.rawValue)),
                ("complete", .bool(r.complete)),
                ("nodes", .int(r.nodes)),
                ("audited", .int(r.audited)),
            ])
        }
        let againstJSON: JSONValue = switch against {
        case .previous: .object([("type", .string("previous"))])
        case .since(let d): .object([("type", .string("since")), ("date", .string(d))])
        case .baseline(let at): .object([("type", .string("baseline")), ("approved_at", .string(at))])
        case .runs: .object([("type", .string("runs"))])
        }
        return .object([
            ("schema", .string(DriftReport.schema)),
            ("result", .string(drift.result)),
            ("exit_code", .int(Int(exitCode))),
            ("against", againstJSON),
            ("from", run(from)),
            ("to", run(to)),
            ("changes", .array(changes.map { c in
                .object([
                    ("type", .string(c.kind.rawValue)),
                    ("cluster", .string(c.cluster)),
                    ("host", .string(c.host)),
                    ("list", .optional(c.list?.rawValue)),
                    ("origin", .optional(c.origin)),
                    ("before", .optional(c.before)),
                    ("after", .optional(c.after)),
                    ("message", .string(c.message)),
                    ("applied_by", c.appliedBy.map { .int(Int($0)) } ?? .null),
                ])
            })),
        ])
    }

    /// The change without the node's name, as a label column and a text, for the text report's per-node lines.
    static func line(_ c: DriftChange) -> (label: String, text: String) {
        let (before, after, list, origin, kind) = (c.before, c.after, c.list, c.origin, c.kind)
        let b = before ?? "unknown", a = after ?? "unknown", l = list?.rawValue ?? ""
        switch kind {
        case .nodeAdded: return ("inventory", "added (\(a))")
        case .nodeRemoved: return ("inventory", "removed (was \(b))")
        case .statusChanged: return ("status", "\(b) → \(a): \(DriftChange.statusPhrase(before: before, after: after))")
        case .versionChanged: return ("version", "\(b) → \(a)")
        case .listAdded: return (l, "list now held (CORS \(a))")
        case .listRemoved: return (l, "list no longer held")
        case .stateChanged: return (l, "CORS \(b) → \(a)")
        case .originAdded: return (l, "+ \(origin ?? "")")
        case .originRemoved: return (l, "- \(origin ?? "")")
        case .listNotRead: return (l, "not read this run: origins unknown")
        }
    }
}
