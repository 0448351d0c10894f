import Foundation
import SSHClient
import SSHTestHarness
import Testing

@Suite("SSH sessions against real sshd", .serialized, .enabled(if: realSSHDAvailable, realSSHDSkipNote))
struct SessionTests {
    @Test func passwordLoginRunsCommandsInAnInteractiveShell() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(auth: [.password])])
        defer { fleet.stop() }
        let scratch = Scratch()
        let server = fleet.instances[0]
        let knownHosts = scratch.file("known_hosts")
        try SSHDFleet.writeKnownHosts([server.hostKeyLine(name: "cuicpub.test")], to: knownHosts)

        let (results, _) = await runJobs([server.target(knownHosts: knownHosts)])
        let result = try #require(results.first)
        #expect(result.error == nil, "\(String(describing: result.error)) \(server.log())")
        #expect(result.host == "cuicpub.test")
        #expect(result.info.authMethod == "password")
        #expect(result.info.hostKeyType == "ssh-ed25519")
        #expect(result.info.hostKeyFingerprint?.hasPrefix("SHA256:") == true)
        #expect(result.info.kex != nil && result.info.cipherClientToServer != nil && result.info.macClientToServer != nil)
        #expect(result.info.hostKeyNote == nil)
        let shell = try #require(result.driverResult)
        #expect(shell.finishCount == 1)
        #expect(shell.text.contains("Command Line Interface is starting up, please wait ..."))
        // The PTY echoes the command after the prompt, as on a real node.
        #expect(shell.text.contains("admin:set cli pagination off\r\n"))
        #expect(shell.outputs.count == 2)
        #expect(shell.outputs.first?.contains("Automatic pagination is turned off") == true)
        #expect(shell.outputs.last?.contains("Active Master Version: 12.6.2.10000-19") == true)
        #expect(shell.sawEndOfFile, "the node closes the channel after exit")
        let phases = result.info.phaseTimings.map(\.phase)
        #expect(phases.starts(with: ["resolve", "connect", "handshake", "host-key", "auth", "shell"]))
    }
}
