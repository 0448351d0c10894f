import AuditCore
import Foundation
@testable import Reports
import Testing
import TestSupport

@Suite struct PrometheusEscapeTests {
    @Test func labelValuesAreEscapedPerUnicodeScalar() {
        // "\r\n" is one Character: matched per Character, its line feed went out raw and split the sample line.
        #expect(Escape.promLabel("x\r\ny") == "x\u{FFFD}\\ny")
        #expect(Escape.promLabel("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
        #expect(Escape.promLabel("e\u{301}\n\u{7}\u{7F}") == "e\u{301}\\n\u{FFFD}\u{FFFD}")
        #expect(Escape.promLabel("café ✓ 🇫🇷") == "café ✓ 🇫🇷")
    }

    @Test func aCRLFInAValueNeverSplitsASampleLine() throws {
        let (inventory, observations) = try labObservations()
        var report = Auditor.audit(inventory: inventory, observations: observations, generatedAt: "2026-11-26T09:00:00Z")
        report.findings[0].host = "cuicsub\r\ncors_audit_node_up{host=\"forged\"} 1"
        let text = PrometheusRenderer().render(report)
        #expect(!text.contains("\r"))
        // Split as a textfile reader does, at every line feed byte (String.split would keep "\r\n" whole).
        for line in text.unicodeScalars.split(separator: "\n").map({ String(String.UnicodeScalarView($0)) }) where !line.hasPrefix("#") {
            #expect(line.hasPrefix("cors_audit_"), "\(line)")
            #expect(!line.hasPrefix("cors_audit_node_up{host=\"forged\"}"))
        }
    }
}
