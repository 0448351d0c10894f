import AuditCore
import CLIParsers

/// Drift over time: the runs of one history scope, oldest first, with each cluster's findings by severity per run,
/// what changed on which node from one run to the next, and since which run each open finding has been seen.
/// A pure value, computed from the runs' snapshots.
public struct HistoryTimeline: Sendable, Equatable {
    /// Findings of one cluster in one run, by severity.
    public struct Counts: Sendable, Equatable {
        public var errors = 0, warnings = 0, infos = 0
        public var total: Int { errors + warnings + infos }
        public init(errors: Int = 0, warnings: Int = 0, infos: Int = 0) { self.errors = errors; self.warnings = warnings; self.infos = infos }
    }

    /// One change seen between two whole runs: `change` happened by run `run` (after run `previous`).
    public struct Event: Sendable, Equatable {
        public var run: Int64
        public var at: String
        public var previous: Int64
        public var change: DriftChange
    }

    /// A finding of the newest whole run, with the run that first saw it (of the unbroken series of runs that did).
    public struct OpenFinding: Sendable, Equatable {
        public var finding: StoredFinding
        public var firstSeen: Int64
        public var firstSeenAt: String
        /// The oldest run shown already had it: it may be older still.
        public var beforeWindow: Bool
    }

    public struct ClusterLine: Sendable, Equatable {
        public var name: String
        /// Per run (the timeline's `runs`, oldest first); nil where the run did not hold this cluster.
        public var counts: [Counts?]
        /// Oldest first.
        public var events: [Event]
        public var open: [OpenFinding]
    }

    /// Oldest first; apply re-audits included (their changes are attributed, not counted twice).
    public var runs: [RunSummary]
    /// In the newest run's order, clusters gone since last.
    public var clusters: [ClusterLine]
    /// Runs whose inventory content differed from the run before (an edited inventory file).
    public var inventoryEdited: [Int64]

    /// - Parameters:
    ///   - snapshots: oldest first, as `HistoryStore.snapshots` gives them.
    ///   - olderRuns: the history holds runs older than these (a finding the oldest shown had may be older still).
    public init(_ snapshots: [RunSnapshot], olderRuns: Bool) {
        runs = snapshots.map(\.summary)
        var order: [String] = []
        for snapshot in snapshots.reversed() {
            for n in snapshot.nodes where !order.contains(n.cluster) { order.append(n.cluster) }
            for f in snapshot.findings where !order.contains(f.cluster) { order.append(f.cluster) }
        }
        // Changes between consecutive whole runs; an apply's re-audit in between names the changes it made.
        var events: [Event] = []
        var edited: [Int64] = []
        let whole = snapshots.filter { $0.summary.tag != .applyAfter }
        for (before, after) in zip(whole, whole.dropFirst()) {
            if let a = before.summary.inventoryDigest, let b = after.summary.inventoryDigest, a != b { edited.append(after.summary.id) }
            var drift = DriftReport(from: before, to: after)
            let applies = snapshots.filter {
                $0.summary.tag == .applyAfter && $0.summary.generatedEpoch >= before.summary.generatedEpoch
                    && $0.summary.generatedEpoch <= after.summary.generatedEpoch
            }.map { apply in (after: apply, before: snapshots.first { $0.summary.id == apply.summary.planRun } ?? before) }
            drift.explain(applies: applies)
            events += drift.changes.map { Event(run: after.summary.id, at: after.summary.generatedAt, previous: before.summary.id, change: $0) }
        }
        inventoryEdited = edited
        // First seen: walk back over whole runs while the same finding (kind, place, origin) is there.
        var open: [OpenFinding] = []
        if let latest = whole.last {
            let keys = whole.map { Set($0.findings.map(Self.key)) }
            for finding in latest.findings {
                let key = Self.key(finding)
                var first = whole.count - 1
                while first > 0, keys[first - 1].contains(key) { first -= 1 }
                open.append(OpenFinding(finding: finding, firstSeen: whole[first].summary.id, firstSeenAt: whole[first].summary.generatedAt,
                                        beforeWindow: first == 0 && olderRuns))
            }
        }
        clusters = order.map { name in
            ClusterLine(
                name: name,
                counts: snapshots.map { s in
                    guard s.nodes.contains(where: { $0.cluster == name }) || s.findings.contains(where: { $0.cluster == name }) else { return nil }
                    var c = Counts()
                    for f in s.findings where f.cluster == name {
                        switch f.severity { case .error: c.errors += 1; case .warning: c.warnings += 1; case .info: c.infos += 1 }
                    }
                    return c
                },
                events: events.filter { $0.change.cluster == name },
                open: open.filter { $0.finding.cluster == name })
        }
    }

    static func key(_ f: StoredFinding) -> String {
        [f.kind.rawValue, f.cluster, f.host ?? "", f.list?.rawValue ?? "", f.origin ?? ""].joined(separator: "\u{1F}")
    }
}
