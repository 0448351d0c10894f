import AuditCore
import History

/// What `cors-audit history` lists: the runs shown (newest first), how many the scope holds, its baseline, and
/// which inventory the scope is (nil: every inventory, or the history's only one).
public struct HistoryList: Sendable {
    public var runs: [RunSummary]
    public var total: Int
    public var baseline: Baseline?
    public var database: String
    public var inventory: String?

    public init(runs: [RunSummary], total: Int, baseline: Baseline?, database: String, inventory: String?) {
        self.runs = runs; self.total = total; self.baseline = baseline; self.database = database; self.inventory = inventory
    }
}

extension HistoryListRenderer {
    /// The run table, then the timeline: per cluster, findings by severity per run, the changes run by run and the open
    /// findings with the run that first saw each. Every recorded string passes `Escaping.terminal`.
    public func text(_ list: HistoryList, timeline: HistoryTimeline) -> String {
        var out = text(runs: list.runs, total: list.total, baseline: list.baseline, database: list.database)
        // Apply's runs are named below the table: the table's columns are fixed.
        for r in list.runs where r.tag != nil {
            out += "Run \(r.id): \(Self.tagText(r))\n"
        }
        guard !list.runs.isEmpty else { return out }
        let t = Escaping.terminal
        out += "\nTimeline, oldest first (runs \(timeline.runs.first!.id)–\(timeline.runs.last!.id))\n"
        for id in timeline.inventoryEdited { out += "Run \(id): the inventory file's content changed since the run before\n" }
        for cluster in timeline.clusters {
            out += "cluster \(t(cluster.name))\n"
            let rows = zip(timeline.runs, cluster.counts).compactMap { run, counts in counts.map { (run, $0) } }
            let idWidth = max(3, rows.map { String($0.0.id).count }.max() ?? 0)
            out += "  " + "RUN".leftPadded(idWidth) + "  STARTED               ERRORS  WARNINGS  INFO\n"
            for (run, c) in rows {
                out += "  " + String(run.id).leftPadded(idWidth) + "  " + t(run.generatedAt).padding(toLength: 20, withPad: " ", startingAt: 0)
                    + "  " + String(c.errors).leftPadded(6) + "  " + String(c.warnings).leftPadded(8) + "  " + String(c.infos).leftPadded(4)
                    + (run.tag.map { "  (\($0.rawValue))" } ?? "") + "\n"
            }
            if cluster.events.isEmpty {
                out += "  No changes between these runs.\n"
            } else {
                out += "  Changes:\n"
                let runWidth = cluster.events.map { String($0.run).count }.max() ?? 0
                let hostWidth = cluster.events.map { t($0.change.host).count }.max() ?? 0
                for e in cluster.events {
                    let (label, text) = DriftRenderer.line(e.change)
                    out += "    run " + String(e.run).padding(toLength: runWidth, withPad: " ", startingAt: 0) + "  "
                        + t(e.change.host).padding(toLength: hostWidth, withPad: " ", startingAt: 0) + "  "
                        + t(label).padding(toLength: 11, withPad: " ", startingAt: 0) + t(text)
                        + (e.change.appliedBy.map { "  (changed by apply run \($0))" } ?? "") + "\n"
                }
            }
            if !cluster.open.isEmpty {
                out += "  Open findings, with the run that first saw each:\n"
                let kindWidth = cluster.open.map(\.finding.kind.rawValue.count).max() ?? 0
                for o in cluster.open {
                    let f = o.finding
                    let place = [f.host ?? "(cluster)", f.list?.rawValue, f.origin].compactMap { $0 }.map(t).joined(separator: " ")
                    out += "    " + f.severity.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                        + f.kind.rawValue.padding(toLength: kindWidth, withPad: " ", startingAt: 0) + "  " + place
                        + "  since run \(o.firstSeen) (\(t(o.firstSeenAt)))\(o.beforeWindow ? " or earlier" : "")\n"
                }
            }
        }
        return out
    }

    static func tagText(_ r: RunSummary) -> String {
        switch r.tag {
        case .applyBefore?: "the audit an apply planned from (apply-before)"
        case .applyAfter?: "an apply's re-audit of the clusters it changed (apply-after)" + (r.planRun.map { ", plans from run \($0)" } ?? "")
        case nil: ""
        }
    }

    /// `cors-audit history --format json` (schema `cors-audit/history/v1`): the run list as before, each run with its
    /// inventory's identity and tag, then `scope` and `timeline`. Keys in a fixed order.
    public func json(_ list: HistoryList, timeline: HistoryTimeline) -> JSONValue {
        guard case .object(var pairs) = json(runs: list.runs, total: list.total, baseline: list.baseline, database: list.database) else {
            return .null
        }
        for i in pairs.indices where pairs[i].0 == "runs" {
            pairs[i].1 = .array(zip(list.runs, Self.items(pairs[i].1)).map { run, value in
                guard case .object(let fields) = value else { return value }
                return .object(fields + [
                    ("inventory_key", .optional(run.inventoryKey)),
                    ("inventory_digest", .optional(run.inventoryDigest)),
                    ("tag", .optional(run.tag?.rawValue)),
                    ("plan_run", run.planRun.map { .int(Int($0)) } ?? .null),
                ])
            })
        }
        pairs.append(("scope", .object([("inventory", .optional(list.inventory))])))
        pairs.append(("timeline", .object([
            ("runs", .array(timeline.runs.map { .int(Int($0.id)) })),
            ("inventory_edited", .array(timeline.inventoryEdited.map { .int(Int($0)) })),
            ("clusters", .array(timeline.clusters.map { c in
                .object([
                    ("name", .string(c.name)),
                    ("findings", .array(zip(timeline.runs, c.counts).compactMap { run, counts in
                        counts.map { .object([("run", .int(Int(run.id))), ("error", .int($0.errors)), ("warning", .int($0.warnings)),
                                              ("info", .int($0.infos))]) }
                    })),
                    ("changes", .array(c.events.map { e in
                        .object([
                            ("run", .int(Int(e.run))),
                            ("previous_run", .int(Int(e.previous))),
                            ("type", .string(e.change.kind.rawValue)),
                            ("host", .string(e.change.host)),
                            ("list", .optional(e.change.list?.rawValue)),
                            ("origin", .optional(e.change.origin)),
                            ("before", .optional(e.change.before)),
                            ("after", .optional(e.change.after)),
                            ("message", .string(e.change.message)),
                            ("applied_by", e.change.appliedBy.map { .int(Int($0)) } ?? .null),
                        ])
                    })),
                    ("open_findings", .array(c.open.map { o in
                        .object([
                            ("kind", .string(o.finding.kind.rawValue)),
                            ("severity", .string(o.finding.severity.rawValue)),
                            ("host", .optional(o.finding.host)),
                            ("list", .optional(o.finding.list?.rawValue)),
                            ("origin", .optional(o.finding.origin)),
                            ("message", .string(o.finding.message)),
                            ("first_seen_run", .int(Int(o.firstSeen))),
                            ("first_seen_at", .string(o.firstSeenAt)),
                            ("first_seen_or_earlier", .bool(o.beforeWindow)),
                        ])
                    })),
                ])
            })),
        ])))
        return .object(pairs)
    }

    private static func items(_ value: JSONValue) -> [JSONValue] {
        if case .array(let items) = value { return items }
        return []
    }
}

fileprivate extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
