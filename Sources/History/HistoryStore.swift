import AuditCore
import CLIParsers
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The history database: every audit run recorded, read back for `history`, `drift` and `baseline`.
///
/// Several processes may use one file at once (a cron run overlapping a manual one): the database is in
/// WAL mode, writers wait for each other up to `busyTimeout`, and each run is inserted in a single
/// transaction, so a run is either wholly in the database or not at all, even when its process is killed.
public final class HistoryStore: Sendable {
    /// The database file.
    public let path: String
    let pool: DatabasePool

    /// Opens (and, with `create`, makes) the database at `path`, bringing its schema up to date.
    ///
    /// - Parameters:
    ///   - create: false for commands that only read: a missing file is then `HistoryError.missingDatabase`
    ///     rather than a new, empty database at a mistyped path.
    ///   - busyTimeout: how long a write waits for another process's write to finish, in seconds.
    public convenience init(path: String, create: Bool = true, busyTimeout: TimeInterval = 30) throws {
        try self.init(path: path, create: create, busyTimeout: busyTimeout, cachePages: nil)
    }

    /// With `cachePages`, a page cache that small: a big run's uncommitted pages then spill into the WAL file
    /// before the commit, which the killed-writer test needs for a kill to hit rows already on disk.
    @_spi(Testing)
    public init(path: String, create: Bool = true, busyTimeout: TimeInterval = 30, cachePages: Int?) throws {
        self.path = path
        let fm = FileManager.default
        if !create, !fm.fileExists(atPath: path) { throw HistoryError.missingDatabase(path) }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750]) }
        // A new database is made 0640 here (SQLite would make it 0644, and its -wal and -shm files take its mode); an
        // empty file is an empty database.
        let made = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o640)
        if made >= 0 { close(made) }

        var config = Configuration()
        config.label = "cors-audit history"
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = true
        if let cachePages {
            config.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = \(cachePages)") }
        }
        // Two first runs against a fresh file could both switch it to WAL and both apply migration v1 (GRDB
        // reads the applied migrations outside the migration's transaction): a lock file serializes that step.
        pool = try Self.exclusively(lockFile: path + ".lock") {
            let pool = try DatabasePool(path: path, configuration: config)
            if try pool.read({ try Schema.migrator.hasBeenSuperseded($0) }) { throw HistoryError.newerSchema(path) }
            try Schema.migrator.migrate(pool)
            return pool
        }
    }

    /// Runs `body` holding an exclusive `flock` on `lockFile`, created if needed.
    private static func exclusively<T>(lockFile: String, _ body: () throws -> T) throws -> T {
        // Never through a symbolic link: a link planted at this name must not make a root run create or open another file.
        let fd = open(lockFile, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o640)
        // A read-only directory (an archived history opened for reading) still opens; only the first
        // migration of a new file needs the lock, and that cannot happen there.
        guard fd >= 0 else { return try body() }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { return try body() }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    // MARK: - Recording

    /// Records one run: the run, its nodes with their lists, origins and services, its findings, the expected origins
    /// and plans its verdict rested on, and `labels` (whose inventory, and why).
    ///
    /// All rows go in one transaction: a crash or a kill before the commit leaves no trace of the run.
    /// - Parameters:
    ///   - failOn: the threshold the run's verdict was computed with.
    ///   - recordedAt: when the run is written (the run's own time is the report's `generatedAt`).
    /// - Returns: the new run's id.
    @discardableResult
    public func record(_ report: AuditReport, failOn: Severity = .warning, recordedAt: Date = Date(),
                       labels: RunLabels = RunLabels()) throws -> Int64 {
        try record(report, failOn: failOn, recordedAt: recordedAt, labels: labels, beforeCommit: {})
    }

    /// `record`, with `beforeCommit` called inside the transaction once every row is written: the hook the
    /// killed-writer test uses to stop a writer at the worst moment.
    @_spi(Testing)
    @discardableResult
    public func record(_ report: AuditReport, failOn: Severity, recordedAt: Date, labels: RunLabels = RunLabels(),
                       beforeCommit: () throws -> Void) throws -> Int64 {
        let epoch = ISOTime.parse(report.generatedAt)?.timeIntervalSince1970 ?? recordedAt.timeIntervalSince1970
        // Encoded before the transaction: the write lock is held only for the inserts.
        let expected = try Blob.expected(report)
        let services = try report.nodes.map { try $0.services.map(Blob.encode) }
        // A plan per node, stored with the node: a drift that lasts repeats the same plan night after night, stored once.
        // Plans that are not one per node of the run (none of the audit's) are stored together with the run.
        let hosts = Set(report.nodes.map(\.host)), planHosts = report.plans.map(\.host)
        let perNode = Set(planHosts).count == planHosts.count && planHosts.allSatisfy(hosts.contains)
        let nodePlans = perNode ? try Dictionary(uniqueKeysWithValues: report.plans.map { ($0.host, try Blob.plans([$0])) }) : [:]
        let runPlans = perNode ? nil : try Blob.plans(report.plans)
        return try pool.write { db in
            var cache: [String: Int64] = [:]
            try db.execute(sql: """
                INSERT INTO run (generated_at, generated_epoch, recorded_at, inventory, verdict, fail_on, complete,
                                 node_count, audited_count, skipped_count, incomplete_count,
                                 error_count, warning_count, info_count,
                                 inventory_key, inventory_digest, tag, plan_run_id, expected_blob, plans_blob)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    report.generatedAt, epoch, ISOTime.format(recordedAt), report.inventoryPath,
                    report.verdict(failOn: failOn).rawValue, failOn.rawValue, report.complete,
                    report.nodes.count, report.nodes.filter { $0.status == .audited }.count,
                    report.nodes.filter { $0.status == .skipped }.count, report.incompleteNodes.count,
                    report.count(.error), report.count(.warning), report.count(.info),
                    labels.inventory?.key, labels.inventory?.digest, labels.tag?.rawValue, labels.planRun,
                    try Blob.id(db, expected, cache: &cache), try runPlans.map { try Blob.id(db, $0, cache: &cache) },
                ])
            let runID = db.lastInsertedRowID
            for (position, node) in report.nodes.enumerated() {
                let servicesID = try services[position].map { try Blob.id(db, $0, cache: &cache) }
                let planID = try nodePlans[node.host].map { try Blob.id(db, $0, cache: &cache) }
                try db.execute(sql: """
                    INSERT INTO node (run_id, position, cluster, host, product, role, status, detail, version, services_blob, plan_blob)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [runID, position, node.cluster, node.host, node.product.rawValue, node.role?.rawValue,
                                     node.status.rawValue, node.detail, node.version, servicesID, planID])
                let nodeID = db.lastInsertedRowID
                for list in node.lists {
                    try db.execute(sql: "INSERT INTO node_list (node_id, kind, state, received) VALUES (?, ?, ?, ?)",
                                   arguments: [nodeID, list.kind.rawValue, list.state?.rawValue, list.origins != nil])
                    let listID = db.lastInsertedRowID
                    for (index, origin) in (list.origins ?? []).enumerated() {
                        try db.execute(sql: "INSERT INTO list_origin (list_id, position, origin) VALUES (?, ?, ?)",
                                       arguments: [listID, index + 1, origin])
                    }
                }
            }
            for (position, finding) in report.findings.enumerated() {
                try db.execute(sql: """
                    INSERT INTO finding (run_id, position, kind, severity, cluster, host, list, origin, message)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [runID, position, finding.kind.rawValue, finding.severity.rawValue, finding.cluster,
                                     finding.host, finding.list?.rawValue, finding.origin, finding.message])
            }
            try beforeCommit()
            return runID
        }
    }

    /// The run a report was recorded as: the newest of this inventory with the report's start time (how apply finds the
    /// run its `--from` report came from).
    public func run(generatedAt: String, scope: HistoryScope) throws -> Int64? {
        try pool.read { db in
            let (condition, arguments) = scope.condition()
            return try Int64.fetchOne(db, sql: "SELECT id FROM run WHERE generated_at = ? AND \(condition) \(Self.newestFirst) LIMIT 1",
                                      arguments: StatementArguments([generatedAt] + arguments))
        }
    }

    /// The scope of one inventory: its key, and the paths runs recorded before schema v2 gave for the same file.
    public func scope(for identity: InventoryIdentity) throws -> HistoryScope {
        let legacy = try pool.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT inventory FROM run WHERE inventory_key IS NULL ORDER BY inventory")
        }
        return .inventory(key: identity.key, legacyPaths: legacy.filter { InventoryIdentity.key(path: $0) == identity.key })
    }

    /// The scope a command gets when it is not told the inventory: all runs when they are all of one inventory,
    /// else `HistoryError.severalInventories` naming them by real path (runs recorded before schema v2 by the path they
    /// recorded, resolved from the current directory).
    public func soleInventoryScope() throws -> HistoryScope {
        let inventories = try pool.read { db in
            Set(try Row.fetchAll(db, sql: "SELECT DISTINCT inventory_key, inventory FROM run").map { row -> String in
                let key: String? = row["inventory_key"]
                return key ?? InventoryIdentity.key(path: row["inventory"])
            }).sorted()
        }
        if inventories.count > 1 { throw HistoryError.severalInventories(inventories) }
        return .all
    }

    // MARK: - Reading

    /// The "latest" order everywhere: by the run's start time, then by insertion for runs started together.
    private static let newestFirst = "ORDER BY generated_epoch DESC, id DESC"

    /// Recorded runs of `scope`, newest first; at most `limit` of them.
    public func runs(limit: Int? = nil, scope: HistoryScope = .all) throws -> [RunSummary] {
        try pool.read { db in
            let (condition, arguments) = scope.condition()
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM run WHERE \(condition) \(Self.newestFirst) LIMIT ?",
                                        arguments: StatementArguments(arguments) + [limit ?? -1])
            return try rows.map(Self.summary)
        }
    }

    /// How many runs of `scope` are recorded.
    public func runCount(scope: HistoryScope = .all) throws -> Int {
        try pool.read { db in
            let (condition, arguments) = scope.condition()
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run WHERE \(condition)", arguments: StatementArguments(arguments)) ?? 0
        }
    }

    /// The runs of `scope` with everything they observed, oldest first: the newest `limit` of them, read in one
    /// snapshot of the database.
    public func snapshots(limit: Int, scope: HistoryScope = .all) throws -> [RunSnapshot] {
        try pool.read { db in
            let (condition, arguments) = scope.condition()
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM run WHERE \(condition) \(Self.newestFirst) LIMIT ?",
                                         arguments: StatementArguments(arguments) + [limit])
            return try ids.reversed().compactMap { try Self.snapshot(db, run: $0) }
        }
    }

    /// The run with this id, with everything it observed; nil when there is none.
    public func snapshot(run id: Int64) throws -> RunSnapshot? {
        try pool.read { db in try Self.snapshot(db, run: id) }
    }

    /// The newest run whose start is strictly before `date`.
    public func latestRun(before date: Date) throws -> RunSummary? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM run WHERE generated_epoch < ? \(Self.newestFirst) LIMIT 1",
                             arguments: [date.timeIntervalSince1970]).map(Self.summary)
        }
    }

    /// Every entry each host's lists held in the last `runs` recorded runs that read them, newest run first, each
    /// once: host → kind → entries. One query over the lists' rows: none of the runs' other rows are read.
    public func recentEntries(hosts: Set<String>, runs: Int = 10) throws -> [String: [ListKind: [String]]] {
        try pool.read { db in
            var entries: [String: [ListKind: [String]]] = [:]
            var seen: [String: [ListKind: Set<String>]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT n.host, l.kind, o.origin
                FROM (SELECT id, generated_epoch FROM run \(Self.newestFirst) LIMIT ?) r
                JOIN node n ON n.run_id = r.id JOIN node_list l ON l.node_id = n.id JOIN list_origin o ON o.list_id = l.id
                ORDER BY r.generated_epoch DESC, r.id DESC, o.list_id, o.position
                """, arguments: [runs]) {
                let host: String = row["host"], kindRaw: String = row["kind"], origin: String = row["origin"]
                guard hosts.contains(host) else { continue }
                guard let kind = ListKind(rawValue: kindRaw) else { throw HistoryError.unreadable("unknown list kind \(kindRaw)") }
                if seen[host, default: [:]][kind, default: []].insert(origin).inserted {
                    entries[host, default: [:]][kind, default: []].append(origin)
                }
            }
            return entries
        }
    }

    /// Each host's version in the newest recorded run that read one (for a probe that reads no CLI).
    public func lastVersions(hosts: Set<String>) throws -> [String: String] {
        try pool.read { db in
            var versions: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT n.host, n.version FROM node n JOIN run r ON r.id = n.run_id
                WHERE n.version IS NOT NULL ORDER BY r.generated_epoch DESC, r.id DESC
                """) {
                let host: String = row["host"], version: String = row["version"]
                if hosts.contains(host), versions[host] == nil { versions[host] = version }
            }
            return versions
        }
    }

    /// Approves a run (default: the latest of `scope`) as the baseline for `drift --baseline`.
    @discardableResult
    public func approveBaseline(run id: Int64? = nil, approvedAt: Date = Date(), scope: HistoryScope = .all) throws -> Baseline {
        try pool.write { db in
            let (condition, arguments) = scope.condition()
            let row: Row?
            if let id {
                row = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [id])
                guard let found = row else { throw HistoryError.noSuchRun(id) }
                if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run WHERE id = ? AND \(condition)",
                                    arguments: StatementArguments([id]) + StatementArguments(arguments)) == 0 {
                    throw HistoryError.runOfAnotherInventory(id, found["inventory"])
                }
            } else {
                row = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE \(condition) AND \(Self.wholeRun) \(Self.newestFirst) LIMIT 1",
                                       arguments: StatementArguments(arguments))
                if row == nil { throw HistoryError.noRuns }
            }
            let run = try Self.summary(row!)
            let at = ISOTime.format(approvedAt)
            try db.execute(sql: "INSERT INTO baseline (run_id, approved_at) VALUES (?, ?)", arguments: [run.id, at])
            return Baseline(run: run, approvedAt: at)
        }
    }

    /// The most recent approval of a run of `scope`, if any: each inventory has its own baseline.
    public func baseline(scope: HistoryScope = .all) throws -> Baseline? {
        try pool.read { db in try Self.baseline(db, scope: scope) }
    }

    private static func baseline(_ db: Database, scope: HistoryScope) throws -> Baseline? {
        let (condition, arguments) = scope.condition("r")
        guard let b = try Row.fetchOne(db, sql: """
            SELECT b.run_id, b.approved_at FROM baseline b JOIN run r ON r.id = b.run_id WHERE \(condition) ORDER BY b.id DESC LIMIT 1
            """, arguments: StatementArguments(arguments)) else { return nil }
        let runID: Int64 = b["run_id"]
        guard let run = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [runID]) else {
            throw HistoryError.unreadable("the baseline names run \(runID), which is not in the history")
        }
        return Baseline(run: try summary(run), approvedAt: b["approved_at"])
    }

    /// Runs that audited their whole inventory: an apply's re-audit covers only the clusters it changed, so it is never
    /// the latest or the previous run of a drift (it explains the drift's changes instead).
    static let wholeRun = "(tag IS NULL OR tag <> 'apply-after')"

    /// What `drift` compares: the latest run of `scope` and the run `base` names, read in one snapshot of the database
    /// so a run landing meanwhile cannot mix into the answer. Changes an apply made between them name its run.
    public func drift(against base: DriftBase, scope: HistoryScope = .all) throws -> DriftReport {
        try pool.read { db in
            let (condition, arguments) = scope.condition()
            let whole = "WHERE \(condition) AND \(Self.wholeRun)"
            let args = StatementArguments(arguments)
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run \(whole)", arguments: args) ?? 0
            guard let latestID = try Int64.fetchOne(db, sql: "SELECT id FROM run \(whole) \(Self.newestFirst) LIMIT 1", arguments: args),
                  let latest = try Self.snapshot(db, run: latestID) else {
                throw base == .previous ? HistoryError.notEnoughRuns(count) : HistoryError.noRuns
            }
            let fromID: Int64
            let against: DriftReport.Against
            switch base {
            case .previous:
                guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM run \(whole) \(Self.newestFirst) LIMIT 1 OFFSET 1", arguments: args) else {
                    throw HistoryError.notEnoughRuns(count)
                }
                fromID = id
                against = .previous
            case .since(let date):
                let shown = ISOTime.format(date)
                guard latest.summary.generatedEpoch >= date.timeIntervalSince1970 else {
                    throw HistoryError.noRunSince(date: shown, latest: latest.summary.generatedAt)
                }
                guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM run \(whole) AND generated_epoch < ? \(Self.newestFirst) LIMIT 1",
                                                  arguments: args + [date.timeIntervalSince1970]) else {
                    throw HistoryError.noRunBefore(shown)
                }
                fromID = id
                against = .since(shown)
            case .baseline:
                guard let b = try Self.baseline(db, scope: scope) else { throw HistoryError.noBaseline }
                fromID = b.run.id
                against = .baseline(approvedAt: b.approvedAt)
            }
            guard let from = try Self.snapshot(db, run: fromID) else { throw HistoryError.noSuchRun(fromID) }
            var report = DriftReport(from: from, to: latest, against: against)
            try Self.explainApplies(db, &report, from: from, scope: scope)
            return report
        }
    }

    /// `drift RUN_A RUN_B`: what changed from run `a` to run `b`, any two runs of `scope`.
    public func drift(from a: Int64, to b: Int64, scope: HistoryScope = .all) throws -> DriftReport {
        try pool.read { db in
            let (condition, arguments) = scope.condition()
            var snapshots: [RunSnapshot] = []
            for id in [a, b] {
                guard let row = try Row.fetchOne(db, sql: "SELECT inventory FROM run WHERE id = ?", arguments: [id]) else {
                    throw HistoryError.noSuchRun(id)
                }
                if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run WHERE id = ? AND \(condition)",
                                    arguments: StatementArguments([id]) + StatementArguments(arguments)) == 0 {
                    throw HistoryError.runOfAnotherInventory(id, row["inventory"])
                }
                guard let snapshot = try Self.snapshot(db, run: id) else { throw HistoryError.noSuchRun(id) }
                snapshots.append(snapshot)
            }
            var report = DriftReport(from: snapshots[0], to: snapshots[1], against: .runs)
            try Self.explainApplies(db, &report, from: snapshots[0], scope: scope)
            return report
        }
    }

    /// Names, on each change of `report`, the apply whose re-audit saw that very change made: the apply-after runs of
    /// `scope` between the two runs, each compared with the run its plans came from (or, pruned, with `from`).
    private static func explainApplies(_ db: Database, _ report: inout DriftReport, from: RunSnapshot, scope: HistoryScope) throws {
        guard report.hasDrift else { return }
        let (condition, arguments) = scope.condition()
        let (lo, hi) = (min(report.from.generatedEpoch, report.to.generatedEpoch), max(report.from.generatedEpoch, report.to.generatedEpoch))
        let ids = try Int64.fetchAll(db, sql: """
            SELECT id FROM run WHERE \(condition) AND tag = 'apply-after' AND generated_epoch >= ? AND generated_epoch <= ?
            ORDER BY generated_epoch, id
            """, arguments: StatementArguments(arguments) + [lo, hi])
        var applies: [(after: RunSnapshot, before: RunSnapshot)] = []
        for id in ids {
            guard let after = try snapshot(db, run: id) else { continue }
            let before = try after.summary.planRun.flatMap { try snapshot(db, run: $0) } ?? from
            applies.append((after, before))
        }
        report.explain(applies: applies)
    }

    // MARK: - Row mapping

    private static func summary(_ row: Row) throws -> RunSummary {
        let id: Int64 = row["id"]
        guard let verdict = Verdict(rawValue: row["verdict"]), let failOn = Severity(rawValue: row["fail_on"]) else {
            throw HistoryError.unreadable("run \(id) has an unknown verdict or fail_on")
        }
        var summary = RunSummary(id: id, generatedAt: row["generated_at"], generatedEpoch: row["generated_epoch"],
                          recordedAt: row["recorded_at"], inventory: row["inventory"], verdict: verdict, failOn: failOn,
                          complete: row["complete"], nodes: row["node_count"], audited: row["audited_count"],
                          skipped: row["skipped_count"], incomplete: row["incomplete_count"], errors: row["error_count"],
                          warnings: row["warning_count"], infos: row["info_count"])
        summary.inventoryKey = row["inventory_key"]
        summary.inventoryDigest = row["inventory_digest"]
        let tag: String? = row["tag"]
        summary.tag = tag.flatMap(RunTag.init(rawValue:))
        summary.planRun = row["plan_run_id"]
        return summary
    }

    private static func snapshot(_ db: Database, run id: Int64) throws -> RunSnapshot? {
        guard let runRow = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [id]) else { return nil }
        let summary = try summary(runRow)

        var origins: [Int64: [String]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT o.list_id, o.origin FROM list_origin o
            JOIN node_list l ON l.id = o.list_id JOIN node n ON n.id = l.node_id
            WHERE n.run_id = ? ORDER BY o.list_id, o.position
            """, arguments: [id]) {
            origins[row["list_id"], default: []].append(row["origin"])
        }
        var lists: [Int64: [StoredList]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT l.id, l.node_id, l.kind, l.state, l.received FROM node_list l JOIN node n ON n.id = l.node_id
            WHERE n.run_id = ? ORDER BY l.node_id, l.id
            """, arguments: [id]) {
            let kindRaw: String = row["kind"]
            guard let kind = ListKind(rawValue: kindRaw) else { throw HistoryError.unreadable("run \(id): unknown list kind \(kindRaw)") }
            let stateRaw: String? = row["state"]
            let state = try stateRaw.map { raw in
                guard let s = CorsState(rawValue: raw) else { throw HistoryError.unreadable("run \(id): unknown CORS state \(raw)") }
                return s
            }
            let listID: Int64 = row["id"]
            let received: Bool = row["received"]
            lists[row["node_id"], default: []].append(StoredList(kind: kind, state: state,
                                                                 origins: received ? origins[listID] ?? [] : nil))
        }
        var services: [Int64: ServiceList] = [:]
        var nodePlans: [RemediationPlan] = []
        let nodes = try Row.fetchAll(db, sql: "SELECT * FROM node WHERE run_id = ? ORDER BY position", arguments: [id]).map { row in
            let host: String = row["host"]
            if let plan = try Blob.body(db, row["plan_blob"]) { nodePlans += try Blob.decodePlans(plan, run: id) }
            let servicesID: Int64? = row["services_blob"]
            var serviceList: ServiceList?
            if let servicesID {
                if services[servicesID] == nil, let body = try Blob.body(db, servicesID) {
                    services[servicesID] = try JSONDecoder().decode(ServiceList.self, from: Data(body.utf8))
                }
                serviceList = services[servicesID]
            }
            let roleRaw: String? = row["role"]
            guard let product = Product(rawValue: row["product"]), let status = NodeStatus(rawValue: row["status"]) else {
                throw HistoryError.unreadable("run \(id), node \(host): unknown product or status")
            }
            return StoredNode(cluster: row["cluster"], host: host, product: product, role: roleRaw.flatMap(CUICRole.init(rawValue:)),
                              status: status, detail: row["detail"], version: row["version"], lists: lists[row["id"]] ?? [],
                              services: serviceList)
        }
        let findings = try Row.fetchAll(db, sql: "SELECT * FROM finding WHERE run_id = ? ORDER BY position", arguments: [id]).map { row in
            let listRaw: String? = row["list"]
            guard let kind = FindingKind(rawValue: row["kind"]), let severity = Severity(rawValue: row["severity"]) else {
                throw HistoryError.unreadable("run \(id): unknown finding kind or severity")
            }
            return StoredFinding(kind: kind, severity: severity, cluster: row["cluster"], host: row["host"],
                                 list: listRaw.flatMap(ListKind.init(rawValue:)), origin: row["origin"], message: row["message"])
        }
        var context: RunContext?
        if let expected = try Blob.body(db, runRow["expected_blob"]) {
            let plans = try Blob.body(db, runRow["plans_blob"]).map { try Blob.decodePlans($0, run: id) } ?? nodePlans
            context = RunContext(expected: try Blob.decodeExpected(expected, run: id), plans: plans)
        }
        return RunSnapshot(summary: summary, nodes: nodes, findings: findings, context: context)
    }
}

/// ISO 8601 times as the reports write them, and the dates `--since` accepts.
public enum ISOTime {
    /// `2026-11-26T09:00:00Z`.
    public static func format(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    /// A date (`2026-11-26`, midnight UTC) or a date-time (`2026-11-26T09:00:00Z`, `2026-11-26T10:00+01:00`,
    /// fractional seconds allowed; no zone means UTC). nil when it is neither.
    public static func parse(_ text: String) -> Date? {
        var s = text.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { return nil }
        if s.count == 10 {
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withFullDate]
            f.timeZone = TimeZone(identifier: "UTC")
            return f.date(from: s)
        }
        // A space between date and time is how people type it; ISO 8601 wants the T.
        if s.count > 10, s[s.index(s.startIndex, offsetBy: 10)] == " " {
            s.replaceSubrange(s.index(s.startIndex, offsetBy: 10)...s.index(s.startIndex, offsetBy: 10), with: "T")
        }
        let hasZone = s.hasSuffix("Z") || s.hasSuffix("z") || s.dropFirst(11).contains("+") || s.dropFirst(11).contains("-")
        if !hasZone { s += "Z" }
        // Seconds are optional: 09:00 is 09:00:00.
        if let t = s.firstIndex(of: "T") {
            let time = s[s.index(after: t)...]
            let clock = time.prefix { $0.isNumber || $0 == ":" }
            if clock.count == 5 { s.insert(contentsOf: ":00", at: clock.endIndex) }
        }
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]] {
            let f = ISO8601DateFormatter()
            f.formatOptions = options
            if let d = f.date(from: s) { return d }
        }
        return nil
    }
}
