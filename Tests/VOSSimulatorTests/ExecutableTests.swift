import AuditCore
import Foundation
import SSHClient
import Testing
import TestSupport

/// The `vos-sim` binary as a parent process uses it: wait for `ready`, use the files, close stdin.
@Suite("vos-sim executable")
struct ExecutableTests {
    @Test func servesTheLabWritesFilesAndExitsWhenStdinCloses() async throws {
        let sim = try await Simulation.launch(["--inventory", repoRoot + "/inventory/lab.yaml", "--state", repoRoot + "/inventory/lab.sim.yaml",
                                               "--startup", "0.05", "--command-delay", "0.01"],
                                              password: "exe-test-pw", timeout: .seconds(30))
        let child = try #require(sim.process)
        try await sim.use { sim in
            let lines = sim.readyLines
            #expect(lines.last?.hasPrefix("ready 4 nodes") == true, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("node cuicsub.uccelab.tac 127.0.0.1:") })
            #expect(lines.contains("inventory \(sim.inventoryPath)"))

            // The written inventory is what the client uses: log in to the subscriber with it.
            let inventory = try sim.inventory()
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
            let capture = try String(contentsOfFile: fieldCapture("cuic-allowed-origin-list.subscriber.txt"), encoding: .utf8)
            let expected = capture.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0 + "\r\n" }.joined()
            #expect(outputs(of: text)["utils cuic cors allowed_origin list"] == expected)

            // Closing stdin ends it (`finish` throws if it is still running 10 s later).
            child.closeInput()
            let end = try child.finish(timeout: .seconds(10))
            #expect(end.status == 0 && !end.signaled)
            #expect(end.stderr.contains("standard input closed"))
            #expect(!end.stderr.contains("is not set"))
        }
    }
}
