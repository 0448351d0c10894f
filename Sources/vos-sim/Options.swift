import ArgumentParser
import Foundation
import NIOCore
import VOSSimulator

/// Where and how to listen, shared by `serve` and `fleet`.
struct ListenOptions: ParsableArguments {
    @Option(help: "ports: every node on --base-address with its own port (HTTPS on any free ports); addresses: every node on its own address (--base-address, the next, ...) and --port (HTTPS on the real 443 and 8444).")
    var layout: SimulatorOptions.Layout = .ports

    @Option(help: "The first loopback address.")
    var baseAddress: String = "127.0.0.1"

    @Option(help: "ports layout: the first port (0: any free port per node); addresses layout: the port of every node.")
    var port: Int = 0

    @Option(help: "Event-loop threads (default: one per core).")
    var threads: Int = System.coreCount

    @Option(name: .customLong("out"), help: "Folder for inventory.yaml and known_hosts (default: a new temporary folder).")
    var out: String?

    @Flag(help: "Exit when standard input closes, so a parent process cannot leak the simulator.")
    var exitOnStdinEof = false

    @Option(help: "Append every finished `utils service restart` to FILE, one JSON line each (host, service, start, end in seconds since 1970, result).")
    var restartLog: String?

    func validate() throws {
        guard baseAddress.hasPrefix("127.") else {
            throw ValidationError("--base-address must be a loopback address (127.x.x.x)")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func options() -> SimulatorOptions {
        SimulatorOptions(layout: layout, baseAddress: baseAddress, port: port, password: Password.fromEnvironment(), threads: threads,
                         restartLog: restartLog)
    }

    func outputFolder() -> String {
        if let out { return out }
        return FileManager.default.temporaryDirectory.appendingPathComponent("vos-sim-\(getpid())").path
    }
}

extension SimulatorOptions.Layout: ExpressibleByArgument {}

enum Password {
    /// The password from `VOS_SIM_PASSWORD`, or the default, said on stderr.
    static func fromEnvironment() -> String {
        let name = SimulatorOptions.passwordEnvironmentVariable
        if let value = ProcessInfo.processInfo.environment[name], !value.isEmpty { return value }
        FileHandle.standardError.write(Data("vos-sim: \(name) is not set; nodes accept the password '\(SimulatorOptions.defaultPassword)'\n".utf8))
        return SimulatorOptions.defaultPassword
    }
}
