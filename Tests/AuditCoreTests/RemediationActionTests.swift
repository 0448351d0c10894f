import AuditCore
import Foundation
import Testing
import TestSupport

/// Remediation as typed actions: one rendering to CLI text, and reading back only what renders the same.
@Suite struct RemediationActionTests {
    static let every: [RemediationAction] = ListKind.allCases.flatMap { list -> [RemediationAction] in
        [.add(list, origins: ["https://finessep.uccelab.tac", "https://finessep.uccelab.tac:8445"]), .enable(list),
         .verifyList(list), .verifyStatus(list)]
    } + ReleaseProfiles.allRestartRules.map(\.documentedName).flatMap { [RemediationAction.restart(service: $0), .start(service: $0)] } + [.verifyServices]

    @Test func everyCommandLineReadsBackAsItsAction() {
        for action in Self.every {
            let line = action.commandLine!
            #expect(RemediationAction(commandLine: line) == action, "\(line)")
            #expect(action.cliLines == [line])
        }
    }

    @Test func theRenderingIsTheCLIGrammar() {
        #expect(RemediationAction.add(.liveData, origins: ["https://a.tac", "https://a.tac:8445"]).commandLine
                == "utils live-data cors allowed_origin add https://a.tac,https://a.tac:8445")
        #expect(RemediationAction.delete(.cuic, index: 5, origin: "http://127.0.0.1:5500").cliLines == ["utils cuic cors allowed_origin delete", "5"])
        #expect(RemediationAction.restart(service: "Intelligence Center Reporting Service").commandLine == "utils service restart Intelligence Center Reporting Service")
        #expect(RemediationAction.verifyStatus(.finesse).commandLine == "utils finesse cors status")
        #expect(RemediationAction.note("check first").commandLine == nil)
        #expect(RemediationAction.note("check first").cliLines == [])
        // An origin that is not grammar-valid never reaches the line.
        #expect(RemediationAction.add(.cuic, origins: ["https://a.tac", "https://b.tac;reboot"]).commandLine == "utils cuic cors allowed_origin add https://a.tac")
    }

    @Test func whatChangesANodeAndWhatOnlyReads() {
        #expect(Self.every.filter(\.changesNode).count == ListKind.allCases.count * 2 + ReleaseProfiles.allRestartRules.count * 2)
        #expect(Self.every.filter(\.isVerification).count == ListKind.allCases.count * 2 + 1)
        #expect(Self.every.filter(\.isRestart).count == ReleaseProfiles.allRestartRules.count)
        #expect(RemediationAction.delete(.cuic, index: 1, origin: "x").changesNode)
        #expect(!RemediationAction.note("x").changesNode && !RemediationAction.note("x").isVerification)
    }

    @Test func linesCorsAuditDoesNotPlanAreRejected() {
        for line in ["utils system restart", "utils service restart Cisco Tomcat", "utils cuic cors allowed_origin add https://a.tac;reboot",
                     "utils cuic cors allowed_origin add ", "utils cuic cors allowed_origin add https://a.tac,", "utils cuic cors enable ",
                     " utils cuic cors enable", "utils cuic cors allowed_origin delete", "utils cuic cors disable", "utils  service list"] {
            #expect(RemediationAction(commandLine: line) == nil, "\(line)")
        }
        // Every name the 12.5 documents give the Live Data NGINX service is one a plan may restart, as the node lists it.
        for name in ["CCE Live Data NGINX Service", "Unified CCE Live Data NGINX Service", "Unified CCE Live Data NGINX service"] {
            #expect(RemediationAction(commandLine: "utils service restart " + name) == .restart(service: name))
        }
        #expect(RemediationAction(deleteLine: "utils cuic cors allowed_origin delete", index: 0, origin: "x") == nil)
        #expect(RemediationAction(deleteLine: "utils cuic cors allowed_origin list", index: 2, origin: "x") == nil)
        #expect(RemediationAction.parse(lines: ["utils live-data cors allowed_origin delete", "5", "utils service list"], origin: "http://x")
                == [.delete(.liveData, index: 5, origin: "http://x"), .verifyServices])
        #expect(RemediationAction.parse(lines: ["utils cuic cors status", "rm -rf /"], origin: nil) == nil)
    }
}

/// `remediate --from report.json`: the report read back is the report written.
@Suite struct ReportReaderTests {
    func labReport() throws -> AuditReport {
        let (inventory, observations) = try labObservations()
        return Auditor.audit(inventory: inventory, observations: observations, generatedAt: "2026-11-26T09:00:00Z")
    }

    @Test func aWrittenReportReadsBackToTheSamePlansAndFindings() throws {
        let report = try labReport()
        #expect(!report.plans.isEmpty)
        let read = try ReportReader.read(Data(report.json().serialized().utf8), name: "report.json")
        #expect(read.plans == report.plans)
        #expect(read.findings == report.findings)
    }

    @Test func anEditedStepIsRejectedNamingItsPlace() throws {
        let report = try labReport()
        let text = report.json().serialized()
        let line = "utils service restart Intelligence Center Reporting Service"
        #expect(text.contains("\"\(line)\""))
        let edited = text.replacingOccurrences(of: "\"\(line)\"", with: "\"utils system restart\"")
        #expect {
            try ReportReader.read(Data(edited.utf8), name: "r.json")
        } throws: { error in
            let d = "\(error)"
            return d.hasPrefix("r.json: remediation[") && d.contains("is not a command cors-audit plans")
                || d.hasPrefix("r.json: findings[") && d.contains("holds a line cors-audit does not plan")
        }
    }

    @Test func badDocumentsGetAClearError() throws {
        let cases: [(String, String)] = [
            ("[1, 2]", "r.json: not a cors-audit/report/v1 JSON object"),
            ("{\"schema\": \"other/v9\"}", "r.json: not a cors-audit/report/v1 report (schema is other/v9)"),
            ("{\"schema\": \"cors-audit/report/v1\", \"remediation\": [{\"host\": \"a\"}]}", "r.json: remediation[0] lacks cluster, host or steps"),
            ("{\"schema\": \"cors-audit/report/v1\", \"remediation\": [{\"cluster\": \"c\", \"host\": \"a\", \"steps\": [{\"type\": \"shell\"}]}]}",
             "r.json: remediation[0].steps[0] has an unknown type"),
            ("{\"schema\": \"cors-audit/report/v1\", \"remediation\": [{\"cluster\": \"c\", \"host\": \"a\", \"steps\": [{\"type\": \"delete\", \"line\": \"utils cuic cors allowed_origin delete\", \"index\": 0, \"origin\": \"x\"}]}]}",
             "r.json: remediation[0].steps[0] is not a valid delete step"),
        ]
        for (json, message) in cases {
            #expect {
                try ReportReader.read(Data(json.utf8), name: "r.json")
            } throws: { error in
                "\(error)".hasPrefix(message)
            }
        }
        #expect(throws: ReportReader.Problem.self) { try ReportReader.read(path: "/nonexistent/report.json") }
    }
}
