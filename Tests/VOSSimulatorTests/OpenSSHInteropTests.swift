import Foundation
import Testing
@testable import VOSSimulator

/// OpenSSH's `ssh` against vos-sim: the CTR transport and keyboard-interactive shim with a second,
/// independent implementation. Skipped where /usr/bin/ssh is missing.
@Suite("OpenSSH ssh against vos-sim", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh")))
struct OpenSSHInteropTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `ssh -tt` with the password from an askpass script, types `input` (kept open until ssh
    /// exits, so an EOF never ends the session early), bounded by `timeout`.
    static func ssh(_ fleet: TestFleet, host: String, options: [String], input: String, remoteCommand: [String] = [],
                    password: String = testPassword, timeout: TimeInterval = 20) async throws -> Run {
        let node = fleet.node(host)
        let askpass = fleet.directory.appendingPathComponent("askpass-\(UUID().uuidString).sh")
        try "#!/bin/sh\necho '\(password)'\n".write(to: askpass, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: askpass.path)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh")
        process.arguments = ["-F", "/dev/null", "-tt", "-v", "-p", String(node.port),
                             "-o", "UserKnownHostsFile=\(fleet.knownHosts)", "-o", "GlobalKnownHostsFile=/dev/null",
                             "-o", "HostKeyAlias=[\(host)]:\(node.port)", "-o", "StrictHostKeyChecking=yes",
                             "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1",
                             "-o", "ConnectTimeout=5", "-o", "BatchMode=no"]
            + options + ["admin@\(node.address)"] + remoteCommand
        var env = ProcessInfo.processInfo.environment
        env["SSH_ASKPASS"] = askpass.path
        env["SSH_ASKPASS_REQUIRE"] = "force"
        env["DISPLAY"] = ":0"
        process.environment = env
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? stdin.fileHandleForWriting.close()
        let out = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return Run(status: process.terminationStatus, stdout: out, stderr: err)
    }

    static let script = "set cli pagination off\rutils cuic cors allowed_origin list\rexit\r"

    @Test(arguments: ["aes128-ctr", "aes256-ctr"])
    func forcedCipherWithHMACSHA256(cipher: String) async throws {
        let fleet = try await TestFleet.start(state: "nodes:\n  cuicpub.lab.test:\n    lists:\n      cuic: {origins: [https://f.lab.test:8445]}\n")
        defer { Task { try await fleet.stop() } }
        let run = try await Self.ssh(fleet, host: "cuicpub.lab.test", options: ["-c", cipher, "-m", "hmac-sha2-256",
                                                                        "-o", "PreferredAuthentications=password"],
                               input: Self.script)
        #expect(run.stderr.contains("kex: client->server cipher: \(cipher) MAC: hmac-sha2-256"), "\(run.stderr)")
        #expect(run.stderr.contains("kex: server->client cipher: \(cipher) MAC: hmac-sha2-256"))
        #expect(run.stderr.contains("Authenticated to") && run.stderr.contains("using \"password\""))
        #expect(run.stdout.contains("Automatic pagination is turned off\r\n"))
        #expect(run.stdout.contains("\r\ncors_allowedorigins \r\n=========================== \r\n1. https://f.lab.test:8445 \r\n \r\n"))
        #expect(run.status == 0, "\(run.stderr)")
    }

    @Test func freeNegotiationAndKeyboardInteractive() async throws {
        let fleet = try await TestFleet.start(state: "nodes:\n  cuicpub.lab.test:\n    faults: [keyboard_interactive_only]\n")
        defer { Task { try await fleet.stop() } }
        let run = try await Self.ssh(fleet, host: "cuicpub.lab.test", options: [], input: "show version active\rexit\r")
        #expect(run.stderr.contains("Authentications that can continue: keyboard-interactive"), "\(run.stderr)")
        #expect(run.stderr.contains("using \"keyboard-interactive\""))
        #expect(run.stderr.contains("-ctr MAC: hmac-sha2-256"))
        #expect(run.stdout.contains("Active Master Version: 12.6.2.10000-19\r\n"))
        #expect(run.status == 0)
        // Password auth is refused on that node.
        let password = try await Self.ssh(fleet, host: "cuicpub.lab.test", options: ["-o", "PreferredAuthentications=password"],
                                    input: "exit\r")
        #expect(password.status != 0)
        #expect(!password.stdout.contains("admin:"))
    }

    @Test func execIsRejectedLikeVOS() async throws {
        let fleet = try await TestFleet.start()
        defer { Task { try await fleet.stop() } }
        // No -tt: ssh sends an exec request for the command.
        let run = try await Self.ssh(fleet, host: "cuicpub.lab.test", options: ["-T"], input: "",
                                     remoteCommand: ["show", "version", "active"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("exec request failed"), "\(run.stderr)")
        #expect(!run.stdout.contains("Active Master Version"))
    }

    @Test func wrongHostKeyIsCaughtByOpenSSHToo() async throws {
        let fleet = try await TestFleet.start(state: "nodes:\n  cuicpub.lab.test:\n    faults: [wrong_host_key]\n")
        defer { Task { try await fleet.stop() } }
        let run = try await Self.ssh(fleet, host: "cuicpub.lab.test", options: [], input: "exit\r")
        #expect(run.status != 0)
        #expect(run.stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") || run.stderr.contains("Host key verification failed"))
    }
}
