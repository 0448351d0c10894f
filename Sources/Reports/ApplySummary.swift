import AuditCore

/// The apply's record, as text, Markdown and JSON.
public struct ApplySummary: Sendable {
    public var records: [NodeApplyRecord]
    public var before: [Finding]
    public var after: AuditReport?
    public var restart: Bool
    public var failOn: Severity
    /// The re-audit's id in the history (tagged apply-after), when recorded.
    public var afterRun: Int64? = nil
    /// Why the re-audit could not be recorded, for stderr.
    public var historyWarnings: [String] = []
    /// The plan came from a run that probed: its findings are what browsers were served, which the re-audit's CLI
    /// lists alone cannot confirm.
    public var probed = false
    /// Said before anything else (the plan's age).
    public var warnings: [String] = []

    public init(records: [NodeApplyRecord], before: [Finding], after: AuditReport?, restart: Bool, failOn: Severity) {
        self.records = records; self.before = before; self.after = after; self.restart = restart; self.failOn = failOn
    }

    /// 2 when a node's apply failed or was not run or the re-audit is incomplete; else the after state's verdict
    /// (the before state's when nothing was typed); at least 1 while a restart is pending (browsers still get the old list).
    public var exitCode: Int32 {
        if records.contains(where: \.isIncomplete) { return 2 }
        if let after {
            let code = after.verdict(failOn: failOn).exitCode
            return code == 0 && restartsPending ? 1 : code
        }
        return before.contains { $0.severity >= failOn } ? 1 : 0
    }

    // MARK: Text

    /// For a terminal: every field a node, a file or the inventory wrote passes `Escaping.terminal` (`t`), so
    /// a detail holding backspaces or escape sequences cannot make a failed step look applied.
    public func text() -> String {
        let t = Escaping.terminal
        var out = warnings.map { "! \(t($0))\n" }.joined()
        for r in records {
            out += "\(t(r.host)) (cluster \(t(r.cluster))): \(Self.statusWord(r))" + (r.detail.map { " — \(t($0))" } ?? "") + "\n"
            for s in r.steps {
                if case .note = s.step { continue }
                let word: String
                switch s.status {
                case .applied: word = "applied"
                case .skipped: word = "skipped"
                case .failed: word = "FAILED "
                case .notRun: word = "not run"
                case .unchanged: word = "no change"
                }
                out += "  \(word)  \(t(Self.describe(s.step)))" + (s.detail.map { "  (\(t($0)))" } ?? "") + "\n"
            }
            if !r.restartsPending.isEmpty {
                out += "  ! configured but not effective until restarted: \(t(r.restartsPending.cliLines.joined(separator: "; ")))\n"
            }
        }
        out += "\n" + beforeAfter()
        out += "\n" + resultLine() + "\n"
        return out
    }

    /// A node whose every change the node answered as already configured says so: nothing was changed there.
    static func statusWord(_ r: NodeApplyRecord) -> String {
        r.changedNothing ? "NO CHANGE (already configured)" : statusWord(r.status)
    }

    static func statusWord(_ s: NodeApplyRecord.Status) -> String {
        switch s {
        case .applied: "APPLIED"
        case .stopped: "STOPPED"
        case .notContacted: "NOT CONTACTED"
        case .declined: "DECLINED"
        case .notRun: "NOT RUN"
        }
    }

    static func describe(_ step: RemediationAction) -> String {
        switch step {
        case .delete(_, let index, let origin): "\(step.commandLine!) → \(index) (\(Escaping.visible(origin)))"
        case .note(let text): "# " + text
        default: step.commandLine!
        }
    }

    var restartsPending: Bool { records.contains { !$0.restartsPending.isEmpty } }

    /// The plan came from a probe and the re-audit did not probe again: nothing after the apply shows what browsers get.
    var unconfirmedByProbe: Bool { probed && after != nil && after?.probe == nil }

    func resultLine() -> String {
        let pending = records.flatMap(\.restartsPending)
        let code = exitCode
        let word: String
        switch code {
        case 0: word = "CLEAN"
        // Configured as planned, but the services still serve the old lists: never headed clean.
        case 1 where restartsPending && after.map({ $0.verdict(failOn: failOn) == .clean }) == true: word = "PENDING RESTART"
        case 1: word = "DRIFT"
        default: word = "INCOMPLETE"
        }
        var line = "Result after apply: \(word) (exit \(code))"
        let failed = records.filter { $0.status == .stopped || $0.status == .notContacted }.map(\.host)
        let notRun = records.filter { $0.status == .notRun }.map(\.host)
        if !failed.isEmpty {
            line += ": the apply did not complete on \(Escaping.terminal(failed.joined(separator: ", "))) (see above for exactly what was applied)"
            if !notRun.isEmpty { line += "; not run: \(Escaping.terminal(notRun.joined(separator: ", "))) (their cluster halted)" }
        } else if !notRun.isEmpty {
            line += ": not run: \(Escaping.terminal(notRun.joined(separator: ", ")))"
        } else if let after, !after.complete {
            line += ": the re-audit could not read every node"
        }
        if !pending.isEmpty {
            let hosts = records.filter { !$0.restartsPending.isEmpty }.map(\.host)
            line += "; restarts pending on \(Escaping.terminal(hosts.joined(separator: ", "))): the lists are configured, not yet served (rerun with --restart or restart by hand)"
        }
        let unchanged = records.filter(\.changedNothing).map(\.host)
        if !unchanged.isEmpty {
            line += "; no change on \(Escaping.terminal(unchanged.joined(separator: ", "))) (the node already held every origin added)"
        }
        if unconfirmedByProbe {
            line += "; the plan came from a probe and the re-audit read the CLI lists only: run `cors-audit probe` to see what browsers are served"
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
                rows.append((node.host, kind?.rawValue ?? "-", Self.cell(b), state ?? afterCell(before: b, after: a, hosts: [node.host])))
            }
        }
        for cluster in after.clusters {
            let kinds: [ListKind?] = ListKind.allCases.map { Optional($0) } + [nil]
            for kind in kinds {
                let b = before.filter { $0.host == nil && $0.cluster == cluster && $0.list == kind }
                let a = after.findings.filter { $0.host == nil && $0.cluster == cluster && $0.list == kind }
                if b.isEmpty && a.isEmpty { continue }
                let hosts = after.nodes.filter { $0.cluster == cluster }.map(\.host)
                rows.append(("cluster \(cluster)", kind?.rawValue ?? "-", Self.cell(b), afterCell(before: b, after: a, hosts: hosts)))
            }
        }
        let w1 = rows.map(\.1.count).max()!, w2 = rows.map(\.2.count).max()!
        var out = "Before / after (re-audited: cluster \(Escaping.terminal(after.clusters.joined(separator: ", "))))\n"
        // Widths after escaping, so the columns stay aligned.
        rows = rows.map { (Escaping.terminal($0.0), $0.1, $0.2, $0.3) }
        let w0 = rows.map(\.0.count).max()!
        for r in rows {
            out += "  " + Self.pad(r.0, w0) + "  " + Self.pad(r.1, w1) + "  " + Self.pad(r.2, w2) + "  " + r.3 + "\n"
        }
        for node in after.nodes where !(node.status == .audited || node.status == .skipped) {
            out += "  \(Escaping.terminal(node.host)): \(node.status.rawValue) — \(Escaping.terminal(node.detail))\n"
        }
        for f in after.findings {
            out += "  \(Self.symbol(f.severity)) \(Escaping.terminal(f.message))\n"
        }
        return out
    }

    /// The AFTER cell: never "ok" for a list that had findings while a restart of `hosts` is pending (the node serves
    /// its old list), nor for a probe's finding that no probe after the apply confirmed.
    func afterCell(before b: [Finding], after a: [Finding], hosts: [String]) -> String {
        guard a.isEmpty, !b.isEmpty else { return Self.cell(a) }
        if records.contains(where: { hosts.contains($0.host) && !$0.restartsPending.isEmpty }) { return "configured, restart pending" }
        if unconfirmedByProbe && b.contains(where: { Self.probeKinds.contains($0.kind) }) { return "configured, not re-probed" }
        return "ok"
    }

    static let probeKinds: Set<FindingKind> = [.preflightRejected, .preflightUnexpectedAllow, .endpointNotServing, .preflightResponseHeaders]

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
        var counts: [(FindingKind, Int, Severity)] = []
        for f in findings {
            if let i = counts.firstIndex(where: { $0.0 == f.kind }) { counts[i].1 += 1; counts[i].2 = max(counts[i].2, f.severity) } else { counts.append((f.kind, 1, f.severity)) }
        }
        return counts.map { "\(symbol($0.2)) \($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
    }

    // MARK: Markdown

    public func markdown() -> String {
        var out = "# cors-audit apply\n\n"
        out += warnings.map { "> **Warning:** \(Self.md($0))\n\n" }.joined()
        out += "Restarts: \(restart ? "run (--restart)" : "skipped (no --restart)").\n\n"
        for r in records {
            out += "## \(Self.md(r.host)) (cluster \(Self.md(r.cluster))): \(Self.md(Self.statusWord(r)))\n\n"
            if let d = r.detail { out += Self.md(d) + "\n\n" }
            out += "| # | step | result |\n|---|---|---|\n"
            for (i, s) in r.steps.enumerated() {
                let result = s.status.rawValue.replacingOccurrences(of: "_", with: " ") + (s.detail.map { ": " + Self.md($0) } ?? "")
                out += "| \(i + 1) | `\(Self.code(Self.describe(s.step)))` | \(result) |\n"
            }
            if !r.restartsPending.isEmpty {
                out += "\n**Configured, not effective until restarted:** " + r.restartsPending.cliLines.map { "`\(Self.code($0))`" }.joined(separator: ", ") + "\n"
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

    public static func json(_ r: NodeApplyRecord, restart: Bool) -> JSONValue {
        .object([
            ("schema", .string("cors-audit/apply/v1")),
            ("cluster", .string(r.cluster)),
            ("host", .string(r.host)),
            ("status", .string(r.status.rawValue)),
            ("detail", .optional(r.detail)),
            ("restart", .bool(restart)),
            ("restarts_pending", .strings(r.restartsPending.cliLines)),
            // Every change the node answered as already configured: nothing changed there.
            ("no_change", .bool(r.changedNothing)),
            ("steps", .array(r.steps.map { s in
                guard case .object(var pairs) = s.step.json else { return s.step.json }
                pairs += [("status", .string(s.status.rawValue)), ("detail", .optional(s.detail)), ("output", .optional(s.output))]
                return .object(pairs)
            })),
        ])
    }
}
