import AuditCore
import Foundation
import VOSSimulator

/// The uccelab lab (inventory/lab.yaml + inventory/lab.sim.yaml) served by vos-sim on loopback over SSH and HTTPS,
/// with short start-up and restart delays; its inventory, known_hosts and CA are written to `directory`.
public struct Lab: Sendable {
    public let simulator: VOSSimulator
    public let directory: String
    public var inventoryPath: String { directory + "/inventory.yaml" }
    public var caFile: String { directory + "/ca.pem" }

    /// `faults`: extra state-file lines per host, e.g. `[pub: "faults: [refuse]"]`; `adjust` then changes the parsed
    /// node definitions (hostile lists and the like).
    public static func start(password: String, faults: [String: String] = [:],
                             adjust: (inout [NodeDefinition]) -> Void = { _ in }) async throws -> Lab {
        let inventory = try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml")
        var state = try String(contentsOfFile: repoRoot + "/inventory/lab.sim.yaml", encoding: .utf8)
            .replacingOccurrences(of: "startup_delay: 0.8", with: "startup_delay: 0.1")
            .replacingOccurrences(of: "restart_delay: 0.3", with: "restart_delay: 0.05")
        for (host, line) in faults {
            state = state.replacingOccurrences(of: "  \(host):\n", with: "  \(host):\n    \(line)\n")
        }
        var nodes = try StateFile.parse(yaml: state, inventory: inventory, path: "lab.sim.yaml")
        adjust(&nodes)
        let sim = try await VOSSimulator.start(inventory: inventory, nodes: nodes, options: SimulatorOptions(password: password, threads: 1))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cors-audit-lab-\(UUID().uuidString)").path
        try sim.writeFiles(to: dir)
        return Lab(simulator: sim, directory: dir)
    }

    public func inventory() throws -> Inventory { try InventoryLoader.load(path: inventoryPath) }

    public func node(_ host: String) -> SimulatedNode { simulator.node(host)! }

    public func stop() async throws {
        try await simulator.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `body` against a started lab and shuts the simulator down whatever happens.
    public static func with(password: String, faults: [String: String] = [:], adjust: (inout [NodeDefinition]) -> Void = { _ in },
                            _ body: (Lab) async throws -> Void) async throws {
        let lab = try await start(password: password, faults: faults, adjust: adjust)
        do { try await body(lab) } catch {
            try await lab.stop()
            throw error
        }
        try await lab.stop()
    }
}

/// The lab's inventory (inventory/lab.yaml, its path as written in the repository so outputs do not depend on the
/// checkout's place) and its nodes observed from the field-shaped transcripts in inventory/transcripts/lab.
public func labObservations() throws -> (Inventory, [String: NodeObservation]) {
    var inventory = try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml")
    inventory.path = "inventory/lab.yaml"
    var observations: [String: NodeObservation] = [:]
    for (_, node) in inventory.nodes where node.audit {
        let text = try String(contentsOfFile: "\(repoRoot)/inventory/transcripts/lab/\(node.host).txt", encoding: .utf8)
        observations[node.host] = .fromTranscript(host: node.host, text: text)
    }
    return (inventory, observations)
}
