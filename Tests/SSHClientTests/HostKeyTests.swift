import Foundation
import SSHClient
import TestSupport
import Testing

extension SSHClientTests.SessionTests {
    @Test func unknownHostKeyUnderStrictGivesFingerprintAndTheLineToAdd() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig()])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let scratch = Scratch()
        let missing = scratch.file("nowhere/known_hosts")
        let (results, _) = await runJobs([server.target(knownHosts: missing, policy: .strict)])
        let error = try #require(results[0].error)
        guard case .hostKeyUnknown(let fingerprint, let line) = error.kind else {
            Issue.record("expected hostKeyUnknown, got \(error)")
            return
        }
        #expect(fingerprint.hasPrefix("SHA256:") && !fingerprint.hasSuffix("="))
        #expect(fingerprint == results[0].info.hostKeyFingerprint)
        #expect(line == server.hostKeyLine(name: "cuicpub.test"))
        #expect(line.hasPrefix("[cuicpub.test]:\(server.port) ssh-ed25519 "))
        #expect(error.phase == .hostKey)
        #expect(!FileManager.default.fileExists(atPath: missing), "strict never writes")
        #expect(results[0].driverResult == nil)
    }

    @Test func acceptNewAppendsTheKeyAndTheNextStrictRunPasses() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig()])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let scratch = Scratch()
        let knownHosts = scratch.file("ssh/known_hosts")   // directory created on demand
        let first = await runJobs([server.target(knownHosts: knownHosts, policy: .acceptNew)]).results[0]
        #expect(first.error == nil, "\(String(describing: first.error))")
        #expect(first.info.hostKeyNote?.contains("new host key added to known_hosts (accept-new)") == true)
        let text = try String(contentsOfFile: knownHosts, encoding: .utf8)
        #expect(text == server.hostKeyLine(name: "cuicpub.test") + "\n")
        let mode = try FileManager.default.attributesOfItem(atPath: knownHosts)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let second = await runJobs([server.target(knownHosts: knownHosts, policy: .strict)]).results[0]
        #expect(second.error == nil, "\(String(describing: second.error))")
        #expect(second.info.hostKeyNote == nil)
    }

    @Test func acceptNewAppendsWithoutRewritingTheUsersFile() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig()])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let scratch = Scratch()
        let knownHosts = scratch.file("known_hosts")
        let original = "# my hosts\n@cert-authority *.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJunk\nother.test ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOther"
        try original.write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let result = await runJobs([server.target(knownHosts: knownHosts, policy: .acceptNew)]).results[0]
        #expect(result.error == nil, "\(String(describing: result.error))")
        let text = try String(contentsOfFile: knownHosts, encoding: .utf8)
        #expect(text == original + "\n" + server.hostKeyLine(name: "cuicpub.test") + "\n")
    }

    @Test(arguments: [HostKeyPolicy.strict, .acceptNew])
    func changedHostKeyIsRejected(policy: HostKeyPolicy) async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig()])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let scratch = Scratch()
        let knownHosts = scratch.file("known_hosts")
        try SSHDFleet.writeKnownHosts([server.wrongHostKeyLine(name: "cuicpub.test")], to: knownHosts)
        let before = try String(contentsOfFile: knownHosts, encoding: .utf8)
        let result = await runJobs([server.target(knownHosts: knownHosts, policy: policy)]).results[0]
        let error = try #require(result.error)
        guard case .hostKeyChanged(let fingerprint, let line) = error.kind else {
            Issue.record("expected hostKeyChanged, got \(error)")
            return
        }
        #expect(fingerprint == result.info.hostKeyFingerprint)
        #expect(line == server.hostKeyLine(name: "cuicpub.test"))
        #expect(try String(contentsOfFile: knownHosts, encoding: .utf8) == before, "never rewritten")
        #expect(result.driverResult == nil)
    }

    @Test func changedHostKeyPassesWithPolicyOffAndSaysSo() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig()])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let scratch = Scratch()
        let knownHosts = scratch.file("known_hosts")
        try SSHDFleet.writeKnownHosts([server.wrongHostKeyLine(name: "cuicpub.test")], to: knownHosts)
        let result = await runJobs([server.target(knownHosts: knownHosts, policy: .off)]).results[0]
        #expect(result.error == nil)
        #expect(result.info.hostKeyNote?.contains("host key NOT checked (host_key_policy: off)") == true)
        #expect(result.driverResult?.outputs.count == 2)
    }

    @Test func hashedKnownHostsEntriesAreFound() async throws {
        // Debian's ssh_config sets HashKnownHosts yes: users' files hold |1|salt|hash names.
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig()])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let scratch = Scratch()
        let knownHosts = scratch.file("known_hosts")
        try SSHDFleet.writeKnownHosts([server.hostKeyLine(name: "cuicpub.test")], to: knownHosts)
        try SSHDFleet.hashKnownHosts(knownHosts)
        let text = try String(contentsOfFile: knownHosts, encoding: .utf8)
        #expect(text.hasPrefix("|1|") && !text.contains("cuicpub"))
        let (results, _) = await runJobs([server.target(knownHosts: knownHosts), server.target(name: "other.test", knownHosts: knownHosts)])
        #expect(results[0].error == nil, "\(String(describing: results[0].error))")
        if case .hostKeyUnknown = results[1].error?.kind {} else { Issue.record("other name: \(String(describing: results[1].error))") }
    }

    @Test func hostKeyIsLookedUpByInventoryNameNeverByAddress() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig()])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let scratch = Scratch()
        // Right key under the address: must not count.
        let byAddress = scratch.file("by_address")
        try SSHDFleet.writeKnownHosts([server.hostKeyLine(name: server.address)], to: byAddress)
        // Right key under the inventory name, wrong key under the address: the name wins.
        let byName = scratch.file("by_name")
        try SSHDFleet.writeKnownHosts([server.wrongHostKeyLine(name: server.address),
                                       server.hostKeyLine(name: "cuicpub.test")], to: byName)
        // Right key under the bare name: port != 22 needs the [name]:port form, like OpenSSH.
        let barePort = scratch.file("bare")
        try SSHDFleet.writeKnownHosts(["cuicpub.test " + server.hostKeys["ssh-ed25519"]!], to: barePort)

        let (results, _) = await runJobs([server.target(knownHosts: byAddress), server.target(knownHosts: byName),
                                          server.target(knownHosts: barePort)])
        if case .hostKeyUnknown = results[0].error?.kind {} else { Issue.record("by address: \(String(describing: results[0].error))") }
        #expect(results[1].error == nil, "\(String(describing: results[1].error))")
        if case .hostKeyUnknown = results[2].error?.kind {} else { Issue.record("bare name: \(String(describing: results[2].error))") }
    }

    @Test func knownKeyTypeIsPreferredInTheHandshake() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig()])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let scratch = Scratch()
        // Only the ECDSA key is known: the handshake must ask for ECDSA, not the default ed25519.
        let ecdsa = scratch.file("ecdsa")
        try SSHDFleet.writeKnownHosts([server.hostKeyLine(name: "cuicpub.test", keyType: "ecdsa-sha2-nistp256")], to: ecdsa)
        let result = await runJobs([server.target(knownHosts: ecdsa)]).results[0]
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.info.hostKeyType == "ecdsa-sha2-nistp256")

    }

    @Test(arguments: [HostKeyPolicy.strict, .acceptNew])
    func keyOfAnotherTypeThanTheKnownOneCountsAsChanged(policy: HostKeyPolicy) async throws {
        // The server no longer offers the type known_hosts holds: never silently "new".
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(hostKeyTypes: ["ed25519"])])
        defer { fleet.stop() }
        let server = fleet.instances[0]
        let scratch = Scratch()
        let knownHosts = scratch.file("known_hosts")
        try SSHDFleet.writeKnownHosts([server.hostKeyLine(name: "cuicpub.test", keyType: "ecdsa-sha2-nistp256")], to: knownHosts)
        let result = await runJobs([server.target(knownHosts: knownHosts, policy: policy)]).results[0]
        guard case .hostKeyChanged(_, let line) = result.error?.kind else {
            Issue.record("expected hostKeyChanged, got \(String(describing: result.error))")
            return
        }
        #expect(line == server.hostKeyLine(name: "cuicpub.test"))
        #expect(result.error?.message.contains("ecdsa-sha2-nistp256") == true)
        #expect(try String(contentsOfFile: knownHosts, encoding: .utf8).split(separator: "\n").count == 1)
    }
}
