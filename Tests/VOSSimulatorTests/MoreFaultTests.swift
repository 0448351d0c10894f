import AuditCore
import Foundation
import SSHClient
import Testing
import TestSupport
@testable import VOSSimulator

/// The fault matrix's faults (docs/fault-matrix.md), seen through our libssh2 client.
@Suite("more faults through libssh2")
struct MoreFaultTests {
    /// One session against `host` with a short connect timeout.
    static func session(_ fleet: Simulation, _ host: String, _ script: [ScriptDriver.Step], policy: HostKeyPolicy = .strict,
                        stepTimeout: Duration = .seconds(5)) async -> SSHJobResult<ScriptDriver.Result> {
        var target = fleet.target(host)
        target.hostKeyPolicy = policy
        target.connectTimeout = .milliseconds(800)
        let job = SSHJob(target: target) { ScriptDriver(script, ending: .close, stepTimeout: stepTimeout) }
        return await SSHRunner().run([job], deadline: .now + .seconds(60)).first!
    }

    @Test func silentNodeAcceptsAndNeverSpeaks() async throws {
        let fleet = try await FaultTests.fleet("[silent]")
        defer { Task { try await fleet.stop() } }
        let start = ContinuousClock.now
        let result = await Self.session(fleet, "cuicpub.lab.test", login)
        #expect(result.error?.kind == .handshakeTimeout, "\(String(describing: result.error))")
        #expect(result.error?.message.contains("no SSH identification received") == true)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func garbageBannerIsAnHTTPAnswer() async throws {
        let fleet = try await FaultTests.fleet("[garbage_banner]")
        defer { Task { try await fleet.stop() } }
        let result = await Self.session(fleet, "cuicpub.lab.test", login)
        #expect(result.error?.kind == .protocolError, "\(String(describing: result.error))")
        #expect(result.error?.message.contains("the last line the server sent was \"Connection: close\"") == true,
                "\(String(describing: result.error))")
    }

    /// swift-nio-ssh hangs up once it sees no common cipher; the client still names the gap
    /// (it used to call this a protocol error: libssh2 reports it with another code than KEX_FAILURE).
    @Test func noCommonAlgorithmNamesTheCipherGap() async throws {
        let fleet = try await FaultTests.fleet("[no_common_algorithm]")
        defer { Task { try await fleet.stop() } }
        let result = await Self.session(fleet, "cuicpub.lab.test", login)
        guard case .noCommonAlgorithm(let ours, let theirs) = result.error?.kind else {
            Issue.record("expected no common algorithm, got \(String(describing: result.error))")
            return
        }
        #expect(ours.contains("aes256-ctr"))
        #expect(theirs?.contains("aes256-gcm@openssh.com") == true && theirs?.contains("-ctr") == false, "\(theirs ?? "-")")
        #expect(result.error?.message.hasSuffix("no common cipher") == true, "\(result.error!.message)")
    }

    @Test(arguments: [HostKeyPolicy.strict, .acceptNew, .off])
    func unknownHostKeyUnderEachPolicy(policy: HostKeyPolicy) async throws {
        let fleet = try await FaultTests.fleet("[unknown_host_key]")
        defer { Task { try await fleet.stop() } }
        let known = try String(contentsOfFile: fleet.knownHostsPath, encoding: .utf8)
        #expect(!known.contains("cuicpub.lab.test") && known.contains("cuicsub.lab.test"))
        let result = await Self.session(fleet, "cuicpub.lab.test", login, policy: policy)
        switch policy {
        case .strict:
            guard case .hostKeyUnknown(_, let line) = result.error?.kind else {
                Issue.record("expected an unknown host key, got \(String(describing: result.error))")
                return
            }
            #expect(line.hasSuffix(fleet.node("cuicpub.lab.test").knownHostKey), "the line to add is the node's real key")
        case .acceptNew:
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(try String(contentsOfFile: fleet.knownHostsPath, encoding: .utf8).contains("cuicpub.lab.test"))
        case .off:
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(result.info.hostKeyNote?.contains("NOT checked") == true)
        }
    }

    @Test(arguments: [HostKeyPolicy.strict, .acceptNew, .off])
    func changedHostKeyUnderEachPolicy(policy: HostKeyPolicy) async throws {
        let fleet = try await FaultTests.fleet("[wrong_host_key]")
        defer { Task { try await fleet.stop() } }
        let result = await Self.session(fleet, "cuicpub.lab.test", login, policy: policy)
        if policy == .off {
            #expect(result.error == nil, "\(String(describing: result.error))")
        } else {
            guard case .hostKeyChanged = result.error?.kind else {
                Issue.record("expected a changed host key, got \(String(describing: result.error))")
                return
            }
        }
    }

    @Test func keyboardInteractiveAskingForACodeIsNotAnswered() async throws {
        let fleet = try await FaultTests.fleet("[kbd_int_unexpected_prompt]")
        defer { Task { try await fleet.stop() } }
        let result = await Self.session(fleet, "cuicpub.lab.test", login)
        #expect(result.error?.kind == .unexpectedKeyboardInteractivePrompt("Verification code: "), "\(String(describing: result.error))")
        #expect(result.driverResult == nil)
    }

    @Test func endlessPagerPagesWhateverThePaginationSetting() async throws {
        let fleet = try await FaultTests.fleet("[endless_pager]")
        defer { Task { try await fleet.stop() } }
        let pager = "<space> for one page, or <q> to quit\u{1B}[0m"
        var script = login + command("set cli pagination off") + [.send("utils cuic cors allowed_origin list\r"), .expect(pager)]
        for _ in 0..<50 { script += [.send(" "), .expect(pager)] }
        script += [.send("q"), .expect(prompt)]
        let result = await Self.session(fleet, "cuicpub.lab.test", script)
        let driver = try #require(result.driverResult)
        #expect(driver.completedSteps == script.count, "\(driver.text.suffix(300))")
        #expect(driver.text.contains("51. https://page51.lab.test \r\n"))
    }

    @Test func oversizeOutputPrintsPastTheCapThenThePrompt() async throws {
        let fleet = try await FaultTests.fleet("[{oversize_output: 300000}]")
        defer { Task { try await fleet.stop() } }
        let result = await Self.session(fleet, "cuicpub.lab.test", login + command("set cli pagination off")
            + command("utils cuic cors allowed_origin list"))
        let driver = try #require(result.driverResult)
        #expect(driver.completedSteps == 5)
        let list = try #require(outputs(of: driver.text)["utils cuic cors allowed_origin list"])
        #expect(list.utf8.count >= 300_000 && list.utf8.count < 400_000)
        #expect(list.hasPrefix("\r\ncors_allowedorigins \r\n=========================== \r\n1. https://filler1.lab.test \r\n"))
    }

    @Test func dripOutputSendsEveryByteOnItsOwnAndTheTextIsUnchanged() async throws {
        let fleet = try await FaultTests.fleet("[{drip_output: 0.001}]")
        defer { Task { try await fleet.stop() } }
        let script = login + command("set cli pagination off") + command("utils cuic cors allowed_origin list")
        let dripped = await Self.session(fleet, "cuicpub.lab.test", script, stepTimeout: .seconds(20))
        let a = try #require(dripped.driverResult)
        #expect(a.completedSteps == 5)
        #expect(outputs(of: a.text)["utils cuic cors allowed_origin list"]
            == "\r\ncors_allowedorigins \r\n=========================== \r\n1. https://a.lab.test \r\n2. https://b.lab.test \r\n"
            + "3. https://c.lab.test \r\n4. https://d.lab.test \r\n \r\n")
        #expect(a.text.contains("Welcome to the Platform Command Line Interface"))
        // Byte by byte: the list's ~150 bytes alone take 150 pauses.
        #expect(a.stepTimes[2] - a.stepTimes[1] >= .milliseconds(150))
    }

    @Test func unresolvableOnlyUnderInvalidAndNotInTheFiles() async throws {
        let inventory = try InventoryLoader.parse(yaml: testInventoryYAML.replacingOccurrences(of: "ld.lab.test", with: "ld.lab.invalid"),
                                                  path: "t", environment: [:])
        #expect(throws: StateFileError.self) {
            try StateFile.parse(yaml: "nodes:\n  cuicpub.lab.test: {faults: [unresolvable]}\n", inventory: inventory)
        }
        let nodes = try StateFile.parse(yaml: "nodes:\n  ld.lab.invalid: {faults: [unresolvable]}\n", inventory: inventory)
        let fleet = try await Simulation.start(inventory: inventory, nodes: nodes, options: SimulatorOptions(password: "x", threads: 1))
        defer { Task { try await fleet.stop() } }
        let sim = try #require(fleet.simulator)
        let yaml = sim.inventoryYAML(knownHostsPath: "/k")
        let written = try InventoryLoader.parse(yaml: yaml, path: "w", environment: [:])
        let ld = try #require(written.nodes.first { $0.node.host == "ld.lab.invalid" }?.node)
        #expect(ld.connection.address == "ld.lab.invalid")
        #expect(!sim.knownHostsText().contains("ld.lab.invalid"))
        #expect(sim.listingLines().contains { $0.hasPrefix("ld.lab.invalid ld.lab.invalid (unresolvable)") })
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
