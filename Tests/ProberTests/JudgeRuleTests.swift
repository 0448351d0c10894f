import AuditCore
import Prober
import Testing

/// One test per rule of the Fetch CORS-preflight check, each on the field capture's allowed answer with one thing
/// changed, judged for the gadget's credentialed call and for the same call without cookies.
@Suite struct JudgeRuleTests {
    static let origin = "https://finessep.uccelab.tac:8445"
    static let omit = GadgetRequest(method: GadgetRequest.gadget.method, headers: GadgetRequest.gadget.headers, credentials: .omit)

    /// The allowed field capture's CORS headers (Tests/Fixtures/field/preflight-allowed.http), with `change` applied.
    static func answer(_ change: (inout [(name: String, value: String)]) -> Void = { _ in }) -> [(name: String, value: String)] {
        var h: [(name: String, value: String)] = [
            ("vary", "origin,access-control-request-method,Access-Control-Request-Headers"),
            ("access-control-allow-origin", origin),
            ("access-control-allow-credentials", "true"),
            ("access-control-max-age", "600"),
            ("access-control-allow-methods", "DELETE,POST,GET,OPTIONS,PUT"),
            ("access-control-allow-headers", "referer,peripheralid,origin,access-control-request-method,locale,accept,authorization,domain,x-requested-with,access-control-request-headers,content-type,access-control-request-private-network,user-agent"),
        ]
        change(&h)
        return h
    }

    static func set(_ name: String, _ value: String?) -> (inout [(name: String, value: String)]) -> Void {
        { h in
            h.removeAll { $0.name == name }
            if let value { h.append((name, value)) }
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var status = 200
        var headers: [(name: String, value: String)]
        /// The rule for the credentialed call (nil: allowed), and for the cookie-less one.
        var include: PreflightRule?
        var omit: PreflightRule?
        var reason: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "field capture", headers: answer(), include: nil, omit: nil),
        Case(name: "403 without CORS headers", status: 403, headers: [], include: .allowOriginMissing, omit: .allowOriginMissing,
             reason: "no Access-Control-Allow-Origin"),
        Case(name: "other origin", headers: answer(set("access-control-allow-origin", "https://finesses.uccelab.tac:8445")),
             include: .allowOriginMismatch, omit: .allowOriginMismatch),
        Case(name: "two values in one header", headers: answer(set("access-control-allow-origin", "\(origin), \(origin)")),
             include: .allowOriginMultiple, omit: .allowOriginMultiple),
        Case(name: "wildcard origin", headers: answer(set("access-control-allow-origin", "*")),
             include: .wildcardWithCredentials, omit: nil, reason: "allowed origin is `*` on a credentialed request"),
        Case(name: "no credentials header", headers: answer(set("access-control-allow-credentials", nil)),
             include: .credentialsMissing, omit: nil, reason: "`Access-Control-Allow-Credentials` missing"),
        Case(name: "credentials TRUE", headers: answer(set("access-control-allow-credentials", "TRUE")),
             include: .credentialsNotTrue, omit: nil, reason: "`Access-Control-Allow-Credentials` is `TRUE`, not exactly `true`"),
        Case(name: "echo with 403", status: 403, headers: answer(), include: .statusNotOK, omit: .statusNotOK),
        Case(name: "methods not a list", headers: answer(set("access-control-allow-methods", "GET POST")),
             include: .allowMethodsInvalid, omit: .allowMethodsInvalid),
        Case(name: "headers not a list", headers: answer(set("access-control-allow-headers", "content type")),
             include: .allowHeadersInvalid, omit: .allowHeadersInvalid),
        Case(name: "no authorization", headers: answer(set("access-control-allow-headers", "content-type,x-requested-with")),
             include: .headerNotAllowed, omit: .headerNotAllowed, reason: "`authorization` not in Access-Control-Allow-Headers"),
        Case(name: "no allow-headers", headers: answer(set("access-control-allow-headers", nil)),
             include: .headerNotAllowed, omit: .headerNotAllowed,
             reason: "`authorization`, `content-type`, `x-requested-with` not in Access-Control-Allow-Headers"),
        // Chromium lets `*` cover `authorization` without credentials (`make browser-check`), unlike the Fetch standard.
        Case(name: "headers *", headers: answer(set("access-control-allow-headers", "*")), include: .headerNotAllowed, omit: nil,
             reason: "`authorization`, `content-type`, `x-requested-with` not in Access-Control-Allow-Headers (`*` is no wildcard on a credentialed request)"),
        Case(name: "headers *, authorization", headers: answer(set("access-control-allow-headers", "*, Authorization")),
             include: .headerNotAllowed, omit: nil,
             reason: "`content-type`, `x-requested-with` not in Access-Control-Allow-Headers (`*` is no wildcard on a credentialed request)"),
        Case(name: "header names in any case, spaces and blanks in the list",
             headers: answer(set("access-control-allow-headers", " Authorization ,, Content-Type,X-Requested-With ")), include: nil, omit: nil),
        Case(name: "methods absent (GET needs none)", headers: answer(set("access-control-allow-methods", nil)), include: nil, omit: nil),
    ]

    @Test(arguments: cases) func eachRule(_ c: Case) {
        let credentialed = PreflightJudge.judge(status: c.status, headers: c.headers, origin: Self.origin)
        #expect(credentialed.refusal?.rule == c.include)
        #expect(credentialed.outcome == (c.include == nil ? .allowed : .rejected))
        if let reason = c.reason { #expect(credentialed.refusal?.reason == reason) }
        if let r = credentialed.refusal, r.rule.beyondTheList { #expect(credentialed.detail.contains(r.reason)) }
        let cookieless = PreflightJudge.judge(status: c.status, headers: c.headers, origin: Self.origin, request: Self.omit)
        #expect(cookieless.refusal?.rule == c.omit)
        #expect(cookieless.outcome == (c.omit == nil ? .allowed : .rejected))
    }

    @Test func theOriginCountsAsLetInOnlyWhenEchoedOrStarredWithSuccess() {
        #expect(PreflightJudge.judge(status: 200, headers: Self.answer(Self.set("access-control-allow-credentials", nil)), origin: Self.origin).originAccepted)
        #expect(PreflightJudge.judge(status: 200, headers: Self.answer(Self.set("access-control-allow-origin", "*")), origin: Self.origin).originAccepted)
        #expect(!PreflightJudge.judge(status: 403, headers: Self.answer(), origin: Self.origin).originAccepted)
        #expect(!PreflightJudge.judge(status: 200, headers: Self.answer(Self.set("access-control-allow-origin", "https://x.example")), origin: Self.origin).originAccepted)
    }

    @Test func aMethodThatNeedsPermissionIsCheckedByteForByte() {
        let put = GadgetRequest(method: "PUT", headers: [], credentials: .include)
        #expect(PreflightJudge.judge(status: 200, headers: Self.answer(), origin: Self.origin, request: put).outcome == .allowed)
        let lower = PreflightJudge.judge(status: 200, headers: Self.answer(Self.set("access-control-allow-methods", "get,put")), origin: Self.origin, request: put)
        #expect(lower.refusal?.rule == .methodNotAllowed)
        let star = PreflightJudge.judge(status: 200, headers: Self.answer(Self.set("access-control-allow-methods", "*")), origin: Self.origin, request: put)
        #expect(star.refusal?.rule == .methodNotAllowed)
        let putOmit = GadgetRequest(method: "PUT", headers: [], credentials: .omit)
        #expect(PreflightJudge.judge(status: 200, headers: Self.answer(Self.set("access-control-allow-methods", "*")), origin: Self.origin, request: putOmit).outcome == .allowed)
    }

    @Test func everyRuleIsCovered() {
        let covered = Set(Self.cases.flatMap { [$0.include, $0.omit] }.compactMap { $0 } + [.methodNotAllowed])
        #expect(covered == Set(PreflightRule.allCases))
    }
}
