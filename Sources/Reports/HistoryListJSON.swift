import AuditCore
import History

extension HistoryListRenderer {
    /// The JSON form of `cors-audit history` (schema `cors-audit/history/v1`): the runs listed, newest first, each
    /// with its verdict, node and finding counts, the total recorded, and the baseline, keys in a fixed order.
    public func json(runs: [RunSummary], total: Int, baseline: Baseline?, database: String) -> JSONValue {
        .object([
            ("schema", .string("cors-audit/history/v1")),
            ("database", .string(database)),
            ("total", .int(total)),
            ("shown", .int(runs.count)),
            ("baseline", baseline.map { b in .object([("run", .int(Int(b.run.id))), ("approved_at", .string(b.approvedAt))]) } ?? .null),
            ("runs", .array(runs.map { r in
                .object([
                    ("id", .int(Int(r.id))),
                    ("generated_at", .string(r.generatedAt)),
                    ("recorded_at", .string(r.recordedAt)),
                    ("inventory", .string(r.inventory)),
                    ("result", .string(r.verdict.rawValue)),
                    ("fail_on", .string(r.failOn.rawValue)),
                    ("complete", .bool(r.complete)),
                    ("nodes", .object([("total", .int(r.nodes)), ("audited", .int(r.audited)), ("skipped", .int(r.skipped)),
                                       ("incomplete", .int(r.incomplete))])),
                    ("findings", .object([("error", .int(r.errors)), ("warning", .int(r.warnings)), ("info", .int(r.infos))])),
                    ("baseline", .bool(baseline?.run.id == r.id)),
                ])
            })),
        ])
    }
}
