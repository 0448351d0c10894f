import AuditCore
import CLIParsers
import Foundation

/// Which recorded run the latest one is compared with.
public enum DriftBase: Sendable, Equatable {
    /// The run before the latest.
    case previous
    /// The latest run that started before this instant.
    case since(Date)
    /// The most recently approved baseline.
    case baseline
}

/// One difference between two runs' observations of the same inventory.
public struct DriftChange: Sendable, Equatable {
    /// The raw value is the JSON `type`.
    public enum Kind: String, Sendable, CaseIterable {
        case nodeAdded = "node-added"
        case nodeRemoved = "node-removed"
        case statusChanged = "status-changed"
        case versionChanged = "version-changed"
        case listAdded = "list-added"
        case listRemoved = "list-removed"
        case stateChanged = "state-changed"
        case originAdded = "origin-added"
        case originRemoved = "origin-removed"
        /// The list was read before and not this time (the node's status did not change, so nothing else says so).
        case listNotRead = "list-not-read"
    }

    public var kind: Kind
    public var cluster: String
    public var host: String
    public var list: ListKind?
    public var origin: String?
    /// The old value (status, version, CORS state, product), when the change has one.
    public var before: String?
    /// The new value.
    public var after: String?
    /// The apply whose re-audit saw this change made (its apply-after run), when one did.
    public var appliedBy: Int64? = nil

    public init(kind: Kind, cluster: String, host: String, list: ListKind? = nil, origin: String? = nil,
                before: String? = nil, after: String? = nil) {
        self.kind = kind; self.cluster = cluster; self.host = host; self.list = list; self.origin = origin
        self.before = before; self.after = after
    }

    /// The change in one sentence, naming the node.
    public var message: String {
        let b = before ?? "unknown", a = after ?? "unknown", l = list?.rawValue ?? "", o = origin ?? ""
        switch kind {
        case .nodeAdded: return "\(host): added to the inventory (\(a))"
        case .nodeRemoved: return "\(host): removed from the inventory (was \(b))"
        case .statusChanged: return "\(host): status \(b) → \(a): \(Self.statusPhrase(before: before, after: after))"
        case .versionChanged: return "\(host): version \(b) → \(a)"
        case .listAdded: return "\(host): now holds a \(l) list"
        case .listRemoved: return "\(host): no longer holds a \(l) list"
        case .stateChanged: return "\(host): \(l) CORS \(b) → \(a)"
        case .originAdded: return "\(host): \(o) added to the \(l) list"
        case .originRemoved: return "\(host): \(o) removed from the \(l) list"
        case .listNotRead: return "\(host): the \(l) list was not read this run; its origins are unknown"
        }
    }

    /// What a status change means for the person reading it.
    public static func statusPhrase(before: String?, after: String?) -> String {
        let b = before.flatMap(NodeStatus.init(rawValue:)), a = after.flatMap(NodeStatus.init(rawValue:))
        switch a {
        case .audited?: return b == .skipped ? "audited again (was skipped by the inventory)" : "audited again"
        case .skipped?: return "no longer audited (audit: false in the inventory)"
        case .probeOnly?: return "CLI not read (probe only)"
        case .unreachable?, .hostKeyRejected?, .authFailed?, .timeout?, .disconnected?:
            return b?.isComplete == true ? "became unreachable, not audited this run" : "still not audited"
        case .commandFailed?, .unparsed?, .partial?:
            return b?.isComplete == true ? "not fully audited this run" : "still not fully audited"
        case nil: return "unknown status"
        }
    }
}

/// What changed between two recorded runs: a pure value, computed from their snapshots.
public struct DriftReport: Sendable, Equatable {
    public static let schema = "cors-audit/drift/v1"

    /// How the older run was chosen, for the heading.
    public enum Against: Sendable, Equatable {
        case previous
        /// The instant given to `--since`, ISO 8601.
        case since(String)
        case baseline(approvedAt: String)
        /// Two runs named on the command line (`drift RUN_A RUN_B`).
        case runs
    }

    public var from: RunSummary
    public var to: RunSummary
    public var against: Against
    /// In the latest run's inventory order; nodes gone from the inventory last.
    public var changes: [DriftChange]

    /// Compares `to` (the latest run) with `from`.
    public init(from: RunSnapshot, to: RunSnapshot, against: Against = .previous) {
        self.from = from.summary
        self.to = to.summary
        self.against = against
        self.changes = Self.changes(from: from, to: to)
    }

    public var hasDrift: Bool { !changes.isEmpty }

    /// Marks each change an apply made: one that the apply's re-audit (`after`) shows against the run its plans came
    /// from (`before`, limited to the re-audited nodes). The latest such apply wins.
    public mutating func explain(applies: [(after: RunSnapshot, before: RunSnapshot)]) {
        for (after, before) in applies {
            let hosts = Set(after.nodes.map(\.host))
            var scoped = before
            scoped.nodes = before.nodes.filter { hosts.contains($0.host) }
            let made = Self.changes(from: scoped, to: after).map(Key.init)
            for i in changes.indices where made.contains(Key(changes[i])) { changes[i].appliedBy = after.summary.id }
        }
    }

    /// A change without its attribution, to match one seen elsewhere.
    private struct Key: Equatable {
        var kind: DriftChange.Kind, host: String, list: ListKind?, origin: String?, after: String?
        init(_ c: DriftChange) { kind = c.kind; host = c.host; list = c.list; origin = c.origin; after = c.after }
    }

    /// How many changes an apply explains.
    public var appliedCount: Int { changes.filter { $0.appliedBy != nil }.count }

    /// Like `audit`: 2 when the latest run is incomplete (whatever changed), 1 when anything changed, else 0.
    public var exitCode: Int32 {
        if !to.complete { return 2 }
        return changes.isEmpty ? 0 : 1
    }

    /// `no-drift`, `drift` or `incomplete`, as the exit code says.
    public var result: String {
        switch exitCode { case 0: "no-drift"; case 1: "drift"; default: "incomplete" }
    }

    // MARK: - Comparison

    static func changes(from: RunSnapshot, to: RunSnapshot) -> [DriftChange] {
        let old = Dictionary(from.nodes.map { ($0.host, $0) }, uniquingKeysWith: { first, _ in first })
        var out: [DriftChange] = []
        for node in to.nodes {
            guard let was = old[node.host] else {
                out.append(DriftChange(kind: .nodeAdded, cluster: node.cluster, host: node.host, after: node.product.rawValue))
                continue
            }
            // A host that moved cluster or changed product is a different node for every rule: say so plainly.
            guard was.cluster == node.cluster, was.product == node.product else {
                out.append(DriftChange(kind: .nodeRemoved, cluster: was.cluster, host: was.host, before: was.product.rawValue))
                out.append(DriftChange(kind: .nodeAdded, cluster: node.cluster, host: node.host, after: node.product.rawValue))
                continue
            }
            out += changes(was: was, now: node)
        }
        let current = Set(to.nodes.map(\.host))
        for was in from.nodes where !current.contains(was.host) {
            out.append(DriftChange(kind: .nodeRemoved, cluster: was.cluster, host: was.host, before: was.product.rawValue))
        }
        return out
    }

    private static func changes(was: StoredNode, now: StoredNode) -> [DriftChange] {
        var out: [DriftChange] = []
        func change(_ kind: DriftChange.Kind, list: ListKind? = nil, origin: String? = nil, before: String? = nil, after: String? = nil) {
            out.append(DriftChange(kind: kind, cluster: now.cluster, host: now.host, list: list, origin: origin, before: before, after: after))
        }
        let statusChanged = was.status != now.status
        if statusChanged { change(.statusChanged, before: was.status.rawValue, after: now.status.rawValue) }
        // A version not read (node unreachable) is unknown, not changed.
        if let a = was.version, let b = now.version, a != b { change(.versionChanged, before: a, after: b) }

        for kind in ListKind.allCases {
            switch (was.list(kind), now.list(kind)) {
            case (nil, nil): continue
            case (nil, let n?): change(.listAdded, list: kind, after: n.state?.rawValue)
            case (let w?, nil): change(.listRemoved, list: kind, before: w.state?.rawValue)
            case (let w?, let n?):
                if let a = w.state, let b = n.state, a != b { change(.stateChanged, list: kind, before: a.rawValue, after: b.rawValue) }
                if let a = w.origins, let b = n.origins {
                    let (removed, added) = multisetDifference(a, b)
                    for o in removed { change(.originRemoved, list: kind, origin: o) }
                    for o in added { change(.originAdded, list: kind, origin: o) }
                } else if w.origins != nil, n.origins == nil, !statusChanged {
                    // With a status change the node line already says why nothing was read.
                    change(.listNotRead, list: kind)
                }
            }
        }
        return out
    }

    /// Entries of `a` not in `b` and of `b` not in `a`, counting repeats (a duplicate appearing is an addition)
    /// and ignoring order (a list renumbered by a delete is the same set of origins to a browser).
    static func multisetDifference(_ a: [String], _ b: [String]) -> (removed: [String], added: [String]) {
        var inB = Dictionary(b.map { ($0, 1) }, uniquingKeysWith: +)
        var removed: [String] = []
        for o in a {
            if let n = inB[o], n > 0 { inB[o] = n - 1 } else { removed.append(o) }
        }
        var inA = Dictionary(a.map { ($0, 1) }, uniquingKeysWith: +)
        var added: [String] = []
        for o in b {
            if let n = inA[o], n > 0 { inA[o] = n - 1 } else { added.append(o) }
        }
        return (removed, added)
    }
}
