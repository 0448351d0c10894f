import AuditCore

/// A node's runbook for people: why each step, in order, with the delete prompts spelled out.
public struct RunbookRenderer: Sendable {
    public init() {}

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
            case .command(let line):
                n += 1
                out.append("\(n). `\(line.fenceSafe)`")
            case .delete(let command, let index, let origin):
                n += 1
                out.append("\(n). `\(command)`, then at `Select the index of origin to be deleted` check that entry \(index) is `\(origin.fenceSafe)` and type `\(index)`")
            case .note(let note):
                out.append("   > \(Escape.markdown(note))")
            }
        }
        out += ["", "Plain CLI lines: `\(plan.host).txt` beside this file."]
        return out.joined(separator: "\n") + "\n"
    }
}
