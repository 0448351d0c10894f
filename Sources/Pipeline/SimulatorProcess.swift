import Foundation

/// vos-sim as a child process: started with a fresh random password, stopped when its stdin closes.
public final class SimulatorProcess {
    public static let passwordVariable = "VOS_SIM_PASSWORD"
    let process: Process
    let stdin: Pipe
    public let directory: String
    public let password: String
    public var inventoryPath: String { directory + "/inventory.yaml" }

    private init(process: Process, stdin: Pipe, directory: String, password: String) {
        self.process = process; self.stdin = stdin; self.directory = directory; self.password = password
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// A missing piece of the setup (vos-sim not built), not a failure of the run.
        public var setup = false
    }

    /// This binary's own path: vos-sim and the demo's lab are looked for beside it.
    public static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The simulator's CA (PEM), which signs every node's HTTPS certificate.
    public var caFile: String { directory + "/ca.pem" }

    public static func start(inventory: String, state: String) throws -> SimulatorProcess {
        let binary = URL(fileURLWithPath: executablePath()).deletingLastPathComponent().appendingPathComponent("vos-sim").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw Failure(description: "vos-sim not found beside cors-audit (\(binary)); build it with `swift build --product vos-sim` or run `make demo`",
                          setup: true)
        }
        // A new folder of our own (mkdtemp: random name, mode 0700), never one someone prepared at a guessable name.
        var template = Array((FileManager.default.temporaryDirectory.path + "/cors-audit-demo-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw Failure(description: "cannot make a folder for vos-sim: \(String(cString: strerror(errno)))")
        }
        let directory = String(cString: made)
        var bytes = [UInt8](repeating: 0, count: 18)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let password = Data(bytes).base64EncodedString()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--inventory", inventory, "--state", state, "--out", directory, "--exit-on-stdin-eof"]
        var env = ProcessInfo.processInfo.environment
        env[passwordVariable] = password
        process.environment = env
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        // vos-sim's own messages go to a log beside its files, quoted only if it fails to start.
        let logPath = directory + "/vos-sim.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        let simulator = SimulatorProcess(process: process, stdin: stdin, directory: directory, password: password)
        // Wait (bounded) for the `ready` line; everything before it is the listing.
        let deadline = Date().addingTimeInterval(60)
        var buffer = Data()
        let handle = stdout.fileHandleForReading
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            if String(decoding: buffer, as: UTF8.self).split(separator: "\n").contains(where: { $0.hasPrefix("ready") }) {
                return simulator
            }
        }
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        simulator.stop()
        throw Failure(description: "vos-sim did not become ready: \(String(decoding: buffer, as: UTF8.self))\(log)")
    }

    public func stop() {
        // Closing its stdin asks vos-sim to shut down; a signal only if it has not within two seconds.
        try? stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
