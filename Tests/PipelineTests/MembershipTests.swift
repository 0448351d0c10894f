import AuditCore
import CLIParsers
import Foundation
import Pipeline
import Testing
import TestSupport
@testable import VOSSimulator

/// Cluster membership (`show network cluster`) and `live_data: coresident`, audited over SSH against vos-sim.
@Suite(.serialized) struct MembershipAuditTests {
    @Test func membershipAndCoresidencyFindingsOverSSH() async throws {
        let password = "membership-pw"
        try await Simulation.lab(password: password, adjust: { nodes in
            func at(_ host: String) -> Int { nodes.firstIndex { $0.host == host }! }
            // cuicpub's cluster has a node the inventory lacks, and swaps the roles of cuicpub and cuicsub.
            nodes[at("cuicpub.uccelab.tac")].clusterView = ClusterViewDefinition(
                extra: [SimulatedMember(host: "cuicsub3.uccelab.tac", address: "10.10.20.14", publisher: false, application: "cuic")],
                swapRole: ["cuicpub.uccelab.tac", "cuicsub.uccelab.tac"])
            // finessep's cluster does not count finesses as a member.
            nodes[at("finessep.uccelab.tac")].clusterView = ClusterViewDefinition(hide: ["finesses.uccelab.tac"])
            // cuicsub runs no Live Data although the inventory says coresident.
            nodes[at("cuicsub.uccelab.tac")].services.removeAll { $0.name.contains("Live Data") }
        }).use { lab in
            let source = LiveSSHSource(options: .init(runTimeout: .seconds(60), environment: ["VOS_SIM_PASSWORD": password]))
            let report = await AuditPipeline(source: source).run(try lab.inventory()).report
            #expect(report.complete)
            #expect(report.nodes.allSatisfy { $0.membership != nil })

            let unknown = report.findings.filter { $0.kind == .nodeNotInInventory }
            #expect(unknown.count == 1)
            #expect(unknown.first?.severity == .error)
            #expect(unknown.first?.hosts == ["cuicpub.uccelab.tac"])
            #expect(unknown.first?.message.contains("cuicsub3.uccelab.tac (10.10.20.14, subscriber)") == true)
            #expect(unknown.first?.message.contains("`- {host: cuicsub3.uccelab.tac, address: 10.10.20.14, role: subscriber, live_data: coresident}`") == true)

            let role = report.findings.filter { $0.kind == .clusterRoleMismatch }
            #expect(Set(role.compactMap(\.host)) == ["cuicpub.uccelab.tac", "cuicsub.uccelab.tac"])
            #expect(role.allSatisfy { $0.severity == .warning })
            #expect(role.contains { $0.host == "cuicsub.uccelab.tac" && $0.message.contains("cuicpub.uccelab.tac says publisher") })

            let missing = report.findings.filter { $0.kind == .nodeNotInCluster }
            #expect(missing.map(\.host) == ["finesses.uccelab.tac"])
            #expect(missing.first?.message.contains("finessep.uccelab.tac") == true)

            let coresidency = report.findings.filter { $0.kind == .liveDataCoresidency }
            #expect(coresidency.map(\.host) == ["cuicsub.uccelab.tac"])
            #expect(coresidency.first?.severity == .warning)

            // Report v1: the node's membership as read, and the new kinds.
            let json = report.json().serialized()
            #expect(json.contains("\"membership\""))
            #expect(json.contains("\"node-not-in-inventory\""))
        }
    }

    @Test func liveDataServicesWithoutTheFlagAreAnError() async throws {
        let password = "membership-pw2"
        try await Simulation.lab(password: password).use { lab in
            var inventory = try lab.inventory()
            let i = inventory.clusters[0].cuic.firstIndex { $0.host == "cuicpub.uccelab.tac" }!
            inventory.clusters[0].cuic[i].coresidentLiveData = false
            let source = LiveSSHSource(options: .init(runTimeout: .seconds(60), environment: ["VOS_SIM_PASSWORD": password]))
            let report = await AuditPipeline(source: source).run(inventory).report
            let found = report.findings.filter { $0.kind == .liveDataCoresidency }
            #expect(found.map(\.host) == ["cuicpub.uccelab.tac"])
            #expect(found.first?.severity == .error)
            #expect(found.first?.message.contains("Add `live_data: coresident`") == true)
        }
    }

    @Test func anUnknownMembershipIsUnparsedNeverAnEmptyCluster() throws {
        let inventory = try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml")
        var observations: [String: NodeObservation] = [:]
        for (_, node) in inventory.nodes {
            let text = try String(contentsOfFile: repoRoot + "/inventory/transcripts/lab/\(node.host).txt", encoding: .utf8)
            observations[node.host] = NodeObservation.fromTranscript(host: node.host, text: text)
        }
        // Without the command (transcripts saved before it): audited, no membership, no membership finding.
        let before = Auditor.audit(inventory: inventory, observations: observations, generatedAt: "t")
        #expect(before.complete)
        #expect(before.nodes.allSatisfy { $0.membership == nil })
        #expect(!before.findings.contains { [.nodeNotInInventory, .nodeNotInCluster, .clusterRoleMismatch].contains($0.kind) })
        // An output no parser understands: the node is unparsed (incomplete) and its raw text kept.
        observations["cuicpub.uccelab.tac"]!.captures.append(CommandCapture(command: "show network cluster", output: "Cluster nodes: 2\n  node 1: cuicpub (primary)\n"))
        let after = Auditor.audit(inventory: inventory, observations: observations, generatedAt: "t")
        let pub = try #require(after.nodes.first { $0.host == "cuicpub.uccelab.tac" })
        #expect(pub.status == .unparsed)
        #expect(pub.unparsed.first?.command == "show network cluster")
        #expect(!after.complete)
        #expect(!after.findings.contains { $0.kind == .nodeNotInCluster })
    }
}

/// `cors-audit discover` against the simulated lab: the inventory it writes audits the same fleet with no edit.
@Suite(.serialized) struct DiscoverTests {
    /// The lab with each node on its own loopback address and one SSH port (what a real site looks like to discover).
    func addressedLab(password: String, adjust: (inout [NodeDefinition]) -> Void = { _ in }) async throws -> Simulation {
        let inventory = try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml")
        let state = try String(contentsOfFile: repoRoot + "/inventory/lab.sim.yaml", encoding: .utf8)
            .replacingOccurrences(of: "startup_delay: 0.8", with: "startup_delay: 0.1")
        var nodes = try StateFile.parse(yaml: state, inventory: inventory, path: "lab.sim.yaml")
        // The lab's planted extra member has no simulated node: no view here lists one, so every node written is reachable.
        for i in nodes.indices { nodes[i].clusterView = ClusterViewDefinition() }
        adjust(&nodes)
        for attempt in 0..<8 {
            let port = 20000 + Int.random(in: 0..<20000) + attempt
            if let sim = try? await Simulation.start(inventory: inventory, nodes: nodes,
                options: SimulatorOptions(layout: .addresses, baseAddress: "127.16.16.2", port: port, password: password, threads: 1)) {
                return sim
            }
        }
        throw HarnessError("no free port for the addressed lab")
    }

    func defaults(_ lab: Simulation, port: Int) -> Discovery.Defaults {
        var d = Discovery.Defaults(home: NSHomeDirectory())
        d.credential = .passwordEnv("VOS_SIM_PASSWORD")
        d.knownHosts = lab.knownHostsPath
        d.port = port
        return d
    }

    @Test func theWrittenInventoryAuditsTheSimulatedClusterAsIs() async throws {
        let password = "discover-pw"
        try await addressedLab(password: password).use { lab in
            let sim = try #require(lab.simulator)
            let pub = sim.node("cuicpub.uccelab.tac")!, fin = sim.node("finessep.uccelab.tac")!
            let targets = [Discovery.Target(name: pub.host, address: pub.address), Discovery.Target(name: fin.host, address: fin.address)]
            let environment = ["VOS_SIM_PASSWORD": password]
            let discovered = await DiscoverPipeline(targets: targets, defaults: defaults(lab, port: pub.port),
                                                    options: .init(runTimeout: .seconds(60), environment: environment)).run(generatedAt: "2026-12-04T00:00:00Z")
            #expect(discovered.exitCode == 0, "\(discovered.publishers.compactMap(\.problem))")
            #expect(discovered.publishers.map(\.product) == [.cuic, .finesse])
            #expect(discovered.publishers[0].coresidentLiveData)

            let dir = try temporaryDirectory("discover")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try discovered.inventoryYAML.write(toFile: dir + "/discovered.yaml", atomically: true, encoding: .utf8)
            let written = try InventoryLoader.load(path: dir + "/discovered.yaml")
            #expect(written.clusters.map(\.name) == ["uccelab"])
            #expect(written.clusters[0].cuic.map(\.host) == ["cuicpub.uccelab.tac", "cuicsub.uccelab.tac"])
            #expect(written.clusters[0].cuic.map(\.role) == [.publisher, .subscriber])
            #expect(written.clusters[0].cuic.allSatisfy { $0.coresidentLiveData })
            #expect(written.clusters[0].finesse.map(\.host) == ["finessep.uccelab.tac", "finesses.uccelab.tac"])
            #expect(written.clusters[0].nodes.map(\.connection.address) == ["127.16.16.2", "127.16.16.3", "127.16.16.4", "127.16.16.5"])

            // Audited with no edit, it finds what the simulator's own inventory finds.
            let source = LiveSSHSource(options: .init(runTimeout: .seconds(60), environment: environment))
            let fromDiscovered = await AuditPipeline(source: source).run(written).report
            let fromSimulator = await AuditPipeline(source: source).run(try lab.inventory()).report
            #expect(fromDiscovered.complete)
            func key(_ f: Finding) -> String { "\(f.kind.rawValue) \(f.host ?? f.hosts.joined(separator: ",")) \(f.list?.rawValue ?? "-") \(f.origin ?? "-")" }
            #expect(fromDiscovered.findings.map(key) == fromSimulator.findings.map(key))
            #expect(fromDiscovered.findings.contains { $0.kind == .missingOrigin && $0.host == "cuicsub.uccelab.tac" })
            #expect(!fromDiscovered.findings.contains { [.nodeNotInInventory, .nodeNotInCluster, .clusterRoleMismatch, .liveDataCoresidency].contains($0.kind) })
        }
    }

    @Test func anUnreachablePublisherIsNamedAndTheOthersStillWritten() async throws {
        let password = "discover-pw2"
        try await addressedLab(password: password, adjust: { nodes in
            let f = nodes.firstIndex { $0.host == "finessep.uccelab.tac" }!
            nodes[f].faults = [.refuse]
        }).use { lab in
            let sim = try #require(lab.simulator)
            let pub = sim.node("cuicpub.uccelab.tac")!, fin = sim.node("finessep.uccelab.tac")!
            let targets = [Discovery.Target(name: pub.host, address: pub.address), Discovery.Target(name: fin.host, address: fin.address)]
            let discovered = await DiscoverPipeline(targets: targets, defaults: defaults(lab, port: pub.port),
                                                    options: .init(runTimeout: .seconds(60), environment: ["VOS_SIM_PASSWORD": password])).run()
            #expect(discovered.exitCode == 2)
            let problem = try #require(discovered.publishers[1].problem)
            #expect(problem.hasPrefix("unreachable"), "\(problem)")
            #expect(discovered.inventoryYAML.contains("# NOT COMPLETE: finessep.uccelab.tac: unreachable"))
            #expect(discovered.inventoryYAML.contains("- host: cuicsub.uccelab.tac"))
            #expect(discovered.inventoryYAML.contains("    finesse: []"))
        }
    }
}
