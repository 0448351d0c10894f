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
        out += ["", "Plain CLI lines: \(Escape.codeSpan(plan.host + ".txt")) beside this file."]
        return out.joined(separator: "\n") + "\n"
    }
}
