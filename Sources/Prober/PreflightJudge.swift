import AuditCore

/// Decides what a browser makes of a preflight answer. Pure: status and headers in, verdict out.
public enum PreflightJudge {
    /// Allowed: 2xx and exactly one `Access-Control-Allow-Origin` equal to `origin` (byte for byte, as browsers
    /// compare) or `*`. Everything else that is an HTTP answer is rejected, with the reason.
    public static func judge(status: Int, headers: [(name: String, value: String)], origin: String) -> PreflightVerdict {
        let acao = headers.filter { $0.name.lowercased() == "access-control-allow-origin" }
            .map { $0.value.trimmingCharacters(in: [" ", "\t"]) }
        let allow = acao.first
        let ok = (200...299).contains(status)
        let cors = headers.contains { $0.name.lowercased().hasPrefix("access-control-") }
        var verdict = verdict(status: status, acao: acao, allow: allow, ok: ok, origin: origin)
        verdict.corsHeaders = cors
        return verdict
    }

    static func verdict(status: Int, acao: [String], allow: String?, ok: Bool, origin: String) -> PreflightVerdict {
        switch acao.count {
        case 0:
            return PreflightVerdict(outcome: .rejected, status: status, allowOrigin: nil,
                                    detail: "\(status) without Access-Control-Allow-Origin")
        case 1 where ok && (allow == origin || allow == "*"):
            return PreflightVerdict(outcome: .allowed, status: status, allowOrigin: allow,
                                    detail: "\(status), Access-Control-Allow-Origin: \(allow!)")
        case 1 where ok:
            return PreflightVerdict(outcome: .rejected, status: status, allowOrigin: allow,
                                    detail: "\(status) but Access-Control-Allow-Origin is \(allow!), not the origin")
        case 1:
            return PreflightVerdict(outcome: .rejected, status: status, allowOrigin: allow,
                                    detail: "\(status): not a success status, whatever Access-Control-Allow-Origin says")
        default:
            return PreflightVerdict(outcome: .rejected, status: status, allowOrigin: acao.joined(separator: ", "),
                                    detail: "\(status) with \(acao.count) Access-Control-Allow-Origin headers (browsers refuse more than one)")
        }
    }

    /// No HTTP answer: never allowed, never rejected, an error that leaves the run incomplete.
    public static func failure(_ detail: String) -> PreflightVerdict {
        PreflightVerdict(outcome: .error, status: nil, allowOrigin: nil, detail: detail)
    }
}

/// The request a gadget's browser sends before a cross-origin call: the same headers Chrome sends.
public enum PreflightRequest {
    public static let method = "GET"
    /// What a report gadget's XHR adds beyond the simple headers.
    public static let requestHeaders = "authorization,content-type,x-requested-with"

    public static func headers(origin: String, host: String) -> [(String, String)] {
        [
            ("Origin", origin),
            ("Access-Control-Request-Method", method),
            ("Access-Control-Request-Headers", requestHeaders),
            ("Accept", "*/*"),
            ("Referer", origin + "/"),
            ("Sec-Fetch-Mode", "cors"),
            ("Sec-Fetch-Site", "same-site"),
            ("Sec-Fetch-Dest", "empty"),
            ("User-Agent", "cors-audit-probe"),
        ]
    }
}
