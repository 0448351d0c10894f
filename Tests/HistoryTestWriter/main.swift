// Records audit runs in a history database from another process, for the HistoryTests that need one:
//
//   history-test-writer DB INVENTORY TRANSCRIPTS COUNT            record COUNT runs, one transaction each
//   history-test-writer DB INVENTORY TRANSCRIPTS hang MARKER      write one run's rows, create MARKER, then
//                                                                 wait inside the open transaction to be killed
import AuditCore
import Foundation
@_spi(Testing) import History

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("history-test-writer: \(message)\n".utf8))
    exit(70)
}

let args = CommandLine.arguments
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
