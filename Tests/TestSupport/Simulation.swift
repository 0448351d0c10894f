import AuditCore
import Foundation
import VOSSimulator

/// vos-sim serving a fleet on loopback for one test, with the files a client needs in `directory` (inventory.yaml,
/// known_hosts, ca.pem). Started one of two ways:
/// - `start` (or `lab`): in this process, for tests that reach into the nodes (`node(_:)`) to change or check them;
/// - `launch`: the built `vos-sim` binary as a child, for tests of the executable itself and for fleets that must not
///   share this process (a load test counting its descriptors and threads, the cors-audit binary run against it).
///
/// `stop()`, or `use` around the test's body, ends it and removes `directory`.
public final class Simulation: @unchecked Sendable {
    public let directory: String
    /// The simulator in this process; nil when launched.
    public let simulator: SimulatedFleet?
    /// The `vos-sim` child; nil in process.
    public let process: StartedProcess?
    /// What the child printed once it was ready (its node lines, the files, `ready`); empty in process.
    public let readyLines: [String]

    public var inventoryPath: String { directory + "/inventory.yaml" }
    public var knownHostsPath: String { directory + "/known_hosts" }
    public var caFile: String { directory + "/ca.pem" }

    private init(directory: String, simulator: SimulatedFleet?, process: StartedProcess?, readyLines: [String]) {
        self.directory = directory
        self.simulator = simulator
        self.process = process
        self.readyLines = readyLines
    }

    /// The inventory written for the client.
    public func inventory() throws -> Inventory { try InventoryLoader.load(path: inventoryPath) }

    /// A node of a simulation started in this process.
    public func node(_ host: String) -> SimulatedNode {
        guard let node = simulator?.node(host) else { preconditionFailure("\(host): no such node in an in-process simulation") }
        return node
    }

    /// Serves `nodes` in this process and writes the client's files.
    public static func start(inventory: Inventory, nodes: [NodeDefinition], options: SimulatorOptions) async throws -> Simulation {
        let simulator = try await SimulatedFleet.start(inventory: inventory, nodes: nodes, options: options)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vos-sim-\(UUID().uuidString)").path
        do {
            try simulator.writeFiles(to: directory)
        } catch {
            try? await simulator.shutdown()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        return Simulation(directory: directory, simulator: simulator, process: nil, readyLines: [])
    }

    /// The uccelab lab (inventory/lab.yaml + inventory/lab.sim.yaml) in this process, with short start-up and restart
    /// delays. `faults`: extra state-file lines per host, e.g. `[pub: "faults: [refuse]"]`; `adjust` then changes the
    /// parsed node definitions (hostile lists and the like). `membership`: keep the lab's planted extra cluster member
    /// (`cluster_view`, a node-not-in-inventory finding no CLI change fixes); left out by default, so tests of the CORS
    /// lists and of apply see only the lab's CORS drift.
    public static func lab(password: String, faults: [String: String] = [:], membership: Bool = false,
                           adjust: (inout [NodeDefinition]) -> Void = { _ in }) async throws -> Simulation {
        let inventory = try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml")
        var state = try String(contentsOfFile: repoRoot + "/inventory/lab.sim.yaml", encoding: .utf8)
            .replacingOccurrences(of: "startup_delay: 0.8", with: "startup_delay: 0.1")
            .replacingOccurrences(of: "restart_delay: 0.3", with: "restart_delay: 0.05")
        for (host, line) in faults {
            state = state.replacingOccurrences(of: "  \(host):\n", with: "  \(host):\n    \(line)\n")
        }
        var nodes = try StateFile.parse(yaml: state, inventory: inventory, path: "lab.sim.yaml")
        if !membership { for i in nodes.indices { nodes[i].clusterView.extra = [] } }
        adjust(&nodes)
        return try await start(inventory: inventory, nodes: nodes, options: SimulatorOptions(password: password, threads: 1))
    }

    /// The TAC case alone: the lab with finesses' gadget source list complete (the shipped lab lacks cuicsub's URLs there).
    public static func tacCase(_ nodes: inout [NodeDefinition]) {
        let i = nodes.firstIndex { $0.host == "finesses.uccelab.tac" }!
        nodes[i].settings.gadgetSources = ["https://cuicpub.uccelab.tac", "https://cuicpub.uccelab.tac:8444",
                                           "https://cuicsub.uccelab.tac", "https://cuicsub.uccelab.tac:8444"]
    }

    /// Runs `vos-sim ARGUMENTS --out DIRECTORY --exit-on-stdin-eof` with the password in its environment and returns
    /// once it prints `ready`; a child that exits first or is not ready within `timeout` is stopped and this throws.
    public static func launch(_ arguments: [String], password: String, timeout: Duration = .seconds(120)) async throws -> Simulation {
        guard let binary = builtBinary("vos-sim") else { throw HarnessError("vos-sim is not built next to the test bundle") }
        let directory = try temporaryDirectory("vos-sim")
        let child: StartedProcess
        do {
            child = try StartedProcess(binary, arguments + ["--out", directory, "--exit-on-stdin-eof"],
                                       environment: ["VOS_SIM_PASSWORD": password], keepInputOpen: true)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            let lines = child.standardOutput().split(separator: "\n").map(String.init)
            if lines.contains(where: { $0.hasPrefix("ready") }) {
                return Simulation(directory: directory, simulator: nil, process: child, readyLines: lines)
            }
            if !child.isRunning || ContinuousClock.now > deadline {
                child.closeInput()
                let end = try? child.finish(timeout: .seconds(10))
                try? FileManager.default.removeItem(atPath: directory)
                let err = end?.stderr ?? child.standardError()
                throw HarnessError("vos-sim did not become ready: \(lines.suffix(5)) \(err.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Ends the simulation: in process, a shutdown; launched, its input closed (vos-sim exits on that), killed if it has
    /// not gone within 10 s. Then removes `directory`.
    public func stop() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        if let process {
            process.closeInput()
            _ = try? process.finish(timeout: .seconds(10))
        }
        try await simulator?.shutdown()
    }

    /// Runs `body` with the simulation and stops it whatever happens.
    public func use<T>(_ body: (Simulation) async throws -> T) async throws -> T {
        let result: T
        do {
            result = try await body(self)
        } catch {
            try? await stop()
            throw error
        }
        try await stop()
        return result
    }
}
