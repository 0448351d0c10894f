import Foundation
import AuditCore

/// Decides what a browser makes of a preflight answer: the Fetch standard's CORS-preflight check (CORS check, ok
/// status, then `Access-Control-Allow-Methods` and `-Headers`) for one request profile, in Chromium's order, so the
/// first rule that fails is the one named. Pure: status and headers in, verdict out.
public enum PreflightJudge {
    public static func judge(status: Int, headers: [(name: String, value: String)], origin: String,
                             request: GadgetRequest = .gadget) -> PreflightVerdict {
        func values(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name }.map { $0.value.trimmingCharacters(in: httpWhitespace) }
        }
        let acao = values("access-control-allow-origin")
        let cors = headers.contains { $0.name.lowercased().hasPrefix("access-control-") }
        let ok = (200...299).contains(status)
        // The CORS check sees one value: several headers are combined with ", " (and then match nothing).
        let allow = acao.isEmpty ? nil : acao.joined(separator: ", ")
        let accepted = ok && acao.count == 1 && (allow == origin || allow == "*")
        func refuse(_ rule: PreflightRule, _ reason: String, _ detail: String) -> PreflightVerdict {
            PreflightVerdict(outcome: .rejected, status: status, allowOrigin: allow, detail: detail, corsHeaders: cors,
                             refusal: PreflightRefusal(rule: rule, reason: reason), originAccepted: accepted)
        }
        let credentialed = request.credentials == .include
        guard let allow else {
            return refuse(.allowOriginMissing, "no Access-Control-Allow-Origin", "\(status) without Access-Control-Allow-Origin")
        }
        if allow == "*" {
            if credentialed {
                return refuse(.wildcardWithCredentials, "allowed origin is `*` on a credentialed request",
                              "\(status), but the allowed origin is `*` on a credentialed request (browsers never accept `*` when cookies go with the call)")
            }
        } else if allow != origin {
            if acao.count > 1 {
                return refuse(.allowOriginMultiple, "\(acao.count) Access-Control-Allow-Origin headers",
                              "\(status) with \(acao.count) Access-Control-Allow-Origin headers (browsers refuse more than one)")
            }
            if allow.contains(",") || allow.contains(" ") {
                return refuse(.allowOriginMultiple, "Access-Control-Allow-Origin holds more than one value",
                              "\(status) but Access-Control-Allow-Origin is \(allow): more than one value (browsers refuse it)")
            }
            return refuse(.allowOriginMismatch, "Access-Control-Allow-Origin is \(allow), not the origin",
                          "\(status) but Access-Control-Allow-Origin is \(allow), not the origin")
        }
        if credentialed {
            let acac = values("access-control-allow-credentials")
            if acac.isEmpty {
                return refuse(.credentialsMissing, "`Access-Control-Allow-Credentials` missing",
                              "\(status), Access-Control-Allow-Origin: \(allow), but `Access-Control-Allow-Credentials` missing on a credentialed request")
            }
            let value = acac.joined(separator: ", ")
            if value != "true" {
                return refuse(.credentialsNotTrue, "`Access-Control-Allow-Credentials` is `\(value)`, not exactly `true`",
                              "\(status), Access-Control-Allow-Origin: \(allow), but `Access-Control-Allow-Credentials` is `\(value)`, not exactly `true`")
            }
        }
        guard ok else {
            return refuse(.statusNotOK, "status \(status) is not a success (2xx)",
                          "\(status): not a success status, whatever Access-Control-Allow-Origin says")
        }
        let but = "\(status), Access-Control-Allow-Origin: \(allow), but "
        let methodValues = values("access-control-allow-methods")
        guard let methods = list(methodValues) else {
            let text = methodValues.joined(separator: ", ")
            return refuse(.allowMethodsInvalid, "`Access-Control-Allow-Methods` is not a list of methods (`\(text)`)",
                          but + "`Access-Control-Allow-Methods` is not a list of methods (`\(text)`)")
        }
        let headerValues = values("access-control-allow-headers")
        guard let names = list(headerValues) else {
            let text = headerValues.joined(separator: ", ")
            return refuse(.allowHeadersInvalid, "`Access-Control-Allow-Headers` is not a list of header names (`\(text)`)",
                          but + "`Access-Control-Allow-Headers` is not a list of header names (`\(text)`)")
        }
        // Methods compare byte for byte; `*` counts only without credentials. GET, HEAD and POST need no permission.
        if request.methodNeedsPermission, !methods.contains(request.method), credentialed || !methods.contains("*") {
            let star = methods.contains("*") ? " (`*` is no wildcard on a credentialed request)" : ""
            return refuse(.methodNotAllowed, "`\(request.method)` not in Access-Control-Allow-Methods\(star)",
                          but + "`\(request.method)` not in Access-Control-Allow-Methods\(star)")
        }
        // Header names compare case-insensitively; `*` covers nothing with credentials. Without credentials the Fetch
        // standard keeps `authorization` out of `*`, but Chromium (checked by `make browser-check`: 156) still lets `*`
        // cover it, and the judge follows the browser. The gadget's call is credentialed, where the two agree.
        let allowed = Set(names.map { $0.lowercased() })
        let star = allowed.contains("*")
        let missing = Set(request.headers).sorted().filter { name in
            allowed.contains(name) ? false : credentialed || !star
        }
        if !missing.isEmpty {
            var reason = missing.map { "`\($0)`" }.joined(separator: ", ") + " not in Access-Control-Allow-Headers"
            if star { reason += " (`*` is no wildcard on a credentialed request)" }
            return refuse(.headerNotAllowed, reason, but + reason)
        }
        return PreflightVerdict(outcome: .allowed, status: status, allowOrigin: allow,
                                detail: "\(status), Access-Control-Allow-Origin: \(allow)", corsHeaders: cors, originAccepted: true)
    }

    static let httpWhitespace = CharacterSet(charactersIn: " \t")

    /// The Fetch standard's "extracting header list values" for a `#token` header: every header's value split at commas,
    /// blank elements skipped; nil when an element is not a token (the check then fails); empty when absent.
    static func list(_ values: [String]) -> [String]? {
        var out: [String] = []
        for value in values {
            for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                let item = element.trimmingCharacters(in: httpWhitespace)
                if item.isEmpty { continue }
                guard item.unicodeScalars.allSatisfy(isTokenCharacter) else { return nil }
                out.append(item)
            }
        }
        return out
    }

    static func isTokenCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "0"..."9": true
        case "!", "#", "$", "%", "&", "'", "*", "+", "-", ".", "^", "_", "`", "|", "~": true
        default: false
        }
    }

    /// No HTTP answer: never allowed, never rejected, an error that leaves the run incomplete.
    public static func failure(_ detail: String) -> PreflightVerdict {
        PreflightVerdict(outcome: .error, status: nil, allowOrigin: nil, detail: detail)
    }
}

/// The preflight a browser sends before the gadget's call: the headers Chromium sends (`make browser-check` compares
/// the request-method and request-headers values with what Chromium sent to the same endpoint).
public enum PreflightRequest {
    public static func headers(origin: String, host: String, request: GadgetRequest = .gadget) -> [(String, String)] {
        [("Origin", origin), ("Access-Control-Request-Method", request.method)]
            + (request.requestHeadersValue.map { [("Access-Control-Request-Headers", $0)] } ?? [])
            + [
                ("Accept", "*/*"),
                ("Referer", origin + "/"),
                ("Sec-Fetch-Mode", "cors"),
                ("Sec-Fetch-Site", "same-site"),
                ("Sec-Fetch-Dest", "empty"),
                ("User-Agent", "cors-audit-probe"),
            ]
    }
}
