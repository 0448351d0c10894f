import ArgumentParser
import AuditCore
import Foundation
import Pipeline
import Reports

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
    var parallelClusters = 1
    /// Where the re-audit is recorded (tagged apply-after); nil: not recorded.
    var history: String? = nil
    /// The recorded run the plans came from, when known.
    var planRun: Int64? = nil

    /// Refuses early when the per-node confirmation cannot be asked.
    static func requireConfirmationChannel(yes: Bool) throws {
        guard !yes, !Terminal.stdinIsTerminal else { return }
        Terminal.error("--apply asks before changing each node and stdin is not a terminal; pass --yes to apply without asking")
        throw ExitCode(64)
    }

    /// Runs the apply; returns the exit code (0 clean after, 1 findings after, 2 incomplete or a node's apply failed).
    func run() async throws -> Int32 {
        var pipeline = ApplyPipeline(plans: plans, before: before, inventory: inventory, restart: restart,
                                     timeout: timeout, concurrency: concurrency)
        pipeline.parallelClusters = parallelClusters
        pipeline.history = history
        pipeline.planRun = planRun
        let work: [ApplyPipeline.Work]
        switch pipeline.match() {
        case .success(let matched): work = matched
        case .failure(let failure):
            // Every plan must name a node the inventory can reach.
            failure.problems.forEach(Terminal.error)
            throw ExitCode(64)
        }
        // The order comes before the first confirmation, so the person knows what waits on what.
        print(pipeline.orderText(work), terminator: "")
        let summary = await pipeline.run(
            work, confirm: { yes || confirm($0) }, passwords: { TerminalPasswords.forInventory(inventory) },
            starting: { count in
                if Terminal.stderrIsTerminal { Terminal.write("Applying to \(count) node\(count == 1 ? "" : "s") ...\n") }
            },
            nodeDone: { record in
                if Terminal.stderrIsTerminal { Terminal.write("  \(record.host) (cluster \(record.cluster)): \(record.status.rawValue)\n") }
            },
            reauditSource: { liveSource($0, options: .init(concurrency: concurrency), quiet: false) })
        try pipeline.writeRecords(summary, to: folder)
        summary.historyWarnings.forEach(Terminal.error)
        print(summary.text(), terminator: "")
        let folder = Escaping.terminal(self.folder)
        print("Records: \(folder)/apply.md, \(folder)/apply-<host>.json" + (summary.after == nil ? "" : ", after-state report \(folder)/after/report.json"))
        return summary.exitCode
    }

    /// Shows the node's steps and asks on the terminal (names and service names through `Escaping.terminal`).
    func confirm(_ plan: RemediationPlan) -> Bool {
        let t = Escaping.terminal
        var text = "\n\(t(plan.host)) (cluster \(t(plan.cluster))) — the steps to type:\n"
        for step in plan.steps {
            guard let line = step.commandLine.map(t) else { continue }
            switch step {
            case .restart where !restart:
                text += "    \(line)    (skipped: no --restart)\n"
            case .delete(_, let index, let origin):
                text += "    \(line)\n      → \(index), only if the list shows \(Escaping.visible(origin)) at \(index)\n"
            default:
                text += "    \(line)\n"
            }
        }
        if restart && plan.steps.contains(where: \.isRestart) && !plan.steps.contains(.verifyServices) {
            text += "    \(RemediationAction.verifyServices.commandLine!)    (the restarted services must show STARTED before the next node)\n"
        }
        text += "Apply to \(t(plan.host))? [y/N] "
        Terminal.write(text)
        guard let answer = readLine() else { return false }
        let a = answer.trimmingCharacters(in: .whitespaces).lowercased()
        return a == "y" || a == "yes"
    }
}

