import AuditCore
import Foundation
import Testing
import TestSupport

/// Plans and findings from preflight results, with the lab's CLI lists read offline from its transcripts.
@Suite struct ProbeRulesTests {
    static func labAudit() throws -> (Inventory, AuditReport) {
        let (inventory, observations) = try labObservations()
        return (inventory, Auditor.audit(inventory: inventory, observations: observations, generatedAt: "2026-11-27T00:00:00Z"))
    }

    static func result(_ host: String, _ list: ListKind, port: Int, origin: String, reason: ProbeOriginReason,
                       _ outcome: PreflightOutcome, allow: String? = nil) -> PreflightResult {
        let endpoint = PreflightEndpoint(cluster: "uccelab", host: host, list: list, port: port,
                                         path: list == .cuic ? ProbePlan.cuicPath : ProbePlan.liveDataPath, address: host, connectPort: port)
        let verdict = outcome == .allowed
            ? PreflightVerdict(outcome: .allowed, status: 200, allowOrigin: allow ?? origin, detail: "200, Access-Control-Allow-Origin: \(allow ?? origin)")
            : outcome == .rejected ? PreflightVerdict(outcome: .rejected, status: 403, allowOrigin: nil, detail: "403 without Access-Control-Allow-Origin")
            : PreflightVerdict(outcome: .error, status: nil, allowOrigin: nil, detail: "connect: refused")
        return PreflightResult(endpoint: endpoint, origin: origin, reason: reason, verdict: verdict)
    }

    @Test func endpointsAreCUICOnBothPortsAndLiveDataOn443WithTheInventorysPortMapping() throws {
        let yaml = """
            version: 1
            clusters:
              - name: c
                finesse: [{host: f.example}]
                cuic:
                  - {host: cuic.example, role: publisher, live_data: coresident, address: 127.0.0.9, https_ports: {443: 9443, 8444: 9444}}
                live_data: [{host: ld.example}]
            """
        let inventory = try InventoryLoader.parse(yaml: yaml, path: "t.yaml")
        let cluster = inventory.clusters[0]
        let cuic = ProbePlan.endpoints(for: cluster.cuic[0], cluster: "c", release: .r12_6)
        #expect(cuic.map(\.url) == ["https://cuic.example:8444/cuic/", "https://cuic.example/cuic/", "https://cuic.example/livedata/"])
        #expect(cuic.map(\.list) == [.cuic, .cuic, .liveData])
        #expect(cuic.map { $0.reachedAt } == ["127.0.0.9:9444", "127.0.0.9:9443", "127.0.0.9:9443"])
        let ld = ProbePlan.endpoints(for: cluster.liveData[0], cluster: "c", release: .r12_6)
        #expect(ld.map(\.url) == ["https://ld.example/livedata/"] && ld[0].reachedAt == nil)
        #expect(ProbePlan.endpoints(for: cluster.finesse[0], cluster: "c", release: .r12_6).isEmpty)
    }

    @Test func aBadPortMappingIsAnInventoryErrorWithItsLine() throws {
        let yaml = """
            version: 1
            clusters:
              - name: c
                finesse: [{host: f.example}]
                cuic:
                  - {host: cuic.example, role: publisher, https_ports: {443: 70000}}
            """
        #expect(throws: InventoryErrors.self) { try InventoryLoader.parse(yaml: yaml, path: "t.yaml") }
        do { _ = try InventoryLoader.parse(yaml: yaml, path: "t.yaml") } catch let e as InventoryErrors {
            #expect(e.description.contains("t.yaml:6:"))
            #expect(e.description.contains("https_ports.443"))
        }
    }

    @Test func originsAreTheExpectedOnesTheSyntheticOneAndTheListsUnexpectedEntries() throws {
        let (inventory, report) = try Self.labAudit()
        let cluster = inventory.clusters[0]
        let subNode = cluster.cuic.first { $0.host == sub }!
        let endpoints = ProbePlan.endpoints(for: subNode, cluster: cluster.name, release: .r12_6)
        let subReport = report.nodes.first { $0.host == sub }
        let cuicOrigins = ProbePlan.origins(for: endpoints[0], cluster: cluster, report: subReport)
        #expect(cuicOrigins.map(\.0) == ["https://finessep.uccelab.tac", "https://finessep.uccelab.tac:8445", "https://finesses.uccelab.tac",
                                         "https://finesses.uccelab.tac:8445", ProbePlan.syntheticOrigin])
        let ldOrigins = ProbePlan.origins(for: endpoints[2], cluster: cluster, report: subReport)
        #expect(ldOrigins.last.map { [$0.0, $0.1.rawValue] } == ["http://127.0.0.1:5500", "unexpected-entry"])
        // Without a CLI read, only the expected and the synthetic origins.
        #expect(ProbePlan.origins(for: endpoints[2], cluster: cluster, report: nil).count == 5)
    }

    @Test func otherNodesUnexpectedEntriesAndFormerEntriesAreSentOnceEachOnlyWhereTheListLacksThem() throws {
        let (inventory, report) = try Self.labAudit()
        let cluster = inventory.clusters[0]
        let pubNode = cluster.cuic.first { $0.host == pub }!
        let pubLiveData = ProbePlan.endpoints(for: pubNode, cluster: cluster.name, release: .r12_6)[2]
        let pubReport = report.nodes.first { $0.host == pub }
        // sub's Live Data list holds http://127.0.0.1:5500; pub's does not, so pub is asked about it too.
        let origins = ProbePlan.origins(for: pubLiveData, cluster: cluster, report: pubReport, siblings: report.nodes,
                                        former: ["https://old.uccelab.tac", "http://127.0.0.1:5500", "https://finessep.uccelab.tac",
                                                 "https://Bad.example/path"])
        #expect(origins.suffix(2).map { [$0.0, $0.1.rawValue] } == [["http://127.0.0.1:5500", "sibling-entry"],
                                                                    ["https://old.uccelab.tac", "former-entry"]])
        #expect(origins.count == 7)
        // sub's own entry stays its own; a node of another cluster is never a sibling.
        let subNode = cluster.cuic.first { $0.host == sub }!
        let subLiveData = ProbePlan.endpoints(for: subNode, cluster: cluster.name, release: .r12_6)[2]
        let subOrigins = ProbePlan.origins(for: subLiveData, cluster: cluster, report: report.nodes.first { $0.host == sub },
                                           siblings: report.nodes)
        #expect(subOrigins.filter { $0.1 != .expected && $0.1 != .synthetic }.map(\.1) == [.unexpectedEntry])
        var elsewhere = report.nodes.first { $0.host == sub }!
        elsewhere.cluster = "other"
        #expect(ProbePlan.origins(for: pubLiveData, cluster: cluster, report: pubReport, siblings: [elsewhere]).count == 5)
    }

    @Test func aDeletedOrSiblingOriginStillAllowedIsAnOldListServedAndTheRunbookRestarts() throws {
        let (inventory, report) = try Self.labAudit()
        let probe = ProbeReport(insecure: false, caFile: nil, results: [
            Self.result(pub, .liveData, port: 443, origin: "https://old.uccelab.tac", reason: .formerEntry, .allowed),
            Self.result(pub, .liveData, port: 443, origin: "http://127.0.0.1:5500", reason: .siblingEntry, .allowed),
            Self.result(pub, .cuic, port: 443, origin: "https://gone.uccelab.tac", reason: .formerEntry, .rejected),
        ])
        let merged = report.merging(probe: probe, inventory: inventory)
        let found = merged.findings.filter { $0.kind == .preflightUnexpectedAllow }
        #expect(found.map(\.origin) == ["https://old.uccelab.tac", "http://127.0.0.1:5500"])
        #expect(found[0].message.contains("it is no longer on the list; the node still serves an old list: configured but not effective: restart Unified CCE Live Data NGINX Service."))
        #expect(found[1].message.contains("\(pub)'s Live Data list does not hold it (another node of the cluster does)"))
        #expect(found[0].remediation.cliLines == ["utils service restart Unified CCE Live Data NGINX Service", "utils live-data cors allowed_origin list"])
        let plan = try #require(merged.plans.first { $0.host == pub })
        #expect(plan.steps.cliLines.filter { $0 == "utils service restart Unified CCE Live Data NGINX Service" }.count == 1)

        // When the node's list was not read, the finding says so and checks the list before the restart.
        var unread = report
        unread.nodes = unread.nodes.map { n in
            guard n.host == pub else { return n }
            var n = n; n.status = .timeout; n.lists = n.lists.map { var l = $0; l.origins = nil; return l }; return n
        }
        let blind = unread.merging(probe: probe, inventory: inventory).findings.filter { $0.kind == .preflightUnexpectedAllow }
        #expect(blind[0].message.contains("(it was on the list in a recent recorded run); the CLI list was not read now"))
        #expect(blind[0].remediation.cliLines.first == "utils live-data cors allowed_origin list")
    }

    @Test func anExpectedOriginRefusedThatTheListLacksNamesBothURLsAndTheAdd() throws {
        let (inventory, report) = try Self.labAudit()
        let probe = ProbeReport(insecure: false, caFile: nil, results: [
            Self.result(sub, .cuic, port: 8444, origin: missingOnSub, reason: .expected, .rejected),
            Self.result(sub, .cuic, port: 443, origin: missingOnSub, reason: .expected, .rejected),
            Self.result(sub, .cuic, port: 443, origin: "https://finessep.uccelab.tac", reason: .expected, .allowed),
        ])
        let merged = report.merging(probe: probe, inventory: inventory)
        let found = merged.findings.filter { $0.kind == .preflightRejected }
        #expect(found.count == 1)
        #expect(found[0].severity == .error && found[0].host == sub && found[0].list == .cuic && found[0].origin == missingOnSub)
        #expect(found[0].message == "https://\(sub):8444/cuic/ and https://\(sub)/cuic/ refuse the preflight from \(missingOnSub) (403 without Access-Control-Allow-Origin): \(sub)'s CUIC list lacks it.")
        #expect(found[0].remediation.cliLines == ["utils cuic cors allowed_origin add \(missingOnSub)",
                                         "utils service restart Intelligence Center Reporting Service", "utils cuic cors allowed_origin list"])
        #expect(merged.plans == report.plans)
        #expect(merged.probe == probe)
    }

    @Test func anExpectedOriginOnTheListButRefusedIsConfiguredButNotEffective() throws {
        let (inventory, report) = try Self.labAudit()
        // The same endpoints allow another origin of their lists: they serve a list, an old one.
        let probe = ProbeReport(insecure: false, caFile: nil, results: [
            Self.result(pub, .cuic, port: 443, origin: "https://finessep.uccelab.tac", reason: .expected, .rejected),
            Self.result(pub, .cuic, port: 443, origin: "https://finesses.uccelab.tac", reason: .expected, .allowed),
            Self.result(pub, .liveData, port: 443, origin: "https://finesses.uccelab.tac", reason: .expected, .rejected),
            Self.result(pub, .liveData, port: 443, origin: "https://finessep.uccelab.tac", reason: .expected, .allowed),
        ])
        let merged = report.merging(probe: probe, inventory: inventory)
        let found = merged.findings.filter { $0.kind == .preflightRejected }
        #expect(found.count == 2)
        #expect(found[0].message.hasSuffix(": configured but not effective: restart Intelligence Center Reporting Service."))
        #expect(found[1].message.hasSuffix(": configured but not effective: restart Unified CCE Live Data NGINX Service."))
        // The same restart names as the remediation planner, and the node's runbook gains them.
        let plan = try #require(merged.plans.first { $0.host == pub })
        #expect(plan.steps.cliLines == ["utils service restart Intelligence Center Reporting Service", "utils cuic cors allowed_origin list",
                                        "utils service restart Unified CCE Live Data NGINX Service", "utils live-data cors allowed_origin list"])
        #expect(merged.verdict() == .drift)
    }

    @Test func anOriginThatShouldBeRefusedButIsAllowedIsFlaggedWithItsFix() throws {
        let (inventory, report) = try Self.labAudit()
        let probe = ProbeReport(insecure: true, caFile: nil, results: [
            Self.result(sub, .liveData, port: 443, origin: "http://127.0.0.1:5500", reason: .unexpectedEntry, .allowed),
            Self.result(pub, .cuic, port: 8444, origin: ProbePlan.syntheticOrigin, reason: .synthetic, .allowed, allow: "*"),
            Self.result(pub, .cuic, port: 443, origin: ProbePlan.syntheticOrigin, reason: .synthetic, .rejected),
        ])
        let merged = report.merging(probe: probe, inventory: inventory)
        let found = merged.findings.filter { $0.kind == .preflightUnexpectedAllow }
        #expect(found.count == 2)
        let extra = try #require(found.first { $0.host == sub })
        #expect(extra.severity == .warning)
        #expect(extra.message.contains("entry 5 of \(sub)'s Live Data list"))
        #expect(extra.remediation.cliLines.prefix(2) == ["utils live-data cors allowed_origin delete", "5"])
        let any = try #require(found.first { $0.host == pub })
        #expect(any.message.contains("with Access-Control-Allow-Origin: *") && any.message.contains("the node answers any origin"))
    }

    @Test func errorsGiveNoFindingButLeaveTheRunIncompleteAndTheJSONSaysWhy() throws {
        let (inventory, report) = try Self.labAudit()
        let probe = ProbeReport(insecure: true, caFile: "/tmp/ca.pem", results: [
            Self.result(sub, .cuic, port: 8444, origin: missingOnSub, reason: .expected, .error),
        ])
        let merged = report.merging(probe: probe, inventory: inventory)
        #expect(merged.findings == report.findings)
        #expect(merged.verdict() == .incomplete)
        let json = merged.json().serialized()
        #expect(json.contains("\"probe\": {\"insecure\": true, \"ca_file\": \"/tmp/ca.pem\", \"summary\": {\"allowed\": 0, \"rejected\": 0, \"error\": 1}")
                || json.contains("\"insecure\": true"))
        #expect(json.contains("\"outcome\": \"error\""))
        #expect(json.contains("\"detail\": \"connect: refused\""))
        // A run without the probe keeps the v1 keys exactly as before.
        #expect(!report.json().serialized().contains("\"probe\""))
    }

    @Test func onlyASilentCandidatePortIsLeftOutOfTheErrors() throws {
        // Release unknown (the helper's endpoints): Live Data answered on 443, 12005 was silent, and one origin got no
        // answer on 443 itself. The silent candidate port is idle; the gap at the answering endpoint stays an error.
        let probe = ProbeReport(insecure: false, caFile: nil, results: [
            Self.result(pub, .liveData, port: 443, origin: "https://finessep.uccelab.tac", reason: .expected, .allowed),
            Self.result(pub, .liveData, port: 443, origin: "https://finesses.uccelab.tac", reason: .expected, .error),
            Self.result(pub, .liveData, port: 12005, origin: "https://finessep.uccelab.tac", reason: .expected, .error),
        ])
        #expect(probe.errors.map { "\($0.endpoint.port) \($0.origin)" } == ["443 https://finesses.uccelab.tac"])
        #expect(probe.partition.idle.map(\.endpoint.port) == [12005])
    }
}
