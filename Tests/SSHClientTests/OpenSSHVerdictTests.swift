import Foundation
import SSHClient
import TestSupport
import Testing

/// One known_hosts case: the file's lines for a server, whether they are hashed, the policy, and
/// what cors-audit must conclude; OpenSSH's client must conclude the same on the same file.
private struct VerdictCase: Sendable, CustomStringConvertible {
    enum Outcome: Sendable, Equatable { case accepted, appended, unknown, changed, revoked, certAuthority }

    var label: String
    /// The lines, given the server and its `[name]:port`.
    var lines: @Sendable (SSHDInstance, String) -> [String]
    var hashed = false
    var policy: HostKeyPolicy = .strict
    var ours: Outcome
    /// Whether OpenSSH accepts (and, under accept-new, appends); nil: the same as ours.
    var openSSHAccepts: Bool? = nil
    /// The key type the session must have verified, when the case is about the algorithm preference.
    var hostKeyType: String? = nil

    var description: String { label }
}

private func key(_ server: SSHDInstance, _ type: String) -> String { server.hostKeys[type]! }

private let cases: [VerdictCase] = [
    VerdictCase(label: "plain", lines: { s, n in ["\(n) \(key(s, "ssh-ed25519"))"] }, ours: .accepted),
    VerdictCase(label: "hashed", lines: { s, n in ["\(n) \(key(s, "ssh-ed25519"))"] }, hashed: true, ours: .accepted),
    VerdictCase(label: "pattern", lines: { s, _ in ["[cuic*.te?t]:* \(key(s, "ssh-ed25519"))"] }, ours: .accepted),
    VerdictCase(label: "pattern, another key, accept-new", lines: { s, _ in ["[cuic*.test]:* \(s.wrongHostKey)"] },
                policy: .acceptNew, ours: .changed),
    VerdictCase(label: "negated pattern", lines: { s, n in ["[cuic*]:*,!\(n) \(key(s, "ssh-ed25519"))"] }, ours: .unknown),
    VerdictCase(label: "negated pattern, accept-new", lines: { s, n in ["[cuic*]:*,!\(n) \(s.wrongHostKey)"] },
                policy: .acceptNew, ours: .appended),
    VerdictCase(label: "upper-case", lines: { s, n in ["\(n.uppercased()) \(key(s, "ssh-ed25519"))"] }, ours: .accepted),
    VerdictCase(label: "upper-case, another key, accept-new", lines: { s, n in ["\(n.uppercased()) \(s.wrongHostKey)"] },
                policy: .acceptNew, ours: .changed),
    VerdictCase(label: "comma list", lines: { s, n in ["other.test,\(n) \(key(s, "ssh-ed25519"))"] }, ours: .accepted),
    VerdictCase(label: "port form: the bare name off port 22", lines: { s, _ in ["cuicpub.test \(key(s, "ssh-ed25519"))"] }, ours: .unknown),
    VerdictCase(label: "revoked", lines: { s, n in ["\(n) \(key(s, "ssh-ed25519"))", "@revoked * \(key(s, "ssh-ed25519"))"] },
                ours: .revoked),
    VerdictCase(label: "revoked, accept-new", lines: { s, _ in ["@revoked [cuicpub.*]:* \(key(s, "ssh-ed25519"))"] },
                policy: .acceptNew, ours: .revoked),
    VerdictCase(label: "cert-authority", lines: { s, _ in ["@cert-authority [*.test]:* \(s.wrongHostKey)"] }, ours: .certAuthority),
    // OpenSSH accepts the plain key as new (a CA line does not pin plain keys); cors-audit, which
    // cannot check certificates, rejects the node rather than append a key a CA was meant to vouch for.
    VerdictCase(label: "cert-authority, accept-new", lines: { s, _ in ["@cert-authority [*.test]:* \(s.wrongHostKey)"] },
                policy: .acceptNew, ours: .certAuthority, openSSHAccepts: true),
    VerdictCase(label: "changed key", lines: { s, n in ["\(n) \(s.wrongHostKey)"] }, ours: .changed),
    VerdictCase(label: "several key types, hashed RSA pinned", lines: { s, n in ["\(n) \(key(s, "ssh-rsa"))"] }, hashed: true,
                ours: .accepted, hostKeyType: "ssh-rsa"),
    VerdictCase(label: "several key types, hashed ECDSA pinned", lines: { s, n in ["\(n) \(key(s, "ecdsa-sha2-nistp256"))"] },
                hashed: true, ours: .accepted, hostKeyType: "ecdsa-sha2-nistp256"),
    VerdictCase(label: "several key types, ECDSA by pattern", lines: { s, _ in ["[cuicpub.test]:* \(key(s, "ecdsa-sha2-nistp256"))"] },
                ours: .accepted, hostKeyType: "ecdsa-sha2-nistp256"),
]

/// OpenSSH's client on the same file: true when it got past the host key (to authentication, which
/// batch mode then fails), false when it refused the key.
private func openSSHAccepts(_ server: SSHDInstance, name: String, knownHosts: String, policy: HostKeyPolicy) throws -> Bool {
    let strict = policy == .acceptNew ? "accept-new" : "yes"
    let run = try runProcess("/usr/bin/ssh", [
        "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=\(strict)",
        "-o", "UserKnownHostsFile=\(knownHosts)", "-o", "GlobalKnownHostsFile=/dev/null",
        // ssh looks up `[host]:port` under the name it was given; the alias is that name, lower-cased as ssh does.
        "-o", "HostKeyAlias=\(name)", "-o", "UpdateHostKeys=no", "-o", "ConnectTimeout=5",
        "-o", "PreferredAuthentications=password", "-p", String(server.port), "-l", SSHDFleet.username, server.address, "true",
    ], timeout: .seconds(30))
    if run.stderr.contains("Permission denied") { return true }
    if run.stderr.contains("Host key verification failed") { return false }
    throw HarnessError("ssh neither authenticated nor refused the host key: \(run.status) \(run.stderr)")
}

extension SSHClientTests.SessionTests {
    @Test(arguments: cases)
    fileprivate func verdictAgreesWithOpenSSH(_ test: VerdictCase) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh"), "the OpenSSH client is needed")
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig()])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let scratch = Scratch()
        let name = server.knownHostsName("cuicpub.test")
        let ours = scratch.file("ours"), theirs = scratch.file("theirs")
        try SSHDFleet.writeKnownHosts(test.lines(server, name), to: ours)
        if test.hashed { try SSHDFleet.hashKnownHosts(ours) }
        try FileManager.default.copyItem(atPath: ours, toPath: theirs)
        let before = try String(contentsOfFile: ours, encoding: .utf8)

        let result = await runJobs([server.target(knownHosts: ours, policy: test.policy)]).results[0]
        let after = try String(contentsOfFile: ours, encoding: .utf8)
        let outcome: VerdictCase.Outcome
        switch result.error?.kind {
        case nil: outcome = after == before ? .accepted : .appended
        case .hostKeyUnknown?: outcome = .unknown
        case .hostKeyChanged?: outcome = .changed
        case .hostKeyRevoked?: outcome = .revoked
        case .hostKeyCertificateAuthority?: outcome = .certAuthority
        default:
            Issue.record("\(test): \(String(describing: result.error))")
            return
        }
        #expect(outcome == test.ours, "\(test): \(String(describing: result.error))")
        if outcome != .appended { #expect(after == before, "\(test): the file changed") }
        if let type = test.hostKeyType { #expect(result.info.hostKeyType == type, "\(test)") }

        let openSSH = try openSSHAccepts(server, name: name, knownHosts: theirs, policy: test.policy)
        let oursAccepted = outcome == .accepted || outcome == .appended
        #expect(openSSH == (test.openSSHAccepts ?? oursAccepted), "\(test): OpenSSH \(openSSH ? "accepts" : "refuses")")
        // Under accept-new OpenSSH appends exactly when it accepts a key it did not know.
        if test.policy == .acceptNew && test.openSSHAccepts == nil {
            let theirsAfter = try String(contentsOfFile: theirs, encoding: .utf8)
            #expect((theirsAfter != before) == (outcome == .appended), "\(test): OpenSSH appended: \(theirsAfter != before)")
        }
    }

    @Test func revokedAndCertAuthorityRejectionsSayWhy() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(hostKeyTypes: ["ed25519"])])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let scratch = Scratch()
        let revoked = scratch.file("revoked"), authority = scratch.file("ca")
        try SSHDFleet.writeKnownHosts(["# first line", server.hostKeyLine(name: "cuicpub.test"),
                                       "@revoked * \(server.hostKeys["ssh-ed25519"]!)"], to: revoked)
        try SSHDFleet.writeKnownHosts(["@cert-authority * \(server.wrongHostKey)"], to: authority)
        let (results, _) = await runJobs([server.target(knownHosts: revoked, policy: .acceptNew),
                                          server.target(knownHosts: authority, policy: .acceptNew)])
        let first = try #require(results[0].error), second = try #require(results[1].error)
        #expect(first.phase == .hostKey && second.phase == .hostKey)
        #expect(first.message.contains("REVOKED HOST KEY") && first.message.contains("\(revoked) (line 3)"), "\(first.message)")
        #expect(second.message.contains("only through @cert-authority (\(authority) line 1)"), "\(second.message)")
        #expect(second.message.contains("host certificates are not supported") && second.message.contains("nothing is added"))
        #expect(second.message.hasSuffix(server.hostKeyLine(name: "cuicpub.test")), "the line to add if the key is right")
    }

    /// host_key_policy off: the password goes only where the command line allowed it.
    @Test(arguments: [SSHDInstanceConfig.Auth.password, .keyboardInteractive])
    func policyOffWithholdsThePasswordUnlessAllowed(auth: SSHDInstanceConfig.Auth) async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(auth: [auth])])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let withheld = await runJobs([server.target(knownHosts: nil, policy: .off, insecureHostKeys: false)]).results[0]
        let error = try #require(withheld.error)
        #expect(error.kind == .passwordWithheld && error.phase == .auth, "\(error)")
        #expect(error.message.contains("--insecure-host-keys"))
        #expect(withheld.driverResult == nil && withheld.info.authMethod == nil)
        // sshd saw no password and no keyboard-interactive answer: nothing failed or succeeded with one.
        let log = server.log()
        for attempt in ["password for", "keyboard-interactive/pam for"] {
            #expect(!log.contains("Failed \(attempt)") && !log.contains("Accepted \(attempt)"), "\(log)")
        }

        let allowed = await runJobs([server.target(knownHosts: nil, policy: .off, insecureHostKeys: true)]).results[0]
        #expect(allowed.error == nil, "\(String(describing: allowed.error))")
        #expect(allowed.info.hostKeyNote?.contains("host key NOT checked (host_key_policy: off)") == true)
    }

    @Test func policyOffStillLogsInWithAKeyWhichGivesNoSecretAway() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(auth: [.publicKey])])
        defer { fleet.stop() }
        let result = await runJobs([fleet.instances[0].target(credential: .privateKey(path: fleet.userKeyPath, passphrase: nil),
                                                              knownHosts: nil, policy: .off, insecureHostKeys: false)]).results[0]
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.info.authMethod == "publickey")
    }
}
