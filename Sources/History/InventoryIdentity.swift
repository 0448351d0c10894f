import AuditCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which inventory a run audited, as the history tells inventories apart.
///
/// The identity (`key`) is the inventory file's real path (symbolic links resolved, absolute): two inventories in one
/// folder are two files, so two histories, while editing a file — re-ordering it, commenting it, adding a node — keeps
/// its history, so `drift` shows the added node instead of starting again. A content identity would do the opposite
/// and split a history at every edit. What the file held is recorded beside it (`digest`, over the canonical content:
/// clusters, nodes and expected policy, sorted, so order and comments do not change it), so an edit shows in the
/// history as such. A file moved or renamed starts a new history; `--all-inventories` still shows both.
public struct InventoryIdentity: Sendable, Equatable {
    /// The file's real path.
    public var key: String
    /// 16 hex digits (FNV-1a, 64 bits) of the canonical content; an identity of content, not a security check.
    public var digest: String

    public init(key: String, digest: String) { self.key = key; self.digest = digest }

    /// The identity of `inventory`, read from `inventory.path`.
    public init(_ inventory: Inventory) {
        self.init(key: Self.key(path: inventory.path), digest: Self.digest(inventory))
    }

    /// The real path of `path`, relative paths from the current directory; a file that no longer exists (an inventory
    /// removed, its history still read) by its absolute path.
    public static func key(path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        if let resolved = realpath(absolute, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        return (absolute as NSString).standardizingPath
    }

    /// The canonical content as text, one line per cluster and node, sorted: what the digest is taken over.
    public static func canonical(_ inventory: Inventory) -> String {
        var lines: [String] = []
        for cluster in inventory.clusters.sorted(by: { $0.name < $1.name }) {
            let e = cluster.expected
            lines.append("cluster \(cluster.name) ports \(e.finessePorts.sorted()) extra \(e.extraOrigins.map(\.description).sorted())"
                         + " tolerated \(e.toleratedOrigins.map(\.description).sorted()) finesse \(e.finesseOrigins.map(\.description).sorted()) prune \(e.prune)")
            for node in cluster.nodes.sorted(by: { $0.host < $1.host }) {
                lines.append("  node \(node.host) \(node.product.rawValue) \(node.role?.rawValue ?? "-") lists \(node.lists.map(\.rawValue))"
                             + " audit \(node.audit) aliases \(node.aliases.sorted())")
            }
        }
        return lines.joined(separator: "\n")
    }

    public static func digest(_ inventory: Inventory) -> String {
        let hex = String(Blob.fnv1a(canonical(inventory)), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Which runs a history command sees.
public enum HistoryScope: Sendable, Equatable {
    /// Every run of every inventory (`--all-inventories`).
    case all
    /// The runs of one inventory: those recorded with its key, and those recorded before the history knew keys (schema v1)
    /// whose recorded path, resolved from the current directory, is the same file (`legacyPaths`).
    case inventory(key: String, legacyPaths: [String])

    /// The SQL condition on table `run` (aliased `alias`) and its arguments.
    func condition(_ alias: String = "run") -> (sql: String, arguments: [String]) {
        switch self {
        case .all: return ("1", [])
        case .inventory(let key, let legacy):
            let marks = legacy.map { _ in "?" }.joined(separator: ", ")
            let old = legacy.isEmpty ? "" : " OR (\(alias).inventory_key IS NULL AND \(alias).inventory IN (\(marks)))"
            return ("(\(alias).inventory_key = ?\(old))", [key] + legacy)
        }
    }
}
