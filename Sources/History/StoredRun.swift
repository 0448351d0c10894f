import AuditCore
import CLIParsers

/// One recorded run as `cors-audit history` lists it.
public struct RunSummary: Sendable, Equatable {
    public var id: Int64
    /// ISO 8601 UTC time the run started, as its report states it.
    public var generatedAt: String
    /// The same instant in seconds since 1970.
    public var generatedEpoch: Double
    /// ISO 8601 UTC time the run was written to the history.
    public var recordedAt: String
    public var inventory: String
    /// The verdict under the run's own `--fail-on`.
    public var verdict: Verdict
    public var failOn: Severity
    public var complete: Bool
    public var nodes: Int
    public var audited: Int
    public var skipped: Int
    public var incomplete: Int
    public var errors: Int
    public var warnings: Int
    public var infos: Int
    /// The inventory's identity and content digest (`InventoryIdentity`); nil for runs recorded before schema v2.
    public var inventoryKey: String? = nil
    public var inventoryDigest: String? = nil
    /// Why the run was recorded, when it was part of an apply.
    public var tag: RunTag? = nil
    /// For an apply's runs: the run the applied plans came from.
    public var planRun: Int64? = nil

    public init(id: Int64, generatedAt: String, generatedEpoch: Double, recordedAt: String, inventory: String,
                verdict: Verdict, failOn: Severity, complete: Bool, nodes: Int, audited: Int, skipped: Int,
                incomplete: Int, errors: Int, warnings: Int, infos: Int) {
        self.id = id; self.generatedAt = generatedAt; self.generatedEpoch = generatedEpoch; self.recordedAt = recordedAt
        self.inventory = inventory; self.verdict = verdict; self.failOn = failOn; self.complete = complete
        self.nodes = nodes; self.audited = audited; self.skipped = skipped; self.incomplete = incomplete
        self.errors = errors; self.warnings = warnings; self.infos = infos
    }
}

/// One CORS list of a node as a run observed it.
public struct StoredList: Sendable, Equatable {
    public var kind: ListKind
    /// nil when the state was not received or not understood.
    public var state: CorsState?
    /// Entries as the node printed them, in its order; nil when the list was not read.
    public var origins: [String]?

    public init(kind: ListKind, state: CorsState?, origins: [String]?) {
        self.kind = kind; self.state = state; self.origins = origins
    }
}

/// One node of a recorded run.
public struct StoredNode: Sendable, Equatable {
    public var cluster: String
    public var host: String
    public var product: Product
    public var role: CUICRole?
    public var status: NodeStatus
    /// Empty when audited; otherwise what failed.
    public var detail: String
    public var version: String?
    public var lists: [StoredList]
    /// The services the node listed; nil when not read, or recorded before schema v2.
    public var services: ServiceList? = nil

    public init(cluster: String, host: String, product: Product, role: CUICRole? = nil, status: NodeStatus,
                detail: String = "", version: String?, lists: [StoredList], services: ServiceList? = nil) {
        self.cluster = cluster; self.host = host; self.product = product; self.role = role; self.status = status
        self.detail = detail; self.version = version; self.lists = lists; self.services = services
    }

    /// The list of this kind, if the node holds one.
    public func list(_ kind: ListKind) -> StoredList? { lists.first { $0.kind == kind } }
}

/// One finding of a recorded run (without its remediation lines, which a fresh audit rewrites).
public struct StoredFinding: Sendable, Equatable {
    public var kind: FindingKind
    public var severity: Severity
    public var cluster: String
    public var host: String?
    public var list: ListKind?
    public var origin: String?
    public var message: String

    public init(kind: FindingKind, severity: Severity, cluster: String, host: String?, list: ListKind?,
                origin: String?, message: String) {
        self.kind = kind; self.severity = severity; self.cluster = cluster; self.host = host; self.list = list
        self.origin = origin; self.message = message
    }
}

/// Everything a recorded run observed: what drift compares.
public struct RunSnapshot: Sendable, Equatable {
    public var summary: RunSummary
    /// In inventory order.
    public var nodes: [StoredNode]
    public var findings: [StoredFinding]
    /// What the verdict rested on; nil for runs recorded before schema v2.
    public var context: RunContext? = nil

    public init(summary: RunSummary, nodes: [StoredNode], findings: [StoredFinding], context: RunContext? = nil) {
        self.summary = summary; self.nodes = nodes; self.findings = findings; self.context = context
    }
}

/// A run approved as the reference for `drift --baseline`.
public struct Baseline: Sendable, Equatable {
    public var run: RunSummary
    /// ISO 8601 UTC time of the approval.
    public var approvedAt: String
}

/// Why the history could not answer; every case is a message for the person at the terminal.
public enum HistoryError: Error, Equatable, CustomStringConvertible {
    /// No database at the path (read-only commands never create one).
    case missingDatabase(String)
    /// The database was migrated by a newer cors-audit.
    case newerSchema(String)
    /// Drift needs two runs.
    case notEnoughRuns(Int)
    case noSuchRun(Int64)
    case noRuns
    case noBaseline
    /// The history holds runs of several inventories and the command was not told which.
    case severalInventories([String])
    /// `drift RUN_A RUN_B`: a run outside the inventory the command is scoped to.
    case runOfAnotherInventory(Int64, String)
    /// `--since`: no run started before the date.
    case noRunBefore(String)
    /// `--since`: the latest run itself is older than the date.
    case noRunSince(date: String, latest: String)
    /// A stored value this version does not know (hand-edited database, or a newer writer).
    case unreadable(String)

    public var description: String {
        switch self {
        case .missingDatabase(let path):
            "no history at \(path): run `cors-audit audit` first, or name the database with --history PATH"
        case .newerSchema(let path):
            "\(path) was written by a newer cors-audit (unknown schema migrations); upgrade cors-audit to read it"
        case .notEnoughRuns(let n):
            "drift compares two runs and the history holds \(n == 0 ? "none" : "only one"); run `cors-audit audit` again, or use --baseline"
        case .noSuchRun(let id): "no run \(id) in the history (see `cors-audit history`)"
        case .noRuns: "the history holds no runs yet: run `cors-audit audit` first"
        case .noBaseline: "no approved baseline: approve one with `cors-audit baseline approve [RUN]`"
        case .severalInventories(let paths):
            "the history holds runs of \(paths.count) inventories (\(paths.joined(separator: ", "))): name one with --inventory FILE, or give --all-inventories"
        case .runOfAnotherInventory(let id, let inventory):
            "run \(id) audited another inventory (\(inventory)); give --all-inventories to compare across inventories"
        case .noRunBefore(let date): "no run started before \(date) to compare with (see `cors-audit history`)"
        case .noRunSince(let date, let latest):
            "no run since \(date): the latest run started at \(latest)"
        case .unreadable(let what): "cannot read the history: \(what)"
        }
    }
}
