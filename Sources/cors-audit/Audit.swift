import ArgumentParser
import AuditCore
import Collector
import Foundation
import History
import Logging
import Pipeline
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

    @Option(name: .long, help: "Most SSH sessions open at once (default: every node at once; with --probe, nodes probed at once, default 64).")
    var concurrency: Int?

    @Option(name: .long, help: "Time limit for the whole run, in seconds (each node also has its own phase timeouts).")
    var timeout: Double?

    @Flag(name: .long, help: "Log each node's negotiated algorithms and phase timings on stderr.")
    var verbose = false

    @Flag(name: .customLong("insecure-host-keys"), help: "Send passwords to nodes whose inventory says host_key_policy: off (their host key is not checked, so the server may be anyone); without it such nodes fail at authentication.")
    var insecureHostKeys = false

    @Option(name: .long, help: "Record the run in this history database (for `cors-audit history` and `drift`).")
    var history: String = "reports/history.sqlite"

    @Flag(name: .customLong("no-history"), help: "Do not record the run in the history database.")
    var noHistory = false

    @Flag(name: .long, help: "After reading the CLI lists, send the browser's CORS preflight to every CUIC and Live Data endpoint (see `cors-audit probe`).")
    var probe = false

    @OptionGroup var tls: ProbeTLSOptions

    @OptionGroup var planning: PlanningOptions

    @OptionGroup var scoping: ScopeOptions

    @Flag(name: .customLong("accept-new-host-keys"), help: "First contact: a node whose host key known_hosts lacks is trusted and the key added to known_hosts (host_key_policy accept-new for this run); a changed key is still refused.")
    var acceptNewHostKeys = false

    @Option(name: .customLong("cpu-report"), help: ArgumentHelp("Write where the run's CPU went (per pipeline stage and per SSH phase, peak RSS) as JSON to FILE; for the benchmark.", valueName: "FILE"))
    var cpuReport: String?

    func validate() throws {
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        try checkTimeout(timeout)
        if !probe && (tls.caFile != nil || tls.insecure) { throw ValidationError("--ca-file and --insecure need --probe") }
        if transcripts != nil && insecureHostKeys { throw ValidationError("--insecure-host-keys goes with a live audit, not --transcripts") }
        if transcripts != nil && acceptNewHostKeys { throw ValidationError("--accept-new-host-keys goes with a live audit, not --transcripts") }
    }

    func run() async throws {
        let loaded = try loadInventory(self.inventory)
        var inventory = try scoping.applied(to: planning.applied(to: loaded))
        if acceptNewHostKeys { inventory = inventory.acceptingNewHostKeys() }
        let profile = cpuReport.map { _ in CPUProfile() }
        let source: any ObservationSource
        if let transcripts {
            source = TranscriptFolderSource(path: transcripts)
        } else {
            var options = SSHCollector.Options(concurrency: concurrency, runTimeout: timeout.map { .milliseconds(Int($0 * 1000)) },
                                               insecureHostKeys: insecureHostKeys)
            options.cpuTally = profile?.ssh
            source = liveSource(inventory, options: options, quiet: reporting.quiet, verbose: verbose)
        }
        // The probe keeps the concurrency cap; the run's time limit starts again for the web side. Entries the last
        // recorded runs saw and the lists lack now are sent too: a node not restarted since their deletion still allows them.
        // A scoped run is not recorded: the nodes it left out would read as changed in the next drift.
        let scoped = scoping.label != nil
        if scoped && !noHistory { Terminal.error("warning: a scoped run (\(scoping.label!)) is not recorded in the history \(history)") }
        var pipeline = AuditPipeline(
            source: source,
            probe: probe ? .init(options: tls.options(concurrency: concurrency, timeout: timeout)) : nil,
            history: noHistory ? nil : .init(path: history, recordFailOn: scoped ? nil : reporting.failOn, readFormerEntries: true))
        pipeline.scope = scoping.label
        pipeline.inventoryDigest = InventoryIdentity.digest(loaded)
        pipeline.cpuProfile = profile
        guard let profile, let cpuReport else { throw ExitCode(try await reporting.run(pipeline, inventory)) }
        // Beyond the pipeline's stages, the run writes its reports.
        let code = try await profile.measure(remainderAs: "emit") { try await reporting.run(pipeline, inventory) }
        do {
            try profile.json(nodes: inventory.nodes.filter { $0.node.audit }.count).write(to: URL(fileURLWithPath: cpuReport))
        } catch {
            Terminal.error("could not write the CPU report \(cpuReport): \(error)")
        }
        throw ExitCode(code)
    }
}

/// The live SSH source, with the terminal's password prompts asked first and progress on a terminal.
func liveSource(_ inventory: Inventory, options: SSHCollector.Options, quiet: Bool, verbose: Bool = false) -> LiveSSHSource {
    // An unset password_env is one cause, named once before any connection; its nodes are not contacted (the
    // collector marks them auth_failed without connecting), the others are audited, and the run ends incomplete.
    for (name, hosts) in unsetPasswordEnv(inventory, environment: options.environment) {
        Terminal.error("password_env \(name) is not set in the environment: \(hosts.count) node\(hosts.count == 1 ? "" : "s") use it "
                       + "(\(FleetOverview.abbreviate(hosts))) and will not be contacted; the run will be incomplete (exit 2)")
    }
    var logger = Logger(label: "cors-audit")
    logger.logLevel = verbose ? .debug : .warning
    // Asked before the progress line starts, so the prompt stands on its own line.
    var options = options
    options.passwords = TerminalPasswords.forInventory(inventory)
    let progress = Progress(enabled: !quiet && Terminal.stderrIsTerminal,
                            total: inventory.nodes.filter { $0.node.audit }.count, clusters: inventory.clusters.count)
    return LiveSSHSource(options: options, logger: logger, progress: { progress.update($0) }, finished: { progress.finish() })
}

/// The password_env variables that are unset or empty, each with the audited nodes that name it, in inventory order.
func unsetPasswordEnv(_ inventory: Inventory, environment: [String: String]) -> [(name: String, hosts: [String])] {
    var unset: [(name: String, hosts: [String])] = []
    for (_, node) in inventory.nodes where node.audit {
        guard case .passwordEnv(let name) = node.connection.credential, environment[name]?.isEmpty ?? true else { continue }
        if let i = unset.firstIndex(where: { $0.name == name }) { unset[i].hosts.append(node.host) } else { unset.append((name, [node.host])) }
    }
    return unset
}

/// How runbooks are planned, shared by the commands that plan.
struct PlanningOptions: ParsableArguments {
    @Flag(name: .long, help: "Plan the delete of every effective origin the inventory does not name (as expected.prune: true in every cluster); without it such deletes are suggestions.")
    var prune = false

    func applied(to inventory: Inventory) -> Inventory {
        guard prune else { return inventory }
        var inventory = inventory
        for i in inventory.clusters.indices { inventory.clusters[i].expected.prune = true }
        return inventory
    }
}

/// Reads the inventory, or prints every problem as `file:line:column: key: message` and exits 64.
func loadInventory(_ path: String) throws -> Inventory {
    let inventory: Inventory
    do {
        inventory = try InventoryLoader.load(path: path)
    } catch let errors as InventoryErrors {
        Terminal.lines(errors.description + "\n")
        throw ExitCode(64)
    }
    // The loader takes any positive finite number; a limit past a day is a typo, refused like one.
    let absurd = inventory.nodes.compactMap { c, n in n.connection.timeouts.invalid.map { "\(path): cluster \(c.name), node \(n.host): timeouts.\($0.name) \($0.value) is not a time limit of at most \(Int(Timeouts.maximum)) seconds" } }
    if !absurd.isEmpty {
        absurd.forEach(Terminal.error)
        throw ExitCode(64)
    }
    return inventory
}

/// `--timeout`: finite, positive and at most a day, else a usage error (64) rather than a trap converting it.
func checkTimeout(_ timeout: Double?) throws {
    guard let timeout, !Timeouts.isValid(timeout) else { return }
    throw ValidationError("--timeout must be a positive number of seconds, at most \(Int(Timeouts.maximum)) (got \(timeout))")
}

extension Severity: ExpressibleByArgument {}
