import Foundation
import SSHClient
import TestSupport
import Testing

/// A target for something that is not our sshd (refused ports, silent listeners, ...).
private func rawTarget(_ address: String, _ port: Int, connectTimeout: Duration = .seconds(2)) -> SSHTarget {
    SSHTarget(host: "broken.test", address: address, port: port, username: SSHDFleet.username,
              credential: .password(SSHDFleet.password), knownHostsPath: nil, hostKeyPolicy: .off,
              connectTimeout: connectTimeout, loginTimeout: .seconds(5))
}

/// Failures that need no sshd (and no root): fake listeners and refused ports.
extension SSHClientTests {
    @Suite("SSH failures before login")
    struct ConnectFailureTests {
        @Test func refusedPortIsReportedAsRefused() async throws {
            let (address, port) = LoopbackAddresses.refusedEndpoint()
            let result = await runJobs([rawTarget(address, port)]).results[0]
            let error = try #require(result.error)
            #expect(error.kind == .refused)
            #expect(error.phase == .connect)
            #expect(error.function == "connect")
            #expect(error.code == ECONNREFUSED)
            #expect(error.host == "broken.test")
            #expect(result.driverResult == nil)
        }

        @Test func unresolvableNameIsADNSFailure() async throws {
            let target = rawTarget("no-such-node.invalid", 22)
            let result = await runJobs([target]).results[0]
            let error = try #require(result.error)
            #expect(error.kind == .dnsFailure)
            #expect(error.function == "getaddrinfo")
            #expect(error.message.contains("no-such-node.invalid"))
        }

        @Test func namesAreResolvedOffTheLoopAndEveryAddressIsTried() async throws {
            // "localhost" is not an IP literal, so it goes through the resolver threads; it may
            // resolve to ::1 first, where nothing listens, before 127.0.0.1.
            let listener = try TestListener(.sendAndClose(Array("garbage\r\n".utf8)), address: "127.0.0.1")
            defer { listener.stop() }
            let targets = (0..<3).map { _ in rawTarget("localhost", listener.port) }
            let (results, _) = await runJobs(targets)
            for result in results {
                #expect(result.error?.kind == .protocolError, "reached the listener: \(String(describing: result.error))")
                #expect(result.info.phaseTimings.first?.phase == "resolve")
            }
        }

        @Test func connectThatNeverCompletesIsAConnectTimeout() async throws {
            let listener = try TestListener(.unreachable)
            defer { listener.stop() }
            let (results, seconds) = await runJobs([rawTarget(listener.address, listener.port, connectTimeout: .milliseconds(500))])
            let error = try #require(results[0].error)
            #expect(error.kind == .connectTimeout)
            #expect(error.phase == .connect)
            #expect(seconds >= 0.45 && seconds < 2, "took \(seconds) s")
        }

        @Test func listenerThatNeverSpeaksTimesOutInTheHandshake() async throws {
            let listener = try TestListener(.silent)
            defer { listener.stop() }
            let (results, seconds) = await runJobs([rawTarget(listener.address, listener.port, connectTimeout: .milliseconds(700))])
            let error = try #require(results[0].error)
            #expect(error.kind == .handshakeTimeout)
            #expect(error.phase == .handshake)
            #expect(seconds >= 0.6 && seconds < 3, "took \(seconds) s")
        }

        @Test func garbageBannerIsAProtocolError() async throws {
            let garbage = Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8)
            for behavior in [TestListener.Behavior.sendAndClose(garbage), .send(garbage + Array(repeating: 0x41, count: 600))] {
                let listener = try TestListener(behavior)
                defer { listener.stop() }
                let result = await runJobs([rawTarget(listener.address, listener.port)]).results[0]
                let error = try #require(result.error)
                #expect(error.kind == .protocolError, "\(behavior): \(error)")
                #expect(error.phase == .handshake)
                #expect(error.message.contains("the last line the server sent was \"Content-Length: 0\""), "\(error.message)")
            }
        }

        /// A fake "old node" that sends an identification and a KEXINIT, then nothing: libssh2 must
        /// fail to negotiate, and the probe must read the server's lists over a second connection.
        @Test(arguments: [
            ("cipher", ["diffie-hellman-group14-sha1"], ["aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com"]),
            ("key exchange", ["sntrup761x25519-sha512@openssh.com"], ["aes128-ctr"]),
        ])
        func noCommonAlgorithmReadsTheServersOffer(gap: String, kex: [String], ciphers: [String]) async throws {
            let listener = try TestListener(.send(Array("SSH-2.0-OpenSSH_5.3\r\n".utf8)
                + kexinitPacket(kex: kex, hostKey: ["ssh-rsa"], ciphers: ciphers, macs: ["hmac-sha1"])))
            defer { listener.stop() }
            let result = await runJobs([rawTarget(listener.address, listener.port)]).results[0]
            let error = try #require(result.error)
            guard case .noCommonAlgorithm(let ours, let theirs) = error.kind else {
                Issue.record("expected noCommonAlgorithm, got \(error)")
                return
            }
            #expect(ours.contains("aes256-ctr") && ours.contains("diffie-hellman-group14-sha1"))
            #expect(theirs == "kex: \(kex.joined(separator: ",")); host key: ssh-rsa; ciphers: \(ciphers.joined(separator: ",")); macs: hmac-sha1")
            #expect(error.message.hasSuffix("no common \(gap)"), "\(error.message)")
            #expect(error.function == "libssh2_session_handshake")
            #expect(error.code == -5)
        }
    }
}

/// An unencrypted SSH binary packet holding a KEXINIT with these name-lists.
private func kexinitPacket(kex: [String], hostKey: [String], ciphers: [String], macs: [String]) -> [UInt8] {
    func uint32(_ value: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) } }
    func nameList(_ names: [String]) -> [UInt8] {
        let bytes = Array(names.joined(separator: ",").utf8)
        return uint32(bytes.count) + bytes
    }
    var payload: [UInt8] = [20] + Array(repeating: 0x5A, count: 16)
    for list in [kex, hostKey, ciphers, ciphers, macs, macs, ["none"], ["none"], [], []] { payload += nameList(list) }
    payload += [0] + uint32(0)
    // Total length (4 + 1 + payload + padding) a multiple of 8, at least 4 bytes of padding.
    var padding = 8 - (5 + payload.count) % 8
    if padding < 4 { padding += 8 }
    return uint32(1 + payload.count + padding) + [UInt8(padding)] + payload + Array(repeating: 0, count: padding)
}

extension SSHClientTests.SessionTests {
    @Test func noCommonCipherNamesBothOffers() async throws {
        // libssh2 1.10 has neither chacha20-poly1305 nor AES-GCM.
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(
            extraSSHDConfig: ["Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com"])])
        defer { fleet.stop() }
        let result = await runJobs([fleet.instances[0].target(knownHosts: nil, policy: .off)]).results[0]
        let error = try #require(result.error)
        guard case .noCommonAlgorithm(let ours, let theirs) = error.kind else {
            Issue.record("expected noCommonAlgorithm, got \(error)")
            return
        }
        #expect(ours.contains("aes256-ctr"))
        #expect(theirs?.contains("chacha20-poly1305@openssh.com") == true)
        #expect(error.message.contains("no common cipher"), "\(error.message)")
        #expect(error.phase == .handshake)
    }
}
