import ArgumentParser
import AuditCore
import Foundation
import History
import Pipeline
import Reports

/// `cors-audit history`: the recorded runs, newest first.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the audit runs recorded in the history database, newest first.",
        discussion: """
            Each run is recorded with its inventory's identity (the file's real path) and the runs listed are those of \
            --inventory FILE; without it, the history's only inventory (several: exit 64 naming them), or every run with \
            --all-inventories. Table and JSON show the runs and then the timeline: each cluster's findings by severity per \
            run, what changed on which node between runs (naming the apply that made a change), and since which run each \
            open finding has been seen. --format html writes the same as one self-contained page (an SVG chart per cluster).
            Exit codes: 0 listed (even when none are recorded); 64 usage, several inventories without --inventory, \
            no database at --history, or unreadable.
            """,
        subcommands: [HistoryPrune.self])

    @OptionGroup var location: HistoryLocation

    @OptionGroup var scope: InventoryScopeOptions

    @Option(name: .long, help: "Show at most N runs (the newest), and the timeline over them.")
    var limit: Int = 20

    @Option(name: .long, help: "table, json (schema cors-audit/history/v1) or html (one self-contained page).")
    var format: HistoryListFormat = .table

    @Option(name: .long, help: "Write to FILE (atomically) instead of stdout.")
    var output: String?

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let (list, timeline) = try withHistory {
            let store = try location.open()
            let scope = try scope.resolve(store)
            let runs = try store.runs(limit: limit, scope: scope)
            let total = try store.runCount(scope: scope)
            let list = HistoryList(runs: runs, total: total, baseline: try store.baseline(scope: scope), database: location.history,
                                   inventory: self.scope.shown)
            return (list, HistoryTimeline(try store.snapshots(limit: limit, scope: scope), olderRuns: total > runs.count))
        }
        let text: String = switch format {
        case .table: HistoryListRenderer().text(list, timeline: timeline)
        case .json: HistoryListRenderer().json(list, timeline: timeline).serialized()
        case .html: HistoryHTMLRenderer().render(list, timeline: timeline)
        }
        if let output {
            do {
                try RunFolder.atomicWrite(text, to: output)
            } catch {
                Terminal.error("cannot write \(output): \(error)")
                throw ExitCode(64)
            }
            print("History of \(list.runs.count) run\(list.runs.count == 1 ? "" : "s") written to \(Escaping.terminal(output))")
        } else {
            print(text, terminator: "")
        }
    }
}

/// `--inventory FILE` / `--all-inventories`: which inventory's runs a history command reads.
struct InventoryScopeOptions: ParsableArguments {
    @Option(name: .long, help: "Read the runs of this inventory file (as `cors-audit audit --inventory` recorded them).")
    var inventory: String?

    @Flag(name: .customLong("all-inventories"), help: "Read the runs of every inventory the history holds.")
    var allInventories = false

    func validate() throws {
        if inventory != nil && allInventories { throw ValidationError("give --inventory FILE or --all-inventories, not both") }
    }

    /// The scope: the named inventory's runs, every run, or (neither given) the history's only inventory.
    func resolve(_ store: HistoryStore) throws -> HistoryScope {
        if allInventories { return .all }
        if let inventory { return try store.scope(for: InventoryIdentity(key: InventoryIdentity.key(path: inventory), digest: "")) }
        return try store.soleInventoryScope()
    }

    /// How the scope is named in the output: the path as given, or nil for every inventory.
    var shown: String? { inventory }
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
