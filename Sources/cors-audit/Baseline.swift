import ArgumentParser
import AuditCore
import Foundation
import History

/// `cors-audit baseline`: the run `drift --baseline` compares with.
struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Approve a recorded run as the reference for `cors-audit drift --baseline`.",
        subcommands: [Approve.self, Show.self])

    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a run (default: the latest whole run of the inventory) as the inventory's baseline.",
            discussion: "Exit codes: 0 approved; 64 no database, no such run, or no runs.")

        @Argument(help: ArgumentHelp("The run id, as `cors-audit history` lists it (default: the latest run).", valueName: "RUN"))
        var runID: Int64?

        @OptionGroup var location: HistoryLocation

        @OptionGroup var scope: InventoryScopeOptions

        func run() throws {
            let approved = try withHistory {
                let store = try location.open()
                return try store.approveBaseline(run: runID, scope: try scope.resolve(store))
            }
            let r = approved.run
            print("Approved run \(r.id) (\(Escaping.terminal(r.generatedAt)), \(r.verdict.rawValue), \(r.audited)/\(r.nodes) nodes audited) as the baseline.")
            if !r.complete {
                // Allowed (it may be the best there is), but drift cannot compare the lists it did not read.
                Terminal.error("warning: run \(r.id) is incomplete; lists it did not read cannot be compared")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the approved baseline.",
            discussion: "Exit codes: 0 shown; 64 no database or no baseline approved.")

        @OptionGroup var location: HistoryLocation

        @OptionGroup var scope: InventoryScopeOptions

        func run() throws {
            let baseline = try withHistory {
                let store = try location.open()
                guard let b = try store.baseline(scope: try scope.resolve(store)) else { throw HistoryError.noBaseline }
                return b
            }
            let r = baseline.run
            print("Baseline: run \(r.id) (\(Escaping.terminal(r.generatedAt)), \(r.verdict.rawValue), \(r.audited)/\(r.nodes) nodes audited), approved \(Escaping.terminal(baseline.approvedAt))")
        }
    }
}
