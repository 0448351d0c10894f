import AuditCore
import Foundation
import Prober
import Testing
import TestSupport
@testable import VOSSimulator

/// The prober against vos-sim's HTTPS endpoints over real TLS on loopback.
@Suite(.serialized) struct ProberSimulatorTests {
    @Test func withTheSimulatorsCAEveryEndpointAnswersAndTheMissingOriginIsRefused() async throws {
        try await withLab { lab in
            let probe = await PreflightProber(options: .init(caFile: lab.caFile)).probe(try lab.inventory())
            // 2 CUIC nodes × (8444 cuic, 443 cuic, 443 live-data) × (4 expected + the synthetic origin).
            #expect(probe.results.count == 30)
            #expect(probe.errors.isEmpty, "\(probe.errors.map(\.verdict.detail))")
            #expect(!probe.insecure && probe.caFile == lab.caFile)
            let refused = probe.results.filter { $0.reason == .expected && $0.verdict.outcome != .allowed }
            #expect(refused.map(\.endpoint.url) == ["https://\(sub):8444/cuic/", "https://\(sub)/cuic/"])
            #expect(refused.allSatisfy { $0.origin == missingOnSub && $0.verdict.status == 403 && $0.verdict.allowOrigin == nil })
            let synthetic = probe.results.filter { $0.reason == .synthetic }
            #expect(synthetic.count == 6 && synthetic.allSatisfy { $0.verdict.outcome == .rejected })
            let allowed = probe.results.filter { $0.verdict.outcome == .allowed }
            #expect(allowed.count == 22)
            #expect(allowed.allSatisfy { $0.verdict.status == 200 && $0.verdict.allowOrigin == $0.origin })
            // The URL names the host the browser uses; the simulator is reached elsewhere on loopback.
            #expect(probe.results.allSatisfy { $0.endpoint.reachedAt?.hasPrefix("127.0.0.1:") == true })
        }
    }

    @Test func withoutTheCATheHandshakeFailsAndNothingCountsAsAnswered() async throws {
        try await withLab { lab in
            let inventory = try lab.inventory()
            let probe = await PreflightProber(options: .init()).probe(inventory)
            #expect(probe.results.count == 30)
            #expect(probe.results.allSatisfy { $0.verdict.outcome == .error })
            #expect(probe.results.allSatisfy { $0.verdict.detail.hasPrefix("TLS") }, "\(Set(probe.results.map(\.verdict.detail)))")
            let report = Auditor.probeOnly(inventory: inventory, generatedAt: "2026-11-27T00:00:00Z").merging(probe: probe, inventory: inventory)
            #expect(!report.complete)
            #expect(report.verdict() == .incomplete)
            #expect(report.findings.isEmpty)
        }
    }

    @Test func insecureSkipsVerificationAndSaysSo() async throws {
        try await withLab { lab in
            let probe = await PreflightProber(options: .init(insecure: true)).probe(try lab.inventory())
            #expect(probe.insecure)
            #expect(probe.errors.isEmpty)
            #expect(probe.count(.allowed) == 22 && probe.count(.rejected) == 8)
        }
    }

    @Test func aNodeThatIsDownIsAnErrorNotAVerdict() async throws {
        try await withLab(faults: [pub: "faults: [refuse]"]) { lab in
            let inventory = try lab.inventory()
            let probe = await PreflightProber(options: .init(caFile: lab.caFile)).probe(inventory)
            let down = probe.results.filter { $0.endpoint.host == pub }
            #expect(down.count == 15)
            #expect(down.allSatisfy { $0.verdict.outcome == .error && $0.verdict.detail.hasPrefix("connect") }, "\(Set(down.map(\.verdict.detail)))")
            #expect(probe.results.filter { $0.endpoint.host == sub }.allSatisfy { $0.verdict.outcome != .error })
            let report = Auditor.probeOnly(inventory: inventory, generatedAt: "2026-11-27T00:00:00Z").merging(probe: probe, inventory: inventory)
            #expect(report.verdict() == .incomplete)
            #expect(report.verdict().exitCode == 2)
        }
    }

    @Test func answersFollowTheEffectiveStateNotTheConfiguredOne() async throws {
        try await withLab { lab in
            let inventory = try lab.inventory()
            let node = lab.node(sub)
            node.updateConfigured(.cuic) { $0.origins.append(missingOnSub) }
            let prober = PreflightProber(options: .init(caFile: lab.caFile))
            let before = await prober.probe(inventory)
            #expect(before.results.filter { $0.endpoint.host == sub && $0.origin == missingOnSub && $0.endpoint.list == .cuic }
                .allSatisfy { $0.verdict.outcome == .rejected })
            #expect(node.restarted(service: "Intelligence Center Reporting Service"))
            let after = await prober.probe(inventory)
            #expect(after.results.allSatisfy { $0.asExpected })
        }
    }

    @Test func concurrencyOneAndARunDeadlineStillGiveEveryResult() async throws {
        try await withLab { lab in
            let inventory = try lab.inventory()
            let serial = await PreflightProber(options: .init(caFile: lab.caFile, concurrency: 1)).probe(inventory)
            #expect(serial.results.count == 30 && serial.errors.isEmpty)
            // A deadline already passed: every preflight is reported not sent, none silently dropped.
            let late = await PreflightProber(options: .init(caFile: lab.caFile, runTimeout: .nanoseconds(1))).probe(inventory)
            #expect(late.results.count == 30)
            #expect(late.results.allSatisfy { $0.verdict.outcome == .error })
        }
    }
}

/// A port that completes the TCP handshake (the kernel's backlog) and then never says a word.
final class SilentListener {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: actual.sin_port))
    }

    deinit { close(fd) }
}

@Suite struct ProberTimeoutTests {
    @Test func aSilentEndpointFailsAtTheNodesConnectLimitOncePerListener() async throws {
        let silent = try SilentListener()
        let yaml = """
            version: 1
            defaults: {timeouts: {connect: 1, login: 5, command: 1}}
            clusters:
              - name: c
                finesse: [{host: f.example}]
                cuic:
                  - {host: cuic.example, role: publisher, address: 127.0.0.1, https_ports: {443: \(silent.port), 8444: \(silent.port)}}
            """
        let inventory = try InventoryLoader.parse(yaml: yaml, path: "silent.yaml")
        let probe = await PreflightProber(options: .init(insecure: true)).probe(inventory)
        #expect(probe.results.count == 6)
        #expect(probe.results.allSatisfy { $0.verdict.outcome == .error })
        let causes = Set(probe.results.map(\.verdict.detail))
        // The server accepted the TCP connection but never answered the TLS handshake: the connect limit covers both.
        #expect(causes == ["connect: no connection (TCP and TLS handshake) within 1 s"], "\(causes)")
        // One wait for the listener (both browser ports lead to it), then the same cause for every origin.
        #expect(causes.count == 1)
    }
}

@Suite struct StandaloneLiveDataTests {
    @Test func aStandaloneLiveDataNodeServesItsListOn443AndDisabledCORSSendsNoHeader() async throws {
        let yaml = """
            version: 1
            clusters:
              - name: c
                finesse: [{host: f.example, audit: false}]
                cuic: [{host: cuic.example, role: publisher}]
                live_data: [{host: ld.example}]
            """
        let inventory = try InventoryLoader.parse(yaml: yaml, path: "standalone.yaml")
        // No state file: every list enabled and empty, so every expected origin is refused at first.
        let nodes = try StateFile.parse(yaml: "nodes: {}\n", inventory: inventory, path: "standalone.sim.yaml")
        try await Simulation.start(inventory: inventory, nodes: nodes, options: SimulatorOptions(password: simPassword, threads: 1)).use { sim in
            let written = try sim.inventory()
            let prober = PreflightProber(options: .init(caFile: sim.caFile))
            let first = await prober.probe(written)
            // cuic.example: 8444 and 443 (no co-resident Live Data); ld.example: 443 /livedata/; 2 expected + synthetic each.
            #expect(Set(first.results.map(\.endpoint.url)) == ["https://cuic.example:8444/cuic/", "https://cuic.example/cuic/", "https://ld.example/livedata/"])
            #expect(first.results.count == 9 && first.results.allSatisfy { $0.verdict.outcome == .rejected && $0.verdict.status == 403 })

            let ld = sim.node("ld.example")
            ld.updateConfigured(.liveData) { $0.origins = ["https://f.example", "https://f.example:8445"] }
            #expect(ld.restarted(service: "Unified CCE Live Data NGINX Service"))
            let second = await prober.probe(written)
            #expect(second.results.filter { $0.endpoint.host == "ld.example" }.allSatisfy { $0.asExpected })

            ld.updateConfigured(.liveData) { $0.status = .disabled }
            #expect(ld.restarted(service: "Unified CCE Live Data NGINX Service"))
            let third = await prober.probe(written)
            let disabled = third.results.filter { $0.endpoint.host == "ld.example" && $0.reason == .expected }
            #expect(disabled.allSatisfy { $0.verdict.outcome == .rejected && $0.verdict.detail == "200 without Access-Control-Allow-Origin" })
        }
    }
}
