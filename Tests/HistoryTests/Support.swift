import Foundation
import Testing
import TestSupport
@testable import AuditCore
import CLIParsers
import History

/// A fresh directory for one test's databases; removed by the caller.
func temporaryDirectory() throws -> String { try TestSupport.temporaryDirectory("cors-audit-history") }

let labInventoryPath = repoRoot + "/inventory/lab.yaml"
let labTranscripts = repoRoot + "/inventory/transcripts/lab"

let allFour = ["https://finessep.uccelab.tac", "https://finessep.uccelab.tac:8445",
               "https://finesses.uccelab.tac", "https://finesses.uccelab.tac:8445"]

/// One observed list; `origins: nil` is a list that was not read.
func list(_ kind: ListKind, _ origins: [String]? = allFour, state: CorsState? = .enabled) -> ObservedList {
    ObservedList(kind: kind, state: state, origins: origins, expected: kind == .finesse ? [] : allFour)
}

/// A node as the audit reports it; a CUIC node with co-resident Live Data unless told otherwise.
func node(_ host: String, cluster: String = "uccelab", product: Product = .cuic, role: CUICRole? = nil,
          status: NodeStatus = .audited, detail: String = "", version: String? = "12.6.2.10000-19",
          lists: [ObservedList]? = nil) -> NodeReport {
    let defaultLists: [ObservedList] = switch product {
    case .cuic: [list(.cuic), list(.liveData)]
    case .livedata: [list(.liveData)]
    case .finesse: [list(.finesse, [])]
    }
    return NodeReport(cluster: cluster, host: host, product: product, role: role, status: status, detail: detail,
                      version: version, lists: lists ?? defaultLists, services: nil, unparsed: [], notes: [])
}

/// The lab's four nodes, all audited and clean, with these replaced by host.
func labNodes(replacing: [NodeReport] = []) -> [NodeReport] {
    let base = [
        node("cuicpub.uccelab.tac", role: .publisher),
        node("cuicsub.uccelab.tac", role: .subscriber),
        node("finessep.uccelab.tac", product: .finesse, version: "12.6.2.10000-24"),
        node("finesses.uccelab.tac", product: .finesse, version: "12.6.2.10000-24"),
    ]
    return base.map { n in replacing.first { $0.host == n.host } ?? n }
}

func report(_ nodes: [NodeReport], at generatedAt: String = "2026-11-26T09:00:00Z", findings: [Finding] = []) -> AuditReport {
    AuditReport(generatedAt: generatedAt, inventoryPath: "inventory/lab.yaml", clusters: Array(Set(nodes.map(\.cluster))).sorted(),
                nodes: nodes, findings: findings, plans: [])
}

/// The lab audited from its transcripts, as `cors-audit audit --transcripts` does.
func labAudit(generatedAt: String = "2026-11-26T09:00:00Z") throws -> AuditReport {
    let (inventory, observations) = try labObservations()
    return Auditor.audit(inventory: inventory, observations: observations, generatedAt: generatedAt)
}
