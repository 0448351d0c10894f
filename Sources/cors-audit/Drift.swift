import ArgumentParser
import Foundation
import History
import Reports

/// `cors-audit drift`: what changed between the latest run and an earlier one.
struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Compare the latest recorded run with the previous one, the last run before --since, the approved baseline, or two runs by id.",
        discussion: """
            Reports origins added or removed per node and list, CORS state changes, node status changes \
            (e.g. a node that became unreachable), version changes, and nodes added to or removed from the inventory. \
            A change cors-audit's own apply made names the apply's run ("changed by apply run N"). Runs are those of \
            --inventory FILE (or the history's only inventory, or --all-inventories); an apply's re-audit, which covers \
            only the clusters it changed, is never the latest or previous run.
            Exit codes: 0 no drift; 1 drift; 2 the later run is incomplete (a node not fully audited); \
            64 usage error, no database, or no run to compare with.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var location: HistoryLocation

    @OptionGroup var scope: InventoryScopeOptions

    @Argument(help: ArgumentHelp("Two run ids (`cors-audit history`): what changed from RUN_A to RUN_B.", valueName: "RUN"))
    var runs: [Int64] = []

    @Option(name: .long, help: "Compare with the latest run that started before DATE (ISO 8601: 2026-11-20 for midnight UTC, or 2026-11-20T02:00:00Z).")
    var since: String?

    @Flag(name: .long, help: "Compare with the approved baseline (`cors-audit baseline approve`).")
    var baseline = false

    @Option(name: .long, help: "text or json.")
    var format: Format = .text

    func validate() throws {
        if since != nil && baseline { throw ValidationError("give --since DATE or --baseline, not both") }
        if !runs.isEmpty && runs.count != 2 { throw ValidationError("give two run ids (RUN_A RUN_B), or none") }
        if !runs.isEmpty && (since != nil || baseline) { throw ValidationError("RUN_A RUN_B compares two runs; --since and --baseline choose the older run of the latest") }
        if let since, ISOTime.parse(since) == nil {
            throw ValidationError("--since \(since): not an ISO 8601 date (2026-11-20) or date-time (2026-11-20T02:00:00Z)")
        }
    }

    func run() throws {
        let base: DriftBase = if let since { .since(ISOTime.parse(since)!) } else if baseline { .baseline } else { .previous }
        let report = try withHistory {
            let store = try location.open()
            let scope = try scope.resolve(store)
            return runs.count == 2 ? try store.drift(from: runs[0], to: runs[1], scope: scope) : try store.drift(against: base, scope: scope)
        }
        switch format {
        case .text: print(DriftRenderer().text(report), terminator: "")
        case .json: print(DriftRenderer().json(report).serialized(), terminator: "")
        }
        throw ExitCode(report.exitCode)
    }
}
