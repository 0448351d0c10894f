import AuditCore
import Collector
import Foundation
import History
import Reports

/// `remediate --apply`, stage by stage: match each plan to its inventory node → show the order → confirm per node →
/// carry the confirmed runbooks out over SSH, one node at a time per cluster (``Applier/applyRolling(_:parallelClusters:confirm:nodeDone:)``)
/// → re-audit the clusters where anything was typed → write the records.
/// What is asked of a person (confirmations, passwords) comes in as closures from the command line.
public struct ApplyPipeline {
    public var plans: [RemediationPlan]
    /// The findings the plans were made from.
    public var before: [Finding]
    public var inventory: Inventory
    public var restart: Bool
    /// The whole apply's time limit, in seconds.
    public var timeout: Double?
    public var concurrency: Int?
    /// Clusters applied side by side; within a cluster always one node at a time.
    public var parallelClusters = 1
    public var failOn: Severity = .warning
    /// Where the re-audit is recorded (tagged apply-after, naming `planRun`); nil: not recorded.
    public var history: String?
    /// The recorded run the plans came from, when known.
    public var planRun: Int64?
    /// Probe again after the change (the plan came from a run that probed): what browsers are served, not only the CLI lists.
    public var reprobe: AuditPipeline.ProbeStage?
    /// The plan came from a run that probed.
    public var probed = false
    /// Said first in the summary and apply.md (the plan's age).
    public var warnings: [String] = []

    public init(plans: [RemediationPlan], before: [Finding], inventory: Inventory, restart: Bool, timeout: Double?, concurrency: Int?) {
        self.plans = plans; self.before = before; self.inventory = inventory; self.restart = restart
        self.timeout = timeout; self.concurrency = concurrency
    }

    public typealias Work = Applier.Work

    /// Each plan's inventory node, in the order they are applied (cluster by cluster, node by node, as the inventory
    /// lists them); the problems (a plan for a node the inventory cannot reach) otherwise.
    public func match() -> Result<[Work], MatchProblems> {
        var work: [Work] = []
        var problems: [String] = []
        let position = Dictionary(inventory.nodes.enumerated().map { ($1.node.host, $0) }, uniquingKeysWith: { a, _ in a })
        let clusterPosition = Dictionary(inventory.clusters.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let ordered = plans.enumerated().sorted { a, b in
            let ka = (clusterPosition[a.element.cluster] ?? Int.max, position[a.element.host] ?? Int.max, a.offset)
            let kb = (clusterPosition[b.element.cluster] ?? Int.max, position[b.element.host] ?? Int.max, b.offset)
            return ka < kb
        }.map(\.element)
        for plan in ordered {
            guard let (cluster, node) = inventory.nodes.first(where: { $0.node.host == plan.host }) else {
                problems.append("\(plan.host): not in \(inventory.path); cannot reach it to apply its runbook")
                continue
            }
            if cluster.name != plan.cluster {
                problems.append("\(plan.host): planned for cluster \(plan.cluster), but \(inventory.path) puts it in \(cluster.name)")
            } else if !node.audit {
                problems.append("\(plan.host): audit: false in \(inventory.path); apply only changes nodes it audits")
            } else if node.connection.hostKeyPolicy == .off {
                // Typing changes (and a password) into a host nobody verified: never, whatever the command line says.
                problems.append("\(plan.host): host_key_policy: off in \(inventory.path); apply never changes a node whose host key is not checked (use strict or accept-new)")
            } else {
                work.append((plan, node))
            }
        }
        return problems.isEmpty ? .success(work) : .failure(MatchProblems(problems: problems))
    }

    public struct MatchProblems: Error { public var problems: [String] }

    /// The order `work` is applied in, shown before the first confirmation.
    public func orderText(_ work: [Work]) -> String {
        let groups = Applier.clusters(work)
        let side = parallelClusters <= 1 ? "one cluster at a time" : "up to \(parallelClusters) clusters at a time"
        var out = "Order: in each cluster one node at a time, the next only once the one before shows its change"
            + (restart ? " and its restarted services STARTED" : "") + "; a node that fails halts the rest of its cluster; \(side).\n"
        for group in groups {
            out += "  cluster \(group.cluster): " + group.items.map { work[$0].plan.host }.joined(separator: ", then ") + "\n"
        }
        return out
    }

    /// Applies the confirmed part of `work` and re-audits the clusters where anything was typed.
    /// - Parameters:
    ///   - confirm: asked for each node as its turn comes in the rolling order (after the node before it in its
    ///     cluster is verified); false declines it (nothing is typed there). Calls never overlap.
    ///   - passwords: the terminal's answers, asked before the first node.
    ///   - starting: told how many nodes may be changed.
    ///   - nodeDone: told of each node's record as it ends.
    ///   - reauditSource: the live source for the re-audit's scope.
    public func run(_ work: [Work], confirm: @escaping @Sendable (RemediationPlan) async -> Bool, passwords: () -> PromptedPasswords,
                    starting: (Int) -> Void, nodeDone: @escaping @Sendable (NodeApplyRecord) -> Void = { _ in },
                    reauditSource: (Inventory) -> any ObservationSource) async -> ApplySummary {
        var records: [String: NodeApplyRecord] = [:]
        if !work.isEmpty {
            let answers = passwords()
            starting(work.count)
            let applier = Applier(options: .init(restart: restart, runTimeout: timeout.map { .milliseconds(Int($0 * 1000)) },
                                                 concurrency: concurrency, passwords: answers))
            // One question at a time even with clusters side by side.
            let gate = ConfirmationGate(confirm)
            for record in await applier.applyRolling(work, parallelClusters: parallelClusters,
                                                     confirm: { await gate.ask($0) }, nodeDone: nodeDone) {
                records[record.host] = record
            }
        }
        let ordered = work.compactMap { records[$0.plan.host] }

        // Re-audit every cluster in which something was typed: asymmetry is judged across the cluster.
        let changedClusters = Set(ordered.filter(\.typedAnything).map(\.cluster))
        var after: AuditReport?
        var historyWarnings: [String] = []
        var recordedAfter: Int64?
        if !changedClusters.isEmpty {
            var scope = inventory
            scope.clusters = inventory.clusters.filter { changedClusters.contains($0.name) }
            // Recorded as the whole inventory's, tagged: drift never takes this partial run for a whole one, and names
            // it beside the changes it made.
            let record = history.map { path in
                AuditPipeline.HistoryStage(path: path, recordFailOn: failOn, readFormerEntries: false,
                                           labels: RunLabels(inventory: InventoryIdentity(inventory), tag: .applyAfter, planRun: planRun))
            }
            let result = await AuditPipeline(source: reauditSource(scope), probe: reprobe, history: record).run(scope)
            after = result.report
            historyWarnings = result.warnings
            recordedAfter = result.recordedRun
        }
        var summary = ApplySummary(records: ordered, before: before, after: after, restart: restart, failOn: failOn)
        summary.historyWarnings = historyWarnings
        summary.afterRun = recordedAfter
        summary.probed = probed
        summary.warnings = warnings
        return summary
    }

    /// `apply-<host>.json` per node, raw sessions, the after-state report and `apply.md`, each written atomically.
    public func writeRecords(_ summary: ApplySummary, to folder: String) throws {
        try RunFolder.makeDirectory(folder)
        for record in summary.records {
            try RunFolder.atomicWrite(ApplySummary.json(record, restart: restart).serialized(), to: "\(folder)/apply-\(record.host).json")
            if let transcript = record.transcript {
                try RunFolder.makeDirectory("\(folder)/apply-transcripts")
                try RunFolder.atomicWrite(Data(transcript), to: "\(folder)/apply-transcripts/\(record.host).txt")
            }
        }
        if let after = summary.after {
            try RunFolder(path: "\(folder)/after", reportsDir: folder, generatedAt: after.generatedAt)
                .write(after, formats: [.json], failOn: failOn, transcripts: [:])
        }
        try RunFolder.atomicWrite(summary.markdown(), to: "\(folder)/apply.md")
    }
}

/// Serialises the confirmations of clusters applied side by side: a person answers one question at a time.
actor ConfirmationGate {
    let confirm: @Sendable (RemediationPlan) async -> Bool
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ confirm: @escaping @Sendable (RemediationPlan) async -> Bool) { self.confirm = confirm }

    func ask(_ plan: RemediationPlan) async -> Bool {
        if busy { await withCheckedContinuation { waiting.append($0) } }
        busy = true
        let answer = await confirm(plan)
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        return answer
    }
}
