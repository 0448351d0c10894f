import ArgumentParser
import AuditCore
import Foundation
import Reports

enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json
}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Audit every node of an inventory, live over SSH or from saved CLI transcripts.")

    @Option(name: .long, help: "The inventory file (YAML, version 1).")
    var inventory: String

    @Option(name: .long, help: "Audit offline from DIR/<host>.txt CLI transcripts instead of connecting.")
    var transcripts: String?

    @Option(name: .long, help: "What to print on stdout: table or json.")
    var format: OutputFormat = .table

    @Option(name: .long, help: "Also write report.json and remediation/<host>.txt into DIR.")
    var output: String?

    @Option(name: .customLong("fail-on"), help: "Lowest finding severity that makes the exit code 1: error, warning or info.")
    var failOn: Severity = .warning

    func run() async throws {
        let inventory: Inventory
        do {
            inventory = try InventoryLoader.load(path: self.inventory)
        } catch let errors as InventoryErrors {
            FileHandle.standardError.write(Data((errors.description + "\n").utf8))
            throw ExitCode(64)
        }
        let observations: [String: NodeObservation]
        if let transcripts {
            observations = TranscriptDirectory(path: transcripts).observations(for: inventory)
        } else {
            FileHandle.standardError.write(Data("cors-audit: live collection over SSH is not available in this build; use --transcripts DIR\n".utf8))
            throw ExitCode(64)
        }
        let report = Auditor.audit(inventory: inventory, observations: observations, generatedAt: Clock.timestamp())
        var runbookLocation: String?
        if let output {
            try ReportFiles(directory: output).write(report, failOn: failOn)
            runbookLocation = output + "/remediation/"
        }
        switch format {
        case .json: print(report.json(failOn: failOn).serialized(), terminator: "")
        case .table: print(TableRenderer(failOn: failOn, runbookLocation: runbookLocation).render(report), terminator: "")
        }
        throw ExitCode(report.verdict(failOn: failOn).exitCode)
    }
}

extension Severity: ExpressibleByArgument {}

/// `DIR/<host>.txt` transcripts, one per node.
struct TranscriptDirectory {
    var path: String

    func observations(for inventory: Inventory) -> [String: NodeObservation] {
        var result: [String: NodeObservation] = [:]
        for (_, node) in inventory.nodes where node.audit {
            let file = "\(path)/\(node.host).txt"
            guard let data = FileManager.default.contents(atPath: file) else {
                result[node.host] = NodeObservation(host: node.host, captures: [],
                    failure: CollectionFailure(status: .partial, detail: "no transcript: \(file) is missing or unreadable"))
                continue
            }
            result[node.host] = .fromTranscript(host: node.host, text: String(decoding: data, as: UTF8.self))
        }
        return result
    }
}

/// Writes a run's files, each atomically (a temporary file, then rename), so a reader never sees half a report.
struct ReportFiles {
    var directory: String

    func write(_ report: AuditReport, failOn: Severity) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory + "/remediation", withIntermediateDirectories: true)
        try atomicWrite(report.json(failOn: failOn).serialized(), to: directory + "/report.json")
        for plan in report.plans {
            try atomicWrite(plan.text, to: "\(directory)/remediation/\(plan.host).txt")
        }
    }

    func atomicWrite(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

enum Clock {
    /// Now in ISO 8601 UTC; SOURCE_DATE_EPOCH pins it for reproducible output.
    static func timestamp() -> String {
        let env = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap(Double.init)
        let date = env.map { Date(timeIntervalSince1970: $0) } ?? Date()
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }
}
