import AuditCore
import History

/// `cors-audit history`: the recorded runs as a table, newest first.
public struct HistoryListRenderer: Sendable {
    public init() {}

    /// `runs` as listed (at most the limit), `total` recorded, and the baseline, shown even when off the list.
    public func text(runs: [RunSummary], total: Int, baseline: Baseline?, database: String) -> String {
        guard !runs.isEmpty else { return "No runs recorded in \(Escaping.terminal(database)) yet.\n" }
        let rows = runs.map { r in
            [String(r.id), r.generatedAt, r.verdict.rawValue, "\(r.audited)/\(r.nodes)",
             String(r.errors), String(r.warnings), String(r.infos), r.inventory].map(Escaping.terminal)
        }
        let header = ["RUN", "STARTED", "RESULT", "AUDITED", "ERRORS", "WARNINGS", "INFO", "INVENTORY"]
        // Numbers right-aligned, text left-aligned; the last column is never padded.
        let rightAligned: Set<Int> = [0, 4, 5, 6]
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                if i == cells.count - 1 { return cell }
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
        var out = line(header) + "\n"
        for (run, row) in zip(runs, rows) {
            out += line(row) + (baseline?.run.id == run.id ? "  (baseline)" : "") + "\n"
        }
        if total > runs.count { out += "\(runs.count) of \(total) runs shown (--limit N for more)\n" }
        if let baseline, !runs.contains(where: { $0.id == baseline.run.id }) {
            out += "Baseline: run \(baseline.run.id) (\(Escaping.terminal(baseline.run.generatedAt))), approved \(Escaping.terminal(baseline.approvedAt))\n"
        }
        return out
    }
}
