import ArgumentParser
import AuditCore
import Foundation
import Pipeline

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
        let simulator = try SimulatorProcess.start(inventory: inventory, state: state)
        defer { simulator.stop() }
        let inventory = planning.applied(to: try loadInventory(simulator.inventoryPath))
        var environment = ProcessInfo.processInfo.environment
        environment[SimulatorProcess.passwordVariable] = simulator.password
        var pipeline = AuditPipeline(
            source: liveSource(inventory, options: .init(runTimeout: .seconds(120), environment: environment), quiet: reporting.quiet),
            probe: probe ? .init(options: .init(caFile: simulator.caFile, runTimeout: .seconds(60))) : nil)
        pipeline.inventoryLabel = self.inventory + " (simulated by vos-sim)"
        throw ExitCode(try await reporting.run(pipeline, inventory))
    }
}
