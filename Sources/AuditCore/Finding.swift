/// What kind of problem a finding reports; the raw value is the JSON `kind`.
public enum FindingKind: String, Sendable, Codable, CaseIterable {
    case missingOrigin = "missing-origin"
    case unexpectedOrigin = "unexpected-origin"
    case ineffectiveOrigin = "ineffective-origin"
    case duplicateOrigin = "duplicate-origin"
    case asymmetricList = "asymmetric-list"
    case corsDisabled = "cors-disabled"
    case corsPermissive = "cors-permissive"
    case versionSkew = "version-skew"
    case serviceStopped = "service-stopped"
    case preflightRejected = "preflight-rejected"
    case preflightUnexpectedAllow = "preflight-unexpected-allow"
    /// A probed URL does not serve the list's CORS (404, a redirect, no CORS filter, no answer at a candidate port):
    /// its refusals say nothing about the list.
    case endpointNotServing = "endpoint-not-serving"
    /// An expected origin is let in (echoed, or `*`), yet the browser refuses the gadget's call for the answer's other
    /// headers (credentials, allowed headers or methods): the origin list is not the cause.
    case preflightResponseHeaders = "preflight-response-headers"
    /// Finesse's gadget source check is enabled and its allow-list lacks a CUIC URL (`https://<cuic>`,
    /// `https://<cuic>:8444`): "Finesse Desktop fails to load" (S9, S10).
    case gadgetSourceMissing = "gadget-source-missing"
    /// Finesse nodes of one cluster differ in their gadget source check (the switch or the list): node-specific.
    case asymmetricGadgetSourceCheck = "asymmetric-gadget-source-check"
    /// CUIC nodes of one cluster differ in private network access ("run the command on all nodes", S2).
    case asymmetricPrivateNetworkAccess = "asymmetric-private-network-access"
    /// Nodes of one kind differ in a CORS header list (`allowed_headers`, `exposed_headers`): no expected set.
    case asymmetricHeaders = "asymmetric-headers"
    /// A node in a cluster's `show network cluster` that the inventory does not list: it was never audited.
    case nodeNotInInventory = "node-not-in-inventory"
    /// An inventory node that its cluster's own `show network cluster` does not list.
    case nodeNotInCluster = "node-not-in-cluster"
    /// The inventory's publisher/subscriber role disagrees with the cluster's own view.
    case clusterRoleMismatch = "cluster-role-mismatch"
    /// `live_data: coresident` disagrees with the Live Data services the CUIC node runs.
    case liveDataCoresidency = "live-data-coresidency"

    public var severity: Severity {
        switch self {
        case .missingOrigin, .asymmetricList, .corsDisabled, .preflightRejected, .preflightResponseHeaders, .gadgetSourceMissing,
             .asymmetricPrivateNetworkAccess: .error
        case .unexpectedOrigin, .ineffectiveOrigin, .corsPermissive, .versionSkew, .serviceStopped, .preflightUnexpectedAllow,
             .asymmetricGadgetSourceCheck, .asymmetricHeaders: .warning
        case .duplicateOrigin, .endpointNotServing: .info
        case .nodeNotInInventory: .error
        case .nodeNotInCluster, .clusterRoleMismatch, .liveDataCoresidency: .warning
        }
    }
}

public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case info, warning, error
    public static func < (a: Severity, b: Severity) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One problem, with the sentence a person reads and the CLI lines that fix it.
public struct Finding: Sendable, Equatable {
    public var kind: FindingKind
    /// The kind's severity, except where the finding's cause decides (an `asymmetric-list` takes its differences').
    public var severity: Severity
    public var cluster: String
    /// The node; nil for cluster-level findings, which name theirs in `hosts`.
    public var host: String?
    public var hosts: [String]
    public var list: ListKind?
    public var origin: String?
    public var message: String
    public var remediation: [RemediationAction]
    /// The inventory waiver that accepts it for now: still reported, not counted toward `--fail-on`.
    public var waiver: Waiver? = nil

    public init(kind: FindingKind, severity: Severity? = nil, cluster: String, host: String?, hosts: [String] = [], list: ListKind?,
                origin: String? = nil, message: String, remediation: [RemediationAction] = []) {
        self.kind = kind; self.severity = severity ?? kind.severity; self.cluster = cluster; self.host = host
        self.hosts = host.map { [$0] } ?? hosts
        // Notes belong in runbooks and the message: a finding's fix is what is typed (report v1 carries only lines).
        self.list = list; self.origin = origin; self.message = message; self.remediation = remediation.filter { $0.commandLine != nil }
    }
}
