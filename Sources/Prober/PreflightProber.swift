import CFileSync
import AsyncHTTPClient
import AuditCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// Sends the browser's CORS preflight to every web endpoint of every audited node, from every origin the plan
/// names, and judges each answer. Knows nothing of SSH: the node's CLI observation only chooses extra origins.
public struct PreflightProber: Sendable {
    public struct Options: Sendable {
        /// Extra CA certificates (PEM) trusted beside the system's.
        public var caFile: String?
        /// Skip certificate verification; every report says so.
        public var insecure: Bool
        /// Most nodes probed at once, as the SSH audit's `--concurrency` (nil: ``defaultConcurrency``, lowered to what the
        /// open-file limit allows).
        public var concurrency: Int?
        /// Deadline of the whole run, as the SSH audit's `--timeout`.
        public var runTimeout: Duration?
        /// The call whose preflight is sent and judged.
        public var request: GadgetRequest

        public init(caFile: String? = nil, insecure: Bool = false, concurrency: Int? = nil, runTimeout: Duration? = nil,
                    request: GadgetRequest = .gadget) {
            self.caFile = caFile; self.insecure = insecure; self.concurrency = concurrency; self.runTimeout = runTimeout
            self.request = request
        }
    }

    public var options: Options

    public init(options: Options) { self.options = options }

    /// Nodes probed at once without `--concurrency`: each holds one connection at a time, and more at once only crowds
    /// the event loops and the far side's listeners without finishing sooner.
    public static let defaultConcurrency = 64

    /// How many nodes run at once: the cap asked for (else the default), never more than the open-file limit allows
    /// after raising it (one socket per node, plus a closing one and room for the rest of the process).
    static func concurrency(asked: Int?, nodes: Int) -> Int {
        let descriptors = max(1, (OpenFileLimit.raised - 64) / 2)
        return max(1, min(asked ?? defaultConcurrency, nodes, descriptors))
    }

    /// Reads `caFile` once up front so a bad file is a usage error, not an error per preflight.
    public static func checkCAFile(_ path: String) throws {
        do {
            let certificates = try NIOSSLCertificate.fromPEMFile(path)
            guard !certificates.isEmpty else { throw ProbeSetupError("\(path): no PEM certificate in it") }
        } catch let error as ProbeSetupError {
            throw error
        } catch {
            throw ProbeSetupError("\(path): not a readable PEM certificate file (\(error))")
        }
    }

    /// Probes every node of `inventory` (nodes with `audit: false` and Finesse nodes excepted); `reports` are the
    /// node reports of an audit run, when there was one, for the unexpected entries to send as well (to their node
    /// and to the other nodes of its cluster); `former` holds the entries each host's lists held in recent recorded
    /// runs, for those deleted since, which a node that was not restarted still allows.
    /// `releases` chooses each node's endpoints (a node not in it: its inventory `release:`, else every candidate).
    public func probe(_ inventory: Inventory, reports: [NodeReport] = [], former: [String: [ListKind: [String]]] = [:],
                      releases: [String: ReleaseFamily] = [:]) async -> ProbeReport {
        let byHost = Dictionary(reports.map { ($0.host, $0) }, uniquingKeysWith: { a, _ in a })
        let byCluster = Dictionary(grouping: reports, by: \.cluster)
        var work: [NodeWork] = []
        for cluster in inventory.clusters {
            for node in cluster.nodes {
                let endpoints = ProbePlan.endpoints(for: node, cluster: cluster.name,
                                                    release: releases[node.host] ?? node.release ?? .unknown)
                guard !endpoints.isEmpty else { continue }
                let plans = endpoints.map { e in
                    (e, ProbePlan.origins(for: e, cluster: cluster, report: byHost[node.host], siblings: byCluster[cluster.name] ?? [],
                                          former: former[node.host]?[e.list] ?? []).map { Planned(origin: $0.0, reason: $0.1) })
                }
                work.append(NodeWork(node: node, plans: plans))
            }
        }
        let runDeadline = options.runTimeout.map { ContinuousClock.now + $0 }
        // One client per distinct connect timeout (usually one for the whole run): its TLS context, with the system
        // trust store and the CA file, is built once, not per node.
        let tls = tlsConfiguration()
        var clients: [Double: HTTPClient] = [:]
        for item in work where clients[item.node.connection.timeouts.connect] == nil {
            let connect = item.node.connection.timeouts.connect
            clients[connect] = Self.client(tls: tls, connectTimeout: connect,
                                           overrides: work.filter { $0.node.connection.timeouts.connect == connect }.map(\.node))
        }
        let limit = Self.concurrency(asked: options.concurrency, nodes: work.count)
        var results = [[PreflightResult]](repeating: [], count: work.count)
        await withTaskGroup(of: (Int, [PreflightResult]).self) { group in
            var next = 0
            func launch() {
                let i = next, item = work[i]
                let client = clients[item.node.connection.timeouts.connect]!
                next += 1
                group.addTask { (i, await Self.probe(node: item, client: client, request: options.request, runDeadline: runDeadline)) }
            }
            while next < min(limit, work.count) { launch() }
            for await (i, r) in group {
                results[i] = r
                if next < work.count { launch() }
            }
        }
        for client in clients.values { try? await client.shutdown() }
        return ProbeReport(insecure: options.insecure, caFile: options.caFile, results: results.flatMap { $0 }, request: options.request)
    }

    /// One preflight to `url` (its host resolved to `address` when given) from `origin`, judged for `request`, with
    /// this prober's TLS options: what `make browser-check` compares with Chromium's verdict on the same URL.
    public func preflight(url: String, address: String? = nil, origin: String, request: GadgetRequest,
                          timeout: Double = 10) async -> PreflightVerdict {
        guard let host = URL(string: url)?.host else { return PreflightJudge.failure("not a URL: \(url)") }
        let client = Self.client(tls: tlsConfiguration(), connectTimeout: timeout, overrides: [], dnsOverride: address.map { [host: $0] } ?? [:])
        let verdict = await Self.send(url: url, host: host, origin: origin, request: request, budget: timeout, client: client)
        try? await client.shutdown()
        return verdict
    }

    /// A client for nodes sharing one connect timeout. The URL keeps the inventory host (TLS server name, certificate
    /// check, Host header); `dnsOverride` sends the connection to the node's `address` when the inventory gives one.
    static func client(tls: TLSConfiguration, connectTimeout: Double, overrides nodes: [InventoryNode],
                       dnsOverride: [String: String] = [:]) -> HTTPClient {
        var config = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64(connectTimeout * 1000))),
            decompression: .disabled)
        // A probe reports the first connect or TLS failure as it is; retrying until the connect timeout only hides it.
        config.connectionPool.retryConnectionEstablishment = false
        for node in nodes where node.connection.address != node.host { config.dnsOverride[node.host] = node.connection.address }
        config.dnsOverride.merge(dnsOverride) { _, new in new }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    struct Planned: Sendable { var origin: String; var reason: ProbeOriginReason }
    struct NodeWork: Sendable { var node: InventoryNode; var plans: [(PreflightEndpoint, [Planned])] }

    func tlsConfiguration() -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if options.insecure { tls.certificateVerification = .none }
        if let caFile = options.caFile { tls.additionalTrustRoots = [.file(caFile)] }
        return tls
    }

    /// One node's preflights, one after the other (each endpoint's connection kept alive between them).
    static func probe(node work: NodeWork, client: HTTPClient, request: GadgetRequest,
                      runDeadline: ContinuousClock.Instant?) async -> [PreflightResult] {
        let timeouts = work.node.connection.timeouts
        var results: [PreflightResult] = []
        // Where a preflight got no answer, the next origins would not either (the Origin header plays no part in
        // connecting): they are reported with the same cause instead of waiting out each timeout again.
        var unreachable: [String: String] = [:]
        for (endpoint, planned) in work.plans {
            let target = "\(endpoint.address):\(endpoint.connectPort)"
            for (k, p) in planned.enumerated() {
                let verdict: PreflightVerdict
                if let cause = unreachable[target] {
                    verdict = PreflightJudge.failure(cause)
                } else if let runDeadline, ContinuousClock.now >= runDeadline {
                    verdict = PreflightJudge.failure("not sent: the run's time limit (--timeout) was reached")
                } else {
                    verdict = await send(endpoint: endpoint, origin: p.origin, request: request, timeouts: timeouts,
                                         runDeadline: runDeadline, client: client, last: k == planned.count - 1)
                    if verdict.outcome == .error { unreachable[target] = verdict.detail }
                }
                results.append(PreflightResult(endpoint: endpoint, origin: p.origin, reason: p.reason, verdict: verdict))
            }
        }
        return results
    }

    /// `last`: the endpoint's last preflight, sent with `Connection: close` so its connection ends with it instead of
    /// idling in the pool for a minute: a node then holds one socket at a time, whatever the fleet's size.
    static func send(endpoint: PreflightEndpoint, origin: String, request: GadgetRequest, timeouts: Timeouts,
                     runDeadline: ContinuousClock.Instant?, client: HTTPClient, last: Bool = false) async -> PreflightVerdict {
        // Each preflight gets the node's connect + command time, cut short by the run's deadline.
        var budget = timeouts.connect + timeouts.command
        if let runDeadline {
            let left = ContinuousClock.now.duration(to: runDeadline)
            budget = min(budget, Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18)
        }
        let verdict = await send(url: "https://\(endpoint.host):\(endpoint.connectPort)\(endpoint.path)", host: endpoint.host,
                                 origin: origin, request: request, budget: budget, client: client, close: last)
        guard verdict.outcome == .error, verdict.detail.hasPrefix(Self.connectTimeoutMark) else { return verdict }
        return PreflightJudge.failure("connect: no connection (TCP and TLS handshake) within \(seconds(timeouts.connect))")
    }

    static let connectTimeoutMark = "connect: no connection (TCP and TLS handshake)"

    static func send(url: String, host: String, origin: String, request gadget: GadgetRequest, budget: Double,
                     client: HTTPClient, close: Bool = false) async -> PreflightVerdict {
        var request = HTTPClientRequest(url: url)
        request.method = .OPTIONS
        for (name, value) in PreflightRequest.headers(origin: origin, host: host, request: gadget) {
            request.headers.add(name: name, value: value)
        }
        if close { request.headers.add(name: "Connection", value: "close") }
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(max(0.001, budget) * 1000)))
            // Drain a bounded body so the connection can be reused; the verdict needs only the head.
            _ = try? await response.body.collect(upTo: 1 << 20)
            return PreflightJudge.judge(status: Int(response.status.code),
                                        headers: response.headers.map { ($0.name, $0.value) }, origin: origin, request: gadget)
        } catch {
            return PreflightJudge.failure(describe(error, host: host, budget: budget))
        }
    }

    /// The phase and cause, in words: connect, TLS or timeout.
    static func describe(_ error: any Error, host: String, budget: Double) -> String {
        if let e = error as? HTTPClientError {
            switch e {
            case .connectTimeout: return connectTimeoutMark
            case .tlsHandshakeTimeout: return "TLS: handshake did not finish in time"
            case .deadlineExceeded: return "timeout: no answer within \(seconds(budget))"
            case .remoteConnectionClosed: return "disconnected: the server closed the connection without an answer"
            default: return "HTTP: \(e)"
            }
        }
        let text = String(describing: error)
        if let e = error as? NIOSSLExtraError, e == .failedToValidateHostname {
            return "TLS: the certificate does not name \(host)"
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "TLS: certificate not trusted (CERTIFICATE_VERIFY_FAILED): trust its CA with --ca-file, or --insecure"
        }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError || text.contains("SSL") {
            // BoringSSL's reason code is the useful part of its long description.
            if let r = text.range(of: "OPENSSL_internal:") {
                let code = text[r.upperBound...].prefix { $0.isUppercase || $0.isNumber || $0 == "_" }
                if !code.isEmpty { return "TLS: handshake failed (\(code))" }
            }
            return "TLS: \(text)"
        }
        return "connect: \(text)"
    }

    static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s) }
}

public struct ProbeSetupError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// RLIMIT_NOFILE, as the SSH side raises it: a large fleet needs more sockets than the usual soft 1024.
enum OpenFileLimit {
    /// Raises the soft limit to the hard limit once; returns the soft limit now in force.
    static let raised: Int = {
        let limit = cors_audit_raise_open_file_limit()
        return limit >= Int(Int.max) ? Int.max : Int(limit)
    }()
}
