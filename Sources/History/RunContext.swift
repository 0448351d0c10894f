import AuditCore
import CLIParsers
import Foundation
import GRDB

/// Why a run was recorded, when it was not a plain audit.
public enum RunTag: String, Sendable, CaseIterable {
    /// The audit `remediate --apply --inventory` planned from.
    case applyBefore = "apply-before"
    /// Apply's re-audit of the clusters it changed (only those clusters: never a whole inventory's run).
    case applyAfter = "apply-after"
}

/// What a run is recorded with beside its report: whose inventory, and why.
public struct RunLabels: Sendable, Equatable {
    public var inventory: InventoryIdentity?
    public var tag: RunTag?
    /// For an apply's runs: the run the applied plans came from.
    public var planRun: Int64?

    public init(inventory: InventoryIdentity? = nil, tag: RunTag? = nil, planRun: Int64? = nil) {
        self.inventory = inventory; self.tag = tag; self.planRun = planRun
    }
}

/// What a run's verdict rested on beside what it observed (schema v2): nil for runs recorded before it.
public struct RunContext: Sendable, Equatable {
    /// Cluster → list → the origins it had to hold.
    public var expected: [String: [ListKind: [String]]]
    /// The remediation plans the run made.
    public var plans: [RemediationPlan]

    public init(expected: [String: [ListKind: [String]]], plans: [RemediationPlan]) {
        self.expected = expected; self.plans = plans
    }
}

/// The JSON documents of the `blob` table: written canonical (sorted keys, compact), so equal content is equal text.
enum Blob {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The expected origins of every list the report's nodes hold, per cluster (a Finesse list has none).
    static func expected(_ report: AuditReport) throws -> String {
        var map: [String: [String: [String]]] = [:]
        for node in report.nodes {
            for list in node.lists where map[node.cluster]?[list.kind.rawValue] == nil {
                map[node.cluster, default: [:]][list.kind.rawValue] = list.expected
            }
        }
        return try encode(map)
    }

    /// FNV-1a, 64 bits: a look-up key and a content digest, not a security check.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// The plans as report v1's `remediation` array, wrapped so `ReportReader` reads them back with its checks.
    static func plans(_ plans: [RemediationPlan]) throws -> String {
        let report = AuditReport(generatedAt: "", inventoryPath: "", clusters: [], nodes: [], findings: [], plans: plans)
        guard case .object(let pairs) = report.json(), let remediation = pairs.first(where: { $0.0 == "remediation" })?.1 else {
            throw HistoryError.unreadable("the report has no remediation array")
        }
        let pretty = JSONValue.object([("schema", .string(AuditReport.schema)), ("remediation", remediation)]).serialized()
        let object = try JSONSerialization.jsonObject(with: Data(pretty.utf8))
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }

    static func decodeExpected(_ body: String, run: Int64) throws -> [String: [ListKind: [String]]] {
        let raw = try JSONDecoder().decode([String: [String: [String]]].self, from: Data(body.utf8))
        var out: [String: [ListKind: [String]]] = [:]
        for (cluster, lists) in raw {
            for (kind, origins) in lists {
                guard let k = ListKind(rawValue: kind) else { throw HistoryError.unreadable("run \(run): unknown list kind \(kind)") }
                out[cluster, default: [:]][k] = origins
            }
        }
        return out
    }

    static func decodePlans(_ body: String, run: Int64) throws -> [RemediationPlan] {
        do {
            return try ReportReader.read(Data(body.utf8), name: "run \(run)'s stored plans").plans
        } catch {
            throw HistoryError.unreadable("\(error)")
        }
    }

    /// The id of the row holding `body`, inserting it when new; `cache` spares the look-up within one run.
    static func id(_ db: Database, _ body: String, cache: inout [String: Int64]) throws -> Int64 {
        if let id = cache[body] { return id }
        let digest = Int64(bitPattern: fnv1a(body))
        let id: Int64
        if let found = try Int64.fetchOne(db, sql: "SELECT id FROM blob WHERE digest = ? AND body = ?", arguments: [digest, body]) {
            id = found
        } else {
            try db.execute(sql: "INSERT INTO blob (digest, body) VALUES (?, ?)", arguments: [digest, body])
            id = db.lastInsertedRowID
        }
        cache[body] = id
        return id
    }

    static func body(_ db: Database, _ id: Int64?) throws -> String? {
        guard let id else { return nil }
        return try String.fetchOne(db, sql: "SELECT body FROM blob WHERE id = ?", arguments: [id])
    }

    /// Deletes the documents no run or node names any more (after a prune).
    static func deleteUnused(_ db: Database) throws {
        try db.execute(sql: """
            DELETE FROM blob WHERE id NOT IN (
                SELECT expected_blob FROM run WHERE expected_blob IS NOT NULL
                UNION SELECT plans_blob FROM run WHERE plans_blob IS NOT NULL
                UNION SELECT services_blob FROM node WHERE services_blob IS NOT NULL
                UNION SELECT plan_blob FROM node WHERE plan_blob IS NOT NULL)
            """)
    }
}
