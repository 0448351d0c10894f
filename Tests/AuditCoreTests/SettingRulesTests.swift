import Testing
@testable import AuditCore

/// The settings beside the lists, judged from observations: fail closed on what is not understood or not read, and the
/// runbook lines read back exactly.
@Suite struct SettingRulesTests {
    @Test func aGadgetStatusNoParserUnderstandsLeavesTheNodeUnparsedWithItsRawText() throws {
        let report = try auditLab([finesse("finessep.uccelab.tac", gadgetStatus: "Gadget source check: pending\n"),
                                   cuic("cuicpub.uccelab.tac"), cuic("cuicsub.uccelab.tac")])
        let node = try #require(report.nodes.first { $0.host == "finessep.uccelab.tac" })
        #expect(node.status == .unparsed)
        #expect(node.unparsed.first?.command == VOSCommand.gadgetSourceStatus.rawValue)
        #expect(node.unparsed.first?.raw == "Gadget source check: pending\n")
        #expect(node.gadgetSourceCheck?.enabled == nil)
        #expect(report.verdict() == .incomplete)
    }

    @Test func aTranscriptWithoutTheNewReadsIsPartialNeverClean() throws {
        let full = cuic("cuicpub.uccelab.tac")
        let old = NodeObservation(host: full.host, captures: full.captures.filter {
            ![VOSCommand.cuicAllowedHeaders, .cuicExposedHeaders, .cuicPrivateNetworkAccess].map(\.rawValue).contains($0.command)
        })
        let report = try auditLab([old, cuic("cuicsub.uccelab.tac")])
        let node = try #require(report.nodes.first { $0.host == "cuicpub.uccelab.tac" })
        #expect(node.status == .partial)
        #expect(node.detail.contains("utils cuic cors private-network-access status"))
        #expect(node.detail.contains("utils cuic cors allowed_headers list"))
    }

    @Test func onAnUnknownReleasePrivateNetworkAccessIsNotRequiredAndTheNodeSaysSo() throws {
        let report = try auditLab([cuic("cuicpub.uccelab.tac", version: "14.0.1.10000-1"), cuic("cuicsub.uccelab.tac")])
        let node = try #require(report.nodes.first { $0.host == "cuicpub.uccelab.tac" })
        #expect(node.status == .audited)
        #expect(node.privateNetworkAccess == nil)
        #expect(node.notes.contains { $0.contains("private network access not read") })
    }

    @Test func theNewRunbookLinesReadBackExactly() {
        let actions: [RemediationAction] = [
            .addGadgetSource("https://cuicsub.uccelab.tac:8444"), .verifyGadgetSources, .verifyGadgetSourceStatus,
            .setPrivateNetworkAccess(true), .setPrivateNetworkAccess(false), .verifyPrivateNetworkAccess,
            .verifyExposedHeaders(.liveData), .verifyHeaders(.finesse),
        ]
        for action in actions {
            #expect(RemediationAction(commandLine: action.commandLine!) == action)
        }
        // Only a grammar-valid URL is ever typed.
        #expect(RemediationAction.addGadgetSource("https://a.test;reboot").commandLine == nil)
        #expect(RemediationAction(commandLine: "utils finesse gadget_source_check allowed_list add https://a.test,https://b.test") == nil)
    }

    @Test func aPlanGainsTheSettingStepsInOrder() {
        let plan = RemediationPlan(cluster: "c", host: "h", steps: [
            .add(.cuic, origins: ["https://f.test"]), .restart(service: "Intelligence Center Reporting Service"), .verifyList(.cuic),
        ])
        let merged = SettingRules.merge([.setPrivateNetworkAccess(true), .restart(service: "Intelligence Center Reporting Service"),
                                         .verifyPrivateNetworkAccess], into: plan, cluster: "c", host: "h")
        #expect(merged?.steps == [
            .setPrivateNetworkAccess(true), .add(.cuic, origins: ["https://f.test"]), .restart(service: "Intelligence Center Reporting Service"),
            .verifyList(.cuic), .verifyPrivateNetworkAccess,
        ])
    }
}
