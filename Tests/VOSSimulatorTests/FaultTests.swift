import AuditCore
import Foundation
import SSHClient
import Testing
import TestSupport
@testable import VOSSimulator

/// Every fault of the state file, seen through our libssh2 client.
@Suite("faults through libssh2")
struct FaultTests {
    static func fleet(_ faults: String, host: String = "cuicpub.lab.test") async throws -> Simulation {
        try await Simulation.fleet(state: """
            nodes:
              \(host):
                faults: \(faults)
                lists:
                  cuic: {status: enabled, origins: [https://a.lab.test, https://b.lab.test, https://c.lab.test, https://d.lab.test]}
            """)
    }

    @Test func refuseMeansNothingListens() async throws {
        let fleet = try await Self.fleet("[refuse]")
        defer { Task { try await fleet.stop() } }
        let result = await fleet.session("cuicpub.lab.test", login)
        #expect(result.error?.kind == .refused, "\(String(describing: result.error))")
        #expect(result.driverResult == nil)
        // The other nodes are unaffected.
        let other = await fleet.session("cuicsub.lab.test", login)
        #expect(other.error == nil)
    }

    @Test func wrongHostKeyFailsStrictChecking() async throws {
        let fleet = try await Self.fleet("[wrong_host_key]")
        defer { Task { try await fleet.stop() } }
        let result = await fleet.session("cuicpub.lab.test", login)
        guard case .hostKeyChanged = result.error?.kind else {
            Issue.record("expected a changed host key, got \(String(describing: result.error))")
            return
        }
    }

    @Test func rejectAuthRejectsTheRightPassword() async throws {
        let fleet = try await Self.fleet("[reject_auth]")
        defer { Task { try await fleet.stop() } }
        let result = await fleet.session("cuicpub.lab.test", login)
        guard case .authRejected = result.error?.kind else {
            Issue.record("expected auth rejected, got \(String(describing: result.error))")
            return
        }
    }

    @Test func wrongPasswordIsRejected() async throws {
        let fleet = try await Self.fleet("[]")
        defer { Task { try await fleet.stop() } }
        let result = await fleet.session("cuicpub.lab.test", login, password: "nope")
        guard case .authRejected = result.error?.kind else {
            Issue.record("expected auth rejected, got \(String(describing: result.error))")
            return
        }
    }

    @Test func keyboardInteractiveOnlyLogsInByAnsweringThePrompt() async throws {
        let fleet = try await Self.fleet("[keyboard_interactive_only]")
        defer { Task { try await fleet.stop() } }
        let result = await fleet.session("cuicpub.lab.test", login + command("show version active"))
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.info.authMethod == "keyboard-interactive")
        #expect(result.driverResult?.completedSteps == 3)
        // A node offering both: our client logs in (by whichever it prefers) too.
        let both = await fleet.session("cuicsub.lab.test", login)
        #expect(both.error == nil)
        #expect(["password", "keyboard-interactive"].contains(both.info.authMethod ?? ""))
    }

    @Test func neverPromptPrintsTheStartupLineThenNothing() async throws {
        let fleet = try await Self.fleet("[never_prompt]")
        defer { Task { try await fleet.stop() } }
        let result = await fleet.session("cuicpub.lab.test", login + command("show version active"), stepTimeout: .milliseconds(800))
        let driver = try #require(result.driverResult)
        #expect(driver.deadlineFired)
        #expect(driver.completedSteps == 0)
        #expect(driver.text == "Command Line Interface is starting up, please wait ...\r\n")
    }

    @Test func dropMidOutputCutsTheConnectionInsideAList() async throws {
        let fleet = try await Self.fleet("[drop_mid_output]")
        defer { Task { try await fleet.stop() } }
        let result = await fleet.session("cuicpub.lab.test", login + command("utils cuic cors allowed_origin list"),
                                         ending: .waitForEOF)
        let driver = try #require(result.driverResult)
        #expect(driver.completedSteps == 2)  // the prompt, the command sent; never the next prompt
        #expect(driver.sawEndOfFile || result.error != nil)
        #expect(driver.text.hasSuffix("utils cuic cors allowed_origin list\r\n\r\ncors_allowedorigins \r\n=========================== \r\n1. https://a.lab.test \r\n"))
    }

    @Test func garbageOutputIsBinaryJunkThenThePrompt() async throws {
        let fleet = try await Self.fleet("[garbage_output]")
        defer { Task { try await fleet.stop() } }
        let result = await fleet.session("cuicpub.lab.test", login + command("utils cuic cors allowed_origin list"))
        let driver = try #require(result.driverResult)
        #expect(driver.completedSteps == 3)
        let bytes = driver.transcript
        #expect(bytes.contains(0xFF) && bytes.contains(0x00) && bytes.contains(0x07))
        #expect(!driver.text.contains("cors_allowedorigins"))
    }

    @Test func unknownOutputIsTextNoParserKnows() async throws {
        let fleet = try await Self.fleet("[unknown_output]")
        defer { Task { try await fleet.stop() } }
        let result = await fleet.session("cuicpub.lab.test", login + command("utils cuic cors status"))
        let out = outputs(of: try #require(result.driverResult).text)
        let status = try #require(out["utils cuic cors status"])
        #expect(!status.lowercased().contains("enabled") && !status.lowercased().contains("disabled"))
        #expect(!status.isEmpty)
    }

    @Test func slowStartDelaysThePrompt() async throws {
        let fleet = try await Self.fleet("[{slow_start: 1.0}]")
        defer { Task { try await fleet.stop() } }
        let result = await fleet.session("cuicpub.lab.test", login)
        let driver = try #require(result.driverResult)
        #expect(driver.completedSteps == 1)
        #expect(driver.stepTimes[0] >= .milliseconds(950))
        // The map form of faults works too.
        let nodes = try StateFile.parse(yaml: "nodes:\n  cuicpub.lab.test:\n    faults: {slow_start: 2, refuse: false, reject_auth: true}\n",
                                        inventory: InventoryLoader.parse(yaml: testInventoryYAML, path: "t", environment: [:]))
        #expect(nodes.first { $0.host == "cuicpub.lab.test" }?.faults == [.rejectAuth, .slowStart(2)]
            || nodes.first { $0.host == "cuicpub.lab.test" }?.faults == [.slowStart(2), .rejectAuth])
    }

    @Test func confirmPromptAsksFirstAndOnlyYesRuns() async throws {
        let fleet = try await Self.fleet("[confirm_prompt]")
        defer { Task { try await fleet.stop() } }
        let result = await fleet.session("cuicpub.lab.test", login
            + [.send("utils cuic cors status\r"), .expect("Continue (y/n)?"), .send("n\r"), .expect(prompt)]
            + [.send("utils cuic cors status\r"), .expect("Continue (y/n)?"), .send("y\r"), .expect(prompt)]
            + command("show version active"))
        let driver = try #require(result.driverResult)
        #expect(driver.completedSteps == 11)
        let text = driver.text
        #expect(text.contains("Continue (y/n)?n\r\n\r\n" + prompt))
        #expect(text.contains("Continue (y/n)?y\r\nCORS status: enabled\r\n" + prompt))
        // Non-CORS commands do not ask.
        #expect(text.contains("show version active\r\nActive Master Version"))
    }
}
