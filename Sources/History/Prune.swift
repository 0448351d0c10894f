import Foundation
import GRDB

/// Which runs `history prune` keeps.
public enum KeepPolicy: Sendable, Equatable {
    /// Runs started within this many days before now.
    case days(Int)
    /// The newest N runs.
    case runs(Int)

    /// `90d` or `90`: a number of days, or of runs; nil for anything else (zero included: prune always keeps one).
    public init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let days = text.hasSuffix("d")
        guard let n = Int(days ? String(text.dropLast()) : text), n > 0, n <= 100_000 else { return nil }
        self = days ? .days(n) : .runs(n)
    }
}

/// What a prune removed (or, dry, would remove).
public struct PruneResult: Sendable, Equatable {
    public var deleted: Int
    public var kept: Int
    /// Started before this, the runs deleted (nil when none were).
    public var newestDeleted: String?
    /// The run kept although the policy would drop it: the approved baseline.
    public var keptBaseline: Int64?

    public init(deleted: Int, kept: Int, newestDeleted: String?, keptBaseline: Int64?) {
        self.deleted = deleted; self.kept = kept; self.newestDeleted = newestDeleted; self.keptBaseline = keptBaseline
    }
}

extension HistoryStore {
    /// Deletes every run the policy does not keep, with its nodes, lists, origins and findings, in one transaction: a
    /// reader sees the history before or after, never half pruned. The policy applies to each inventory's runs apart
    /// (`--keep 30` keeps 30 runs of each); each inventory's newest run and the run of its current baseline approval are
    /// always kept (deleting it would drop the approval with it). Stored documents no kept run names go too.
    /// - Parameter vacuum: afterwards, give the freed pages back to the file system (rewrites the whole file).
    @discardableResult
    public func prune(keep: KeepPolicy, now: Date = Date(), dryRun: Bool = false, vacuum: Bool = false) throws -> PruneResult {
        let result: PruneResult = try pool.write { db in
            let inventory = "COALESCE(inventory_key, 'path:' || inventory)"
            let newest = Set(try Int64.fetchAll(db, sql: """
                SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY \(inventory) ORDER BY generated_epoch DESC, id DESC) AS n FROM run)
                WHERE n = 1
                """))
            // Each inventory's latest approval.
            let baselines = Set(try Int64.fetchAll(db, sql: """
                SELECT run_id FROM (SELECT b.run_id, ROW_NUMBER() OVER (PARTITION BY COALESCE(r.inventory_key, 'path:' || r.inventory)
                                                                        ORDER BY b.id DESC) AS n
                                    FROM baseline b JOIN run r ON r.id = b.run_id)
                WHERE n = 1
                """))
            let doomed: String
            let arguments: StatementArguments
            switch keep {
            case .days(let n):
                doomed = "SELECT id FROM run WHERE generated_epoch < ?"
                arguments = [now.timeIntervalSince1970 - Double(n) * 86_400]
            case .runs(let n):
                doomed = """
                    SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY \(inventory) ORDER BY generated_epoch DESC, id DESC) AS n FROM run)
                    WHERE n > ?
                    """
                arguments = [n]
            }
            var ids = Set(try Int64.fetchAll(db, sql: doomed, arguments: arguments))
            let keptBaseline = baselines.filter { ids.contains($0) && !newest.contains($0) }.max()
            ids.subtract(newest)
            ids.subtract(baselines)
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run") ?? 0
            var newestDeleted: String?
            if !ids.isEmpty {
                let list = ids.sorted().map(String.init).joined(separator: ",")
                newestDeleted = try String.fetchOne(db, sql: "SELECT generated_at FROM run WHERE id IN (\(list)) ORDER BY generated_epoch DESC, id DESC LIMIT 1")
                // ON DELETE CASCADE takes each run's nodes, lists, origins, findings and approvals with it.
                if !dryRun {
                    try db.execute(sql: "DELETE FROM run WHERE id IN (\(list))")
                    try Blob.deleteUnused(db)
                }
            }
            return PruneResult(deleted: ids.count, kept: total - ids.count, newestDeleted: newestDeleted, keptBaseline: keptBaseline)
        }
        if vacuum && !dryRun {
            // VACUUM cannot run inside a transaction; a checkpoint first so the WAL does not keep the old pages' size.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "VACUUM")
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
        }
        return result
    }

    /// The database's size on disk: the file and its write-ahead log, in bytes.
    public func sizeOnDisk() -> Int {
        [path, path + "-wal"].reduce(0) { sum, file in
            sum + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)
        }
    }
}
