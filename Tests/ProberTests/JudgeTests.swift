import AuditCore
import Foundation
import Prober
import Testing
import TestSupport

/// A browser capture as published: the request, a blank line, the response head (trailing spaces kept).
struct Capture {
    var requestHeaders: [(name: String, value: String)]
    var status: Int
    var responseHeaders: [(name: String, value: String)]

    var origin: String? { requestHeaders.first { $0.name.lowercased() == "origin" }?.value }

    static func load(_ name: String) throws -> Capture {
        let url = URL(fileURLWithPath: fieldCapture(name))
        return try parse(String(decoding: Data(contentsOf: url), as: UTF8.self))
    }

    struct Malformed: Error, CustomStringConvertible { var description: String }

    /// Raw HTTP/1.1 as text: request line, headers, blank line, status line, headers.
    static func parse(_ text: String) throws -> Capture {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \r")) }
        guard let blank = lines.firstIndex(of: ""), blank > 0, blank + 1 < lines.count else { throw Malformed(description: "no blank line between request and response") }
        func headers(_ slice: ArraySlice<String>) throws -> [(name: String, value: String)] {
            try slice.filter { !$0.isEmpty }.map { line in
                guard let colon = line.firstIndex(of: ":") else { throw Malformed(description: "not a header: \(line)") }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
        }
        let statusLine = lines[blank + 1].split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/"), let status = Int(statusLine[1]) else {
            throw Malformed(description: "not a status line: \(lines[blank + 1])")
        }
        return Capture(requestHeaders: try headers(lines[1..<blank]), status: status, responseHeaders: try headers(lines[(blank + 2)...]))
    }
}

@Suite struct PreflightJudgeTests {
    @Test func fieldCaptureOf200EchoingTheOriginIsAllowed() throws {
        let c = try Capture.load("preflight-allowed.http")
        #expect(c.origin == "https://finessep.uccelab.tac:8445")
        let v = PreflightJudge.judge(status: c.status, headers: c.responseHeaders, origin: c.origin!)
        #expect(v.outcome == .allowed)
        #expect(v.status == 200)
        #expect(v.allowOrigin == "https://finessep.uccelab.tac:8445")
        #expect(v.detail == "200, Access-Control-Allow-Origin: https://finessep.uccelab.tac:8445")
    }

    @Test func fieldCaptureOf403WithoutCORSHeadersIsRejected() throws {
        let c = try Capture.load("preflight-rejected.http")
        let v = PreflightJudge.judge(status: c.status, headers: c.responseHeaders, origin: c.origin!)
        #expect(v.outcome == .rejected)
        #expect(v.status == 403)
        #expect(v.allowOrigin == nil)
        #expect(v.detail == "403 without Access-Control-Allow-Origin")
    }

    @Test func theAllowedCaptureFromAnotherOriginIsRejected() throws {
        // The same 200 answer read for a different origin: the echo is not that origin.
        let c = try Capture.load("preflight-allowed.http")
        let v = PreflightJudge.judge(status: c.status, headers: c.responseHeaders, origin: "https://finesses.uccelab.tac:8445")
        #expect(v.outcome == .rejected)
        #expect(v.detail == "200 but Access-Control-Allow-Origin is https://finessep.uccelab.tac:8445, not the origin")
    }

    @Test func wildcardIsRefusedOnTheGadgetsCallAndCaseDifferenceIsRefusedAlways() {
        let o = "https://finessep.uccelab.tac:8445"
        let star = PreflightJudge.judge(status: 204, headers: [("Access-Control-Allow-Origin", "*")], origin: o)
        #expect(star.outcome == .rejected && star.refusal?.rule == .wildcardWithCredentials && star.originAccepted)
        let cookieless = GadgetRequest(method: "GET", headers: [], credentials: .omit)
        #expect(PreflightJudge.judge(status: 204, headers: [("Access-Control-Allow-Origin", "*")], origin: o, request: cookieless).outcome == .allowed)
        // Browsers compare the header to the origin byte for byte.
        #expect(PreflightJudge.judge(status: 200, headers: [("access-control-allow-origin", o.uppercased())], origin: o).outcome == .rejected)
    }

    @Test func successWithoutTheHeaderOrNonSuccessWithItIsRejected() {
        let o = "https://finessep.uccelab.tac"
        let noHeader = PreflightJudge.judge(status: 200, headers: [("allow", "GET")], origin: o)
        #expect(noHeader.outcome == .rejected && noHeader.detail == "200 without Access-Control-Allow-Origin")
        let notFound = PreflightJudge.judge(status: 404, headers: [("access-control-allow-origin", o)], origin: o)
        #expect(notFound.outcome == .rejected && notFound.allowOrigin == o)
        let redirect = PreflightJudge.judge(status: 302, headers: [("location", "/login")], origin: o)
        #expect(redirect.outcome == .rejected)
    }

    @Test func twoAllowOriginHeadersAreRejected() {
        let o = "https://finessep.uccelab.tac"
        let v = PreflightJudge.judge(status: 200, headers: [("access-control-allow-origin", o), ("Access-Control-Allow-Origin", o)], origin: o)
        #expect(v.outcome == .rejected)
        #expect(v.detail.contains("2 Access-Control-Allow-Origin headers"))
    }

    @Test func noAnswerIsAnErrorNeverAllowedNorRejected() {
        let v = PreflightJudge.failure("TLS: certificate verify failed")
        #expect(v.outcome == .error && v.status == nil)
    }

    @Test func theRequestCarriesTheBrowsersPreflightHeaders() {
        let h = Dictionary(uniqueKeysWithValues: PreflightRequest.headers(origin: "https://f.example:8445", host: "cuic.example").map { ($0.0.lowercased(), $0.1) })
        #expect(h["origin"] == "https://f.example:8445")
        #expect(h["access-control-request-method"] == "GET")
        // Chromium's form: lower case, sorted, comma without space.
        #expect(h["access-control-request-headers"] == "authorization,content-type,x-requested-with")
        #expect(h["sec-fetch-mode"] == "cors")
    }
}
