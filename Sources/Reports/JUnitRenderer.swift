import AuditCore

/// JUnit XML: one testcase per node × list (plus one per cluster-level check), so CI servers show drift as failures.
public struct JUnitRenderer: Sendable {
    public var failOn: Severity
    public init(failOn: Severity = .warning) { self.failOn = failOn }

    public func render(_ report: AuditReport) -> String {
        var suites: [String] = []
        var totals = (tests: 0, failures: 0, errors: 0)
        // Refusals at an endpoint that serves no list, and unanswered candidate ports, are not failures.
        let counted = report.probe?.partition.counted ?? []
        for cluster in report.clusters {
            var cases: [String] = []
            var failures = 0, errors = 0
            // Waived findings never fail a case: a case whose only findings are waived is skipped, saying so.
            let findings = report.findings.filter { $0.cluster == cluster && $0.waiver == nil }
            let waived = report.findings.filter { $0.cluster == cluster && $0.waiver != nil }
            for node in report.nodes where node.cluster == cluster {
                for list in node.lists where !(node.status == .probeOnly && node.product == .finesse) {
                    let name = Escape.xml("\(node.host) \(list.kind.rawValue)")
                    var body = ""
                    if node.status == .skipped {
                        body = "<skipped message=\"audit: false\"/>"
                    } else if node.status == .probeOnly {
                        body = "<skipped message=\"CLI not read (probe only)\"/>"
                    } else if !node.status.isComplete {
                        errors += 1
                        body = "<error type=\"\(node.status.rawValue)\" message=\"\(Escape.xml(node.detail))\"/>"
                    } else {
                        // Preflight findings belong to the endpoint test cases below.
                        let mine = findings.filter { $0.host == node.host && ($0.list == list.kind || $0.list == nil) && $0.severity >= failOn
                            && $0.kind != .preflightRejected && $0.kind != .preflightUnexpectedAllow }
                        if !mine.isEmpty {
                            failures += 1
                            let text = mine.map { "[\($0.severity.rawValue)] \($0.kind.rawValue): \($0.message)" }.joined(separator: "\n")
                            body = "<failure type=\"\(mine[0].kind.rawValue)\" message=\"\(Escape.xml(mine[0].message))\">\(Escape.xml(text))</failure>"
                        } else if let w = waived.first(where: { $0.host == node.host && ($0.list == list.kind || $0.list == nil) }) {
                            body = "<skipped message=\"\(Escape.xml(TableRenderer.waivedLine(w)))\"/>"
                        }
                    }
                    cases.append("    <testcase classname=\"\(Escape.xml(cluster))\" name=\"\(name)\">\(body)</testcase>")
                }
            }
            if let probe = report.probe {
                // One test case per endpoint: an error when a preflight got no answer, a failure when an answer is not as wanted.
                var endpoints: [PreflightEndpoint] = []
                for r in probe.results where r.endpoint.cluster == cluster && !endpoints.contains(r.endpoint) { endpoints.append(r.endpoint) }
                for e in endpoints {
                    let mine = counted.filter { $0.endpoint == e }
                    let insecure = probe.insecure ? " (certificates not verified: --insecure)" : ""
                    var body = ""
                    let errs = mine.filter { $0.verdict.outcome == .error }
                    let off = mine.filter { $0.verdict.outcome != .error && !$0.asExpected }
                    let severity: Severity = off.contains { $0.reason.shouldAllow } ? .error : .warning
                    if !errs.isEmpty {
                        errors += 1
                        body = "<error type=\"preflight-error\" message=\"\(Escape.xml(errs[0].verdict.detail + insecure))\">\(Escape.xml(errs.map(ProbeSummary.line).joined(separator: "\n")))</error>"
                    } else if !off.isEmpty && severity >= failOn {
                        failures += 1
                        let kind = off[0].reason.shouldAllow ? FindingKind.preflightRejected : .preflightUnexpectedAllow
                        body = "<failure type=\"\(kind.rawValue)\" message=\"\(Escape.xml(ProbeSummary.line(off[0]) + insecure))\">\(Escape.xml(off.map(ProbeSummary.line).joined(separator: "\n")))</failure>"
                    } else if !insecure.isEmpty {
                        body = "<system-out>\(Escape.xml(ProbeReport.insecureNotice))</system-out>"
                    }
                    cases.append("    <testcase classname=\"\(Escape.xml(cluster))\" name=\"\(Escape.xml("preflight \(e.url) (\(e.list.rawValue))"))\">\(body)</testcase>")
                }
            }
            // The settings' peer comparisons get a case when they found something (runs without keep their bytes).
            let settingKinds = [FindingKind.asymmetricGadgetSourceCheck, .asymmetricPrivateNetworkAccess, .asymmetricHeaders]
                .filter { kind in findings.contains { $0.kind == kind && $0.host == nil } }
            for kind in [FindingKind.asymmetricList, .versionSkew] + settingKinds {
                let mine = findings.filter { $0.kind == kind && $0.host == nil && $0.severity >= failOn }
                var body = ""
                if !mine.isEmpty {
                    failures += 1
                    body = "<failure type=\"\(kind.rawValue)\" message=\"\(Escape.xml(mine[0].message))\">\(Escape.xml(mine.map(\.message).joined(separator: "\n")))</failure>"
                } else if let w = waived.first(where: { $0.kind == kind && $0.host == nil }) {
                    body = "<skipped message=\"\(Escape.xml(TableRenderer.waivedLine(w)))\"/>"
                }
                cases.append("    <testcase classname=\"\(Escape.xml(cluster))\" name=\"cluster \(kind.rawValue)\">\(body)</testcase>")
            }
            totals.tests += cases.count; totals.failures += failures; totals.errors += errors
            var props: [String] = []
            if report.probe?.insecure == true {
                props.append("<property name=\"probe.insecure\" value=\"\(Escape.xml(ProbeReport.insecureNotice))\"/>")
            }
            // The cluster's notes (a host key not checked): a CI reading only JUnit still sees them.
            let mine = Summary(report: report, failOn: failOn).notices.filter { note in
                report.nodes.contains { $0.cluster == cluster && note.hasPrefix("\($0.host): ") }
            }
            props += mine.map { "<property name=\"notice\" value=\"\(Escape.xml($0))\"/>" }
            let properties = props.isEmpty ? "" : "    <properties>" + props.joined() + "</properties>\n"
            suites.append("  <testsuite name=\"cors-audit \(Escape.xml(cluster))\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"\(errors)\" timestamp=\"\(Escape.xml(report.generatedAt))\">\n"
                          + properties + cases.joined(separator: "\n") + "\n  </testsuite>")
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<testsuites name=\"cors-audit\" tests=\"\(totals.tests)\" failures=\"\(totals.failures)\" errors=\"\(totals.errors)\">\n"
            + suites.joined(separator: "\n") + "\n</testsuites>\n"
    }
}
