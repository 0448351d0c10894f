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

/// The call a report gadget makes, as far as CORS is concerned: its method, the request headers that make it need a
/// preflight, and whether cookies go with it. The probe sends this call's preflight and the judge runs the Fetch
/// standard's CORS-preflight check for it; nothing else in the project spells the profile out.
public struct GadgetRequest: Sendable, Equatable {
    /// The Fetch standard's credentials mode, as far as CORS tells them apart.
    public enum Credentials: String, Sendable, Codable { case include, omit }

    public var method: String
    /// Request header names that are not CORS-safelisted (so the browser asks for them in the preflight), lower case.
    public var headers: [String]
    public var credentials: Credentials

    public init(method: String, headers: [String], credentials: Credentials) {
        self.method = method; self.headers = headers.map { $0.lowercased() }; self.credentials = credentials
    }

    /// The CUIC and Live Data gadgets' call (no public source shows Live Data's client asking otherwise, so both lists
    /// get one profile): a GET carrying `Authorization`, a JSON `Content-Type` and `X-Requested-With`, cookies
    /// included. The field capture's allowed answer (S1) sends `Access-Control-Allow-Credentials: true` and allows
    /// exactly these headers among others; its request lines omit `Access-Control-Request-Headers`, so the header set
    /// is read from the answer, not captured (docs/releases.md).
    public static let gadget = GadgetRequest(method: "GET", headers: ["authorization", "content-type", "x-requested-with"],
                                             credentials: .include)

    /// `Access-Control-Request-Headers` as Chromium sends it: lower case, sorted, no duplicates, `,` without spaces;
    /// nil when the call needs none.
    public var requestHeadersValue: String? {
        headers.isEmpty ? nil : Set(headers).sorted().joined(separator: ",")
    }

    /// Whether the method needs the preflight to allow it (GET, HEAD and POST never do).
    public var methodNeedsPermission: Bool { !["GET", "HEAD", "POST"].contains(method) }
}

/// The rule of the Fetch standard's CORS-preflight check that refused an answer; the raw value is the JSON `rule`.
public enum PreflightRule: String, Sendable, Codable, CaseIterable {
    case allowOriginMissing = "allow-origin-missing"
    case allowOriginMultiple = "allow-origin-multiple"
    case allowOriginMismatch = "allow-origin-mismatch"
    case wildcardWithCredentials = "wildcard-origin-with-credentials"
    case credentialsMissing = "allow-credentials-missing"
    case credentialsNotTrue = "allow-credentials-not-true"
    case statusNotOK = "status-not-ok"
    case allowMethodsInvalid = "allow-methods-invalid"
    case methodNotAllowed = "method-not-allowed"
    case allowHeadersInvalid = "allow-headers-invalid"
    case headerNotAllowed = "header-not-allowed"

    /// The origin got past the node's origin check (echoed, or `*`): what refused the call is the answer's other
    /// headers, so adding the origin to a list or restarting does not help.
    public var beyondTheList: Bool {
        switch self {
        case .wildcardWithCredentials, .credentialsMissing, .credentialsNotTrue, .allowMethodsInvalid, .methodNotAllowed,
             .allowHeadersInvalid, .headerNotAllowed: true
        case .allowOriginMissing, .allowOriginMultiple, .allowOriginMismatch, .statusNotOK: false
        }
    }
}

/// Why a browser refuses an answer: the rule and one sentence naming the header and value that broke it.
public struct PreflightRefusal: Sendable, Equatable {
    public var rule: PreflightRule
    public var reason: String
    public init(rule: PreflightRule, reason: String) { self.rule = rule; self.reason = reason }
}

/// How the browser would take the node's answer; the raw value is the JSON `outcome`.
public enum PreflightOutcome: String, Sendable, Codable, CaseIterable {
    /// The answer passes the CORS-preflight check for `GadgetRequest.gadget`: the gadget's call goes out.
    case allowed
    /// The check fails: 403, no or another `Access-Control-Allow-Origin`, credentials or headers not allowed.
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
    /// The rule that refused it, for a `rejected` answer.
    public var refusal: PreflightRefusal?
    /// A success status with one `Access-Control-Allow-Origin` naming the origin or `*`: the node let the origin in
    /// (its list holds it, or it answers any origin), whatever credentials and headers then say.
    public var originAccepted: Bool

    public init(outcome: PreflightOutcome, status: Int?, allowOrigin: String?, detail: String, corsHeaders: Bool? = nil,
                refusal: PreflightRefusal? = nil, originAccepted: Bool? = nil) {
        self.outcome = outcome; self.status = status; self.allowOrigin = allowOrigin; self.detail = detail
        self.corsHeaders = corsHeaders ?? (allowOrigin != nil)
        self.refusal = refusal
        self.originAccepted = originAccepted ?? (outcome == .allowed)
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

    /// The answer is what the inventory wants: the gadget's call from an expected origin passes the browser's check;
    /// any other origin is not let in at all (an echo without credentials still lets a cookie-less page read answers).
    public var asExpected: Bool {
        reason.shouldAllow ? verdict.outcome == .allowed : verdict.outcome == .rejected && !verdict.originAccepted
    }
}

/// Every preflight of a run and how TLS was checked; every report states `insecure`.
public struct ProbeReport: Sendable, Equatable {
    /// Certificates were not verified (`--insecure`).
    public var insecure: Bool
    /// Extra trusted CA certificates (`--ca-file`), beside the system's.
    public var caFile: String?
    public var results: [PreflightResult]
    /// The call whose preflight was sent and judged.
    public var request: GadgetRequest

    public init(insecure: Bool, caFile: String?, results: [PreflightResult], request: GadgetRequest = .gadget) {
        self.insecure = insecure; self.caFile = caFile; self.results = results; self.request = request
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
            if r.verdict.originAccepted || r.verdict.corsHeaders || r.verdict.status == 403 { servingURLs.insert(r.endpoint.url) }
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

    /// The endpoints that let some origin in during this run: they serve a list, old or new.
    public var allowingEndpoints: Set<String> {
        Set(results.filter(\.verdict.originAccepted).map(\.endpoint.url))
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
