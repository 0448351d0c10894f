import ArgumentParser
import AuditCore
import Collector
import Foundation
import Logging
import Prober
import Reports

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Audit every node of an inventory, live over SSH or from saved CLI transcripts.",
        discussion: "Exit codes: 0 clean; 1 findings at or above --fail-on; 2 incomplete (a node not fully audited); 64 usage or inventory error.")

    @Option(name: .long, help: "The inventory file (YAML, version 1).")
    var inventory: String

    @Option(name: .long, help: "Audit offline from DIR/<host>.txt CLI transcripts instead of connecting.")
    var transcripts: String?

    @OptionGroup var reporting: ReportingOptions

    @Option(name: .long, help: "Most SSH sessions open at once (default: every node at once).")
    var concurrency: Int?

    @Option(name: .long, help: "Time limit for the whole run, in seconds (each node also has its own phase timeouts).")
    var timeout: Double?

    @Flag(name: .long, help: "Log each node's negotiated algorithms and phase timings on stderr.")
    var verbose = false

    @Option(name: .long, help: "Record the run in this history database (for `cors-audit history` and `drift`).")
    var history: String = "reports/history.sqlite"

    @Flag(name: .customLong("no-history"), help: "Do not record the run in the history database.")
    var noHistory = false

    @Flag(name: .long, help: "After reading the CLI lists, send the browser's CORS preflight to every CUIC and Live Data endpoint (see `cors-audit probe`).")
    var probe = false

    @OptionGroup var tls: ProbeTLSOptions

    func validate() throws {
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
        if !probe && (tls.caFile != nil || tls.insecure) { throw ValidationError("--ca-file and --insecure need --probe") }
    }

    func run() async throws {
        let inventory = try loadInventory(self.inventory)
        let generatedAt = Clock.timestamp()
        let observations: [String: NodeObservation]
        var sessionTranscripts: [String: [UInt8]] = [:]
        if let transcripts {
            observations = TranscriptDirectory(path: transcripts).observations(for: inventory)
        } else {
            (observations, sessionTranscripts) = await collectLive(
                inventory, options: .init(concurrency: concurrency, runTimeout: timeout.map { .milliseconds(Int($0 * 1000)) }),
                quiet: reporting.quiet, verbose: verbose)
        }
        var report = Auditor.audit(inventory: inventory, observations: observations, generatedAt: generatedAt)
        if probe {
            // The same concurrency cap; the run's time limit starts again for the web side.
            // Entries the last recorded runs saw and the lists lack now are sent too: a node not restarted since
            // their deletion still allows them.
            let former = noHistory ? [:] : HistoryRecorder.recentEntries(path: history, for: inventory)
            let result = await Prober(options: tls.options(concurrency: concurrency, timeout: timeout))
                .probe(inventory, reports: report.nodes, former: former)
            report = report.merging(probe: result, inventory: inventory)
        }
        // Never fails the run: a history that cannot be written is reported on stderr, the reports still land.
        if !noHistory { HistoryRecorder.record(report, failOn: reporting.failOn, path: history) }
        let code = try reporting.emit(report, transcripts: sessionTranscripts)
        throw ExitCode(code)
    }
}

/// Collects every audited node over SSH, with progress on a terminal; returns observations and raw sessions.
func collectLive(_ inventory: Inventory, options: Collector.Options, quiet: Bool, verbose: Bool = false) async
    -> (observations: [String: NodeObservation], transcripts: [String: [UInt8]]) {
    var logger = Logger(label: "cors-audit")
    logger.logLevel = verbose ? .debug : .warning
    // Asked before the progress line starts, so the prompt stands on its own line.
    var options = options
    options.passwords = TerminalPasswords.forInventory(inventory)
    let progress = Progress(enabled: !quiet && isatty(STDERR_FILENO) == 1,
                            total: inventory.nodes.filter { $0.node.audit }.count, clusters: inventory.clusters.count)
    let results = await Collector(options: options, logger: logger).collect(inventory, progress: { progress.update($0) })
    progress.finish()
    return (results.mapValues(\.observation), results.compactMapValues(\.transcript))
}

/// Reads the inventory, or prints every problem as `file:line:column: key: message` and exits 64.
func loadInventory(_ path: String) throws -> Inventory {
    do {
        return try InventoryLoader.load(path: path)
    } catch let errors as InventoryErrors {
        FileHandle.standardError.write(Data((errors.description + "\n").utf8))
        throw ExitCode(64)
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

/// Nodes done / total on stderr while a live run goes on; only on a terminal.
final class Progress: Sendable {
    let enabled: Bool
    let total: Int
    let start = ContinuousClock.now

    init(enabled: Bool, total: Int, clusters: Int) {
        self.enabled = enabled
        self.total = total
        if enabled {
            FileHandle.standardError.write(Data("Auditing \(total) node\(total == 1 ? "" : "s") in \(clusters) cluster\(clusters == 1 ? "" : "s") ...".utf8))
        }
    }

    func update(_ p: Collector.Progress) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[KAuditing \(p.total) nodes ...  \(p.done)/\(p.total) done (\(p.failed) failed)  \(elapsed)".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("  \(elapsed)\n".utf8))
    }

    var elapsed: String {
        let d = ContinuousClock.now - start
        return String(format: "%.1f s", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
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

/// `password_prompt: true` answers typed in this process: each scope and user is asked at most once,
/// even when a command collects twice (remediate --apply audits, applies, then re-audits).
enum TerminalPasswords {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var asked = PromptedPasswords()

    static func forInventory(_ inventory: Inventory) -> PromptedPasswords {
        lock.lock(); defer { lock.unlock() }
        asked.ask(PromptedPasswords.requests(for: inventory))
        return asked
    }
}
