import ArgumentParser
import AuditCore
import Foundation
import Pipeline
import Reports

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Audit the simulated uccelab.tac lab over real SSH: vos-sim plays its four nodes on loopback.",
        discussion: "Starts vos-sim (beside this binary) with inventory/lab.yaml and inventory/lab.sim.yaml, audits it through libssh2, prints the table and the fix, writes the reports, and exits like `audit`.")

    @Option(name: .long, help: "The lab inventory.")
    var inventory: String = "inventory/lab.yaml"

    @Option(name: .long, help: "The simulator's node state for it.")
    var state: String = "inventory/lab.sim.yaml"

    @OptionGroup var reporting: ReportingOptions

    @Flag(name: .long, help: "Also send the browser's CORS preflight to the lab's HTTPS endpoints (trusting the simulator's CA).")
    var probe = false

    @OptionGroup var planning: PlanningOptions

    func run() async throws {
        let lab = try Self.lab(inventory: self.inventory, state: self.state)
        let simulator: SimulatorProcess
        do { simulator = try SimulatorProcess.start(inventory: lab.inventory, state: lab.state) } catch let failure as SimulatorProcess.Failure {
            Terminal.error("demo: \(failure.description)")
            throw ExitCode(failure.setup ? 64 : 2)
        }
        defer { simulator.stop() }
        let inventory = planning.applied(to: try loadInventory(simulator.inventoryPath))
        var environment = ProcessInfo.processInfo.environment
        environment[SimulatorProcess.passwordVariable] = simulator.password
        var pipeline = AuditPipeline(
            source: liveSource(inventory, options: .init(runTimeout: .seconds(120), environment: environment), quiet: reporting.quiet),
            probe: probe ? .init(options: .init(caFile: simulator.caFile, runTimeout: .seconds(60))) : nil)
        pipeline.inventoryLabel = lab.inventory + " (simulated by vos-sim)"
        throw ExitCode(try await reporting.run(pipeline, inventory))
    }

    /// The lab's two files: as given when both exist; for the defaults, else those of the checkout this binary was built
    /// in (it lives under the checkout's `.build`), so the demo runs from any folder. Otherwise exit 64 with what to do.
    static func lab(inventory: String, state: String, executable: String = SimulatorProcess.executablePath()) throws -> (inventory: String, state: String) {
        let files = FileManager.default
        if files.fileExists(atPath: inventory) && files.fileExists(atPath: state) { return (inventory, state) }
        let defaults = inventory == "inventory/lab.yaml" && state == "inventory/lab.sim.yaml"
        if defaults {
            var dir = URL(fileURLWithPath: executable).deletingLastPathComponent()
            while dir.path != "/" {
                let i = dir.appendingPathComponent(inventory).path, s = dir.appendingPathComponent(state).path
                if files.fileExists(atPath: i) && files.fileExists(atPath: s) { return (i, s) }
                dir = dir.deletingLastPathComponent()
            }
        }
        let missing = [inventory, state].filter { !files.fileExists(atPath: $0) }.map(Escaping.terminal).joined(separator: " and ")
        Terminal.error("demo: \(missing) not found here"
                       + (defaults ? " nor in a checkout holding this binary" : "")
                       + ": run it from the cors-audit checkout (`cd cors-audit && make demo`), or give --inventory and --state")
        throw ExitCode(64)
    }
}
