/// One URL a Finesse gadget calls on a node, and the CORS list that decides the browser's preflight.
public struct PreflightEndpoint: Sendable, Equatable {
    public var cluster: String
    /// The inventory host: the name in the URL, the TLS server name and the `Host` header.
    public var host: String
    public var list: ListKind
    /// The port the browser uses (8444 or 443 for CUIC; 443, or 12005 on 12.5, for Live Data).
    public var port: Int
    public var path: String
    /// Where the probe connects: the inventory `address` and the `https_ports` mapping of `port`.
    public var address: String
    public var connectPort: Int
    /// The release whose profile chose this endpoint (unknown: one of every candidate).
    public var release: ReleaseFamily

    public init(cluster: String, host: String, list: ListKind, port: Int, path: String, address: String, connectPort: Int,
                release: ReleaseFamily = .unknown) {
        self.cluster = cluster; self.host = host; self.list = list; self.port = port; self.path = path
        self.address = address; self.connectPort = connectPort; self.release = release
    }

    /// The URL as the browser calls it (no `:443`).
    public var url: String { port == 443 ? "https://\(host)\(path)" : "https://\(host):\(port)\(path)" }

    /// The node and list this endpoint serves, as one key.
    var listKey: String { "\(host)\u{0}\(list.rawValue)" }

    /// Where it is actually reached, when that is not what the URL says.
    public var reachedAt: String? {
        address == host && connectPort == port ? nil : "\(address):\(connectPort)"
    }
}

/// Why an origin is sent in a preflight, which decides what the answer should be.
public enum ProbeOriginReason: String, Sendable, Codable, CaseIterable {
    /// An expected Finesse origin: must be allowed.
    case expected
    /// `ProbePlan.syntheticOrigin`, which no list should allow: must be refused.
    case synthetic
    /// An entry of the node's list that the audit flags as unexpected: should be refused once removed.
    case unexpectedEntry = "unexpected-entry"
    /// On this node's list in a recent recorded run, absent now: refused unless the node still serves the list it
    /// had before (deleted without the restart).
    case formerEntry = "former-entry"
    /// An unexpected entry of another node's list of the same kind in the cluster, absent from this one's: a node
    /// that allows it serves a list other than its configured one.
    case siblingEntry = "sibling-entry"

    public var shouldAllow: Bool { self == .expected }
}

/// How the browser would take the node's answer; the raw value is the JSON `outcome`.
public enum PreflightOutcome: String, Sendable, Codable, CaseIterable {
    /// 2xx with `Access-Control-Allow-Origin` equal to the origin, or `*`.
    case allowed
    /// 403, any other answer, or no matching `Access-Control-Allow-Origin`.
    case rejected
    /// No HTTP answer: connect, TLS, timeout.
    case error
}

/// The judged answer to one preflight.
public struct PreflightVerdict: Sendable, Equatable {
    public var outcome: PreflightOutcome
    /// The HTTP status; nil when no answer came.
    public var status: Int?
    /// `Access-Control-Allow-Origin` as received.
    public var allowOrigin: String?
    /// One sentence: why this outcome (the header seen, the TLS or connect error).
    public var detail: String
    /// The answer carried some `Access-Control-*` header: the endpoint runs a CORS filter.
    public var corsHeaders: Bool

    public init(outcome: PreflightOutcome, status: Int?, allowOrigin: String?, detail: String, corsHeaders: Bool? = nil) {
        self.outcome = outcome; self.status = status; self.allowOrigin = allowOrigin; self.detail = detail
        self.corsHeaders = corsHeaders ?? (allowOrigin != nil)
    }
}

/// One preflight: which endpoint, from which origin, why, and what came back.
public struct PreflightResult: Sendable, Equatable {
    public var endpoint: PreflightEndpoint
    public var origin: String
    public var reason: ProbeOriginReason
    public var verdict: PreflightVerdict

    public init(endpoint: PreflightEndpoint, origin: String, reason: ProbeOriginReason, verdict: PreflightVerdict) {
        self.endpoint = endpoint; self.origin = origin; self.reason = reason; self.verdict = verdict
    }

    /// One preflight's identity within a run: its URL and origin.
    public var key: String { "\(endpoint.url)\u{0}\(origin)" }

    /// The answer is what the inventory wants: expected origins allowed, others refused.
    public var asExpected: Bool {
        verdict.outcome == .allowed ? reason.shouldAllow : verdict.outcome == .rejected && !reason.shouldAllow
    }
}

/// Every preflight of a run and how TLS was checked; every report states `insecure`.
public struct ProbeReport: Sendable, Equatable {
    /// Certificates were not verified (`--insecure`).
    public var insecure: Bool
    /// Extra trusted CA certificates (`--ca-file`), beside the system's.
    public var caFile: String?
    public var results: [PreflightResult]

    public init(insecure: Bool, caFile: String?, results: [PreflightResult]) {
        self.insecure = insecure; self.caFile = caFile; self.results = results
    }

    public func count(_ outcome: PreflightOutcome) -> Int { results.filter { $0.verdict.outcome == outcome }.count }

    /// Every result, split by whether it speaks about its list. Counted: an answer at an endpoint that shows it serves
    /// the list's CORS in this run (it allowed some origin, sent an `Access-Control-*` header, or refused with 403 —
    /// how CUIC refuses an origin in the field capture, S1), and every error but one: a candidate port of a node whose
    /// release is not known that answered nothing while another endpoint of the same list answered (it is just not
    /// that release's port). Idle: the rest (404, a redirect, 200 without CORS headers, those silent candidates), which
    /// say nothing about the list. Findings and every renderer use this one split.
    public var partition: (counted: [PreflightResult], idle: [PreflightResult]) {
        var answeredURLs: Set<String> = [], answeredLists: Set<String> = [], servingURLs: Set<String> = []
        for r in results where r.verdict.outcome != .error {
            answeredURLs.insert(r.endpoint.url)
            answeredLists.insert(r.endpoint.listKey)
            if r.verdict.outcome == .allowed || r.verdict.corsHeaders || r.verdict.status == 403 { servingURLs.insert(r.endpoint.url) }
        }
        var counted: [PreflightResult] = [], idle: [PreflightResult] = []
        for r in results {
            let speaks = r.verdict.outcome == .error
                ? !(r.endpoint.release == .unknown && !answeredURLs.contains(r.endpoint.url) && answeredLists.contains(r.endpoint.listKey))
                : servingURLs.contains(r.endpoint.url)
            if speaks { counted.append(r) } else { idle.append(r) }
        }
        return (counted, idle)
    }

    /// Preflights that got no answer and count: they leave the run incomplete.
    public var errors: [PreflightResult] { partition.counted.filter { $0.verdict.outcome == .error } }

    /// The endpoints that allowed some origin in this run: they serve a list, old or new.
    public var allowingEndpoints: Set<String> {
        Set(results.filter { $0.verdict.outcome == .allowed }.map(\.endpoint.url))
    }

    /// The sentence every report format carries when certificates were not checked.
    public static let insecureNotice = "--insecure: TLS certificates of the probed endpoints were NOT verified; a preflight answer may come from an impostor."
}

/// Which endpoints of which nodes get which origins.
public enum ProbePlan {
    /// An origin no list should allow (`.invalid` can never resolve, RFC 2606): allowed means the node answers any origin.
    public static let syntheticOrigin = "https://cors-audit-probe.invalid"
    public static let cuicPath = ReleaseProfiles.cuicPath
    public static let liveDataPath = ReleaseProfiles.liveDataPath

    /// The endpoints of a node as its release profile gives them (12.5: CUIC 8444, Live Data 12005; 12.6 and 15.0:
    /// CUIC 8444 and 443, Live Data 443; unknown: every candidate). Finesse and `audit: false` nodes have none.
    public static func endpoints(for node: InventoryNode, cluster: String, release: ReleaseFamily) -> [PreflightEndpoint] {
        guard node.audit else { return [] }
        let profile = ReleaseProfiles[release]
        return node.lists.filter { $0 != .finesse }.flatMap { list in
            profile.endpoints(for: list).map { web in
                PreflightEndpoint(cluster: cluster, host: node.host, list: list, port: web.port, path: web.path,
                                  address: node.connection.address, connectPort: node.httpsPorts[web.port] ?? web.port,
                                  release: release)
            }
        }
    }

    /// The origins to send to one endpoint: every expected origin, the synthetic one, the entries of the node's
    /// list (when it was read) that the audit calls unexpected, then the unexpected entries of the other nodes'
    /// lists of the same kind in `siblings`, then `former` (entries of this node's list in recent recorded runs), each
    /// only when this node's list does not hold it. Ineffective entries are not sent: a browser never sends an
    /// Origin with a path, a default port or upper case, so their answer would tell nothing.
    public static func origins(for endpoint: PreflightEndpoint, cluster: Cluster, report: NodeReport?,
                               siblings: [NodeReport] = [], former: [String] = []) -> [(String, ProbeOriginReason)] {
        let expected = ExpectedOrigins.required(for: cluster).map(\.description)
        var result = expected.map { ($0, ProbeOriginReason.expected) }
        var seen = Set(expected)
        if seen.insert(syntheticOrigin).inserted { result.append((syntheticOrigin, .synthetic)) }
        let tolerated = Set(cluster.expected.toleratedOrigins.map(\.description))
        func add(_ entries: [String], _ reason: ProbeOriginReason) {
            for entry in entries {
                guard case .effective = OriginAnalysis.analyze(entry), !tolerated.contains(entry) else { continue }
                if seen.insert(entry).inserted { result.append((entry, reason)) }
            }
        }
        add(report?.lists.first(where: { $0.kind == endpoint.list })?.origins ?? [], .unexpectedEntry)
        let others = siblings.filter { $0.host != endpoint.host && $0.cluster == endpoint.cluster }
        add(others.flatMap { $0.lists.first(where: { $0.kind == endpoint.list })?.origins ?? [] }, .siblingEntry)
        add(former, .formerEntry)
        return result
    }
}
