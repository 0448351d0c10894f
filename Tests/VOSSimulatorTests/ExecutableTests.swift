import AuditCore
import Foundation
import SSHClient
import Testing

/// The `vos-sim` binary as a parent process uses it: wait for `ready`, use the files, close stdin.
@Suite("vos-sim executable")
struct ExecutableTests {
    static func binary() -> String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("vos-sim").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    final class Child: @unchecked Sendable {
        // Touched only by the test's task, plus the pipe reader below.
        let process = Process()
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    }

    /// Reads stdout lines until one starts with `ready`; bounded: the child is killed after `timeout`.
    static func waitForReady(_ child: Child, timeout: Duration = .seconds(30)) async throws -> [String] {
        let handle = child.stdout.fileHandleForReading
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            if child.process.isRunning { child.process.terminate() }
        }
        defer { watchdog.cancel() }
        return await withCheckedContinuation { continuation in
            // A blocking reader on a thread of its own (not the cooperative pool).
            Thread {
                var buffer = Data()
                while true {
                    let chunk = handle.availableData
                    buffer.append(chunk)
                    let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
                    if chunk.isEmpty || lines.contains(where: { $0.hasPrefix("ready") }) {
                        continuation.resume(returning: lines)
                        return
                    }
                }
            }.start()
        }
    }

    @Test func servesTheLabWritesFilesAndExitsWhenStdinCloses() async throws {
        let binary = try #require(Self.binary(), "vos-sim not built next to the test bundle")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("vos-sim-exe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let child = Child()
        child.process.executableURL = URL(fileURLWithPath: binary)
        child.process.arguments = ["--inventory", root.appendingPathComponent("inventory/lab.yaml").path,
                                   "--state", root.appendingPathComponent("inventory/lab.sim.yaml").path,
                                   "--out", out.path, "--startup", "0.05", "--command-delay", "0.01", "--exit-on-stdin-eof"]
        var env = ProcessInfo.processInfo.environment
        env["VOS_SIM_PASSWORD"] = "exe-test-pw"
        child.process.environment = env
        child.process.standardInput = child.stdin
        child.process.standardOutput = child.stdout
        child.process.standardError = child.stderr
        try child.process.run()
        defer { if child.process.isRunning { child.process.terminate() } }

        let lines = try await Self.waitForReady(child)
        #expect(lines.last?.hasPrefix("ready 4 nodes") == true, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("node cuicsub.uccelab.tac 127.0.0.1:") })
        #expect(lines.contains("inventory \(out.appendingPathComponent("inventory.yaml").path)"))

        // The written inventory is what the client uses: log in to the subscriber with it.
        let inventory = try InventoryLoader.load(path: out.appendingPathComponent("inventory.yaml").path)
        let sub = try #require(inventory.nodes.first { $0.node.host == "cuicsub.uccelab.tac" }?.node)
        let target = SSHTarget(host: sub.host, address: sub.connection.address, port: sub.connection.port,
                               username: sub.connection.username, credential: .password("exe-test-pw"),
                               knownHostsPath: sub.connection.knownHosts, hostKeyPolicy: .strict,
                               connectTimeout: .seconds(5), loginTimeout: .seconds(5))
        let job = SSHJob(target: target) {
            ScriptDriver(login + command("set cli pagination off") + command("utils cuic cors allowed_origin list"),
                         ending: .close, stepTimeout: .seconds(5))
        }
        let result = await SSHRunner().run([job], deadline: .now + .seconds(20)).first!
        #expect(result.error == nil, "\(String(describing: result.error))")
        let text = try #require(result.driverResult).text
        // Byte for byte the field capture's list (after its echo line).
        let capture = try String(contentsOfFile: root
            .appendingPathComponent("Tests/Fixtures/field/cuic-allowed-origin-list.subscriber.txt").path, encoding: .utf8)
        let expected = capture.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().dropLast()
            .map { $0 + "\r\n" }.joined()
        #expect(outputs(of: text)["utils cuic cors allowed_origin list"] == expected)

        // Closing stdin ends it.
        try child.stdin.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(10)
        while child.process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!child.process.isRunning)
        #expect(child.process.terminationStatus == 0)
        let err = String(decoding: child.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(err.contains("standard input closed"))
        #expect(!err.contains("is not set"))
    }
}
