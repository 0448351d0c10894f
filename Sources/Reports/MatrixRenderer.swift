import AuditCore

/// `--matrix`: the HTML report's origin × node grid on a terminal, within `width` columns. Origins are keyed by
/// letters with a legend under each grid, nodes by their first DNS label when that tells them apart; more nodes
/// than fit make further blocks of columns. Every device or inventory string passes through `Escaping.terminal`.
public struct MatrixRenderer: Sendable {
    /// ANSI colour: only on a terminal and when NO_COLOR is unset (the caller decides, as for the table).
    public var color: Bool
    public var width: Int

    public init(color: Bool = false, width: Int = 80) { self.color = color; self.width = max(width, 40) }

    public func render(_ report: AuditReport) -> String {
        var out: [String] = []
        let probed = report.probe != nil
        out.append(fit("Cells: ✓ present  ✗ missing  ~ ineffective  + unexpected  ? not read  · absent"))
        out.append(fit("Rows:  ≠ the nodes whose list was read differ"))
        if probed {
            out.append(fit("Browser: A allowed  R refused  M mixed  N no answer  ! not as wanted"))
        }
        out.append("")
        for cluster in report.clusters {
            let grids = OriginMatrix.all(report, cluster: cluster)
            guard !grids.isEmpty else { continue }
            for m in grids {
                out.append(fit(paint("cluster \(Escaping.terminal(cluster))", "1") + " · \(m.list.displayName) list: origin × node", painted: true))
                out += grid(m)
                out.append("")
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    func grid(_ m: OriginMatrix) -> [String] {
        guard !m.isEmpty else { return ["  no origin expected, listed or probed"] }
        let keys = m.rows.indices.map(Self.key)
        let keyWidth = keys.map(\.count).max() ?? 1
        let labels = Self.nodeLabels(m.columns.map(\.host))
        let cells = m.rows.map { row in row.cells.map(text) }
        // Each column as wide as its label or its widest cell, two spaces apart.
        let widths = m.columns.indices.map { c in max(labels[c].count, cells.map { $0[c].count }.max() ?? 1) }
        let lead = 2 + keyWidth + 2
        var blocks: [[Int]] = [[]]
        var used = lead
        for c in m.columns.indices {
            let w = widths[c] + 2
            if used + w + 2 > width, !blocks[blocks.count - 1].isEmpty { blocks.append([]); used = lead }
            blocks[blocks.count - 1].append(c)
            used += w
        }
        var out: [String] = []
        for block in blocks {
            var header = String(repeating: " ", count: lead)
            for c in block { header += pad(labels[c], widths[c]) + "  " }
            out.append(trimRight(header))
            for (r, row) in m.rows.enumerated() {
                var line = "  " + pad(keys[r], keyWidth) + "  "
                for c in block { line += paintCell(cells[r][c], row.cells[c]) + pad("", widths[c] - cells[r][c].count) + "  " }
                line += row.asymmetric ? paint("≠", "1;33") : ""
                out.append(trimRight(line))
            }
        }
        // The legend: each key with its origin (made visible), cut to the width; the findings below carry the full text.
        let hidden = m.columns.indices.filter { labels[$0] != Escaping.terminal(m.columns[$0].host) }
        for (r, row) in m.rows.enumerated() {
            let tag = row.source == .probed ? "  (probed only)" : row.source == .expected ? "  (expected)" : ""
            out.append(fit("  " + pad(keys[r], keyWidth) + " = " + Escaping.terminal(row.origin) + tag))
        }
        if !hidden.isEmpty {
            out.append(fit("  nodes: " + hidden.map { "\(labels[$0]) = \(Escaping.terminal(m.columns[$0].host))" }.joined(separator: ", ")))
        }
        let unread = m.columns.indices.filter { m.columns[$0].status != .audited }
        if !unread.isEmpty {
            out.append(fit("  not audited: " + unread.map { "\(labels[$0]) \(m.columns[$0].status.rawValue)" }.joined(separator: ", ")))
        }
        return out
    }

    func text(_ cell: OriginMatrix.Cell) -> String {
        var s = cell.config.symbol
        if cell.count > 1 { s += "×\(cell.count)" }
        if let b = cell.browser { s += b.letter + (cell.browserOff ? "!" : "") }
        return s
    }

    /// a…z, then aa, ab, …: short keys for the origins of one grid.
    static func key(_ i: Int) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        return i < 26 ? String(letters[i]) : String(letters[i / 26 - 1]) + String(letters[i % 26])
    }

    /// Each host's first DNS label when those are all different (an IP address or a repeated label keeps the whole
    /// name), made visible and cut to 14 characters.
    static func nodeLabels(_ hosts: [String]) -> [String] {
        let first = hosts.map { h in h.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) ? h : String(h.split(separator: ".", omittingEmptySubsequences: false).first ?? "") }
        let names = Set(first).count == hosts.count && !first.contains("") ? first : hosts
        return names.map { n in
            let v = Escaping.terminal(n)
            return v.count > 14 ? String(v.prefix(13)) + "…" : v
        }
    }

    private func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
    private func trimRight(_ s: String) -> String {
        var s = s
        while s.last == " " { s.removeLast() }
        return s
    }

    /// Cut to the width (colour codes are not counted), with … where it was cut.
    private func fit(_ s: String, painted: Bool = false) -> String {
        guard !painted, s.count > width else { return s }
        return String(s.prefix(width - 1)) + "…"
    }

    private func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    private func paintCell(_ text: String, _ cell: OriginMatrix.Cell) -> String {
        guard color else { return text }
        if cell.configuredNotEffective || cell.effectiveNotConfigured || cell.browserOff { return paint(text, "1;31") }
        switch cell.config {
        case .present: return paint(text, "32")
        case .missing: return paint(text, "1;31")
        case .ineffective, .unexpected: return paint(text, "33")
        case .notRead, .absent: return paint(text, "2")
        }
    }
}
