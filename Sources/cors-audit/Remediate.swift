import ArgumentParser
import AuditCore
import Foundation
import History
import Pipeline
import Reports

struct Remediate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one runbook per node (Markdown for people, .txt of CLI lines) from a report or a fresh audit.")

    @Option(name: .long, help: "A report.json written by `cors-audit audit`.")
    var from: String?

    @Option(name: .long, help: "Audit this inventory first (offline with --transcripts), then plan.")
    var inventory: String?

    @Option(name: .long, help: "With --inventory: audit from DIR/<host>.txt transcripts.")
    var transcripts: String?

    @Option(name: .long, help: "Folder for the runbooks (default: remediation/ beside the report, or the run folder).")
    var output: String?

    @Flag(name: .long, help: "Carry each node's runbook out over SSH (the inventory says how to reach the nodes; with --from, the report's inventory unless --inventory is given), then re-audit the changed clusters.")
    var apply = false

    @Flag(name: .long, help: "With --apply: do not ask before each node.")
    var yes = false

    @Flag(name: .long, help: "With --apply: also run the service restarts that make the changes effective.")
    var restart = false

    @Option(name: .long, help: "With --apply: time limit for the whole apply, in seconds.")
    var timeout: Double?

    @Option(name: .long, help: "With --apply: clusters applied side by side (default 1); within a cluster always one node at a time.")
    var parallelClusters: Int?

    @Option(name: .long, help: "With --apply: record the audit planned from (tagged apply-before) and the re-audit (apply-after) in this history database; with --from, it is also read to count the runs since the report.")
    var history: String = "reports/history.sqlite"

    @Flag(name: .customLong("no-history"), help: "With --apply: record nothing in the history database.")
    var noHistory = false

    @OptionGroup var planning: PlanningOptions

    @OptionGroup var scoping: ScopeOptions

    func validate() throws {
        if apply {
            if inventory == nil && from == nil { throw ValidationError("--apply needs --inventory FILE or --from REPORT.json (whose inventory is then used)") }
            try checkTimeout(timeout)
            if let parallelClusters, parallelClusters < 1 { throw ValidationError("--parallel-clusters must be a positive integer") }
        } else {
            if (from == nil) == (inventory == nil) { throw ValidationError("give either --from REPORT.json or --inventory FILE") }
            if scoping.label != nil && from != nil { throw ValidationError("--cluster, --host and --exclude go with --apply or a fresh audit (--inventory), not with --from alone") }
            if yes || restart || timeout != nil || parallelClusters != nil {
                throw ValidationError("--yes, --restart, --timeout and --parallel-clusters go with --apply")
            }
        }
    }

    func run() async throws {
        if apply { try ApplyRun.requireConfirmationChannel(yes: yes) }
        var plans: [RemediationPlan]
        let findings: [Finding]
        var folder = output
        var beforeCode: Int32 = 0
        // With --apply, the run the plans came from: the audit recorded here, or the --from report's recorded run.
        var planRun: Int64?
        let record = apply && !noHistory
        var fromReport: ReportReader.Read?
        var inventoryPath = self.inventory
        // The inventory file once read, so the apply below does not read it again.
        var loadedInventory: Inventory?
        if let from {
            let read = try ReportReader.read(path: from)
            fromReport = read
            plans = read.plans
            findings = read.findings
            if apply { (inventoryPath, loadedInventory) = try Self.inventoryForApply(report: read, from: from, given: self.inventory) }
            if record, let path = inventoryPath { planRun = recordedRun(of: from, inventory: path) }
            if folder == nil { folder = ((from as NSString).deletingLastPathComponent as NSString).appendingPathComponent("remediation") }
        } else if let path = self.inventory {
            let loaded = try loadInventory(path)
            loadedInventory = loaded
            let inventory = try scoping.applied(to: planning.applied(to: loaded))
            let source: any ObservationSource
            if let transcripts {
                source = TranscriptFolderSource(path: transcripts)
            } else if apply {
                source = liveSource(inventory, options: .init(), quiet: false)
            } else {
                throw ValidationError("live planning needs `cors-audit audit` first; pass --transcripts DIR or use --from REPORT.json")
            }
            // Apply's audit is recorded (tagged apply-before), so the re-audit can name it and drift can explain both. Drift
            // takes an apply-before run for a whole one, so a scoped audit is not recorded (as `audit` does).
            let recordBefore = record && scoping.label == nil
            if record && !recordBefore {
                Terminal.error("warning: a scoped run (\(scoping.label!)) is not recorded in the history \(history); the re-audit is, tagged apply-after")
            }
            var pipeline = AuditPipeline(source: source, history: recordBefore ? .init(path: history, recordFailOn: .warning, readFormerEntries: false,
                                                                                       labels: RunLabels(tag: .applyBefore)) : nil)
            pipeline.inventoryDigest = InventoryIdentity.digest(loaded)
            let result = await pipeline.run(inventory)
            result.warnings.forEach(Terminal.error)
            planRun = result.recordedRun
            let report = result.report
            plans = report.plans
            findings = report.findings
            beforeCode = report.verdict().exitCode
            if folder == nil { folder = "reports/remediation" }
        } else {
            return
        }
        guard let folder else { return }
        var scoped: Inventory?
        if apply, let path = inventoryPath {
            let inventory = try scoping.applied(to: try loadedInventory ?? loadInventory(path))
            scoped = inventory
            if scoping.label != nil {
                // Only the plans of nodes in the scope are applied; the others are named, never typed.
                let inScope = Set(inventory.nodes.filter(\.node.audit).map { $0.node.host.lowercased() })
                let outside = plans.filter { !inScope.contains($0.host.lowercased()) }.map(\.host)
                if !outside.isEmpty {
                    print("Outside the scope (\(Escaping.terminal(scoping.label!))), not applied: \(Escaping.terminal(outside.joined(separator: ", ")))")
                }
                plans = plans.filter { inScope.contains($0.host.lowercased()) }
            }
        }
        if plans.isEmpty {
            print("Nothing to fix: no node needs a change.")
            if apply { throw ExitCode(beforeCode) }
            return
        }
        try RunFolder.makeDirectory(folder)
        for plan in plans {
            try RunFolder.atomicWrite(RunbookRenderer().text(plan), to: "\(folder)/\(plan.host).txt")
            try RunFolder.atomicWrite(RunbookRenderer().markdown(plan, findings: findings), to: "\(folder)/\(plan.host).md")
            print("\(Escaping.terminal(folder))/\(Escaping.terminal(plan.host)).md  (\(plan.steps.filter { $0.commandLine != nil }.count) steps)")
        }
        if apply, let inventory = scoped {
            let code = try await ApplyRun(plans: plans, before: findings, inventory: inventory, yes: yes,
                                          restart: restart, folder: folder, timeout: timeout, concurrency: nil,
                                          parallelClusters: parallelClusters ?? 1, history: record ? history : nil, planRun: planRun,
                                          source: fromReport, planHistory: history).run()
            throw ExitCode(code)
        }
    }

    /// The inventory an apply from `--from` reaches the nodes with: the one given, else the one the report names. Its
    /// content is checked against the report's `inventory_digest`: the report's own inventory, changed since, is refused
    /// (exit 64: the plan may not fit it); a given one that differs is said, then used as asked.
    /// Returns its path, and the inventory when it was read for the check.
    static func inventoryForApply(report: ReportReader.Read, from: String, given: String?) throws -> (String, Inventory?) {
        guard let path = given ?? report.inventoryPath, FileManager.default.isReadableFile(atPath: path) else {
            if given == nil {
                Terminal.error("\(Escaping.terminal(from)) names the inventory \(Escaping.terminal(report.inventoryPath ?? "(none)")), which cannot be read from here: "
                               + "pass --inventory FILE (the inventory the report was made from)")
                throw ExitCode(64)
            }
            _ = try loadInventory(given!)  // says what is wrong with it, exit 64
            throw ExitCode(64)
        }
        guard let recorded = report.inventoryDigest else {
            if given == nil { Terminal.error("note: \(Escaping.terminal(from)) records no inventory digest (an older report): \(Escaping.terminal(path)) is used unchecked") }
            return (path, nil)
        }
        let inventory = try loadInventory(path)
        let now = InventoryIdentity.digest(inventory)
        guard now != recorded else { return (path, inventory) }
        if given == nil {
            Terminal.error("\(Escaping.terminal(path)) has changed since \(Escaping.terminal(from)) was made (digest \(recorded), now \(now)): "
                           + "audit again and plan from the new report, or pass --inventory \(Escaping.terminal(path)) to apply this plan with it anyway")
            throw ExitCode(64)
        }
        Terminal.error("warning: \(Escaping.terminal(path)) is not the inventory \(Escaping.terminal(from)) was made from as it was then (digest \(recorded), now \(now)); applying as asked")
        return (path, inventory)
    }

    /// The history's run of the report at `path` (same start time, same inventory); nil when it was not recorded there.
    func recordedRun(of path: String, inventory: String) -> Int64? {
        guard FileManager.default.fileExists(atPath: history),
              let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let generatedAt = object["generated_at"] as? String else { return nil }
        do {
            let store = try HistoryStore(path: history, create: false)
            return try store.run(generatedAt: generatedAt, scope: store.scope(for: InventoryIdentity(key: InventoryIdentity.key(path: inventory), digest: "")))
        } catch {
            Terminal.error("could not read the history \(history) for the run \(path) came from: \(error)")
            return nil
        }
    }
}
