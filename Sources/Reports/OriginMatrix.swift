import AuditCore

/// The origin × node grid of one cluster and list kind: what each node's list holds of each origin, and, when the
/// run probed, what the browser got. Built from the observed lists (not from the findings), so that a test can hold
/// it against the findings of the same report; the HTML report and `--matrix` both draw it.
struct OriginMatrix {
    /// What a node's configured list says about one origin.
    enum Config: String, CaseIterable {
        /// On the list in the form a browser sends, and expected, tolerated, or on a Finesse list (no required set).
        case present
        /// Expected and not on the list (in effective form) while the list is enforced: a missing-origin finding.
        case missing
        /// On the list in a form no browser sends (upper case, a path, a default port, white space): never matches.
        case ineffective
        /// On the list, effective, and neither expected nor tolerated: an unexpected-origin finding.
        case unexpected
        /// The node's list was not read (node not audited, skipped, probed only, output not understood).
        case notRead = "not-read"
        /// Not on the list and not required there.
        case absent

        var symbol: String {
            switch self {
            case .present: "✓"
            case .missing: "✗"
            case .ineffective: "~"
            case .unexpected: "+"
            case .notRead: "?"
            case .absent: "·"
            }
        }

        var label: String {
            switch self {
            case .present: "present"
            case .missing: "missing"
            case .ineffective: "ineffective"
            case .unexpected: "unexpected"
            case .notRead: "not read"
            case .absent: "absent"
            }
        }
    }

    /// What the browser got for one origin at the node's serving endpoints of the list (the probe's counted results).
    enum Browser: String {
        case allowed, refused
        /// Some endpoints allowed, others refused.
        case mixed
        case noAnswer = "no-answer"

        var letter: String {
            switch self { case .allowed: "A"; case .refused: "R"; case .mixed: "M"; case .noAnswer: "N" }
        }

        var label: String {
            switch self { case .allowed: "allowed"; case .refused: "refused"; case .mixed: "mixed"; case .noAnswer: "no answer" }
        }
    }

    struct Cell {
        var config: Config
        /// How many times the entry is on the list (a duplicate shows ×2).
        var count: Int
        /// nil when no counted preflight of this origin went to this node's list.
        var browser: Browser?
        /// The browser's answer is not what the inventory wants (or there was none).
        var browserOff: Bool

        /// On the list in effect, yet the browser is refused: a list changed without the restart, or CORS not served.
        var configuredNotEffective: Bool { config == .present && (browser == .refused || browser == .mixed) }
        /// Not on the list in effect, yet the browser is let in: the node serves another list than the one it shows.
        var effectiveNotConfigured: Bool {
            [Config.missing, .absent, .ineffective].contains(config) && (browser == .allowed || browser == .mixed) && browserOff
        }
    }

    struct Row {
        /// The origin or the entry exactly as the node printed it.
        var origin: String
        /// Why the row is there: expected on this list, an entry on some node's list, or only probed.
        var source: Source
        var cells: [Cell]
        /// The nodes whose list was read do not all hold the entry: an asymmetric-list row.
        var asymmetric: Bool
    }

    enum Source { case expected, entry, probed }

    struct Column {
        var host: String
        var status: NodeStatus
        var state: String
    }

    var cluster: String
    var list: ListKind
    var columns: [Column]
    var rows: [Row]
    var probed: Bool

    /// Every grid of `cluster`, one per list kind that some node of it carries, in list order.
    static func all(_ report: AuditReport, cluster: String) -> [OriginMatrix] {
        let counted = report.probe?.partition.counted ?? []
        return ListKind.allCases.compactMap { kind in
            let nodes = report.nodes.filter { $0.cluster == cluster && $0.lists.contains { $0.kind == kind } }
            guard !nodes.isEmpty else { return nil }
            return OriginMatrix(cluster: cluster, list: kind, nodes: nodes, findings: report.findings,
                                probe: counted.filter { $0.endpoint.cluster == cluster && $0.endpoint.list == kind },
                                probed: report.probe != nil)
        }
    }

    init(cluster: String, list kind: ListKind, nodes: [NodeReport], findings: [Finding], probe: [PreflightResult], probed: Bool) {
        self.cluster = cluster; self.list = kind; self.probed = probed
        let lists = nodes.map { n in n.lists.first { $0.kind == kind }! }
        columns = zip(nodes, lists).map { n, l in Column(host: n.host, status: n.status, state: l.state?.rawValue ?? "—") }
        // Rows: expected origins in inventory order, then every entry in the order nodes list them, then probed origins.
        var order: [(String, Source)] = []
        var seen: Set<String> = []
        for l in lists { for o in l.expected where seen.insert(o).inserted { order.append((o, .expected)) } }
        for l in lists { for o in l.origins ?? [] where seen.insert(o).inserted { order.append((o, .entry)) } }
        for r in probe where seen.insert(r.origin).inserted { order.append((r.origin, .probed)) }
        // Whether an effective, unexpected-looking entry is tolerated is the inventory's to say; the report states it
        // only through the absence of an unexpected-origin finding.
        let unexpected = Set(findings.filter { $0.kind == .unexpectedOrigin && $0.list == kind }.compactMap { f in
            f.host.flatMap { h in f.origin.map { "\(h)\u{0}\($0)" } }
        })
        var answers: [String: [PreflightResult]] = [:]
        for r in probe { answers["\(r.endpoint.host)\u{0}\(r.origin)", default: []].append(r) }
        let read = lists.filter { $0.origins != nil }
        rows = order.map { origin, source in
            let cells = zip(nodes, lists).map { node, list -> Cell in
                let results = answers["\(node.host)\u{0}\(origin)"] ?? []
                var cell = Cell(config: Self.config(origin, list: list, unexpected: unexpected.contains("\(node.host)\u{0}\(origin)")),
                                count: list.origins?.filter { $0 == origin }.count ?? 0, browser: nil, browserOff: false)
                if !results.isEmpty {
                    let answered = results.filter { $0.verdict.outcome != .error }
                    let allowed = answered.filter { $0.verdict.outcome == .allowed }.count
                    cell.browser = answered.isEmpty ? .noAnswer : allowed == answered.count ? .allowed : allowed == 0 ? .refused : .mixed
                    cell.browserOff = results.contains { !$0.asExpected }
                }
                return cell
            }
            let holding = read.filter { $0.origins!.contains(origin) }.count
            return Row(origin: origin, source: source, cells: cells, asymmetric: holding > 0 && holding < read.count)
        }
    }

    /// The same rules as the audit's (NodeRules): a Finesse list is enforced only in `enabled` mode.
    static func config(_ origin: String, list: ObservedList, unexpected: Bool) -> Config {
        guard let entries = list.origins else { return .notRead }
        let enforced = list.kind != .finesse || list.state == .enabled
        if entries.contains(origin) {
            guard case .effective = OriginAnalysis.analyze(origin) else { return .ineffective }
            return unexpected ? .unexpected : .present
        }
        return list.expected.contains(origin) && enforced ? .missing : .absent
    }

    /// The grid has something to show: a row, and a column.
    var isEmpty: Bool { rows.isEmpty || columns.isEmpty }
}
