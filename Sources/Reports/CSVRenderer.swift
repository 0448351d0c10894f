import AuditCore

/// One row per finding for a spreadsheet: RFC 4180 (CRLF, fields quoted when they hold a comma, quote or line
/// break, quotes doubled), and no cell a spreadsheet would run as a formula. A node not fully audited is a row
/// too (kind `not-audited`): a sheet of a run that could not read a node never looks clean.
public struct CSVRenderer: Sendable {
    public init() {}

    public static let header = ["cluster", "node", "list", "kind", "severity", "origin", "waived", "detail"]

    public func render(_ report: AuditReport) -> String {
        var rows = [Self.header]
        for f in report.findings {
            let waived = f.waiver.map { "until \($0.expires): \($0.reason)" } ?? ""
            rows.append([f.cluster, f.host ?? f.hosts.joined(separator: " "), f.list?.rawValue ?? "", f.kind.rawValue,
                         f.severity.rawValue, f.origin ?? "", waived, f.message])
        }
        for node in report.incompleteNodes {
            rows.append([node.cluster, node.host, "", "not-audited", "error", "", "", "\(node.status.rawValue): \(node.detail)"])
        }
        return rows.map { $0.map(Self.field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// A cell as RFC 4180 writes it, defused first: a leading `=`, `+`, `-`, `@`, tab or CR makes a spreadsheet
    /// evaluate the cell, so such a cell starts with `'` (the text stays readable); other control characters are dropped.
    static func field(_ raw: String) -> String {
        var s = String(String.UnicodeScalarView(raw.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F || $0 == "\n" || $0 == "\t" || $0 == "\r" }))
        if let first = s.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { s = "'" + s }
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
