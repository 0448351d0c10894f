import AuditCore
import Foundation
import Pipeline
import Testing
import TestSupport
@testable import VOSSimulator

/// The settings beside the CORS lists, read over SSH from vos-sim nodes: Finesse's gadget source check, CUIC's private
/// network access and the header lists, each in a clean and a drifting lab.
@Suite(.serialized) struct SettingAuditTests {
    static let password = "setting-audit-pw"
    static let fourCUICURLs = ["https://cuicpub.uccelab.tac", "https://cuicpub.uccelab.tac:8444",
                               "https://cuicsub.uccelab.tac", "https://cuicsub.uccelab.tac:8444"]
    static let settingKinds: Set<FindingKind> = [.gadgetSourceMissing, .asymmetricGadgetSourceCheck,
                                                 .asymmetricPrivateNetworkAccess, .asymmetricHeaders]

    /// Audits the lab over SSH after `adjust`; the report and the raw sessions.
    func audit(_ adjust: @escaping (inout [NodeDefinition]) -> Void) async throws -> AuditPipeline.Result {
        try await Simulation.lab(password: Self.password, adjust: adjust).use { lab in
            let source = LiveSSHSource(options: .init(runTimeout: .seconds(60), environment: ["VOS_SIM_PASSWORD": Self.password]))
            return await AuditPipeline(source: source).run(try lab.inventory())
        }
    }

    func index(_ nodes: [NodeDefinition], _ host: String) -> Int { nodes.firstIndex { $0.host == host }! }

    func sent(_ result: AuditPipeline.Result, _ host: String, _ command: VOSCommand) -> Bool {
        String(decoding: result.transcripts[host] ?? [], as: UTF8.self).contains("admin:" + command.rawValue)
    }

    // MARK: - Gadget source check

    @Test func gadgetSourceCheckEnabledWithEveryCUICURLIsClean() async throws {
        let result = try await audit { nodes in
            nodes[self.index(nodes, "finesses.uccelab.tac")].settings.gadgetSources = Self.fourCUICURLs
        }
        let report = result.report
        #expect(report.complete)
        for host in ["finessep.uccelab.tac", "finesses.uccelab.tac"] {
            let node = try #require(report.nodes.first { $0.host == host })
            #expect(node.gadgetSourceCheck == GadgetSourceCheck(enabled: true, sources: Self.fourCUICURLs))
        }
        #expect(!report.findings.contains { [.gadgetSourceMissing, .asymmetricGadgetSourceCheck].contains($0.kind) })
        #expect(!report.plans.contains { $0.host.hasPrefix("finesse") })
        // Finesse commands go to Finesse nodes only.
        #expect(!sent(result, "cuicpub.uccelab.tac", .gadgetSourceStatus))
        #expect(sent(result, "finessep.uccelab.tac", .gadgetSourceList))
    }

    @Test func aFinesseNodeLackingCUICURLsGetsAnErrorPerURLAndTheAddsInItsRunbook() async throws {
        // The demo lab as shipped: finesses lacks cuicsub's two URLs.
        let report = try await audit { _ in }.report
        #expect(report.complete)
        let missing = report.findings.filter { $0.kind == .gadgetSourceMissing }
        #expect(missing.map(\.host) == ["finesses.uccelab.tac", "finesses.uccelab.tac"])
        #expect(Set(missing.compactMap(\.origin)) == ["https://cuicsub.uccelab.tac", "https://cuicsub.uccelab.tac:8444"])
        #expect(missing.allSatisfy { $0.severity == .error })
        let asym = try #require(report.findings.first { $0.kind == .asymmetricGadgetSourceCheck })
        #expect(asym.hosts == ["finessep.uccelab.tac", "finesses.uccelab.tac"])
        #expect(asym.message.contains("finessep.uccelab.tac has https://cuicsub.uccelab.tac:8444 that finesses.uccelab.tac does not"))
        let plan = try #require(report.plans.first { $0.host == "finesses.uccelab.tac" })
        #expect(plan.steps.compactMap(\.commandLine) == [
            "utils finesse gadget_source_check allowed_list add https://cuicsub.uccelab.tac",
            "utils finesse gadget_source_check allowed_list add https://cuicsub.uccelab.tac:8444",
            "utils service restart Cisco Finesse Tomcat",
            "utils finesse gadget_source_check allowed_list list",
        ])
    }

    @Test func aDisabledGadgetSourceCheckRequiresNothingButPeersMustAgreeOnIt() async throws {
        let report = try await audit { nodes in
            nodes[self.index(nodes, "finesses.uccelab.tac")].settings = NodeSettings(gadgetSourceCheck: false, gadgetSources: [])
        }.report
        #expect(report.complete)
        let secondary = try #require(report.nodes.first { $0.host == "finesses.uccelab.tac" })
        #expect(secondary.gadgetSourceCheck == GadgetSourceCheck(enabled: false, sources: []))
        #expect(!report.findings.contains { $0.kind == .gadgetSourceMissing })
        let asym = try #require(report.findings.first { $0.kind == .asymmetricGadgetSourceCheck })
        #expect(asym.message.contains("enabled on finessep.uccelab.tac and disabled on finesses.uccelab.tac"))
    }

    // MARK: - Private network access

    @Test func privateNetworkAccessIsReadOnTwelveSixAndAgreeingNodesAreClean() async throws {
        let result = try await audit { nodes in
            for i in nodes.indices where nodes[i].product == .cuic { nodes[i].settings.privateNetworkAccess = true }
        }
        #expect(result.report.complete)
        for host in ["cuicpub.uccelab.tac", "cuicsub.uccelab.tac"] {
            #expect(result.report.nodes.first { $0.host == host }?.privateNetworkAccess == true)
            #expect(sent(result, host, .cuicPrivateNetworkAccess))
        }
        #expect(!sent(result, "finessep.uccelab.tac", .cuicPrivateNetworkAccess))
        #expect(!result.report.findings.contains { $0.kind == .asymmetricPrivateNetworkAccess })
    }

    @Test func aCUICNodeWithoutPrivateNetworkAccessIsDriftAndItsRunbookEnablesItThenRestartsReporting() async throws {
        let report = try await audit { nodes in
            nodes[self.index(nodes, "cuicpub.uccelab.tac")].settings.privateNetworkAccess = true
        }.report
        #expect(report.complete)
        let finding = try #require(report.findings.first { $0.kind == .asymmetricPrivateNetworkAccess })
        #expect(finding.severity == .error)
        #expect(finding.hosts == ["cuicsub.uccelab.tac"])
        let plan = try #require(report.plans.first { $0.host == "cuicsub.uccelab.tac" })
        let lines = plan.steps.compactMap(\.commandLine)
        let enable = try #require(lines.firstIndex(of: "utils cuic cors private-network-access enable"))
        let restart = try #require(lines.firstIndex(of: "utils service restart Intelligence Center Reporting Service"))
        let verify = try #require(lines.firstIndex(of: "utils cuic cors private-network-access status"))
        #expect(enable < restart && restart < verify)
        #expect(!(report.plans.first { $0.host == "cuicpub.uccelab.tac" }?.steps.contains(.setPrivateNetworkAccess(false)) ?? false))
    }

    @Test func onTwelveFiveThePrivateNetworkAccessCommandIsNeverSent() async throws {
        let result = try await audit { nodes in
            for i in nodes.indices where nodes[i].product == .cuic {
                nodes[i].version = "12.5.1.10000-4"
                nodes[i].services = ServiceCatalog.defaults(product: .cuic, version: "12.5.1.10000-4", liveData: true)
            }
        }
        #expect(result.report.complete)
        for host in ["cuicpub.uccelab.tac", "cuicsub.uccelab.tac"] {
            #expect(!sent(result, host, .cuicPrivateNetworkAccess))
            #expect(result.report.nodes.first { $0.host == host }?.privateNetworkAccess == nil)
        }
    }

    // MARK: - Header lists

    @Test func headerListsThatAgreeAreClean() async throws {
        let report = try await audit { nodes in
            for i in nodes.indices where nodes[i].product == .cuic { nodes[i].lists[.cuic]!.allowedHeaders = ["X-Custom-Id"] }
        }.report
        #expect(report.complete)
        #expect(report.nodes.first { $0.host == "cuicsub.uccelab.tac" }?.lists.first { $0.kind == .cuic }?.allowedHeaders == ["X-Custom-Id"])
        #expect(!report.findings.contains { $0.kind == .asymmetricHeaders })
    }

    @Test func aHeaderOnOneNodeOnlyIsAnAsymmetricHeadersFinding() async throws {
        let report = try await audit { nodes in
            nodes[self.index(nodes, "cuicsub.uccelab.tac")].lists[.liveData]!.exposedHeaders = ["X-Trace"]
            nodes[self.index(nodes, "finessep.uccelab.tac")].lists[.finesse]!.allowedHeaders = ["X-Agent-Id"]
        }.report
        #expect(report.complete)
        let findings = report.findings.filter { $0.kind == .asymmetricHeaders }
        #expect(findings.map(\.list) == [.liveData, .finesse])
        #expect(findings[0].message.contains("exposed_headers"))
        #expect(findings[0].message.contains("cuicsub.uccelab.tac has X-Trace that cuicpub.uccelab.tac does not"))
        #expect(findings[0].remediation == [.verifyExposedHeaders(.liveData)])
        #expect(findings[1].message.contains("finessep.uccelab.tac has X-Agent-Id that finesses.uccelab.tac does not"))
        #expect(findings.allSatisfy { $0.severity == .warning })
    }
}
