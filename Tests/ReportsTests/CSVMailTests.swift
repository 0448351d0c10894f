import AuditCore
import Foundation
import Reports
import Testing
import TestSupport

/// `--format csv` and `--format mail` on the sample report (drift, a failed node, a hostile entry).
@Suite struct CSVMailTests {
    @Test func csvGoldenIsRFC4180AndFormulaSafe() throws {
        let report = try sampleReport()
        let csv = CSVRenderer().render(report)
        expectGolden(csv, "sample-findings.csv")
        #expect(csv.hasPrefix("cluster,node,list,kind,severity,origin,waived,detail\r\n"))
        // One row per finding plus the node not audited, each ending CRLF.
        #expect(csv.components(separatedBy: "\r\n").count - 2 == report.findings.count + report.incompleteNodes.count)
        #expect(csv.contains("uccelab,finesses.uccelab.tac,,not-audited,error,,,\"timeout: phase login"), "\(csv)")
    }

    @Test func csvCellsThatASpreadsheetWouldEvaluateAreDefused() {
        #expect(CSVRendererProbe.field("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"")
        #expect(CSVRendererProbe.field("+1") == "'+1")
        #expect(CSVRendererProbe.field("-2") == "'-2")
        #expect(CSVRendererProbe.field("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVRendererProbe.field("a,b") == "\"a,b\"")
        #expect(CSVRendererProbe.field("line\nbreak") == "\"line\nbreak\"")
        #expect(CSVRendererProbe.field("plain https://a.tac:8445") == "plain https://a.tac:8445")
        #expect(CSVRendererProbe.field("bell\u{7}\u{1B}[31m") == "bell[31m")
    }

    @Test func mailGoldenIsShortWithASubjectFirst() throws {
        let mail = MailRenderer().render(try sampleReport())
        expectGolden(mail, "sample-mail.txt")
        #expect(mail.hasPrefix("Subject: cors-audit inventory/lab.yaml: INCOMPLETE — 1 of 1 cluster needs work ("))
        #expect(mail.split(separator: "\n", omittingEmptySubsequences: false).count <= MailRenderer.maxLines + 1)
        #expect(!mail.contains("\u{7}"))
    }

    /// 200 clusters needing work still fit in 40 lines, the rest counted.
    @Test func mailOfAFleetStaysWithinFortyLines() throws {
        let base = try sampleReport()
        var findings: [Finding] = []
        var clusters: [String] = []
        for i in 0..<200 {
            let name = "c\(i)"
            clusters.append(name)
            findings.append(Finding(kind: .missingOrigin, cluster: name, host: "n.\(name).test", list: .cuic, origin: "https://f.\(name).test", message: "missing"))
        }
        let report = AuditReport(generatedAt: base.generatedAt, inventoryPath: "fleet.yaml", clusters: clusters, nodes: [], findings: findings, plans: [])
        let mail = MailRenderer().render(report)
        let lines = mail.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == MailRenderer.maxLines, "\(mail)")
        #expect(mail.contains("more clusters in the report"))
        #expect(mail.hasPrefix("Subject: cors-audit fleet.yaml: DRIFT — 200 of 200 clusters need work (200 errors, 0 warnings, 0 info)"))
    }
}

/// The renderer's cell rule, reached through a one-cell report row.
enum CSVRendererProbe {
    static func field(_ s: String) -> String {
        let f = Finding(kind: .unexpectedOrigin, cluster: "c", host: "h", list: .cuic, origin: nil, message: s)
        let report = AuditReport(generatedAt: "2026-11-26T09:00:00Z", inventoryPath: "i", clusters: ["c"], nodes: [], findings: [f], plans: [])
        let row = CSVRenderer().render(report).components(separatedBy: "\r\n")[1]
        // The detail is the last field: after the first seven commas.
        var rest = Substring(row)
        for _ in 0..<7 { rest = rest[rest.index(after: rest.firstIndex(of: ",")!)...] }
        return String(rest)
    }
}
