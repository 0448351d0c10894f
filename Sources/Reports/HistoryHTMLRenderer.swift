import AuditCore
import History

/// `cors-audit history --format html`: one self-contained page (inline CSS and SVG, no script, the report's CSP).
/// Per cluster: findings by severity per run as a stacked bar chart, told apart by pattern as well as colour and
/// labelled with totals; the counts as a table; what changed on which node, run by run; the open findings with the
/// run that first saw each. Every recorded string is escaped (`h`).
public struct HistoryHTMLRenderer: Sendable {
    public init() {}

    private func h(_ s: String) -> String { Escape.html(Escaping.terminal(s)) }

    public func render(_ list: HistoryList, timeline: HistoryTimeline) -> String {
        var body: [String] = []
        let scope = list.inventory.map { "inventory \(h($0))" } ?? "every inventory recorded"
        body.append("<header class=\"head\"><h1>CORS audit history</h1><p class=\"meta\">\(h(list.database)) — \(scope) — "
                    + "\(list.runs.count) of \(list.total) run\(list.total == 1 ? "" : "s") shown"
                    + (list.baseline.map { ", baseline run \($0.run.id) approved \(h($0.approvedAt))" } ?? "") + "</p></header>")
        guard !timeline.runs.isEmpty else {
            body.append("<p>No runs recorded yet.</p>")
            return page(body)
        }
        body.append(runTable(list))
        if !timeline.inventoryEdited.isEmpty {
            body.append("<p class=\"notice\">The inventory file's content changed before run"
                        + (timeline.inventoryEdited.count == 1 ? " " : "s ") + timeline.inventoryEdited.map(String.init).joined(separator: ", ") + ".</p>")
        }
        for (index, cluster) in timeline.clusters.enumerated() {
            body.append("<section><h2>Cluster \(h(cluster.name))</h2>")
            body.append(chart(cluster, runs: timeline.runs, index: index))
            body.append(countsTable(cluster, runs: timeline.runs))
            body.append(changesTable(cluster))
            body.append(openTable(cluster))
            body.append("</section>")
        }
        return page(body)
    }

    private func page(_ body: [String]) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <title>CORS audit history</title>
        <style>\(Self.css)</style></head><body>
        \(body.joined(separator: "\n"))
        </body></html>

        """
    }

    private func runTable(_ list: HistoryList) -> String {
        var rows = ""
        for r in list.runs {
            let note = [list.baseline?.run.id == r.id ? "baseline" : nil, r.tag?.rawValue,
                        r.planRun.map { "plans from run \($0)" }].compactMap { $0 }.joined(separator: ", ")
            rows += "<tr class=\"\(r.verdict.rawValue)\"><td class=\"num\">\(r.id)</td><td>\(h(r.generatedAt))</td><td>\(r.verdict.rawValue)</td>"
                + "<td class=\"num\">\(r.audited)/\(r.nodes)</td><td class=\"num\">\(r.errors)</td><td class=\"num\">\(r.warnings)</td>"
                + "<td class=\"num\">\(r.infos)</td><td>\(h(r.inventory))</td><td>\(note)</td></tr>"
        }
        // Open when short; a long list folded, so the charts come first.
        return "<details\(list.runs.count <= 10 ? " open" : "")><summary>Runs, newest first (\(list.runs.count))</summary><div class=\"scroll\"><table><thead><tr><th>Run</th><th>Started</th><th>Result</th>"
            + "<th>Audited</th><th>Errors</th><th>Warnings</th><th>Info</th><th>Inventory</th><th></th></tr></thead><tbody>\(rows)</tbody></table></div></details>"
    }

    /// Stacked bars, one per run: error solid, warning hatched, info dotted, each run's total above its bar and its id
    /// below (every k-th when there are many); a run without this cluster leaves a gap marked "–".
    private func chart(_ cluster: HistoryTimeline.ClusterLine, runs: [RunSummary], index: Int) -> String {
        let n = runs.count
        let (left, top, plotW, plotH) = (44.0, 22.0, 840.0, 150.0)
        let step = plotW / Double(max(n, 1))
        let barW = max(1.5, step * 0.7)
        let maxTotal = max(1, cluster.counts.compactMap { $0?.total }.max() ?? 0)
        let labelEvery = max(1, Int((28.0 / step).rounded(.up)))
        func y(_ v: Int) -> Double { top + plotH - Double(v) / Double(maxTotal) * plotH }
        func f(_ d: Double) -> String { String(format: "%.1f", d) }
        let ids = (err: "e\(index)", warn: "w\(index)", info: "i\(index)")
        var svg = "<svg viewBox=\"0 0 \(Int(left + plotW + 16)) \(Int(top + plotH + 40))\" role=\"img\" aria-labelledby=\"t\(index)\">"
        let totals = cluster.counts.compactMap { $0?.total }
        svg += "<title id=\"t\(index)\">Findings of cluster \(h(cluster.name)) per run, \(n) runs: at most \(totals.max() ?? 0), latest \(totals.last ?? 0)</title>"
        svg += "<defs><pattern id=\"\(ids.warn)\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
            + "<rect width=\"6\" height=\"6\" fill=\"#fbe3bf\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#b36b00\" stroke-width=\"3\"/></pattern>"
            + "<pattern id=\"\(ids.info)\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\"><rect width=\"5\" height=\"5\" fill=\"#dbe9fa\"/>"
            + "<circle cx=\"2.5\" cy=\"2.5\" r=\"1.3\" fill=\"#0b6bcb\"/></pattern></defs>"
        // Axis and grid: 0, half, max.
        for v in Set([0, maxTotal / 2, maxTotal]).sorted() {
            svg += "<line class=\"grid\" x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\"/>"
                + "<text class=\"axis\" x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(v)</text>"
        }
        for (i, (run, counts)) in zip(runs, cluster.counts).enumerated() {
            let x = left + Double(i) * step + (step - barW) / 2
            let cx = x + barW / 2
            if let c = counts {
                var base = 0
                for (value, fill, noun) in [(c.errors, "#b00020", "error"), (c.warnings, "url(#\(ids.warn))", "warning"), (c.infos, "url(#\(ids.info))", "info")]
                where value > 0 {
                    svg += "<rect x=\"\(f(x))\" y=\"\(f(y(base + value)))\" width=\"\(f(barW))\" height=\"\(f(y(base) - y(base + value)))\" fill=\"\(fill)\" class=\"seg\">"
                        + "<title>run \(run.id): \(value) \(noun)\(value == 1 ? "" : "s")</title></rect>"
                    base += value
                }
                if step >= 14 || i == n - 1 {
                    svg += "<text class=\"total\" x=\"\(f(cx))\" y=\"\(f(y(c.total) - 4))\" text-anchor=\"middle\">\(c.total)</text>"
                }
            } else {
                svg += "<text class=\"axis\" x=\"\(f(cx))\" y=\"\(f(y(0) - 4))\" text-anchor=\"middle\">–</text>"
            }
            if i % labelEvery == 0 || i == n - 1 {
                svg += "<text class=\"axis\" x=\"\(f(cx))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\">\(run.id)\(run.tag == .applyAfter ? "A" : "")</text>"
            }
        }
        svg += "<text class=\"axis\" x=\"\(f(left + plotW / 2))\" y=\"\(f(top + plotH + 34))\" text-anchor=\"middle\">run (A: an apply's re-audit)</text></svg>"
        let legend = "<p class=\"legend\"><span class=\"sw err\"></span>error (solid) <span class=\"sw warn\"></span>warning (hatched) "
            + "<span class=\"sw info\"></span>info (dotted); the number above each bar is the run's total.</p>"
        return "<figure class=\"chart\"><div class=\"scroll\">\(svg)</div><figcaption>\(legend)</figcaption></figure>"
    }

    private func countsTable(_ cluster: HistoryTimeline.ClusterLine, runs: [RunSummary]) -> String {
        var rows = ""
        for (run, counts) in zip(runs, cluster.counts) {
            guard let c = counts else { continue }
            rows += "<tr><td class=\"num\">\(run.id)</td><td>\(h(run.generatedAt))</td><td class=\"num\">\(c.errors)</td>"
                + "<td class=\"num\">\(c.warnings)</td><td class=\"num\">\(c.infos)</td><td>\(run.tag?.rawValue ?? "")</td></tr>"
        }
        return "<details><summary>Findings per run</summary>" + table(["Run", "Started", "Errors", "Warnings", "Info", ""], rows) + "</details>"
    }

    private func changesTable(_ cluster: HistoryTimeline.ClusterLine) -> String {
        guard !cluster.events.isEmpty else { return "<h3>Changes</h3><p>No changes between these runs.</p>" }
        var rows = ""
        for e in cluster.events {
            let (label, text) = DriftRenderer.line(e.change)
            let kind = e.change.kind == .originAdded ? "added" : e.change.kind == .originRemoved ? "removed" : "other"
            rows += "<tr class=\"\(kind)\"><td class=\"num\">\(e.run)</td><td>\(h(e.at))</td><td>\(h(e.change.host))</td><td>\(h(label))</td>"
                + "<td class=\"wrap\">\(h(text))</td><td>\(e.change.appliedBy.map { "apply run \($0)" } ?? "")</td></tr>"
        }
        return "<h3>Changes</h3>" + table(["Run", "Started", "Node", "What", "Change", "Made by"], rows)
    }

    private func openTable(_ cluster: HistoryTimeline.ClusterLine) -> String {
        guard !cluster.open.isEmpty else { return "<h3>Open findings</h3><p>None in the latest run.</p>" }
        var rows = ""
        for o in cluster.open {
            let f = o.finding
            rows += "<tr class=\"\(f.severity.rawValue)\"><td>\(f.severity.rawValue)</td><td>\(f.kind.rawValue)</td><td>\(h(f.host ?? "(cluster)"))</td>"
                + "<td>\(h(f.list?.rawValue ?? ""))</td><td class=\"wrap\">\(h(f.origin ?? ""))</td>"
                + "<td>run \(o.firstSeen) (\(h(o.firstSeenAt)))\(o.beforeWindow ? " or earlier" : "")</td></tr>"
        }
        return "<h3>Open findings</h3>" + table(["Severity", "Kind", "Node", "List", "Origin", "First seen"], rows)
    }

    /// A table that scrolls sideways on a narrow screen: the header cells (fixed texts) and the rows as rendered.
    private func table(_ headers: [String], _ rows: String) -> String {
        "<div class=\"scroll\"><table><thead><tr>" + headers.map { "<th>\($0)</th>" }.joined()
            + "</tr></thead><tbody>\(rows)</tbody></table></div>"
    }

    static let css = """
        body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem;color:#1d1d1f}
        h1{margin:0 0 .3rem}.meta{color:#555;margin:0 0 1rem;overflow-wrap:anywhere}.notice{background:#fff3cd;padding:.5rem;border-radius:4px}
        table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
        td.num{text-align:right;font-variant-numeric:tabular-nums}.scroll{overflow-x:auto}
        tr.drift td:nth-child(3){color:#b36b00;font-weight:600}tr.incomplete td:nth-child(3),tr.error td:first-child{color:#b00020;font-weight:600}
        tr.warning td:first-child{color:#b36b00}
        section{border-top:2px solid #ddd;margin-top:1.5rem}figure{margin:.5rem 0}
        .chart svg{display:block;width:100%;min-width:720px;height:auto}
        .chart .grid{stroke:#ccc;stroke-width:1}.chart .axis{font-size:11px;fill:#555}.chart .total{font-size:11px;fill:#1d1d1f;font-weight:600}
        .chart .seg{stroke:#1d1d1f;stroke-width:.5}
        .legend{font-size:.9em;color:#333}.sw{display:inline-block;width:1em;height:1em;vertical-align:-.15em;border:1px solid #1d1d1f;margin:0 .25em 0 .6em}
        .sw.err{background:#b00020}
        .sw.warn{background:repeating-linear-gradient(45deg,#b36b00 0 2px,#fbe3bf 2px 5px)}
        .sw.info{background:radial-gradient(circle,#0b6bcb 30%,#dbe9fa 35%) 0 0/5px 5px}
        td{white-space:nowrap}td.wrap{white-space:normal;overflow-wrap:anywhere;min-width:14em}summary{cursor:pointer;font-weight:600;margin:.5rem 0}
        """
}
