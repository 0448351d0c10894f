import Foundation

/// A finding a person accepted for a time (inventory `waivers:`): it is still reported, marked waived with its
/// reason and expiry, and does not count toward `--fail-on` or the exit code until the end of its expiry date (UTC).
public struct Waiver: Sendable, Equatable {
    public var kind: FindingKind
    /// The scope: each key given must match the finding; none given means every finding of the kind.
    public var cluster: String?
    public var host: String?
    public var list: ListKind?
    public var origin: String?
    public var reason: String
    /// `YYYY-MM-DD`: waived through the end of that day, UTC.
    public var expires: String
    /// Where the inventory declares it (1-based), for messages.
    public var line: Int

    public init(kind: FindingKind, cluster: String? = nil, host: String? = nil, list: ListKind? = nil, origin: String? = nil,
                reason: String, expires: String, line: Int) {
        self.kind = kind; self.cluster = cluster; self.host = host; self.list = list; self.origin = origin
        self.reason = reason; self.expires = expires; self.line = line
    }

    public func matches(_ f: Finding) -> Bool {
        guard f.kind == kind else { return false }
        if let cluster, f.cluster.lowercased() != cluster.lowercased() { return false }
        if let host, !(f.host.map { [$0] } ?? f.hosts).contains(where: { $0.lowercased() == host.lowercased() }) { return false }
        if let list, f.list != list { return false }
        if let origin, f.origin != origin { return false }
        return true
    }

    /// Expired once `today` (`YYYY-MM-DD`, UTC) is past its expiry date.
    public func isExpired(today: String) -> Bool { today > expires }

    /// `unexpected-origin on cuicsub.uccelab.tac live-data http://127.0.0.1:5500`, for messages.
    public var scopeText: String {
        var parts = [kind.rawValue]
        if let cluster { parts.append("cluster \(cluster)") }
        if let host { parts.append(host) }
        if let list { parts.append(list.rawValue) }
        if let origin { parts.append(Escaping.visible(origin)) }
        return parts.joined(separator: " ")
    }

    /// Today's date in UTC, `YYYY-MM-DD`; `CORS_AUDIT_TEST_EPOCH` pins it as it pins the report's time.
    public static func today(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let date = environment["CORS_AUDIT_TEST_EPOCH"].flatMap(Double.init).map { Date(timeIntervalSince1970: $0) } ?? Date()
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    /// A valid calendar date written `YYYY-MM-DD`.
    public static func isDate(_ s: String) -> Bool {
        guard s.count == 10, s.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }) else { return false }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate]
        f.timeZone = TimeZone(identifier: "UTC")
        guard let d = f.date(from: s) else { return false }
        return f.string(from: d) == s
    }
}

/// What the waivers did in one run: every one of them, with how many findings it waived, and the warnings
/// (an expired waiver whose findings are back, a waiver matching nothing).
public struct WaiverUse: Sendable, Equatable {
    public var waiver: Waiver
    public var matched: Int
    public var expired: Bool
}

extension AuditReport {
    /// Marks each finding a live waiver matches; an expired waiver's findings stay unwaived. Returns the report, each
    /// waiver's use and the warnings to print (they also land in the report's `waivers`).
    public func applyingWaivers(_ waivers: [Waiver], inventoryPath: String, today: String) -> AuditReport {
        guard !waivers.isEmpty else { return self }
        var report = self
        var uses: [WaiverUse] = []
        for w in waivers {
            let expired = w.isExpired(today: today)
            var matched = 0
            for i in report.findings.indices where w.matches(report.findings[i]) {
                matched += 1
                if !expired && report.findings[i].waiver == nil { report.findings[i].waiver = w }
            }
            uses.append(WaiverUse(waiver: w, matched: matched, expired: expired))
        }
        report.waivers = uses
        report.plans = report.plans.compactMap { report.withoutWaivedChanges($0) }
        report.waiverWarnings = uses.compactMap { u in
            let at = "\(inventoryPath):\(u.waiver.line)"
            if u.expired {
                return "waiver at \(at) (\(u.waiver.scopeText)) expired on \(u.waiver.expires)" +
                    (u.matched > 0 ? ": its \(u.matched) finding\(u.matched == 1 ? " counts" : "s count") again" : "; it matches no finding now: remove it")
            }
            if u.matched == 0 { return "waiver at \(at) (\(u.waiver.scopeText)) matches no finding in this run: remove it or fix its scope" }
            return nil
        }
        return report
    }

    /// `plan` without the changes only waived findings ask for: a waiver says the state is accepted, so neither the
    /// runbook nor `--apply` types them (deleting an origin someone waived because a proxy still uses it would be the
    /// outage the waiver was written to avoid). Restarts stay only where a finding still standing asks for them; a plan
    /// left with no change is dropped (nil).
    func withoutWaivedChanges(_ plan: RemediationPlan) -> RemediationPlan? {
        let mine = findings.filter { $0.host == plan.host }
        let waived = mine.filter { $0.waiver != nil }.flatMap(\.remediation)
        guard !waived.isEmpty else { return plan }
        let standing = mine.filter { $0.waiver == nil }.flatMap(\.remediation)
        // Which list/origin pairs the steps add or delete; a combined `add o1,o2` step loses only the waived origins.
        func pairs(_ steps: [RemediationAction], added: Bool) -> Set<String> {
            Set(steps.flatMap { step -> [String] in
                switch step {
                case .add(let list, let origins) where added: origins.map { "\(list.rawValue) \($0)" }
                case .delete(let list, _, let origin) where !added: ["\(list.rawValue) \(origin)"]
                default: []
                }
            })
        }
        let waivedAdds = pairs(waived, added: true).subtracting(pairs(standing, added: true))
        let waivedDeletes = pairs(waived, added: false).subtracting(pairs(standing, added: false))
        var steps: [RemediationAction] = []
        var removed = false
        for step in plan.steps {
            switch step {
            case .add(let list, let origins):
                let kept = origins.filter { !waivedAdds.contains("\(list.rawValue) \($0)") }
                if kept.count < origins.count { removed = true }
                if !kept.isEmpty { steps.append(.add(list, origins: kept)) }
            case .delete(let list, _, let origin) where waivedDeletes.contains("\(list.rawValue) \(origin)"):
                removed = true
            case .enable, .start, .addGadgetSource, .setPrivateNetworkAccess:
                if waived.contains(step) && !standing.contains(step) { removed = true } else { steps.append(step) }
            default:
                steps.append(step)
            }
        }
        guard removed else { return plan }
        let changes = steps.filter { $0.changesNode && !$0.isRestart }
        if changes.isEmpty { return nil }
        // Restarts only for what still stands; a read-back that only a waived change asked for goes with it.
        steps = steps.filter { step in
            if step.isRestart { return standing.contains(step) }
            if step.isVerification { return standing.contains(step) || !waived.contains(step) }
            return true
        }
        return RemediationPlan(cluster: plan.cluster, host: plan.host, steps: steps)
    }

    /// Findings not waived: what the verdict, the exit code and the headline counts are made of.
    public var unwaivedFindings: [Finding] { findings.filter { $0.waiver == nil } }
    public var waivedFindings: [Finding] { findings.filter { $0.waiver != nil } }
}
