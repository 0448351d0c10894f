import Foundation
import SSHClient
import TestSupport
import Testing

extension SSHClientTests {
    @Suite("SSH sessions against real sshd", .enabled(if: realSSHDAvailable, realSSHDSkipNote))
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
}

extension SSHClientTests.SessionTests {
    @Test func keyboardInteractiveOnlyServerGetsThePasswordAnswered() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(auth: [.keyboardInteractive])])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let (results, _) = await runJobs([server.target(knownHosts: nil, policy: .off)])
        let result = try #require(results.first)
        #expect(result.error == nil, "\(String(describing: result.error)) \(server.log())")
        #expect(result.info.authMethod == "keyboard-interactive")
        #expect(result.driverResult?.outputs.count == 2)
    }

    @Test(arguments: ["ed25519", "ecdsa"])
    func publicKeyLoginDerivesThePublicKeyFromThePrivateKeyFile(keyType: String) async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(auth: [.publicKey])])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let scratch = Scratch()
        // Only the private key, no ".pub" beside it: libssh2 must derive the public half.
        let key = scratch.file("id_\(keyType)")
        try FileManager.default.copyItem(atPath: keyType == "ed25519" ? fleet.userKeyPath : fleet.userECDSAKeyPath,
                                         toPath: key)
        let (results, _) = await runJobs([server.target(credential: .privateKey(path: key, passphrase: nil),
                                                        knownHosts: nil, policy: .off)])
        let result = try #require(results.first)
        #expect(result.error == nil, "\(String(describing: result.error)) \(server.log())")
        #expect(result.info.authMethod == "publickey")
        #expect(result.driverResult?.outputs.count == 2)
    }

    @Test func passphraseProtectedKeyAndRSAKeyLogIn() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(auth: [.publicKey])])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let credentials: [SSHCredential] = [
            .privateKey(path: fleet.userProtectedKeyPath, passphrase: SSHDFleet.userKeyPassphrase),
            // The harness's sshd accepts ssh-rsa (SHA-1) signatures, the only kind libssh2 1.10 makes.
            .privateKey(path: fleet.userRSAKeyPath, passphrase: nil),
        ]
        let (results, _) = await runJobs(credentials.map { server.target(credential: $0, knownHosts: nil, policy: .off) })
        for result in results {
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(result.info.authMethod == "publickey")
        }
    }

    @Test func rsaKeyIsRejectedByAServerWithoutSHA1Signatures() async throws {
        // OpenSSH 8.8+ defaults: rsa-sha2-* only. libssh2 1.10 signs with ssh-rsa, so this fails.
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(
            auth: [.publicKey], extraSSHDConfig: ["PubkeyAcceptedAlgorithms ssh-ed25519,rsa-sha2-512,rsa-sha2-256"])])
        defer { fleet.stop() }
        let target = fleet.instances[0].target(credential: .privateKey(path: fleet.userRSAKeyPath, passphrase: nil),
                                               knownHosts: nil, policy: .off)
        let result = await runJobs([target]).results[0]
        #expect(result.error?.kind == .authRejected(methodsTried: ["publickey"]))
    }

    @Test func wrongPassphraseOrMissingKeyFileIsRejectedWithLibssh2sReason() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(auth: [.publicKey])])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let (results, _) = await runJobs([
            server.target(credential: .privateKey(path: fleet.userProtectedKeyPath, passphrase: "wrong"), knownHosts: nil, policy: .off),
            server.target(credential: .privateKey(path: "/nonexistent/id_ed25519", passphrase: nil), knownHosts: nil, policy: .off),
        ])
        for result in results {
            #expect(result.error?.kind == .authRejected(methodsTried: ["publickey"]))
            #expect(result.error?.message.contains("publickey: ") == true, "\(String(describing: result.error))")
        }
    }

    @Test func wrongPasswordIsRejectedNamingTheMethodsTried() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(auth: [.password]),
                                                     SSHDInstanceConfig(auth: [.keyboardInteractive])])
        defer { fleet.stop() }
        let targets = fleet.instances.map { $0.target(credential: .password("not-the-password"), knownHosts: nil, policy: .off) }
        let (results, _) = await runJobs(targets)
        #expect(results[0].error?.kind == .authRejected(methodsTried: ["password"]))
        #expect(results[1].error?.kind == .authRejected(methodsTried: ["keyboard-interactive"]))
        for result in results {
            #expect(result.error?.phase == .auth)
            #expect(result.driverResult == nil, "no shell, no driver")
        }
    }

    @Test func credentialTheServerCannotUseIsUnsupported() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(auth: [.publicKey])])
        defer { fleet.stop() }
        let (results, _) = await runJobs([fleet.instances[0].target(knownHosts: nil, policy: .off)])
        #expect(results[0].error?.kind == .authUnsupported(offered: ["publickey"]))
    }
}
