import ArgumentParser
import AuditCore
import Foundation
import History
import Pipeline
import Prober

/// TLS settings of the live preflight probe, shared by `probe` and `audit --probe`.
struct ProbeTLSOptions: ParsableArguments {
    @Option(name: .customLong("ca-file"), help: "Also trust the CA certificates in this PEM file (beside the system's) for the probed endpoints.")
    var caFile: String?

    @Flag(name: .long, help: "Do not verify the endpoints' TLS certificates (every report says so).")
    var insecure = false

    func validate() throws {
        if let caFile { try Self.check(caFile) }
    }

    static func check(_ caFile: String) throws {
        do { try PreflightProber.checkCAFile(caFile) } catch { throw ValidationError("--ca-file \(error)") }
    }

    func options(concurrency: Int?, timeout: Double?) -> PreflightProber.Options {
        PreflightProber.Options(caFile: caFile, insecure: insecure, concurrency: concurrency,
                       runTimeout: timeout.map { .milliseconds(Int($0 * 1000)) })
    }
}

struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send the browser's CORS preflight to every CUIC and Live Data endpoint from every expected Finesse origin.",
        discussion: """
            What browsers actually get, whatever the CLI lists say: each CUIC node at https://HOST:8444/cuic/ and \
            https://HOST/cuic/, each Live Data list at https://HOST/livedata/, from each expected origin (must be \
            allowed), from https://cors-audit-probe.invalid and from the entries the history recorded on the node's lists \
            (must be refused). No SSH. \
            Exit codes: 0 clean; 1 findings at or above --fail-on; 2 incomplete (a preflight got no answer); 64 usage or inventory error.
            """)

    @Option(name: .long, help: "The inventory file (YAML, version 1).")
    var inventory: String

    @OptionGroup var tls: ProbeTLSOptions

    @OptionGroup var reporting: ReportingOptions

    @Option(name: .long, help: "Most nodes probed at once (default: 64, within the open-file limit).")
    var concurrency: Int?

    @Option(name: .long, help: "Time limit for the whole run, in seconds (each preflight also has its node's connect + command timeouts).")
    var timeout: Double?

    @Option(name: .long, help: "Also send every entry this history database recorded on each node's lists in its last 10 runs (an origin deleted without a restart is still allowed).")
    var history: String = "reports/history.sqlite"

    @Flag(name: .customLong("no-history"), help: "Do not read the history database.")
    var noHistory = false

    @OptionGroup var scoping: ScopeOptions

    func validate() throws {
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        try checkTimeout(timeout)
    }

    func run() async throws {
        let loaded = try loadInventory(self.inventory)
        let inventory = try scoping.applied(to: loaded)
        var pipeline = AuditPipeline(
            source: nil,
            probe: .init(options: tls.options(concurrency: concurrency, timeout: timeout)),
            history: noHistory ? nil : .init(path: history, recordFailOn: nil, readFormerEntries: true))
        pipeline.scope = scoping.label
        pipeline.inventoryDigest = InventoryIdentity.digest(loaded)
        throw ExitCode(try await reporting.run(pipeline, inventory))
    }
}
