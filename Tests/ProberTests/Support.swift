import AuditCore
import Foundation
import Testing
@testable import VOSSimulator

/// The package root, found from this file's location.
let repoRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// The cors-audit binary built beside this test bundle.
let binary: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    while !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("cors-audit").path), dir.path != "/" {
        dir.deleteLastPathComponent()
    }
    return dir.appendingPathComponent("cors-audit").path
}()

let simPassword = "probe-test-pw"
let pub = "cuicpub.uccelab.tac"
let sub = "cuicsub.uccelab.tac"
let missingOnSub = "https://finessep.uccelab.tac:8445"

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs cors-audit from the package root with the simulator's password in its environment (never argv).
func corsAudit(_ arguments: [String]) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = arguments
    p.currentDirectoryURL = URL(fileURLWithPath: repoRoot)
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    env["VOS_SIM_PASSWORD"] = simPassword
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return ProcessResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

/// The uccelab lab (inventory/lab.yaml + lab.sim.yaml) served by vos-sim on loopback over SSH and HTTPS, short delays.
struct Lab {
    let simulator: VOSSimulator
    let directory: String
    var inventoryPath: String { directory + "/inventory.yaml" }
    var caFile: String { directory + "/ca.pem" }

    /// `faults`: extra state-file lines per host, e.g. `[pub: "faults: [refuse]"]`.
    static func start(faults: [String: String] = [:]) async throws -> Lab {
        let inventory = try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml")
        var state = try String(contentsOfFile: repoRoot + "/inventory/lab.sim.yaml", encoding: .utf8)
            .replacingOccurrences(of: "startup_delay: 0.8", with: "startup_delay: 0.1")
            .replacingOccurrences(of: "restart_delay: 0.3", with: "restart_delay: 0.05")
        for (host, line) in faults {
            state = state.replacingOccurrences(of: "  \(host):\n", with: "  \(host):\n    \(line)\n")
        }
        let nodes = try StateFile.parse(yaml: state, inventory: inventory, path: "lab.sim.yaml")
        let sim = try await VOSSimulator.start(inventory: inventory, nodes: nodes, options: SimulatorOptions(password: simPassword, threads: 1))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cors-audit-probe-\(UUID().uuidString)").path
        try sim.writeFiles(to: dir)
        return Lab(simulator: sim, directory: dir)
    }

    func inventory() throws -> Inventory { try InventoryLoader.load(path: inventoryPath) }

    func node(_ host: String) -> SimulatedNode { simulator.node(host)! }

    func stop() async throws {
        try await simulator.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `body` and stops the lab whatever happens.
    static func with(faults: [String: String] = [:], _ body: (Lab) async throws -> Void) async throws {
        let lab = try await start(faults: faults)
        do { try await body(lab) } catch {
            try await lab.stop()
            throw error
        }
        try await lab.stop()
    }
}

func readJSON(_ path: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
}
