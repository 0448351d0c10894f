import AuditCore
import Foundation
import SSHClient
import Testing
import TestSupport
@testable import VOSSimulator

/// The files the simulator writes for the client, the state file's checks, and the fleet generator.
@Suite("files, state file and fleet")
struct FilesAndFleetTests {
    @Test func writtenInventoryLoadsAndPointsAtTheNodes() async throws {
        let fleet = try await Simulation.fleet(state: "nodes:\n  ld.lab.test:\n    faults: [refuse]\n")
        try await fleet.use { fleet in
            let inventory = try fleet.inventory()
            #expect(inventory.nodes.count == 4)
            for (_, node) in inventory.nodes {
                let simulated = fleet.node(node.host)
                #expect(node.connection.address == simulated.address)
                #expect(node.connection.port == simulated.port)
                #expect(node.connection.knownHosts == fleet.knownHostsPath)
                #expect(node.connection.hostKeyPolicy == .strict)
                #expect(node.connection.credential == .passwordEnv("VOS_SIM_PASSWORD"))
            }
            #expect(inventory.clusters[0].cuic.map(\.coresidentLiveData) == [true, true])
            #expect(inventory.clusters[0].cuic.map(\.role) == [.publisher, .subscriber])
            let lines = try String(contentsOfFile: fleet.knownHostsPath, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 4)
            let sub = fleet.node("cuicsub.lab.test")
            #expect(lines.contains { $0 == "[cuicsub.lab.test]:\(sub.port) \(sub.knownHostKey)" })
            #expect(sub.knownHostKey.hasPrefix("ssh-ed25519 AAAA"))
        }
    }

    @Test func labStateFileIsTheTACCase() throws {
        let inventory = try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml")
        let nodes = try StateFile.load(path: repoRoot + "/inventory/lab.sim.yaml", inventory: inventory)
        let byHost = Dictionary(uniqueKeysWithValues: nodes.map { ($0.host, $0) })
        let fp = "https://finessep.uccelab.tac", fs = "https://finesses.uccelab.tac"
        let all = [fp, fp + ":8445", fs, fs + ":8445"]
        #expect(byHost["cuicpub.uccelab.tac"]?.lists[.cuic]?.origins == all)
        #expect(byHost["cuicpub.uccelab.tac"]?.lists[.liveData]?.origins == all)
        #expect(byHost["cuicsub.uccelab.tac"]?.lists[.liveData]?.origins == all + ["http://127.0.0.1:5500"])
        #expect(byHost["cuicsub.uccelab.tac"]?.version == "12.6.2.10000-19")
        // Exactly the three entries of the field capture, in its order.
        let capture = try String(contentsOfFile: fieldCapture("cuic-allowed-origin-list.subscriber.txt"), encoding: .utf8)
        let captured = capture.split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: " ")
            return parts.count == 2 && parts[0].hasSuffix(".") ? String(parts[1]) : nil
        }
        #expect(captured.count == 3)
        #expect(byHost["cuicsub.uccelab.tac"]?.lists[.cuic]?.origins == captured)
        #expect(byHost["finessep.uccelab.tac"]?.lists[.finesse] == CORSList(status: .enabled, origins: []))
        #expect(byHost["finesses.uccelab.tac"]?.lists[.finesse] == CORSList(status: .enabled, origins: []))
    }

    @Test func stateFileRejectsUnknownHostsKeysAndFaults() throws {
        let inventory = try InventoryLoader.parse(yaml: testInventoryYAML, path: "t", environment: [:])
        let bad = """
            defaults: {startup_delay: 1, typo: 2}
            nodes:
              nosuch.lab.test: {}
              cuicpub.lab.test:
                product: finesse
                colour: blue
                delete_menu: semicolon
                faults: [explode, slow_start]
                lists:
                  cuic: {status: enable_all}
                  nonsense: {}
            """
        do {
            _ = try StateFile.parse(yaml: bad, inventory: inventory)
            Issue.record("expected errors")
        } catch let error as StateFileError {
            let text = error.description
            for needle in ["typo", "nosuch.lab.test", "does not match", "colour", "explode", "slow_start", "enable_all exists on Finesse only", "nonsense",
                           "delete_menu: 'semicolon' is not documented or colon"] {
                #expect(text.contains(needle), "missing \(needle) in \(text)")
            }
        }
    }

    @Test func defaultsCoverEveryInventoryNode() throws {
        let inventory = try InventoryLoader.parse(yaml: testInventoryYAML, path: "t", environment: [:])
        let nodes = try StateFile.parse(yaml: "", inventory: inventory)
        #expect(nodes.count == 4)
        let pub = try #require(nodes.first { $0.host == "cuicpub.lab.test" })
        #expect(Set(pub.lists.keys) == [.cuic, .liveData])
        #expect(pub.services.contains { $0.name == "Unified CCE Live Data NGINX Service" })
        let ld = try #require(nodes.first { $0.host == "ld.lab.test" })
        #expect(Set(ld.lists.keys) == [.liveData])
        #expect(nodes.allSatisfy { $0.deleteMenu == .documented })
        let finesse = try #require(nodes.first { $0.host == "finessep.lab.test" })
        #expect(finesse.restartServices(for: .finesse) == ["Cisco Finesse Tomcat", "Cisco Finesse Notification Service"])
    }

    @Test func fleetGeneratorPlantsExactlyWhatPlantedJSONSays() throws {
        let generated = FleetGenerator(nodes: 23, driftEvery: 4).generate()
        let inventory = try InventoryLoader.parse(yaml: generated.inventoryYAML, path: "fleet.yaml", environment: [:])
        let audited = inventory.nodes.filter { $0.node.audit }
        #expect(audited.count == 23)
        #expect(inventory.nodes.filter { !$0.node.audit }.allSatisfy { $0.node.product == .finesse })
        let nodes = try StateFile.parse(yaml: generated.stateYAML, inventory: inventory)
        #expect(generated.drift.count == 6)
        // Every list equals the expected four origins except exactly the planted drift.
        for (cluster, node) in audited {
            let def = try #require(nodes.first { $0.host == node.host })
            let fp = cluster.finesse[0].host, fs = cluster.finesse[1].host
            let expected = ["https://\(fp)", "https://\(fp):8445", "https://\(fs)", "https://\(fs):8445"]
            for kind in node.lists {
                let origins = try #require(def.lists[kind]?.origins)
                let drift = generated.drift.first { $0.host == node.host && $0.list == kind.rawValue }
                #expect(Set(expected).subtracting(origins) == Set(drift?.missing ?? []), "\(node.host) \(kind)")
                #expect(Set(origins).subtracting(expected) == Set(drift?.extra ?? []), "\(node.host) \(kind)")
            }
        }
        let json = try JSONSerialization.jsonObject(with: FleetGenerator.plantedJSON(generated.drift, nodes: 23)) as? [String: Any]
        #expect(json?["nodes"] as? Int == 23)
        #expect((json?["drift"] as? [Any])?.count == 6)
    }

    /// The layout repeats every ten nodes; drift must still land on every kind of node whatever K, so that
    /// publisher/subscriber asymmetry shows up in a fleet audit.
    @Test func plantedDriftReachesPublishersSubscribersAndLiveDataNodes() {
        for k in [5, 7, 10] {
            let drift = FleetGenerator(nodes: 500, driftEvery: k).generate().drift
            let kinds = Set(drift.map { String($0.host.prefix { $0 != "." }) })
            #expect(kinds == ["cuicpub", "cuicsub", "ld"], "K = \(k): \(kinds)")
            #expect(abs(drift.count - 500 / k) <= 500 / k / 10 + 1, "K = \(k): \(drift.count) drifted lists")
        }
    }

    @Test func ctrCounterCarriesAcrossTheLowWord() {
        var counter = CounterBlock([0, 0, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        counter.advance(blocks: 1)
        #expect(counter.bytes == [0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0])
        counter.advance(blocks: 3)
        #expect(counter.bytes.suffix(1) == [3])
    }

    @Test func keyboardInteractiveShimTranslatesOnlyAuthMessages() {
        var shim = KeyboardInteractiveShim()
        var failure = SSHWireWriter()
        failure.byte(51); failure.string("password,hostbased"); failure.byte(0)
        var expected = SSHWireWriter()
        expected.byte(51); expected.string("password,keyboard-interactive"); expected.byte(0)
        #expect(shim.outbound(failure.bytes) == expected.bytes)

        var request = SSHWireWriter()
        request.byte(50); request.string("admin"); request.string("ssh-connection"); request.string("keyboard-interactive")
        request.string(""); request.string("")
        var none = SSHWireWriter()
        none.byte(50); none.string("admin"); none.string("ssh-connection"); none.string("none")
        #expect(shim.inbound(request.bytes) == none.bytes)
        let prompt = shim.outbound(failure.bytes)
        #expect(prompt?.first == 60)
        var response = SSHWireWriter()
        response.byte(61); response.uint32(1); response.string("pw")
        var password = SSHWireWriter()
        password.byte(50); password.string("admin"); password.string("ssh-connection"); password.string("password")
        password.byte(0); password.string(KeyboardInteractiveShim.passwordMarker + "pw")
        #expect(shim.inbound(response.bytes) == password.bytes)
        #expect(shim.outbound([52]) == nil)
        // After success nothing is touched, not even a stray 61.
        #expect(shim.inbound(response.bytes) == nil)
        #expect(shim.inbound([94, 0, 0, 0, 0]) == nil)
    }

    @Test func unresolvableOnlyUnderInvalidAndNotInTheFiles() async throws {
        let inventory = try InventoryLoader.parse(yaml: testInventoryYAML.replacingOccurrences(of: "ld.lab.test", with: "ld.lab.invalid"),
                                                  path: "t", environment: [:])
        #expect(throws: StateFileError.self) {
            try StateFile.parse(yaml: "nodes:\n  cuicpub.lab.test: {faults: [unresolvable]}\n", inventory: inventory)
        }
        let nodes = try StateFile.parse(yaml: "nodes:\n  ld.lab.invalid: {faults: [unresolvable]}\n", inventory: inventory)
        let fleet = try await Simulation.start(inventory: inventory, nodes: nodes, options: SimulatorOptions(password: "x", threads: 1))
        try await fleet.use { fleet in
            let sim = try #require(fleet.simulator)
            let yaml = sim.inventoryYAML(knownHostsPath: "/k")
            let written = try InventoryLoader.parse(yaml: yaml, path: "w", environment: [:])
            let ld = try #require(written.nodes.first { $0.node.host == "ld.lab.invalid" }?.node)
            #expect(ld.connection.address == "ld.lab.invalid")
            #expect(!sim.knownHostsText().contains("ld.lab.invalid"))
            #expect(sim.listingLines().contains { $0.hasPrefix("ld.lab.invalid ld.lab.invalid (unresolvable)") })
        }
    }

    @Test func unknownFaultNamesTheKnownOnes() throws {
        let inventory = try InventoryLoader.parse(yaml: testInventoryYAML, path: "t", environment: [:])
        do {
            _ = try StateFile.parse(yaml: "nodes:\n  cuicpub.lab.test: {faults: [slow_pager]}\n", inventory: inventory)
            Issue.record("an unknown fault was accepted")
        } catch let error as StateFileError {
            #expect(error.description.contains("unknown fault 'slow_pager'"))
            #expect(error.description.contains("endless_pager, oversize_output, drip_output"))
        }
    }
}

@Suite("layouts")
struct LayoutTests {
    @Test func addressesLayoutGivesEachNodeItsOwnLoopbackAddress() async throws {
        let inv = try InventoryLoader.parse(yaml: testInventoryYAML, path: "t", environment: [:])
        let nodes = try StateFile.parse(yaml: "nodes:\n  ld.lab.test:\n    faults: [refuse]\n", inventory: inv,
                                        timing: SimulationTiming(startupDelay: 0.01, commandDelay: 0.01))
        // A fixed port shared by all addresses; pick one unlikely to be taken, retry a few.
        var started: Simulation?
        for attempt in 0..<5 where started == nil {
            let port = 20000 + Int.random(in: 0..<20000) + attempt
            started = try? await Simulation.start(inventory: inv, nodes: nodes,
                options: SimulatorOptions(layout: .addresses, baseAddress: "127.0.0.2", port: port, password: testPassword, threads: 1))
        }
        let fleet = try #require(started)
        try await fleet.use { fleet in
            let sim = try #require(fleet.simulator)
            #expect(sim.nodes.map(\.address) == ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"])
            #expect(Set(sim.nodes.map(\.port)).count == 1)
            #expect(sim.knownHostsText().contains("[cuicpub.lab.test]:\(sim.nodes[0].port) ssh-ed25519 "))
            let ok = await fleet.session("cuicsub.lab.test", login + command("show myself"))
            #expect(ok.error == nil, "\(String(describing: ok.error))")
            let refused = await fleet.session("ld.lab.test", login)
            #expect(refused.error?.kind == .refused)
        }
    }
}

@Suite("fleet with random faults")
struct FleetFaultTests {
    @Test func faultRatePlantsExactlyThatShareReproduciblyBySeed() throws {
        let a = FleetGenerator(nodes: 200, faultRate: 0.1, seed: 7).generate()
        let b = FleetGenerator(nodes: 200, faultRate: 0.1, seed: 7).generate()
        let c = FleetGenerator(nodes: 200, faultRate: 0.1, seed: 8).generate()
        #expect(a.faults.count == 20)
        #expect(Set(a.faults.map(\.host)).count == 20)
        #expect(a.faults == b.faults && a.stateYAML == b.stateYAML)
        #expect(a.faults != c.faults)
        #expect(a.faults.allSatisfy { FleetGenerator.faultPool.contains($0.fault) })
        // The state file carries them, and planted.json lists them.
        let inventory = try InventoryLoader.parse(yaml: a.inventoryYAML, path: "fleet.yaml", environment: [:])
        let nodes = try StateFile.parse(yaml: a.stateYAML, inventory: inventory)
        let faulty = nodes.filter { !$0.faults.isEmpty }
        #expect(Set(faulty.map(\.host)) == Set(a.faults.map(\.host)))
        #expect(faulty.allSatisfy { n in n.faults.map(\.name) == [a.faults.first { $0.host == n.host }!.fault] })
        let json = try JSONSerialization.jsonObject(with: FleetGenerator.plantedJSON(a.drift, faults: a.faults, nodes: 200)) as! [String: Any]
        #expect((json["faults"] as? [[String: String]])?.count == 20)
        #expect(FleetGenerator(nodes: 200).generate().faults.isEmpty)
        #expect(a.inventoryYAML.contains("timeouts: {connect: 10, login: 90, command: 60}"))
        #expect(FleetGenerator(nodes: 2, timeouts: (2, 3.5, 4)).generate().inventoryYAML.contains("timeouts: {connect: 2, login: 3.5, command: 4}"))
    }
}
