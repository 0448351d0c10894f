import AuditCore

/// JUnit XML: one testcase per node × list (plus one per cluster-level check), so CI servers show drift as failures.
public struct JUnitRenderer: Sendable {
    public var failOn: Severity
    public init(failOn: Severity = .warning) { self.failOn = failOn }

    public func render(_ report: AuditReport) -> String {
        var suites: [String] = []
        var totals = (tests: 0, failures: 0, errors: 0)
        for cluster in report.clusters {
            var cases: [String] = []
            var failures = 0, errors = 0
            let findings = report.findings.filter { $0.cluster == cluster }
            for node in report.nodes where node.cluster == cluster {
                for list in node.lists {
                    let name = Escape.xml("\(node.host) \(list.kind.rawValue)")
                    var body = ""
                    if node.status == .skipped {
                        body = "<skipped message=\"audit: false\"/>"
                    } else if !node.status.isComplete {
                        errors += 1
                        body = "<error type=\"\(node.status.rawValue)\" message=\"\(Escape.xml(node.detail))\"/>"
                    } else {
                        let mine = findings.filter { $0.host == node.host && ($0.list == list.kind || $0.list == nil) && $0.severity >= failOn }
                        if !mine.isEmpty {
                            failures += 1
                            let text = mine.map { "[\($0.severity.rawValue)] \($0.kind.rawValue): \($0.message)" }.joined(separator: "\n")
                            body = "<failure type=\"\(mine[0].kind.rawValue)\" message=\"\(Escape.xml(mine[0].message))\">\(Escape.xml(text))</failure>"
                        }
                    }
                    cases.append("    <testcase classname=\"\(Escape.xml(cluster))\" name=\"\(name)\">\(body)</testcase>")
                }
            }
            for kind in [FindingKind.asymmetricList, .versionSkew] {
                let mine = findings.filter { $0.kind == kind && $0.host == nil && $0.severity >= failOn }
                var body = ""
                if !mine.isEmpty {
                    failures += 1
                    body = "<failure type=\"\(kind.rawValue)\" message=\"\(Escape.xml(mine[0].message))\">\(Escape.xml(mine.map(\.message).joined(separator: "\n")))</failure>"
                }
                cases.append("    <testcase classname=\"\(Escape.xml(cluster))\" name=\"cluster \(kind.rawValue)\">\(body)</testcase>")
            }
            totals.tests += cases.count; totals.failures += failures; totals.errors += errors
            suites.append("  <testsuite name=\"cors-audit \(Escape.xml(cluster))\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"\(errors)\" timestamp=\"\(Escape.xml(report.generatedAt))\">\n"
                          + cases.joined(separator: "\n") + "\n  </testsuite>")
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<testsuites name=\"cors-audit\" tests=\"\(totals.tests)\" failures=\"\(totals.failures)\" errors=\"\(totals.errors)\">\n"
            + suites.joined(separator: "\n") + "\n</testsuites>\n"
    }
}
