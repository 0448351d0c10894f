import ArgumentParser
import Foundation
import VOSSimulator

/// Generates a large synthetic fleet with planted drift, then serves it.
struct Fleet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate and serve a synthetic fleet (fleet.yaml, fleet.sim.yaml, planted.json in --out).")

    @Option(help: "CUIC and Live Data nodes to generate (Finesse nodes, audit: false, come on top).")
    var nodes: Int

    @Option(help: "Plant one drift on about one node in K, spread over publishers, subscribers and Live Data nodes (0: none).")
    var driftEvery: Int = 10

    @Option(help: "Start-up delay of every node, in seconds.")
    var startup: Double = 2

    @Option(help: "Delay of every command, in seconds.")
    var commandDelay: Double = 0.1

    @Option(help: "Share of the nodes (0...1) given one random fault each (planted.json lists them).")
    var faultRate: Double = 0

    @Option(help: "Seed of the fault choice: the same seed plants the same faults.")
    var seed: UInt64 = 1

    @Option(help: "The client's connect timeout written into fleet.yaml, in seconds.")
    var connectTimeout: Double = 10

    @Option(help: "The client's login timeout written into fleet.yaml, in seconds.")
    var loginTimeout: Double = 90

    @Option(help: "The client's per-command timeout written into fleet.yaml, in seconds.")
    var commandTimeout: Double = 60

    @OptionGroup var listen: ListenOptions

    func validate() throws {
        guard nodes >= 1 else { throw ValidationError("--nodes must be at least 1") }
        guard driftEvery >= 0 else { throw ValidationError("--drift-every must be 0 or more") }
        guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be between 0 and 1") }
        guard connectTimeout > 0, loginTimeout > 0, commandTimeout > 0 else { throw ValidationError("timeouts must be positive") }
        guard listen.out != nil else { throw ValidationError("fleet needs --out DIR") }
    }

    func run() async throws {
        let generated = FleetGenerator(nodes: nodes, driftEvery: driftEvery, startupDelay: startup, commandDelay: commandDelay,
                                       faultRate: faultRate, seed: seed,
                                       timeouts: (connectTimeout, loginTimeout, commandTimeout)).generate()
        let dir = URL(fileURLWithPath: listen.outputFolder())
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let inventory = dir.appendingPathComponent("fleet.yaml"), state = dir.appendingPathComponent("fleet.sim.yaml")
        try generated.inventoryYAML.write(to: inventory, atomically: true, encoding: .utf8)
        try generated.stateYAML.write(to: state, atomically: true, encoding: .utf8)
        try FleetGenerator.plantedJSON(generated.drift, faults: generated.faults, nodes: nodes).write(to: dir.appendingPathComponent("planted.json"))
        say("planted \(dir.appendingPathComponent("planted.json").path) (\(generated.drift.count) drifted lists, \(generated.faults.count) faulty nodes)")
        try await serve(inventoryPath: inventory.path, statePath: state.path,
                        timing: SimulationTiming(startupDelay: startup, commandDelay: commandDelay), listen: listen)
    }
}
