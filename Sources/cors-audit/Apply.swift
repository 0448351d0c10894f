import ArgumentParser
import AuditCore
import Collector
import Foundation

/// `cors-audit remediate ... --apply`: confirm per node, carry the runbooks out over SSH, record what
/// was applied, re-audit the clusters of the changed nodes and show findings before and after.
struct ApplyRun {
    var plans: [RemediationPlan]
    /// The findings the plans were made from.
    var before: [Finding]
    var inventory: Inventory
    var yes: Bool
    var restart: Bool
    /// Where the records land (the runbooks' folder).
    var folder: String
    var timeout: Double?
    var concurrency: Int?
    var failOn: Severity = .warning

    /// Refuses early when the per-node confirmation cannot be asked.
    static func requireConfirmationChannel(yes: Bool) throws {
        guard !yes, isatty(STDIN_FILENO) != 1 else { return }
        FileHandle.standardError.write(Data("cors-audit: --apply asks before changing each node and stdin is not a terminal; pass --yes to apply without asking\n".utf8))
        throw ExitCode(64)
    }

    /// Runs the apply; returns the exit code (0 clean after, 1 findings after, 2 incomplete or a node's apply failed).
    func run() async throws -> Int32 {
        // Every plan must name a node the inventory can reach.
        var work: [(plan: RemediationPlan, node: InventoryNode)] = []
        var problems: [String] = []
        for plan in plans {
            guard let (cluster, node) = inventory.nodes.first(where: { $0.node.host == plan.host }) else {
                problems.append("\(plan.host): not in \(inventory.path); cannot reach it to apply its runbook")
                continue
            }
            if cluster.name != plan.cluster {
                problems.append("\(plan.host): planned for cluster \(plan.cluster), but \(inventory.path) puts it in \(cluster.name)")
            } else if !node.audit {
                problems.append("\(plan.host): audit: false in \(inventory.path); apply only changes nodes it audits")
            } else {
                work.append((plan, node))
            }
        }
        if !problems.isEmpty {
            FileHandle.standardError.write(Data(problems.map { "cors-audit: \($0)\n" }.joined().utf8))
            throw ExitCode(64)
        }

        // Confirmation per node.
        var confirmed: [(plan: RemediationPlan, node: InventoryNode)] = []
        var records: [String: NodeApplyRecord] = [:]
        for item in work {
            if yes || confirm(item.plan) {
                confirmed.append(item)
            } else {
                records[item.plan.host] = .declined(item.plan)
            }
        }

        if !confirmed.isEmpty {
            if isatty(STDERR_FILENO) == 1 {
                FileHandle.standardError.write(Data("Applying to \(confirmed.count) node\(confirmed.count == 1 ? "" : "s") ...\n".utf8))
            }
            let applier = Applier(options: .init(restart: restart, runTimeout: timeout.map { .milliseconds(Int($0 * 1000)) },
                                                 concurrency: concurrency, passwords: TerminalPasswords.forInventory(inventory)))
            for record in await applier.apply(confirmed) { records[record.host] = record }
        }
        let ordered = work.map { records[$0.plan.host]! }

        // Re-audit every cluster in which something was typed: asymmetry is judged across the cluster.
        let changedClusters = Set(ordered.filter(\.typedAnything).map(\.cluster))
        var after: AuditReport?
        if !changedClusters.isEmpty {
            var scope = inventory
            scope.clusters = inventory.clusters.filter { changedClusters.contains($0.name) }
            let collected = await collectLive(scope, options: .init(concurrency: concurrency), quiet: false)
            after = Auditor.audit(inventory: scope, observations: collected.observations, generatedAt: Clock.timestamp())
        }

        let summary = ApplySummary(records: ordered, before: before, after: after, restart: restart, failOn: failOn)
        let code = summary.exitCode
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for record in ordered {
            try RunFolder.atomicWrite(ApplySummary.json(record, restart: restart).serialized(), to: "\(folder)/apply-\(record.host).json")
            if let transcript = record.transcript {
                try FileManager.default.createDirectory(atPath: "\(folder)/apply-transcripts", withIntermediateDirectories: true)
                try RunFolder.atomicWrite(Data(transcript), to: "\(folder)/apply-transcripts/\(record.host).txt")
            }
        }
        if let after {
            try RunFolder(path: "\(folder)/after", reportsDir: folder, generatedAt: after.generatedAt)
                .write(after, formats: [.json], failOn: failOn, transcripts: [:])
        }
        try RunFolder.atomicWrite(summary.markdown(), to: "\(folder)/apply.md")
        print(summary.text(), terminator: "")
        print("Records: \(folder)/apply.md, \(folder)/apply-<host>.json" + (after == nil ? "" : ", after-state report \(folder)/after/report.json"))
        return code
    }

    /// Shows the node's steps and asks on the terminal.
    func confirm(_ plan: RemediationPlan) -> Bool {
        var text = "\n\(plan.host) (cluster \(plan.cluster)) — the steps to type:\n"
        for step in plan.steps {
            switch step {
            case .note: continue
            case .command(let line) where line.hasPrefix("utils service restart ") && !restart:
                text += "    \(line)    (skipped: no --restart)\n"
            case .command(let line):
                text += "    \(line)\n"
            case .delete(let command, let index, let origin):
                text += "    \(command)\n      → \(index), only if the list shows \(Escaping.visible(origin)) at \(index)\n"
            }
        }
        text += "Apply to \(plan.host)? [y/N] "
        FileHandle.standardError.write(Data(text.utf8))
        guard let answer = readLine() else { return false }
        let a = answer.trimmingCharacters(in: .whitespaces).lowercased()
        return a == "y" || a == "yes"
    }
}

/// The apply's record, as text, Markdown and JSON.
struct ApplySummary {
    var records: [NodeApplyRecord]
    var before: [Finding]
    var after: AuditReport?
    var restart: Bool
    var failOn: Severity

    /// 2 when a node's apply failed or the re-audit is incomplete; else the after state's verdict (the
    /// before state's when nothing was typed).
    var exitCode: Int32 {
        if records.contains(where: { $0.status == .stopped || $0.status == .notContacted }) { return 2 }
        if let after { return after.verdict(failOn: failOn).exitCode }
        return before.contains { $0.severity >= failOn } ? 1 : 0
    }

    // MARK: Text

    func text() -> String {
        var out = ""
        for r in records {
            out += "\(r.host) (cluster \(r.cluster)): \(Self.statusWord(r.status))" + (r.detail.map { " — \($0)" } ?? "") + "\n"
            for s in r.steps {
                if case .note = s.step { continue }
                let word: String
                switch s.status {
                case .applied: word = "applied"
                case .skipped: word = "skipped"
                case .failed: word = "FAILED "
                case .notRun: word = "not run"
                }
                out += "  \(word)  \(Self.describe(s.step))" + (s.detail.map { "  (\($0))" } ?? "") + "\n"
            }
            if !r.restartsPending.isEmpty {
                out += "  ! configured but not effective until restarted: \(r.restartsPending.joined(separator: "; "))\n"
            }
        }
        out += "\n" + beforeAfter()
        out += "\n" + resultLine() + "\n"
        return out
    }

    static func statusWord(_ s: NodeApplyRecord.Status) -> String {
        switch s {
        case .applied: "APPLIED"
        case .stopped: "STOPPED"
        case .notContacted: "NOT CONTACTED"
        case .declined: "DECLINED"
        }
    }

    static func describe(_ step: RemediationStep) -> String {
        switch step {
        case .command(let line): line
        case .delete(let command, let index, let origin): "\(command) → \(index) (\(Escaping.visible(origin)))"
        case .note(let text): "# " + text
        }
    }

    func resultLine() -> String {
        let pending = records.flatMap(\.restartsPending)
        let code = exitCode
        let word: String
        switch code {
        case 0: word = "CLEAN"
        case 1: word = "DRIFT"
        default: word = "INCOMPLETE"
        }
        var line = "Result after apply: \(word) (exit \(code))"
        let failed = records.filter { $0.status == .stopped || $0.status == .notContacted }.map(\.host)
        if !failed.isEmpty {
            line += ": the apply did not complete on \(failed.joined(separator: ", ")) (see above for exactly what was applied)"
        } else if let after, !after.complete {
            line += ": the re-audit could not read every node"
        }
        if !pending.isEmpty {
            let hosts = records.filter { !$0.restartsPending.isEmpty }.map(\.host)
            line += "; restarts pending on \(hosts.joined(separator: ", ")): the lists are configured, not yet served (rerun with --restart or restart by hand)"
        }
        return line
    }

    /// Findings per node and list, before and after, for the re-audited clusters.
    func beforeAfter() -> String {
        guard let after else { return "Nothing was typed on any node: no re-audit.\n" }
        var rows: [(String, String, String, String)] = [("NODE", "LIST", "BEFORE", "AFTER")]
        for node in after.nodes {
            let state = node.status == .audited || node.status == .skipped ? nil : node.status.rawValue.uppercased()
            let kinds: [ListKind?] = node.lists.map(\.kind) + [nil]
            for kind in kinds {
                let b = before.filter { $0.host == node.host && $0.list == kind }
                let a = after.findings.filter { $0.host == node.host && $0.list == kind }
                if kind == nil && b.isEmpty && a.isEmpty { continue }
                rows.append((node.host, kind?.rawValue ?? "-", Self.cell(b), state ?? Self.cell(a)))
            }
        }
        for cluster in after.clusters {
            let kinds: [ListKind?] = ListKind.allCases.map { Optional($0) } + [nil]
            for kind in kinds {
                let b = before.filter { $0.host == nil && $0.cluster == cluster && $0.list == kind }
                let a = after.findings.filter { $0.host == nil && $0.cluster == cluster && $0.list == kind }
                if b.isEmpty && a.isEmpty { continue }
                rows.append(("cluster \(cluster)", kind?.rawValue ?? "-", Self.cell(b), Self.cell(a)))
            }
        }
        let w0 = rows.map(\.0.count).max()!, w1 = rows.map(\.1.count).max()!, w2 = rows.map(\.2.count).max()!
        var out = "Before / after (re-audited: cluster \(after.clusters.joined(separator: ", ")))\n"
        for r in rows {
            out += "  " + Self.pad(r.0, w0) + "  " + Self.pad(r.1, w1) + "  " + Self.pad(r.2, w2) + "  " + r.3 + "\n"
        }
        for node in after.nodes where !(node.status == .audited || node.status == .skipped) {
            out += "  \(node.host): \(node.status.rawValue) — \(node.detail)\n"
        }
        for f in after.findings {
            out += "  \(Self.symbol(f.severity)) \(f.message)\n"
        }
        return out
    }

    static func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }

    static func symbol(_ s: Severity) -> String {
        switch s {
        case .error: "✗"
        case .warning: "!"
        case .info: "i"
        }
    }

    static func cell(_ findings: [Finding]) -> String {
        guard !findings.isEmpty else { return "ok" }
        var counts: [(FindingKind, Int)] = []
        for f in findings {
            if let i = counts.firstIndex(where: { $0.0 == f.kind }) { counts[i].1 += 1 } else { counts.append((f.kind, 1)) }
        }
        return counts.map { "\(symbol($0.0.severity)) \($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
    }

    // MARK: Markdown

    func markdown() -> String {
        var out = "# cors-audit apply\n\n"
        out += "Restarts: \(restart ? "run (--restart)" : "skipped (no --restart)").\n\n"
        for r in records {
            out += "## \(Self.md(r.host)) (cluster \(Self.md(r.cluster))): \(Self.statusWord(r.status))\n\n"
            if let d = r.detail { out += Self.md(d) + "\n\n" }
            out += "| # | step | result |\n|---|---|---|\n"
            for (i, s) in r.steps.enumerated() {
                let result = s.status.rawValue.replacingOccurrences(of: "_", with: " ") + (s.detail.map { ": " + Self.md($0) } ?? "")
                out += "| \(i + 1) | `\(Self.code(Self.describe(s.step)))` | \(result) |\n"
            }
            if !r.restartsPending.isEmpty {
                out += "\n**Configured, not effective until restarted:** " + r.restartsPending.map { "`\(Self.code($0))`" }.joined(separator: ", ") + "\n"
            }
            out += "\n"
        }
        out += "## Before / after\n\n```\n" + beforeAfter() + "```\n\n" + resultLine() + "\n"
        return out
    }

    static func md(_ s: String) -> String {
        var out = ""
        for c in Escaping.visible(s) {
            if "\\`*_[]<>|#".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    static func code(_ s: String) -> String { Escaping.visible(s).replacingOccurrences(of: "`", with: "'") }

    // MARK: JSON

    static func json(_ r: NodeApplyRecord, restart: Bool) -> JSONValue {
        .object([
            ("schema", .string("cors-audit/apply/v1")),
            ("cluster", .string(r.cluster)),
            ("host", .string(r.host)),
            ("status", .string(r.status.rawValue)),
            ("detail", .optional(r.detail)),
            ("restart", .bool(restart)),
            ("restarts_pending", .strings(r.restartsPending)),
            ("steps", .array(r.steps.map { s in
                var pairs: [(String, JSONValue)]
                switch s.step {
                case .command(let line): pairs = [("type", .string("command")), ("line", .string(line))]
                case .delete(let command, let index, let origin):
                    pairs = [("type", .string("delete")), ("line", .string(command)), ("index", .int(index)), ("origin", .string(origin))]
                case .note(let text): pairs = [("type", .string("note")), ("text", .string(text))]
                }
                pairs += [("status", .string(s.status.rawValue)), ("detail", .optional(s.detail)), ("output", .optional(s.output))]
                return .object(pairs)
            })),
        ])
    }
}
