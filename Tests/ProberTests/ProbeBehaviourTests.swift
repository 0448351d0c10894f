import AuditCore
import Foundation
import Prober
import Testing
import TestSupport
@testable import VOSSimulator

/// vos-sim's cuicpub answering each way the judge tells apart: the probe names the rule, and `audit --probe` says
/// when the origin list is not the cause instead of planning an add or a restart.
@Suite(.serialized) struct ProbeBehaviourTests {
    /// The rule each behaviour breaks for the expected origins on cuicpub's CUIC list (its 8444 and 443 URLs).
    static let rules: [(PreflightBehaviour, PreflightRule?)] = [
        (.field, nil), (.wildcard, .wildcardWithCredentials), (.wildcardNoCredentials, .wildcardWithCredentials),
        (.noCredentials, .credentialsMissing), (.credentialsUppercase, .credentialsNotTrue), (.noAuthorization, .headerNotAllowed),
        (.headersWildcard, .headerNotAllowed), (.headersWildcardAuthorization, .headerNotAllowed), (.noAllowHeaders, .headerNotAllowed),
        (.invalidAllowHeaders, .allowHeadersInvalid), (.invalidAllowMethods, .allowMethodsInvalid),
        (.duplicateOrigin, .allowOriginMultiple), (.forbiddenWithHeaders, .statusNotOK),
    ]

    @Test func everyBehaviourIsCoveredHereOrByFixedOrigin() {
        #expect(Set(Self.rules.map(\.0.rawValue) + [PreflightBehaviour.fixedOrigin.rawValue]) == Set(PreflightBehaviour.allCases.map(\.rawValue)))
    }

    @Test(arguments: rules.map { ($0.0.rawValue, $0.1?.rawValue) })
    func theProbeNamesTheRuleEachBehaviourBreaks(_ behaviour: String, _ rule: String?) async throws {
        try await withLab(faults: [pub: "preflight: \(behaviour)"]) { lab in
            let probe = await PreflightProber(options: .init(caFile: lab.caFile)).probe(try lab.inventory())
            let expected = probe.results.filter { $0.endpoint.host == pub && $0.endpoint.list == .cuic && $0.reason == .expected }
            #expect(expected.count == 8)
            for r in expected {
                #expect(r.verdict.refusal?.rule.rawValue == rule, "\(r.endpoint.url) \(r.origin): \(r.verdict.detail)")
                #expect(r.verdict.outcome == (rule == nil ? .allowed : .rejected))
            }
            // The subscriber answers as the field capture: its one missing origin stays the list's fault.
            let subRefused = probe.results.filter { $0.endpoint.host == sub && $0.reason == .expected && $0.verdict.outcome == .rejected }
            #expect(subRefused.allSatisfy { $0.verdict.refusal?.rule == .allowOriginMissing && $0.origin == missingOnSub })
        }
    }

    @Test(arguments: ["no_authorization", "wildcard", "no_credentials", "fixed_origin"])
    func auditProbeSaysTheListIsNotTheCause(_ behaviour: String) async throws {
        try await withLab(faults: [pub: "preflight: \(behaviour)"]) { lab in
            let out = lab.directory + "/\(behaviour)"
            let r = try corsAudit(["audit", "--probe", "--inventory", lab.inventoryPath, "--ca-file", lab.caFile, "--output", out, "--no-history"])
            #expect(r.status == 1, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            let json = try readJSON(out + "/report.json")
            let findings = json["findings"] as! [[String: Any]]
            let beyond = findings.filter { $0["kind"] as? String == "preflight-response-headers" }
            // Four expected origins on each of cuicpub's lists (CUIC, co-resident Live Data); fixed_origin answers with
            // the list's first entry, so that origin passes and three do not.
            #expect(beyond.count == (behaviour == "fixed_origin" ? 6 : 8), "\(findings.map { $0["kind"] as! String })")
            #expect(beyond.allSatisfy { $0["host"] as? String == pub && $0["severity"] as? String == "error" })
            for f in beyond {
                let message = f["message"] as? String ?? ""
                #expect(message.contains("adding the origin or restarting does not fix this") || message.contains("neither adding it nor a restart fixes this"), "\(message)")
                let steps = f["remediation"] as? [String] ?? []
                #expect(!steps.contains { $0.hasPrefix("utils service restart") || $0.contains("allowed_origin add") }, "\(steps)")
            }
            if behaviour == "no_authorization" {
                #expect(beyond.allSatisfy { f in
                    (f["remediation"] as? [String])?.first == "utils \(f["list"] as? String ?? "?") cors allowed_headers list"
                })
                #expect(r.stdout.contains("`authorization` not in Access-Control-Allow-Headers"), "\(r.stdout)")
            }
            // No plan for cuicpub: nothing on its lists is wrong.
            let plans = json["remediation"] as? [[String: Any]] ?? []
            #expect(!plans.contains { $0["host"] as? String == pub }, "\(plans)")
            // The JSON names each refusal's rule and reason.
            let results = (json["probe"] as? [String: Any])?["results"] as? [[String: Any]] ?? []
            let refused = results.filter { $0["host"] as? String == pub && $0["should"] as? String == "allow" && $0["outcome"] as? String == "rejected" }
            #expect(!refused.isEmpty && refused.allSatisfy { ($0["refusal"] as? [String: Any])?["rule"] is String })
            let request = (json["probe"] as? [String: Any])?["request"] as? [String: Any]
            #expect(request?["credentials"] as? String == "include")
            #expect(request?["headers"] as? [String] == ["authorization", "content-type", "x-requested-with"])
        }
    }
}
