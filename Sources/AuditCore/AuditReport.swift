import CLIParsers

/// The whole result of one audit run: the value every renderer, the history and the exit code start from.
public struct AuditReport: Sendable, Equatable {
    public static let schema = "cors-audit/report/v1"

    /// ISO 8601 UTC time of the run.
    public var generatedAt: String
    public var inventoryPath: String
    public var clusters: [String]
    public var nodes: [NodeReport]
    public var findings: [Finding]
    public var plans: [RemediationPlan]
    /// The live preflights, when the run probed (`cors-audit probe`, `audit --probe`).
    public var probe: ProbeReport? = nil
    /// The inventory's waivers and what each did in this run (empty without `waivers:`).
    public var waivers: [WaiverUse] = []
    /// Expired waivers whose findings are back, waivers that match nothing.
    public var waiverWarnings: [String] = []
    /// Set when `--cluster`, `--host` or `--exclude` narrowed the run: what it covered. Every format says so.
    public var scope: String? = nil
    /// The digest of the inventory file as loaded (before scoping and planning options), when the command knows it:
    /// `remediate --from` checks the inventory it applies with against it.
    public var inventoryDigest: String? = nil

    public init(generatedAt: String, inventoryPath: String, clusters: [String], nodes: [NodeReport],
                findings: [Finding], plans: [RemediationPlan]) {
        self.generatedAt = generatedAt; self.inventoryPath = inventoryPath; self.clusters = clusters
        self.nodes = nodes; self.plans = plans
        // Deterministic order: cluster, node (cluster-level after the cluster's nodes), list, severity, kind, origin.
        let clusterIndex = Dictionary(clusters.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let nodeIndex = Dictionary(nodes.enumerated().map { ($1.host, $0) }, uniquingKeysWith: { a, _ in a })
        let kindIndex = Dictionary(FindingKind.allCases.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        self.findings = findings.enumerated().sorted { l, r in
            let a = l.element, b = r.element
            let ka = (clusterIndex[a.cluster] ?? 0, a.host.flatMap { nodeIndex[$0] } ?? Int.max,
                      a.list.map { ListKind.allCases.firstIndex(of: $0)! } ?? 9, -Severity.allCases.firstIndex(of: a.severity)!)
            let kb = (clusterIndex[b.cluster] ?? 0, b.host.flatMap { nodeIndex[$0] } ?? Int.max,
                      b.list.map { ListKind.allCases.firstIndex(of: $0)! } ?? 9, -Severity.allCases.firstIndex(of: b.severity)!)
            if ka != kb { return ka < kb }
            if kindIndex[a.kind]! != kindIndex[b.kind]! { return kindIndex[a.kind]! < kindIndex[b.kind]! }
            return l.offset < r.offset
        }.map(\.element)
    }

    /// True when every node was audited or deliberately skipped, and every preflight got an answer.
    public var complete: Bool { nodes.allSatisfy { $0.status.isComplete } && (probe?.errors.isEmpty ?? true) }

    public var incompleteNodes: [NodeReport] { nodes.filter { !$0.status.isComplete } }

    /// Findings of `severity` that count (waived ones do not).
    public func count(_ severity: Severity) -> Int { findings.filter { $0.severity == severity && $0.waiver == nil }.count }

    /// clean, drift or incomplete: what the first line of every report says.
    public func verdict(failOn: Severity = .warning) -> Verdict {
        if !complete { return .incomplete }
        return findings.contains { $0.severity >= failOn && $0.waiver == nil } ? .drift : .clean
    }
}

public enum Verdict: String, Sendable {
    case clean, drift, incomplete

    /// Process exit code: 0 clean, 1 findings at or above the threshold, 2 incomplete.
    public var exitCode: Int32 {
        switch self { case .clean: 0; case .drift: 1; case .incomplete: 2 }
    }
}

extension AuditReport {
    /// The documented JSON report (schema cors-audit/report/v1).
    public func json(failOn: Severity = .warning) -> JSONValue {
        var statusCounts: [(String, JSONValue)] = []
        for status in NodeStatus.allCases {
            let n = nodes.filter { $0.status == status }.count
            if n > 0 { statusCounts.append((status.rawValue, .int(n))) }
        }
        var summaryPairs: [(String, JSONValue)] = [
            ("result", .string(verdict(failOn: failOn).rawValue)),
            ("fail_on", .string(failOn.rawValue)),
            ("clusters", .int(clusters.count)),
            ("nodes", .int(nodes.count)),
            ("audited", .int(nodes.filter { $0.status == .audited }.count)),
            ("skipped", .int(nodes.filter { $0.status == .skipped }.count)),
            ("incomplete", .int(incompleteNodes.count)),
            ("statuses", .object(statusCounts)),
            ("findings", .object(Severity.allCases.reversed().map { ($0.rawValue, .int(count($0))) })),
        ]
        if let probe { summaryPairs.append(("preflights_without_answer", .int(probe.errors.count))) }
        // Compatible additions: present only when the run used waivers or was scoped.
        if !waivers.isEmpty { summaryPairs.append(("waived", .int(waivedFindings.count))) }
        if let scope { summaryPairs.append(("scope", .string(scope))) }
        var pairs: [(String, JSONValue)] = [
            ("schema", .string(Self.schema)),
            ("generated_at", .string(generatedAt)),
            ("inventory", .string(inventoryPath)),
        ]
        if let inventoryDigest { pairs.append(("inventory_digest", .string(inventoryDigest))) }
        pairs += [
            ("complete", .bool(complete)),
        ]
        if scope != nil { pairs.append(("scoped", .bool(true))) }
        pairs += [
            ("summary", .object(summaryPairs)),
            ("nodes", .array(nodes.map(\.json))),
            ("findings", .array(findings.map(\.json))),
            ("remediation", .array(plans.map(\.json))),
        ]
        if let probe { pairs.append(("probe", probe.json)) }
        if !waivers.isEmpty {
            pairs += [("waivers", .array(waivers.map(\.json))), ("waiver_warnings", .strings(waiverWarnings))]
        }
        return .object(pairs)
    }
}

extension ProbeReport {
    var json: JSONValue {
        .object([
            ("insecure", .bool(insecure)),
            ("ca_file", .optional(caFile)),
            ("request", .object([
                ("method", .string(request.method)),
                ("headers", .strings(Set(request.headers).sorted())),
                ("credentials", .string(request.credentials.rawValue)),
            ])),
            ("summary", .object(PreflightOutcome.allCases.map { ($0.rawValue, .int(count($0))) })),
            ("results", .array(results.map { r in
                .object([
                    ("cluster", .string(r.endpoint.cluster)),
                    ("host", .string(r.endpoint.host)),
                    ("list", .string(r.endpoint.list.rawValue)),
                    ("url", .string(r.endpoint.url)),
                    ("reached_at", .optional(r.endpoint.reachedAt)),
                    ("origin", .string(r.origin)),
                    ("reason", .string(r.reason.rawValue)),
                    ("should", .string(r.reason.shouldAllow ? "allow" : "refuse")),
                    ("outcome", .string(r.verdict.outcome.rawValue)),
                    ("status", r.verdict.status.map { .int($0) } ?? .null),
                    ("allow_origin", .optional(r.verdict.allowOrigin)),
                    ("origin_accepted", .bool(r.verdict.originAccepted)),
                    ("refusal", r.verdict.refusal.map { .object([("rule", .string($0.rule.rawValue)), ("reason", .string($0.reason))]) } ?? .null),
                    ("detail", .string(r.verdict.detail)),
                ])
            })),
        ])
    }
}

extension NodeReport {
    var json: JSONValue {
        var lists: [(String, JSONValue)] = []
        for list in self.lists {
            lists.append((list.kind.rawValue, .object([
                ("enabled", .optional(list.enabled)),
                ("state", .optional(list.state?.rawValue)),
                ("origins", list.origins.map { .strings($0) } ?? .null),
                ("expected", .strings(list.expected)),
                ("allowed_headers", list.allowedHeaders.map { .strings($0) } ?? .null),
                ("exposed_headers", list.exposedHeaders.map { .strings($0) } ?? .null),
            ])))
        }
        let services: JSONValue = self.services.map { list in
            .array(list.services.map { s in
                .object([("name", .string(s.name)), ("state", .string(s.rawState)), ("not_activated", .bool(s.notActivated))])
            })
        } ?? .null
        var fields: [(String, JSONValue)] = [
            ("cluster", .string(cluster)),
            ("host", .string(host)),
            ("product", .string(product.rawValue)),
            ("role", .optional(role?.rawValue)),
            ("status", .string(status.rawValue)),
            ("detail", detail.isEmpty ? .null : .string(detail)),
            ("version", .optional(version)),
            // The release profile the runbook and the probe used (docs/releases.md).
            ("release", .string(release.rawValue)),
            ("lists", .object(lists)),
        ]
        // Report v1 additions: present only on the nodes that hold the setting.
        if let g = gadgetSourceCheck {
            fields.append(("gadget_source_check", .object([("enabled", .optional(g.enabled)),
                                                          ("allowed_list", g.sources.map { .strings($0) } ?? .null)])))
        }
        if self.lists.contains(where: { $0.kind == .cuic }) {
            fields.append(("private_network_access", .optional(privateNetworkAccess.map { $0 ? "enabled" : "disabled" })))
        }
        fields += [
            ("services", services),
            ("unparsed", .array(unparsed.map { .object([("command", .string($0.command)), ("reason", .string($0.reason)), ("raw", .string($0.raw))]) })),
            ("notes", .strings(notes)),
        ]
        fields += membership.map { [("membership", $0.json)] } ?? []
        return .object(fields)
    }
}

extension ClusterMembership {
    /// Report v1's `membership` (present only when `show network cluster` was read and understood).
    var json: JSONValue {
        .array(members.map { m in
            .object([("host", .string(m.host)), ("address", .string(m.address)), ("role", .string(m.role.rawValue)),
                     ("application", .optional(m.application))])
        })
    }
}

extension Finding {
    var json: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("kind", .string(kind.rawValue)),
            ("severity", .string(severity.rawValue)),
            ("cluster", .string(cluster)),
            ("host", .optional(host)),
            ("hosts", .strings(hosts)),
            ("list", .optional(list?.rawValue)),
            ("origin", .optional(origin)),
            ("message", .string(message)),
            ("remediation", .strings(remediation.cliLines)),
        ]
        if let waiver {
            pairs.append(("waived", .object([("reason", .string(waiver.reason)), ("expires", .string(waiver.expires)), ("line", .int(waiver.line))])))
        }
        return .object(pairs)
    }
}

extension RemediationAction {
    /// Report v1's step object: a delete, a note, or any other action as its command line.
    public var json: JSONValue {
        switch self {
        case .delete(_, let index, let origin):
            .object([("type", .string("delete")), ("line", .string(commandLine!)), ("index", .int(index)), ("origin", .string(origin))])
        case .note(let n): .object([("type", .string("note")), ("text", .string(n))])
        default: commandLine.map { .object([("type", .string("command")), ("line", .string($0))]) }
            ?? .object([("type", .string("note")), ("text", .string("not typed: \(self)"))])
        }
    }
}

extension RemediationPlan {
    var json: JSONValue {
        .object([
            ("cluster", .string(cluster)),
            ("host", .string(host)),
            ("steps", .array(steps.map(\.json))),
        ])
    }
}

extension WaiverUse {
    var json: JSONValue {
        .object([
            ("kind", .string(waiver.kind.rawValue)),
            ("cluster", .optional(waiver.cluster)),
            ("host", .optional(waiver.host)),
            ("list", .optional(waiver.list?.rawValue)),
            ("origin", .optional(waiver.origin)),
            ("reason", .string(waiver.reason)),
            ("expires", .string(waiver.expires)),
            ("line", .int(waiver.line)),
            ("status", .string(expired ? "expired" : matched == 0 ? "unmatched" : "active")),
            ("matched", .int(matched)),
        ])
    }
}
