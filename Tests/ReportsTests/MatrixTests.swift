import AuditCore
import Foundation
@testable import Reports
import Testing
import VOSSimulator
import TestSupport

/// The origin × node grid: goldens for both drawings, and the grid held against the findings of the same report
/// (it is built from the observed lists, never from the missing-origin or ineffective-origin findings).
@Suite struct MatrixTests {
    @Test func terminalGolden() throws {
        expectGolden(MatrixRenderer().render(try sampleReport()), "sample-matrix.txt")
        expectGolden(MatrixRenderer().render(try sampleProbeReport()), "sample-probe-matrix.txt")
    }

    @Test func terminalFitsEightyColumnsAndColoursOnlyWhenAsked() throws {
        for report in [try sampleReport(), try sampleProbeReport(), try randomReport(seed: 7, nodes: 9)] {
            let plain = MatrixRenderer().render(report)
            for line in plain.split(separator: "\n") { #expect(line.count <= 80, "\(line)") }
            #expect(!plain.contains("\u{1B}"))
            let coloured = MatrixRenderer(color: true).render(report)
            #expect(coloured.contains("\u{1B}[32m"))
            let stripped = coloured.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
            #expect(stripped == plain)
        }
    }

    @Test func deviceStringsReachTheTerminalOnlyThroughTheSanitizer() throws {
        // Entries the parsers would refuse, put straight into the report: a renderer must hold on its own.
        var report = try sampleReport()
        let i = try #require(report.nodes.firstIndex { $0.host == "cuicsub.uccelab.tac" })
        report.nodes[i].lists[0].origins?.append("https://evil.tac\u{1B}[2J\u{1B}]0;pwned\u{7}")
        report.nodes[i].lists[0].origins?.append("https://\u{202E}cat.evil")
        let text = MatrixRenderer().render(report)
        #expect(!text.contains("\u{1B}") && !text.contains("\u{7}") && !text.unicodeScalars.contains("\u{202E}"))
        #expect(text.contains("https://evil.tac\\u{1b}[2J\\u{1b}]0;pwned\\u{7}"))
        #expect(text.contains("https://\\u{202e}cat.evil"))
        let html = HTMLRenderer().render(report)
        #expect(!html.contains("\u{1B}") && !html.unicodeScalars.contains("\u{202E}"))
    }

    @Test func htmlGridIsSelfContainedAndEscaped() throws {
        let html = HTMLRenderer().render(try sampleProbeReport())
        #expect(html.contains("<table class=\"grid\">"))
        #expect(!html.contains("<script"))
        #expect(html.contains("<code>https://x.tac/&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt;,&#39;| `*_</code>"))
        #expect(html.contains("default-src 'none'; style-src 'unsafe-inline'"))
        // The synthetic origin is a row of its own, allowed where nothing lists it.
        #expect(html.contains("<code>https://cors-audit-probe.invalid</code> <small>(probed only)</small>"))
        #expect(html.contains("browser: allowed: not configured"))
    }

    /// A cell says missing exactly when a missing-origin finding exists for that node, list and origin; the same for
    /// ineffective entries, and a row is marked as differing exactly in the lists an asymmetric-list finding names.
    @Test(arguments: Array(1...60))
    func gridAgreesWithFindings(seed: Int) throws {
        let report = seed == 1 ? try sampleReport() : seed == 2 ? try sampleProbeReport() : try randomReport(seed: UInt64(seed), nodes: 2 + seed % 5)
        try checkAgreement(report)
    }

    @Test func configuredButNotEffectiveIsItsOwnCell() throws {
        let report = try sampleProbeReport()
        let cuic = try #require(OriginMatrix.all(report, cluster: "uccelab").first { $0.list == .cuic })
        let missing = try #require(cuic.rows.first { $0.origin == "https://finessep.uccelab.tac:8445" })
        let sub = try #require(cuic.columns.firstIndex { $0.host == "cuicsub.uccelab.tac" })
        #expect(missing.cells[sub].config == .missing && missing.cells[sub].browser == .refused)
        #expect(missing.asymmetric)
        // The sub's Live Data list holds 127.0.0.1:5500 and the browser gets it: unexpected and allowed.
        let live = try #require(OriginMatrix.all(report, cluster: "uccelab").first { $0.list == .liveData })
        let loop = try #require(live.rows.first { $0.origin == "http://127.0.0.1:5500" })
        let subLive = try #require(live.columns.firstIndex { $0.host == "cuicsub.uccelab.tac" })
        #expect(loop.cells[subLive].config == .unexpected && loop.cells[subLive].browser == .allowed && loop.cells[subLive].browserOff)
        // Present on the list, refused by the browser: drawn as configured, not in effect.
        var probe = try #require(report.probe)
        let pub = "cuicpub.uccelab.tac"
        let template = try #require(probe.results.first { $0.endpoint.host == pub && $0.endpoint.list == .cuic })
        var refused = template
        refused.origin = "https://finesses.uccelab.tac"
        refused.reason = .expected
        refused.verdict = PreflightVerdict(outcome: .rejected, status: 403, allowOrigin: nil, detail: "403 without Access-Control-Allow-Origin")
        probe.results.append(refused)
        var stale = report
        stale.probe = probe
        let grid = try #require(OriginMatrix.all(stale, cluster: "uccelab").first { $0.list == .cuic })
        let row = try #require(grid.rows.first { $0.origin == "https://finesses.uccelab.tac" })
        let cell = row.cells[try #require(grid.columns.firstIndex { $0.host == pub })]
        #expect(cell.config == .present && cell.configuredNotEffective)
        #expect(HTMLRenderer().render(stale).contains("browser: refused: configured, not in effect"))
        #expect(MatrixRenderer().render(stale).contains("✓R!"))
    }
}

func checkAgreement(_ report: AuditReport, sourceLocation: SourceLocation = #_sourceLocation) throws {
    var missingCells: Set<String> = [], ineffectiveCells: Set<String> = [], asymLists: Set<String> = []
    var missingHTML = 0
    for cluster in report.clusters {
        for m in OriginMatrix.all(report, cluster: cluster) {
            for row in m.rows {
                for (cell, column) in zip(row.cells, m.columns) {
                    let key = "\(column.host) \(m.list.rawValue) \(row.origin)"
                    if cell.config == .missing { missingCells.insert(key); missingHTML += 1 }
                    if cell.config == .ineffective { ineffectiveCells.insert(key) }
                }
                if row.asymmetric { asymLists.insert("\(cluster) \(m.list.rawValue)") }
            }
        }
    }
    func keys(_ kind: FindingKind) -> Set<String> {
        Set(report.findings.filter { $0.kind == kind }.map { "\($0.host ?? "-") \($0.list?.rawValue ?? "-") \($0.origin ?? "-")" })
    }
    #expect(missingCells == keys(.missingOrigin), sourceLocation: sourceLocation)
    #expect(ineffectiveCells == keys(.ineffectiveOrigin), sourceLocation: sourceLocation)
    #expect(asymLists == Set(report.findings.filter { $0.kind == .asymmetricList }.map { "\($0.cluster) \($0.list!.rawValue)" }),
            sourceLocation: sourceLocation)
    // The drawing says what the grid says: one missing cell per missing cell in the HTML (plus the legend's).
    let html = HTMLRenderer().render(report)
    #expect(html.components(separatedBy: "class=\"c missing").count - 1 == missingHTML + 1, sourceLocation: sourceLocation)
}

/// A cluster of Finesse and CUIC nodes whose lists are drawn at random from expected origins, their ineffective
/// variants, tolerated, unexpected and duplicate entries, with random CORS states and some nodes not read.
func randomReport(seed: UInt64, nodes: Int) throws -> AuditReport {
    var rng = SplitMix64(seed: seed)
    let finesse = ["fa.site.example", "fb.site.example"]
    let cuic = (1...nodes).map { "cuic\($0).site.example" }
    let yaml = """
        version: 1
        defaults: {username: admin, password_env: VOS_PASSWORD, known_hosts: ~/.ssh/known_hosts}
        clusters:
          - name: site
            finesse:
        \(finesse.map { "      - host: \($0)" }.joined(separator: "\n"))
            cuic:
        \(cuic.enumerated().map { "      - {host: \($1), role: \($0 == 0 ? "publisher" : "subscriber"), live_data: coresident}" }.joined(separator: "\n"))
            expected:
              finesse_ports: [443, 8445]
              extra_origins: [https://proxy.site.example]
              tolerated_origins: [https://tolerated.site.example]
              finesse_origins: [https://app.site.example]
        """
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("matrix-\(seed)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("inventory.yaml").path
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    let inventory = try InventoryLoader.load(path: path)
    let expected = finesse.flatMap { ["https://\($0)", "https://\($0):8445"] } + ["https://proxy.site.example"]
    let pool = expected + ["https://app.site.example", "https://tolerated.site.example", "http://127.0.0.1:5500", "https://old.site.example"]
    func entries() -> [String] {
        var out: [String] = []
        for origin in pool where Int.random(in: 0..<10, using: &rng) < 7 { out.append(origin) }
        // Ineffective variants of what should be there, and a duplicate now and then.
        if Int.random(in: 0..<4, using: &rng) == 0, let o = expected.randomElement(using: &rng) { out.append(o.uppercased()) }
        if Int.random(in: 0..<4, using: &rng) == 0, let o = expected.randomElement(using: &rng) { out.append(o + "/") }
        if Int.random(in: 0..<5, using: &rng) == 0, let o = out.randomElement(using: &rng) { out.append(o) }
        return out.shuffled(using: &rng)
    }
    func list(_ entries: [String]) -> String {
        entries.isEmpty ? "Currently no origins are configured in allowed origins.\n"
            : "\ncors_allowedorigins \n=========================== \n" + entries.enumerated().map { "\($0.offset + 1). \($0.element) \n" }.joined()
    }
    var observations: [String: NodeObservation] = [:]
    for (_, node) in inventory.nodes {
        if Int.random(in: 0..<8, using: &rng) == 0 {
            observations[node.host] = NodeObservation(host: node.host, captures: [],
                failure: CollectionFailure(status: .timeout, detail: "phase login: no prompt"))
            continue
        }
        var captures: [CommandCapture] = []
        for kind in node.lists {
            let states = kind == .finesse ? ["enabled", "enabled", "enable_all", "disabled"] : ["enabled", "enabled", "enabled", "disabled"]
            captures.append(CommandCapture(command: VOSCommand.status(of: kind).rawValue, output: "CORS status: \(states.randomElement(using: &rng)!)\n"))
            captures.append(CommandCapture(command: VOSCommand.list(of: kind).rawValue, output: list(entries())))
        }
        captures.append(CommandCapture(command: VOSCommand.version.rawValue, output: "Active Master Version: 12.6.2.10000-19\n"))
        observations[node.host] = NodeObservation(host: node.host, captures: captures)
    }
    return Auditor.audit(inventory: inventory, observations: observations, generatedAt: "2026-11-26T09:00:00Z")
}
