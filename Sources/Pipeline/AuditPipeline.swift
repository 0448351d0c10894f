import AuditCore
import Foundation
import History
import Prober

/// One audit run, stage by stage: collect → audit → probe → record. Every command (`audit`, `demo`, `probe`,
/// `remediate`, apply's re-audit) is a configuration of this type; writing the run's files is `RunFolder`'s.
///
/// A stage that cannot do its work never stops the run: its problem joins `warnings` and the report still
/// comes out, failing closed (a node not read is never clean).
public struct AuditPipeline: Sendable {
    /// Where node observations come from; nil: the CLI is not read (a probe-only run).
    public var source: (any ObservationSource)?
    /// Send the browser's preflight after the audit.
    public var probe: ProbeStage?
    /// The history database the probe reads former entries from and the run is recorded in.
    public var history: HistoryStage?
    /// What the report calls the inventory, when not its path.
    public var inventoryLabel: String?
    /// What `--cluster`/`--host`/`--exclude` left in the run; the report says it was scoped.
    public var scope: String?
    /// The inventory file's digest as loaded, for the report (`inventory_digest`); nil: not said.
    public var inventoryDigest: String?
    /// The report's timestamp; `CORS_AUDIT_TEST_EPOCH` pins it in tests.
    public var generatedAt: @Sendable () -> String = Timestamp.now
    /// Charge each stage's CPU here (the benchmark's `--cpu-report`); nil: not measured.
    public var cpuProfile: CPUProfile?

    public struct ProbeStage: Sendable {
        public var options: PreflightProber.Options
        public init(options: PreflightProber.Options) { self.options = options }
    }

    public struct HistoryStage: Sendable {
        public var path: String
        /// Record the run (with the verdict at this threshold).
        public var recordFailOn: Severity?
        /// Read the lists' former entries for the probe.
        public var readFormerEntries: Bool
        /// Recorded with the run: its tag and plan run; the inventory's identity, when not the audited inventory's own
        /// (apply's re-audit audits part of an inventory and records it as the whole one's).
        public var labels: RunLabels
        public init(path: String, recordFailOn: Severity?, readFormerEntries: Bool, labels: RunLabels = RunLabels()) {
            self.path = path; self.recordFailOn = recordFailOn; self.readFormerEntries = readFormerEntries; self.labels = labels
        }
    }

    public struct Result: Sendable {
        public var report: AuditReport
        public var transcripts: [String: [UInt8]]
        /// Problems of stages that did not stop the run (a history not written or not read), for stderr.
        public var warnings: [String]
        /// The run's id in the history, when recorded.
        public var recordedRun: Int64? = nil
    }

    public init(source: (any ObservationSource)?, probe: ProbeStage? = nil, history: HistoryStage? = nil) {
        self.source = source; self.probe = probe; self.history = history
    }

    public func run(_ inventory: Inventory) async -> Result {
        var warnings: [String] = []
        let generatedAt = generatedAt()
        var observed = Observed(observations: [:])
        var report: AuditReport
        if let source {
            // Each node is parsed as its session ends, while the others are still being read.
            let early = EarlyEvaluation(inventory)
            observed = await measure("collect") { await source.observe(inventory, each: early.submit) }
            report = await measure("audit") {
                let parsed = await early.finished()
                return Auditor.audit(inventory: inventory, observations: observed.observations, generatedAt: generatedAt, early: parsed)
            }
        } else {
            report = Auditor.probeOnly(inventory: inventory, generatedAt: generatedAt)
        }
        if let probe {
            var former: [String: [ListKind: [String]]] = [:]
            // Each node's release picks its endpoints: its version when read, else the inventory's `release:`, else
            // the version the history last saw, else every candidate.
            var releases = Dictionary(report.nodes.map { ($0.host, $0.release) }, uniquingKeysWith: { a, _ in a })
            if let history, history.readFormerEntries {
                (former, warnings) = HistoryStage.recentEntries(path: history.path, for: inventory)
                let unknown = Set(releases.filter { $0.value == .unknown }.map(\.key))
                if !unknown.isEmpty {
                    let (versions, problems) = HistoryStage.lastVersions(path: history.path, hosts: unknown)
                    warnings += problems
                    for (host, version) in versions { releases[host] = ReleaseFamily(version: version) }
                }
            }
            let nodes = source == nil ? [] : report.nodes, probed = releases
            let result = await measure("probe") {
                await PreflightProber(options: probe.options).probe(inventory, reports: nodes, former: former, releases: probed)
            }
            report = report.merging(probe: result, inventory: inventory)
        }
        // Waivers last: they judge every finding, the probe's included. Their warnings go to stderr and the report.
        report = report.applyingWaivers(inventory.waivers, inventoryPath: inventory.path, today: Waiver.today())
        warnings += report.waiverWarnings
        if let inventoryLabel { report.inventoryPath = inventoryLabel }
        report.scope = scope
        report.inventoryDigest = inventoryDigest
        var recordedRun: Int64?
        if let history, let failOn = history.recordFailOn {
            var labels = history.labels
            if labels.inventory == nil { labels.inventory = InventoryIdentity(inventory) }
            switch await measure("record", { [report, labels] in HistoryStage.record(report, failOn: failOn, path: history.path, labels: labels) }) {
            case .success(let id): recordedRun = id
            case .failure(let problem): warnings.append(problem.message)
            }
        }
        var result = Result(report: report, transcripts: observed.transcripts, warnings: warnings)
        result.recordedRun = recordedRun
        return result
    }
}

extension AuditPipeline {
    private func measure<T>(_ stage: String, _ body: () async -> T) async -> T {
        guard let cpuProfile else { return await body() }
        return await cpuProfile.measure(stage, body)
    }
}

extension AuditPipeline.HistoryStage {
    struct Problem: Error { var message: String }

    /// Records the run: its id, or the problem for stderr (the run's reports and exit code still stand).
    static func record(_ report: AuditReport, failOn: Severity, path: String, labels: RunLabels) -> Swift.Result<Int64, Problem> {
        do {
            return .success(try HistoryStore(path: path).record(report, failOn: failOn, labels: labels))
        } catch {
            return .failure(Problem(message: "could not record this run in the history \(path): \(error)"))
        }
    }

    /// The version each host had in the newest run that read it; empty without a database.
    static func lastVersions(path: String, hosts: Set<String>) -> ([String: String], [String]) {
        read(path, for: "the nodes' last versions", empty: [:]) { try $0.lastVersions(hosts: hosts) }
    }

    /// Every entry each host's lists held in the last recorded runs; empty without a database.
    static func recentEntries(path: String, for inventory: Inventory) -> ([String: [ListKind: [String]]], [String]) {
        read(path, for: "the lists it last recorded", empty: [:]) { try $0.recentEntries(hosts: Set(inventory.nodes.map(\.node.host))) }
    }

    /// Reads an existing database (never creates one); a database that cannot be read gives `empty` and the problem,
    /// for stderr: the probe goes on without it.
    private static func read<T>(_ path: String, for what: String, empty: T, _ body: (HistoryStore) throws -> T) -> (T, [String]) {
        guard FileManager.default.fileExists(atPath: path) else { return (empty, []) }
        do {
            return (try body(HistoryStore(path: path, create: false)), [])
        } catch {
            return (empty, ["could not read the history \(path) for \(what): \(error)"])
        }
    }
}

/// A run's timestamp.
public enum Timestamp {
    /// Set by a test that needs the same bytes every run: the run's time in Unix seconds. Not SOURCE_DATE_EPOCH: a build
    /// shell or a CI job exports that, and a scheduled run started from one would stamp every report (and the metric
    /// alerting reads) with the build's time.
    public static let testEpochVariable = "CORS_AUDIT_TEST_EPOCH"

    /// Now in ISO 8601 UTC, or the time `CORS_AUDIT_TEST_EPOCH` names.
    @Sendable public static func now() -> String {
        let env = ProcessInfo.processInfo.environment[testEpochVariable].flatMap(Double.init)
        let date = env.map { Date(timeIntervalSince1970: $0) } ?? Date()
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }
}
