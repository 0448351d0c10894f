import Foundation
import SSHClient
import SSHTestHarness
import Testing

/// A target for something that is not our sshd (refused ports, silent listeners, ...).
private func rawTarget(_ address: String, _ port: Int, connectTimeout: Duration = .seconds(2)) -> SSHTarget {
    SSHTarget(host: "broken.test", address: address, port: port, username: SSHDFleet.username,
              credential: .password(SSHDFleet.password), knownHostsPath: nil, hostKeyPolicy: .off,
              connectTimeout: connectTimeout, loginTimeout: .seconds(5))
}

extension SessionTests {
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
            #expect(!error.message.isEmpty)
        }
    }

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
