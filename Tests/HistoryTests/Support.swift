import Foundation
import Testing
@testable import AuditCore
import CLIParsers
import History

/// The package root, found from this file's location.
let repoRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// An executable built beside this test bundle (cors-audit, history-test-writer).
func builtBinary(_ name: String) -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    while !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent(name).path), dir.path != "/" {
        dir.deleteLastPathComponent()
    }
    return dir.appendingPathComponent(name).path
}

/// A fresh directory for one test's databases; removed by the caller.
func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("cors-audit-history-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

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
    let inventory = try InventoryLoader.load(path: labInventoryPath)
    var observations: [String: NodeObservation] = [:]
    for (_, n) in inventory.nodes where n.audit {
        let text = try String(contentsOfFile: "\(labTranscripts)/\(n.host).txt", encoding: .utf8)
        observations[n.host] = .fromTranscript(host: n.host, text: text)
    }
    return Auditor.audit(inventory: inventory, observations: observations, generatedAt: generatedAt)
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Starts `binary` in the package root; the caller waits with `finish`.
func start(_ binary: String, _ arguments: [String]) throws -> (Process, Pipe, Pipe) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = arguments
    p.currentDirectoryURL = URL(fileURLWithPath: repoRoot)
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    return (p, out, err)
}

func finish(_ started: (Process, Pipe, Pipe)) -> ProcessResult {
    let (p, out, err) = started
    // Read both pipes before waiting, so a chatty child never blocks on a full pipe.
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return ProcessResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

func run(_ binary: String, _ arguments: [String]) throws -> ProcessResult { finish(try start(binary, arguments)) }
