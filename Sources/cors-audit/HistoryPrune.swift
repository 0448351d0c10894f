import ArgumentParser
import AuditCore
import Foundation
import History

extension KeepPolicy: ExpressibleByArgument {}

/// `cors-audit history --format`.
enum HistoryListFormat: String, ExpressibleByArgument, CaseIterable { case table, json, html }

/// `cors-audit history prune --keep 90d|N`: the history made small again, in one transaction.
struct HistoryPrune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete recorded runs older than a number of days, or beyond the newest N, in one transaction.",
        discussion: """
            The policy applies to each inventory's runs apart; each inventory's newest run and the run of its current \
            baseline approval are always kept. For a nightly job, \
            `--keep 90d` keeps a quarter of drift to compare against (about 4 MB for 50 nodes after VACUUM, \
            README); add --vacuum weekly to give the freed space back to the file system.
            Exit codes: 0 pruned (or nothing to prune); 64 usage, no database at --history, or unreadable.
            """)

    @OptionGroup var location: HistoryLocation

    @Option(name: .long, help: "What to keep: Nd (runs started in the last N days, e.g. 90d) or N (the newest N runs).")
    var keep: KeepPolicy

    @Flag(name: .long, help: "Afterwards, rewrite the database file so that the space the deleted runs took is returned (VACUUM).")
    var vacuum = false

    @Flag(name: .customLong("dry-run"), help: "Say what would be deleted; change nothing.")
    var dryRun = false

    func validate() throws {
        if vacuum && dryRun { throw ValidationError("--vacuum and --dry-run exclude each other") }
    }

    func run() throws {
        let (result, before, after) = try withHistory {
            let store = try location.open()
            let before = store.sizeOnDisk()
            let result = try store.prune(keep: keep, dryRun: dryRun, vacuum: vacuum)
            return (result, before, store.sizeOnDisk())
        }
        var line = result.deleted == 0 ? "Nothing to prune" : "\(dryRun ? "Would delete" : "Deleted") \(result.deleted) run\(result.deleted == 1 ? "" : "s")"
        if let newest = result.newestDeleted { line += " (the newest of them started \(Escaping.terminal(newest)))" }
        line += "; \(result.kept) kept"
        if let id = result.keptBaseline { line += ", run \(id) among them as the approved baseline" }
        line += "."
        if vacuum { line += " Database \(Self.size(before)) → \(Self.size(after))." }
        print(line)
    }

    static func size(_ bytes: Int) -> String {
        bytes < 1 << 20 ? String(format: "%.0f KiB", Double(bytes) / 1024) : String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }
}
