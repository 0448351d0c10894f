import AuditCore
import ArgumentParser
import Foundation
import VOSSimulator

/// Serves the nodes of an inventory with the state of a state file.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve every node of an inventory (the default command).")

    @Option(help: "The inventory whose nodes to simulate.")
    var inventory: String

    @Option(help: "The node state file (default: every node with empty, enabled lists).")
    var state: String?

    @Option(help: "Start-up delay in seconds for nodes that do not set one.")
    var startup: Double?

    @Option(help: "Per-command delay in seconds for nodes that do not set one.")
    var commandDelay: Double?

    @Option(help: "Seconds each of the stop and the start of `utils service restart` takes, for nodes that do not set one.")
    var restartDelay: Double?

    @OptionGroup var listen: ListenOptions

    func validate() throws {
        if let restartDelay, !(restartDelay >= 0 && restartDelay.isFinite) {
            throw ValidationError("--restart-delay must be 0 or more seconds")
        }
    }

    func run() async throws {
        var timing = SimulationTiming()
        if let startup { timing.startupDelay = startup }
        if let commandDelay { timing.commandDelay = commandDelay }
        if let restartDelay { timing.restartDelay = restartDelay }
        try await serve(inventoryPath: inventory, statePath: state, timing: timing, listen: listen)
    }
}

/// Loads, starts, writes the client files, prints the listing and `ready`, and waits to be stopped.
func serve(inventoryPath: String, statePath: String?, timing: SimulationTiming, listen: ListenOptions) async throws {
    let inventory: Inventory
    let nodes: [NodeDefinition]
    do {
        inventory = try InventoryLoader.load(path: inventoryPath)
        nodes = try StateFile.load(path: statePath, inventory: inventory, timing: timing)
    } catch {
        throw ValidationError("\(error)")
    }
    let options = listen.options()
    let started = ContinuousClock.now
    let simulator = try await SimulatedFleet.start(inventory: inventory, nodes: nodes, options: options)
    let out = listen.outputFolder()
    try simulator.writeFiles(to: out)
    for line in simulator.listingLines() { say("node \(line)") }
    say("inventory \(URL(fileURLWithPath: out).appendingPathComponent("inventory.yaml").path)")
    say("known_hosts \(URL(fileURLWithPath: out).appendingPathComponent("known_hosts").path)")
    say("ready \(nodes.count) nodes in \(ContinuousClock.now - started)")
    let reason = await Termination.wait(onStdinEOF: listen.exitOnStdinEof)
    FileHandle.standardError.write(Data("vos-sim: \(reason), shutting down\n".utf8))
    try await simulator.shutdown()
}

/// One line on stdout, unbuffered: a parent process waits for `ready`.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
