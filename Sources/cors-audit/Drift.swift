import ArgumentParser
import Foundation
import History
import Reports

/// `cors-audit drift`: what changed between the latest run and an earlier one.
struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Compare the latest recorded run with the previous one, the last run before --since, or the approved baseline.",
        discussion: """
            Reports origins added or removed per node and list, CORS state changes, node status changes \
            (e.g. a node that became unreachable), version changes, and nodes added to or removed from the inventory.
            Exit codes: 0 no drift; 1 drift; 2 the latest run is incomplete (a node not fully audited); \
            64 usage error, no database, or no run to compare with.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var location: HistoryLocation

    @Option(name: .long, help: "Compare with the latest run that started before DATE (ISO 8601: 2026-11-20 for midnight UTC, or 2026-11-20T02:00:00Z).")
    var since: String?

    @Flag(name: .long, help: "Compare with the approved baseline (`cors-audit baseline approve`).")
    var baseline = false

    @Option(name: .long, help: "text or json.")
    var format: Format = .text

    func validate() throws {
        if since != nil && baseline { throw ValidationError("give --since DATE or --baseline, not both") }
        if let since, ISOTime.parse(since) == nil {
            throw ValidationError("--since \(since): not an ISO 8601 date (2026-11-20) or date-time (2026-11-20T02:00:00Z)")
        }
    }

    func run() throws {
        let base: DriftBase = if let since { .since(ISOTime.parse(since)!) } else if baseline { .baseline } else { .previous }
        let report = try withHistory { try location.open().drift(against: base) }
        switch format {
        case .text: print(DriftRenderer().text(report), terminator: "")
        case .json: print(DriftRenderer().json(report).serialized(), terminator: "")
        }
        throw ExitCode(report.exitCode)
    }
}
