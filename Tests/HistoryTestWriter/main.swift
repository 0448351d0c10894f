// Records audit runs in a history database from another process, for the HistoryTests that need one:
//
//   history-test-writer DB INVENTORY TRANSCRIPTS COUNT            record COUNT runs, one transaction each
//   history-test-writer DB INVENTORY TRANSCRIPTS hang MARKER      write one run's rows, create MARKER, then
//                                                                 wait inside the open transaction to be killed
//   history-test-writer DB simulate NODES NIGHTS [KEEP_DAYS]      not a test: record NIGHTS nightly runs of a generated
//                                                                 NODES-node inventory with drift (pruning to KEEP_DAYS
//                                                                 after each run when given) and print the sizes
import AuditCore
import Foundation
@_spi(Testing) import History

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("history-test-writer: \(message)\n".utf8))
    exit(70)
}

let args = CommandLine.arguments
if args.count >= 5, args[2] == "simulate" {
    guard let nodes = Int(args[3]), nodes >= 5, let nights = Int(args[4]), nights > 0 else { fail("simulate NODES (at least 5) NIGHTS [KEEP_DAYS]") }
    do { try simulate(database: args[1], nodes: nodes, nights: nights, keepDays: args.count > 5 ? Int(args[5]) : nil) } catch { fail("\(error)") }
    exit(0)
}
guard args.count >= 5 else { fail("usage: DB INVENTORY TRANSCRIPTS (COUNT | hang MARKER)") }
let (database, inventoryPath, transcripts) = (args[1], args[2], args[3])

let inventory: Inventory
do { inventory = try InventoryLoader.load(path: inventoryPath) } catch { fail("\(inventoryPath): \(error)") }
var observations: [String: NodeObservation] = [:]
for (_, node) in inventory.nodes where node.audit {
    guard let data = FileManager.default.contents(atPath: "\(transcripts)/\(node.host).txt") else { fail("no transcript for \(node.host)") }
    observations[node.host] = .fromTranscript(host: node.host, text: String(decoding: data, as: UTF8.self))
}

do {
    if args[4] == "hang" {
        guard args.count == 6 else { fail("hang needs a MARKER path") }
        let marker = args[5]
        let lab = Auditor.audit(inventory: inventory, observations: observations, generatedAt: ISOTime.format(Date()))
        // A big run (the lab 300 times over) through a tiny page cache, so that its uncommitted pages are
        // already in the WAL file when the kill comes, not only in this process's memory.
        var nodes: [NodeReport] = []
        for copy in 0..<300 {
            for var node in lab.nodes {
                node.host = "\(copy)-\(node.host)"
                nodes.append(node)
            }
        }
        let report = AuditReport(generatedAt: lab.generatedAt, inventoryPath: lab.inventoryPath, clusters: lab.clusters,
                                 nodes: nodes, findings: lab.findings, plans: [])
        let store = try HistoryStore(path: database, cachePages: 16)
        try store.record(report, failOn: .warning, recordedAt: Date(), beforeCommit: {
            // Every row of the run is written but not committed: tell the test, then wait for SIGKILL.
            _ = FileManager.default.createFile(atPath: marker, contents: Data("\(getpid())\n".utf8))
            while true { sleep(60) }
        })
        fail("the transaction committed; it should have been killed first")
    }
    guard let count = Int(args[4]), count > 0 else { fail("COUNT must be a positive number") }
    let store = try HistoryStore(path: database)
    for _ in 0..<count {
        let report = Auditor.audit(inventory: inventory, observations: observations, generatedAt: ISOTime.format(Date()))
        try store.record(report)
    }
} catch {
    fail("\(error)")
}

/// A year of a scheduled job, compressed: clusters of two Finesse, two CUIC (with co-resident Live Data) and one
/// standalone Live Data node, each list holding the six expected origins, and every night a few lists drifting
/// (an origin missing, a stale one added, fixed again a few nights later) and a node now and then unreachable.
func simulate(database: String, nodes: Int, nights: Int, keepDays: Int?) throws {
    let clusters = nodes / 5
    var yaml = "version: 1\ndefaults: {username: admin, password_env: VOS_PASSWORD, known_hosts: ~/.ssh/known_hosts}\nclusters:\n"
    for c in 0..<clusters {
        let site = "site\(c).example.com"
        yaml += """
              - name: cc\(c)
                finesse: [{host: fin-a.\(site)}, {host: fin-b.\(site)}]
                cuic: [{host: cuic-pub.\(site), role: publisher, live_data: coresident}, {host: cuic-sub.\(site), role: subscriber, live_data: coresident}]
                live_data: [{host: ld.\(site)}]
                expected: {finesse_ports: [443, 8445], extra_origins: [https://proxy.\(site), https://wallboard.\(site)]}

            """
    }
    let inventoryPath = NSTemporaryDirectory() + "simulate-\(getpid()).yaml"
    try yaml.write(toFile: inventoryPath, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: inventoryPath) }
    let inventory = try InventoryLoader.load(path: inventoryPath)
    let services = """
        Requesting service status, please wait...
        System SSH [STARTED]
        Cisco DB[STARTED]
        Cisco Tomcat[STARTED]
        Cisco Finesse Tomcat[STARTED]
        Intelligence Center Reporting Service[STARTED]
        Unified CCE Live Data NGINX Service[STARTED]
        Name Service Cache [STOPPED] Service Not Activated

        """
    var seed: UInt64 = 17
    func random(_ n: Int) -> Int {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        return Int((seed >> 33) % UInt64(n))
    }
    // Drift that lasts: (host, list) → the night it is fixed.
    var drifted: [String: Int] = [:]
    let store = try HistoryStore(path: database)
    let start = Date(timeIntervalSince1970: 1_767_233_700)  // 2026-01-01T02:15:00Z
    var recordTime = 0.0
    for night in 0..<nights {
        let at = start.addingTimeInterval(Double(night) * 86_400)
        var observations: [String: NodeObservation] = [:]
        for (cluster, node) in inventory.nodes {
            if random(200) == 0 {
                observations[node.host] = NodeObservation(host: node.host, captures: [],
                    failure: CollectionFailure(status: .unreachable, detail: "phase connect: connection timed out after 10 s"))
                continue
            }
            var captures: [CommandCapture] = []
            let expected = ExpectedOrigins.required(for: cluster).map(\.description)
            for kind in node.lists {
                let key = "\(node.host) \(kind.rawValue)"
                if drifted[key].map({ $0 <= night }) ?? false { drifted[key] = nil }
                if drifted[key] == nil, random(60) == 0 { drifted[key] = night + 1 + random(10) }
                var entries = kind == .finesse ? [] : expected
                if drifted[key] != nil, !entries.isEmpty {
                    entries.remove(at: random(entries.count))
                    entries.append("http://127.0.0.1:5500")
                }
                captures.append(CommandCapture(command: VOSCommand.status(of: kind).rawValue, output: "CORS status: enabled\n"))
                let list = entries.isEmpty ? "Currently no origins are configured in allowed origins.\n"
                    : "\ncors_allowedorigins \n=========================== \n" + entries.enumerated().map { "\($0.offset + 1). \($0.element) \n" }.joined()
                captures.append(CommandCapture(command: VOSCommand.list(of: kind).rawValue, output: list))
            }
            captures.append(CommandCapture(command: VOSCommand.version.rawValue, output: "Active Master Version: 12.6.2.10000-19\n"))
            captures.append(CommandCapture(command: VOSCommand.services.rawValue, output: services))
            observations[node.host] = NodeObservation(host: node.host, captures: captures)
        }
        var report = Auditor.audit(inventory: inventory, observations: observations, generatedAt: ISOTime.format(at))
        report.inventoryPath = "inventory/site.yaml"
        let began = Date()
        try store.record(report, recordedAt: at, labels: RunLabels(inventory: InventoryIdentity(inventory)))
        if let keepDays { try store.prune(keep: .days(keepDays), now: at) }
        recordTime += Date().timeIntervalSince(began)
        if night == 0 || night == nights - 1 {
            print("night \(night + 1): \(report.nodes.count) nodes, \(report.findings.count) findings, \(store.sizeOnDisk()) bytes on disk (file + WAL)")
        }
    }
    let beforeVacuum = store.sizeOnDisk()
    let runs = try store.runCount()
    try store.prune(keep: .days(100_000), vacuum: true)
    print("runs kept \(runs); on disk \(beforeVacuum) bytes before VACUUM, \(store.sizeOnDisk()) after; \(String(format: "%.1f", recordTime / Double(nights) * 1000)) ms per night to record\(keepDays == nil ? "" : " and prune")")
}
