import Foundation
import Testing
import TestSupport
@testable import VOSSimulator

/// OpenSSH's `ssh` against vos-sim: the CTR transport and keyboard-interactive shim with a second,
/// independent implementation. Skipped where /usr/bin/ssh is missing.
@Suite("OpenSSH ssh against vos-sim", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh")))
struct OpenSSHInteropTests {
    /// Runs `ssh -tt` with the password from an askpass script, types `input` (kept open until ssh
    /// exits, so an EOF never ends the session early), bounded by `timeout`.
    static func ssh(_ fleet: Simulation, host: String, options: [String], input: String, remoteCommand: [String] = [],
                    password: String = testPassword, timeout: Duration = .seconds(20)) throws -> ProcessResult {
        let node = fleet.node(host)
        let askpass = fleet.directory + "/askpass-\(UUID().uuidString).sh"
        try "#!/bin/sh\necho '\(password)'\n".write(toFile: askpass, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: askpass)
        let arguments = ["-F", "/dev/null", "-tt", "-v", "-p", String(node.port),
                         "-o", "UserKnownHostsFile=\(fleet.knownHostsPath)", "-o", "GlobalKnownHostsFile=/dev/null",
                         "-o", "HostKeyAlias=[\(host)]:\(node.port)", "-o", "StrictHostKeyChecking=yes",
                         "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1",
                         "-o", "ConnectTimeout=5", "-o", "BatchMode=no"]
            + options + ["admin@\(node.address)"] + remoteCommand
        let environment = ["SSH_ASKPASS": askpass, "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"]
        return try StartedProcess("/usr/bin/ssh", arguments, environment: environment, stdin: input, keepInputOpen: true)
            .finish(timeout: timeout)
    }

    static let script = "set cli pagination off\rutils cuic cors allowed_origin list\rexit\r"

    @Test(arguments: ["aes128-ctr", "aes256-ctr"])
    func forcedCipherWithHMACSHA256(cipher: String) async throws {
        let fleet = try await Simulation.fleet(state: "nodes:\n  cuicpub.lab.test:\n    lists:\n      cuic: {origins: [https://f.lab.test:8445]}\n")
        try await fleet.use { fleet in
            let run = try Self.ssh(fleet, host: "cuicpub.lab.test", options: ["-c", cipher, "-m", "hmac-sha2-256",
                                                                            "-o", "PreferredAuthentications=password"],
                                   input: Self.script)
            #expect(run.stderr.contains("kex: client->server cipher: \(cipher) MAC: hmac-sha2-256"), "\(run.stderr)")
            #expect(run.stderr.contains("kex: server->client cipher: \(cipher) MAC: hmac-sha2-256"))
            #expect(run.stderr.contains("Authenticated to") && run.stderr.contains("using \"password\""))
            #expect(run.stdout.contains("Automatic pagination is turned off\r\n"))
            #expect(run.stdout.contains("\r\ncors_allowedorigins \r\n=========================== \r\n1. https://f.lab.test:8445 \r\n \r\n"))
            #expect(run.status == 0, "\(run.stderr)")
        }
    }

    @Test func freeNegotiationAndKeyboardInteractive() async throws {
        let fleet = try await Simulation.fleet(state: "nodes:\n  cuicpub.lab.test:\n    faults: [keyboard_interactive_only]\n")
        try await fleet.use { fleet in
            let run = try Self.ssh(fleet, host: "cuicpub.lab.test", options: [], input: "show version active\rexit\r")
            #expect(run.stderr.contains("Authentications that can continue: keyboard-interactive"), "\(run.stderr)")
            #expect(run.stderr.contains("using \"keyboard-interactive\""))
            #expect(run.stderr.contains("-ctr MAC: hmac-sha2-256"))
            #expect(run.stdout.contains("Active Master Version: 12.6.2.10000-19\r\n"))
            #expect(run.status == 0)
            // Password auth is refused on that node.
            let password = try Self.ssh(fleet, host: "cuicpub.lab.test", options: ["-o", "PreferredAuthentications=password"],
                                        input: "exit\r")
            #expect(password.status != 0)
            #expect(!password.stdout.contains("admin:"))
        }
    }

    @Test func execIsRejectedLikeVOS() async throws {
        let fleet = try await Simulation.fleet()
        try await fleet.use { fleet in
            // No -tt: ssh sends an exec request for the command.
            let run = try Self.ssh(fleet, host: "cuicpub.lab.test", options: ["-T"], input: "",
                                         remoteCommand: ["show", "version", "active"])
            #expect(run.status != 0)
            #expect(run.stderr.contains("exec request failed"), "\(run.stderr)")
            #expect(!run.stdout.contains("Active Master Version"))
        }
    }

    @Test func wrongHostKeyIsCaughtByOpenSSHToo() async throws {
        let fleet = try await Simulation.fleet(state: "nodes:\n  cuicpub.lab.test:\n    faults: [wrong_host_key]\n")
        try await fleet.use { fleet in
            let run = try Self.ssh(fleet, host: "cuicpub.lab.test", options: [], input: "exit\r")
            #expect(run.status != 0)
            #expect(run.stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") || run.stderr.contains("Host key verification failed"))
        }
    }
}
