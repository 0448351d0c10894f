import ArgumentParser
import AuditCore
import Foundation
import History
import Reports

/// `cors-audit history`: the recorded runs, newest first.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the audit runs recorded in the history database, newest first.",
        discussion: "Exit codes: 0 listed (even when none are recorded); 64 no database at --history, or unreadable.",
        subcommands: [HistoryPrune.self])

    @OptionGroup var location: HistoryLocation

    @Option(name: .long, help: "Show at most N runs.")
    var limit: Int = 20

    @Option(name: .long, help: "table, or json (schema cors-audit/history/v1: each run's verdict, node and finding counts).")
    var format: HistoryListFormat = .table

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let (runs, total, baseline) = try withHistory {
            let store = try location.open()
            return (try store.runs(limit: limit), try store.runCount(), try store.baseline())
        }
        switch format {
        case .table: print(HistoryListRenderer().text(runs: runs, total: total, baseline: baseline, database: location.history), terminator: "")
        case .json: print(HistoryListRenderer().json(runs: runs, total: total, baseline: baseline, database: location.history).serialized(), terminator: "")
        }
    }
}

/// `--history PATH` for the commands that read the history.
struct HistoryLocation: ParsableArguments {
    @Option(name: .long, help: "The history database that `cors-audit audit` records runs in.")
    var history: String = "reports/history.sqlite"

    /// Opens an existing database; reading never creates one at a mistyped path.
    func open() throws -> HistoryStore { try HistoryStore(path: history, create: false) }
}

/// Runs `body`; a history that cannot be read is a message on stderr and exit 64, never a stack of
/// Swift errors, and never exit 1, which a scheduler would read as drift.
func withHistory<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let problem as HistoryError {
        Terminal.error("\(problem)")
        throw ExitCode(64)
    } catch {
        Terminal.error("cannot read the history: \(error)")
        throw ExitCode(64)
    }
}
