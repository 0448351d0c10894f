import ArgumentParser
import AuditCore
import Foundation
import History

/// `cors-audit history`: the recorded runs, newest first.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the audit runs recorded in the history database, newest first.",
        discussion: "Exit codes: 0 listed (even when none are recorded); 64 no database at --history, or unreadable.")

    @OptionGroup var location: HistoryLocation

    @Option(name: .long, help: "Show at most N runs.")
    var limit: Int = 20

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let (runs, total, baseline) = try withHistory {
            let store = try location.open()
            return (try store.runs(limit: limit), try store.runCount(), try store.baseline())
        }
        if runs.isEmpty {
            print("No runs recorded in \(location.history) yet.")
            return
        }
        let rows = runs.map { r in
            [String(r.id), r.generatedAt, r.verdict.rawValue, "\(r.audited)/\(r.nodes)",
             String(r.errors), String(r.warnings), String(r.infos), r.inventory]
        }
        let header = ["RUN", "STARTED", "RESULT", "AUDITED", "ERRORS", "WARNINGS", "INFO", "INVENTORY"]
        // Numbers right-aligned, text left-aligned; the last column is never padded.
        let rightAligned: Set<Int> = [0, 4, 5, 6]
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                if i == cells.count - 1 { return cell }
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
        print(line(header))
        for (run, row) in zip(runs, rows) {
            print(line(row) + (baseline?.run.id == run.id ? "  (baseline)" : ""))
        }
        if total > runs.count { print("\(runs.count) of \(total) runs shown (--limit N for more)") }
        if let baseline, !runs.contains(where: { $0.id == baseline.run.id }) {
            print("Baseline: run \(baseline.run.id) (\(baseline.run.generatedAt)), approved \(baseline.approvedAt)")
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
        FileHandle.standardError.write(Data("cors-audit: \(problem)\n".utf8))
        throw ExitCode(64)
    } catch {
        FileHandle.standardError.write(Data("cors-audit: cannot read the history: \(error)\n".utf8))
        throw ExitCode(64)
    }
}

/// Records each audit run; `Audit` calls it once the report is built.
enum HistoryRecorder {
    /// Writes the run to the database at `path`. A failure is printed on stderr and goes no further: the
    /// run's reports are still written and its exit code still stands.
    static func record(_ report: AuditReport, failOn: Severity, path: String) {
        do {
            try HistoryStore(path: path).record(report, failOn: failOn)
        } catch {
            FileHandle.standardError.write(Data("cors-audit: could not record this run in the history \(path): \(error)\n".utf8))
        }
    }

    /// Every entry each host's lists held in the last recorded runs; empty without a database. A database that
    /// cannot be read is said on stderr and the probe goes on without it.
    static func recentEntries(path: String, for inventory: Inventory) -> [String: [ListKind: [String]]] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        do {
            return try HistoryStore(path: path, create: false).recentEntries(hosts: Set(inventory.nodes.map(\.node.host)))
        } catch {
            FileHandle.standardError.write(Data("cors-audit: could not read the history \(path) for the lists it last recorded: \(error)\n".utf8))
            return [:]
        }
    }
}
