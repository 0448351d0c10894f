import AuditCore

/// A node's runbook for people: why each step, in order, with the delete prompts spelled out.
public struct RunbookRenderer: Sendable {
    public init() {}

    /// The plan as CLI lines: commands and index answers; notes as `#` lines, which are not to be typed.
    public func text(_ plan: RemediationPlan) -> String {
        let (host, cluster, steps) = (plan.host, plan.cluster, plan.steps)
        var lines = ["# \(host) (cluster \(cluster)): run at the node's admin: prompt, in this order.",
                     "# Lines starting with # are notes, not commands."]
        for step in steps {
            switch step {
            case .delete(_, let index, let origin):
                lines.append(step.commandLine!)
                lines.append("# at the index prompt, check that entry \(index) is \(Escaping.visible(origin)), then type:")
                lines.append(String(index))
            case .note(let n): lines.append("# " + n)
            default: lines += step.cliLines
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func markdown(_ plan: RemediationPlan, findings: [Finding]) -> String {
        var out = ["# Runbook: \(Escape.markdown(plan.host)) (cluster \(Escape.markdown(plan.cluster)))", "",
                   "Run each step at the node's `admin:` prompt, in this order."]
        let mine = findings.filter { $0.host == plan.host }
        if !mine.isEmpty {
            out += ["", "## Why", ""]
            out += mine.map { "- `\($0.kind.rawValue)`: \(Escape.markdown($0.message))" }
        }
        out += ["", "## Steps", ""]
        var n = 0
        for step in plan.steps {
            switch step {
            case .delete(_, let index, let origin):
                n += 1
                out.append("\(n). \(Escape.codeSpan(step.commandLine!)), then at `Select the index of origin to be deleted` check that entry \(index) is \(Escape.codeSpan(origin)) and type `\(index)`")
            case .note(let note):
                out.append("   > \(Escape.markdown(note))")
            default:
                n += 1
                out.append("\(n). \(Escape.codeSpan(step.commandLine!))")
            }
        }
        out += backOut(plan)
        out += serviceImpact(plan)
        out += ["", "Plain CLI lines: \(Escape.codeSpan(plan.host + ".txt")) beside this file."]
        return out.joined(separator: "\n") + "\n"
    }

    /// How to undo each change, newest first: an added origin is deleted through the menu (its index read from the
    /// menu at that time, never from this runbook), a deleted one added back exactly; then the same restarts.
    func backOut(_ plan: RemediationPlan) -> [String] {
        var steps: [String] = []
        for step in plan.steps.reversed() {
            switch step {
            case .add(let list, let origins):
                for origin in origins.reversed() where OriginAnalysis.isSafeForCommandLine(origin) {
                    steps.append("\(Escape.codeSpan(RemediationAction.delete(list, index: 0, origin: origin).commandLine!)), then read the menu it prints and type the index that shows \(Escape.codeSpan(origin)) **at that time** (indices shift with every change; none is given here)")
                }
            case .delete(let list, _, let origin):
                if OriginAnalysis.isSafeForCommandLine(origin) {
                    steps.append(Escape.codeSpan(RemediationAction.add(list, origins: [origin]).commandLine!) + " (the exact entry deleted)")
                } else {
                    steps.append("the deleted entry \(Escape.codeSpan(Escaping.visible(origin))) is not an origin `allowed_origin add` accepts: it cannot be added back")
                }
            case .enable(let list):
                steps.append("\(list.displayName) CORS was enabled: no disable command is given here (none is in the sources cors-audit relies on; see docs/releases.md)")
            default: continue
            }
        }
        guard !steps.isEmpty else { return [] }
        var out = ["", "## Back-out", "", "If the change must be undone, at the same prompt, in this order:", ""]
        out += steps.enumerated().map { "\($0.offset + 1). \($0.element)" }
        let restarts = plan.steps.filter(\.isRestart)
        if !restarts.isEmpty {
            out.append("\(steps.count + 1). the same restarts as above (" + restarts.map { Escape.codeSpan($0.commandLine!) }.joined(separator: ", ") + "): a back-out is not served until then either")
        }
        return out
    }

    /// What each restart of the plan interrupts, from ``ServiceImpact`` (each with its source or marked assumed).
    func serviceImpact(_ plan: RemediationPlan) -> [String] {
        let notes = plan.steps.compactMap { step -> String? in
            guard case .restart(let service) = step, let impact = ServiceImpact.impact(of: service) else { return nil }
            return "- \(Escape.codeSpan(service)): \(Escape.markdown(impact.text))" + (impact.source.isAssumed ? " (**assumed**: no public text states it)" : "")
        }
        guard !notes.isEmpty else { return [] }
        return ["", "## Service impact", "", "Restart in a quiet hour, one node of a cluster at a time:", ""] + notes
    }
}
