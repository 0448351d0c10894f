import AuditCore
import Collector
import Foundation
import TestSupport
import Testing

private let all4 = "https://finessep.uccelab.tac,https://finessep.uccelab.tac:8445,https://finesses.uccelab.tac,https://finesses.uccelab.tac:8445"

/// One node of the test inventory: its name, where it really is, and an inventory-line override.
private struct TestNode {
    var host: String
    var address: String
    var port: Int
    var extra: String = ""
}

/// Writes an inventory (one cluster, Finesse nodes not contacted) and a known_hosts file into `dir`.
private func writeInventory(_ nodes: [TestNode], knownHosts: [String], dir: String) throws -> Inventory {
    var yaml = """
        version: 1
        defaults:
          username: \(SSHDFleet.username)
          password_env: CORS_AUDIT_TEST_PASSWORD
          known_hosts: \(dir)/known_hosts
          host_key_policy: strict
          timeouts: {connect: 3, login: 3, command: 3}
        clusters:
          - name: lab
            finesse:
              - host: finessep.uccelab.tac
                audit: false
              - host: finesses.uccelab.tac
                audit: false
            cuic:

        """
    for (i, n) in nodes.enumerated() {
        yaml += "      - host: \(n.host)\n        address: \(n.address)\n        port: \(n.port)\n        role: \(i == 0 ? "publisher" : "subscriber")\n        live_data: coresident\n"
        if !n.extra.isEmpty { yaml += n.extra.split(separator: "\n").map { "        \($0)\n" }.joined() }
    }
    try (knownHosts.joined(separator: "\n") + "\n").write(toFile: dir + "/known_hosts", atomically: true, encoding: .utf8)
    try yaml.write(toFile: dir + "/inventory.yaml", atomically: true, encoding: .utf8)
    return try InventoryLoader.load(path: dir + "/inventory.yaml")
}

@Suite(.serialized) struct CollectorTests {
    @Test(.enabled(if: SSHDFleet.skipReason == nil, Comment(rawValue: SSHDFleet.skipReason ?? "")))
    func everyFailureGetsItsStatusAndTheOthersAreStillAudited() async throws {
        // Every node's `show network cluster` lists the inventory's CUIC nodes, so membership adds no finding here.
        let members = ["--cluster-members", ["healthy", "lacking", "noprompt", "drops", "fails", "kbdint", "changedkey", "unknownkey",
                                             "refused", "silent", "nosecret", "wrongpass"].map { $0 + ".test" }.joined(separator: ",")]
        let fleet = try SSHDFleet.start(instances: [
            SSHDInstanceConfig(emulatorArguments: ["--cuic-origins", all4, "--livedata-origins", all4] + members),      // 0 healthy
            SSHDInstanceConfig(emulatorArguments: ["--livedata-origins", all4] + members),                                // 1 lacks finessep:8445
            SSHDInstanceConfig(neverPrompt: true),                                                              // 2
            SSHDInstanceConfig(dropAfterBytes: 700),                                                            // 3
            SSHDInstanceConfig(failCommands: ["utils cuic cors status"], emulatorArguments: members),           // 4
            SSHDInstanceConfig(auth: [.keyboardInteractive], pager: true,
                               emulatorArguments: ["--cuic-origins", all4, "--livedata-origins", all4] + members),       // 5
        ])
        defer { fleet.stop() }
        let silent = try TestListener(.silent)
        defer { silent.stop() }
        let refused = LoopbackAddresses.refusedEndpoint()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("collector-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let i = fleet.instances
        let nodes = [
            TestNode(host: "healthy.test", address: i[0].address, port: i[0].port),
            TestNode(host: "lacking.test", address: i[1].address, port: i[1].port),
            TestNode(host: "noprompt.test", address: i[2].address, port: i[2].port),
            TestNode(host: "drops.test", address: i[3].address, port: i[3].port),
            TestNode(host: "fails.test", address: i[4].address, port: i[4].port),
            TestNode(host: "kbdint.test", address: i[5].address, port: i[5].port),
            TestNode(host: "changedkey.test", address: i[0].address, port: i[0].port),
            TestNode(host: "unknownkey.test", address: i[0].address, port: i[0].port),
            TestNode(host: "refused.test", address: refused.address, port: refused.port),
            TestNode(host: "silent.test", address: silent.address, port: silent.port, extra: "timeouts: {connect: 1}"),
            TestNode(host: "nosecret.test", address: i[0].address, port: i[0].port, extra: "password_env: CORS_AUDIT_UNSET_VARIABLE"),
            TestNode(host: "wrongpass.test", address: i[0].address, port: i[0].port, extra: "password_env: CORS_AUDIT_WRONG_PASSWORD"),
        ]
        var known = nodes.filter { $0.host != "unknownkey.test" && $0.host != "changedkey.test" }.map { n in
            "\(n.port == 22 ? n.host : "[\(n.host)]:\(n.port)") \(i[0].hostKeys["ssh-ed25519"]!)"
        }
        // Every instance shares the fleet's host keys; the changed one gets a key the server does not have.
        known.append(i[0].wrongHostKeyLine(name: "changedkey.test"))
        let inventory = try writeInventory(nodes, knownHosts: known, dir: dir)
        let collector = SSHCollector(options: .init(runTimeout: .seconds(60), environment: [
            "CORS_AUDIT_TEST_PASSWORD": SSHDFleet.password, "CORS_AUDIT_WRONG_PASSWORD": "not-the-password",
        ]))
        let results = await collector.collect(inventory)
        let report = Auditor.audit(inventory: inventory, observations: results.mapValues(\.observation), generatedAt: "t")
        let status = Dictionary(uniqueKeysWithValues: report.nodes.map { ($0.host, $0.status) })
        let detail = Dictionary(uniqueKeysWithValues: report.nodes.map { ($0.host, $0.detail) })
        #expect(status["healthy.test"] == .audited, "\(detail["healthy.test"]!)")
        #expect(status["lacking.test"] == .audited, "\(detail["lacking.test"]!)")
        #expect(status["kbdint.test"] == .audited, "\(detail["kbdint.test"]!)")
        #expect(status["noprompt.test"] == .timeout)
        #expect(detail["noprompt.test"]!.hasPrefix("phase login: no admin: prompt within the 3 s limit"))
        #expect(detail["noprompt.test"]!.contains("please wait"))
        #expect(status["drops.test"] == .disconnected, "\(detail["drops.test"]!)")
        #expect(status["fails.test"] == .commandFailed)
        #expect(detail["fails.test"]!.contains("`utils cuic cors status` failed: Executed command unsuccessfully"))
        #expect(status["changedkey.test"] == .hostKeyRejected)
        #expect(detail["changedkey.test"]!.contains("HOST KEY CHANGED"))
        #expect(status["unknownkey.test"] == .hostKeyRejected)
        #expect(detail["unknownkey.test"]!.contains("[unknownkey.test]:\(i[0].port) ssh-ed25519 "))
        #expect(detail["unknownkey.test"]!.contains("SHA256:"))
        #expect(status["refused.test"] == .unreachable)
        #expect(status["silent.test"] == .unreachable, "\(detail["silent.test"]!)")
        #expect(status["nosecret.test"] == .authFailed)
        #expect(detail["nosecret.test"]!.contains("CORS_AUDIT_UNSET_VARIABLE is not set"))
        #expect(status["wrongpass.test"] == .authFailed)
        // The TAC gap is found on the live list; nodes that returned no list get no finding about it.
        let missing = Set(report.findings.filter { $0.kind == .missingOrigin }.map { "\($0.host!) \($0.list!.rawValue) \($0.origin!)" })
        #expect(missing.contains("lacking.test cuic https://finessep.uccelab.tac:8445"))
        let silentNodes: Set<String> = ["noprompt.test", "changedkey.test", "unknownkey.test", "refused.test", "silent.test", "nosecret.test", "wrongpass.test"]
        #expect(!report.findings.contains { $0.host.map(silentNodes.contains) ?? false })
        #expect(!report.findings.contains { $0.host == "healthy.test" || $0.host == "kbdint.test" })
        #expect(report.verdict() == .incomplete)
        // The pager was answered on the keyboard-interactive node and its lists came through whole.
        #expect(report.nodes.first { $0.host == "kbdint.test" }?.lists.first?.origins?.count == 4)
        // Transcripts replay offline to the same lists, and never hold the password.
        for (host, result) in results {
            guard let transcript = result.transcript else { continue }
            let text = String(decoding: transcript, as: UTF8.self)
            #expect(!text.contains(SSHDFleet.password), "\(host)")
            let replayed = NodeObservation.fromTranscript(host: host, text: text)
            if status[host] == .audited {
                #expect(replayed.captures.map(\.command) == ["set cli pagination off"] + result.observation.captures.map(\.command) + ["exit"], "\(host)")
                let replayedReport = Auditor.audit(inventory: inventory, observations: [host: replayed], generatedAt: "t")
                #expect(replayedReport.nodes.first { $0.host == host }?.lists == report.nodes.first { $0.host == host }?.lists, "\(host)")
            }
        }
    }

    @Test(.enabled(if: SSHDFleet.skipReason == nil, Comment(rawValue: SSHDFleet.skipReason ?? "")))
    func manyNodesAtOnceTakeAboutAsLongAsOne() async throws {
        // sshd drops unauthenticated connections beyond MaxStartups (10 by default): raise it for 20 each.
        let config = SSHDInstanceConfig(startupDelay: 1, extraSSHDConfig: ["MaxStartups 100"])
        let fleet = try SSHDFleet.start(instances: [config, config])
        defer { fleet.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("collector-many-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let nodes = (0..<40).map { k in
            let inst = fleet.instances[k % 2]
            return TestNode(host: "node\(k).test", address: inst.address, port: inst.port)
        }
        let known = (0..<40).map { k in fleet.instances[k % 2].hostKeyLine(name: "node\(k).test") }
        let inventory = try writeInventory(nodes, knownHosts: known, dir: dir)
        let start = ContinuousClock.now
        let results = await SSHCollector(options: .init(environment: ["CORS_AUDIT_TEST_PASSWORD": SSHDFleet.password])).collect(inventory)
        let elapsed = ContinuousClock.now - start
        #expect(results.count == 40)
        let failures = results.values.compactMap { $0.observation.failure.map { "\($0.status): \($0.detail)" } }
        #expect(failures.isEmpty, "\(failures)")
        // 40 nodes × 1 s of CLI start-up: serialized this would be 40 s, two at a time 20 s.
        #expect(elapsed < .seconds(15), "took \(elapsed)")
    }
}
