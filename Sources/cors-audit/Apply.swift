import ArgumentParser
import AuditCore
import Foundation
import History
import Pipeline
import Prober
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
    /// The report the plan came from: its time (the plan's age) and, when it probed, its TLS settings.
    var source: ReportReader.Read? = nil
    /// Read (never created) to count the inventory's runs since the plan's report.
    var planHistory: String? = nil

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
        pipeline.warnings = planAge().map { [$0] } ?? []
        pipeline.warnings.forEach { Terminal.error("warning: " + $0) }
        if let probe = source?.probe {
            pipeline.probed = true
            // Probe again after the change with the same TLS settings; a CA file gone since is said, never guessed round.
            if let ca = probe.caFile, (try? PreflightProber.checkCAFile(ca)) == nil {
                Terminal.error("warning: the plan came from a probe with --ca-file \(Escaping.terminal(ca)), which cannot be read now: the re-audit will not probe")
            } else {
                pipeline.reprobe = .init(options: .init(caFile: probe.caFile, insecure: probe.insecure, concurrency: concurrency))
            }
        }
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
        let asker = TerminalConfirmation(restart: restart)
        let yes = self.yes
        let summary = await pipeline.run(
            work, confirm: { plan in
                if yes { return true }
                return await asker.ask(plan)
            }, passwords: { TerminalPasswords.forInventory(inventory) },
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

    /// How old the plan is: hours since its report, and runs the history recorded since (when it can be read).
    /// A warning when an hour or a run has passed: the nodes may have changed since the plan was made.
    func planAge(now: Date = Date()) -> String? {
        guard let stamp = source?.generatedAt, let made = ISOTime.parse(stamp) else { return nil }
        let hours = now.timeIntervalSince(made) / 3600
        var runs: Int?
        if let history = planHistory, FileManager.default.isReadableFile(atPath: history),
           let store = try? HistoryStore(path: history, create: false),
           let all = try? store.runs(scope: .inventory(key: InventoryIdentity(inventory).key, legacyPaths: [inventory.path])) {
            runs = all.filter { $0.generatedEpoch > made.timeIntervalSince1970 + 0.5 }.count
        }
        guard hours >= 1 || (runs ?? 0) > 0 else { return nil }
        let age = hours < 48 ? String(format: "%.1f hours", hours) : String(format: "%.1f days", hours / 24)
        var text = "the plan is \(age) old (its report was generated \(stamp))"
        if let runs, let history = planHistory { text += "; \(runs) run\(runs == 1 ? "" : "s") of this inventory recorded in \(history) since" }
        return text + ": the nodes may have changed; each delete still checks its index, but re-audit and re-plan if in doubt"
    }
}

/// Asks on the terminal, one node at a time as its turn comes: readLine blocks, so it runs on its own serial queue.
final class TerminalConfirmation: Sendable {
    let restart: Bool
    private let queue = DispatchQueue(label: "cors-audit.confirm")

    init(restart: Bool) { self.restart = restart }

    func ask(_ plan: RemediationPlan) async -> Bool {
        await withCheckedContinuation { done in
            queue.async { done.resume(returning: self.confirm(plan)) }
        }
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

