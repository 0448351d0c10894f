import AuditCore
import Foundation
import SSHClient
import Testing
import TestSupport
@testable import VOSSimulator

/// The faults a node shows before its first prompt (connection, SSH handshake, host key, authentication,
/// start-up), seen through our libssh2 client.
@Suite("faults before the prompt through libssh2")
struct LoginFaultTests {
    @Test func refuseMeansNothingListens() async throws {
        let fleet = try await faultyFleet("[refuse]")
        try await fleet.use { fleet in
            let result = await fleet.session("cuicpub.lab.test", login)
            #expect(result.error?.kind == .refused, "\(String(describing: result.error))")
            #expect(result.driverResult == nil)
            // The other nodes are unaffected.
            let other = await fleet.session("cuicsub.lab.test", login)
            #expect(other.error == nil)
        }
    }

    @Test func silentNodeAcceptsAndNeverSpeaks() async throws {
        let fleet = try await faultyFleet("[silent]")
        try await fleet.use { fleet in
            let start = ContinuousClock.now
            let result = await faultSession(fleet, "cuicpub.lab.test", login)
            #expect(result.error?.kind == .handshakeTimeout, "\(String(describing: result.error))")
            #expect(result.error?.message.contains("no SSH identification received") == true)
            #expect(ContinuousClock.now - start < .seconds(5))
        }
    }

    @Test func garbageBannerIsAnHTTPAnswer() async throws {
        let fleet = try await faultyFleet("[garbage_banner]")
        try await fleet.use { fleet in
            let result = await faultSession(fleet, "cuicpub.lab.test", login)
            #expect(result.error?.kind == .protocolError, "\(String(describing: result.error))")
            #expect(result.error?.message.contains("the last line the server sent was \"Connection: close\"") == true,
                    "\(String(describing: result.error))")
        }
    }

    /// swift-nio-ssh hangs up once it sees no common cipher; the client still names the gap
    /// (it used to call this a protocol error: libssh2 reports it with another code than KEX_FAILURE).
    @Test func noCommonAlgorithmNamesTheCipherGap() async throws {
        let fleet = try await faultyFleet("[no_common_algorithm]")
        try await fleet.use { fleet in
            let result = await faultSession(fleet, "cuicpub.lab.test", login)
            guard case .noCommonAlgorithm(let ours, let theirs) = result.error?.kind else {
                Issue.record("expected no common algorithm, got \(String(describing: result.error))")
                return
            }
            #expect(ours.contains("aes256-ctr"))
            #expect(theirs?.contains("aes256-gcm@openssh.com") == true && theirs?.contains("-ctr") == false, "\(theirs ?? "-")")
            #expect(result.error?.message.hasSuffix("no common cipher") == true, "\(result.error!.message)")
        }
    }

    @Test func wrongHostKeyFailsStrictChecking() async throws {
        let fleet = try await faultyFleet("[wrong_host_key]")
        try await fleet.use { fleet in
            let result = await fleet.session("cuicpub.lab.test", login)
            guard case .hostKeyChanged = result.error?.kind else {
                Issue.record("expected a changed host key, got \(String(describing: result.error))")
                return
            }
        }
    }

    @Test(arguments: [HostKeyPolicy.strict, .acceptNew, .off])
    func changedHostKeyUnderEachPolicy(policy: HostKeyPolicy) async throws {
        let fleet = try await faultyFleet("[wrong_host_key]")
        try await fleet.use { fleet in
            let result = await faultSession(fleet, "cuicpub.lab.test", login, policy: policy)
            if policy == .off {
                #expect(result.error == nil, "\(String(describing: result.error))")
            } else {
                guard case .hostKeyChanged = result.error?.kind else {
                    Issue.record("expected a changed host key, got \(String(describing: result.error))")
                    return
                }
            }
        }
    }

    @Test(arguments: [HostKeyPolicy.strict, .acceptNew, .off])
    func unknownHostKeyUnderEachPolicy(policy: HostKeyPolicy) async throws {
        let fleet = try await faultyFleet("[unknown_host_key]")
        try await fleet.use { fleet in
            let known = try String(contentsOfFile: fleet.knownHostsPath, encoding: .utf8)
            #expect(!known.contains("cuicpub.lab.test") && known.contains("cuicsub.lab.test"))
            let result = await faultSession(fleet, "cuicpub.lab.test", login, policy: policy)
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
    }

    @Test func rejectAuthRejectsTheRightPassword() async throws {
        let fleet = try await faultyFleet("[reject_auth]")
        try await fleet.use { fleet in
            let result = await fleet.session("cuicpub.lab.test", login)
            guard case .authRejected = result.error?.kind else {
                Issue.record("expected auth rejected, got \(String(describing: result.error))")
                return
            }
        }
    }

    @Test func wrongPasswordIsRejected() async throws {
        let fleet = try await faultyFleet("[]")
        try await fleet.use { fleet in
            let result = await fleet.session("cuicpub.lab.test", login, password: "nope")
            guard case .authRejected = result.error?.kind else {
                Issue.record("expected auth rejected, got \(String(describing: result.error))")
                return
            }
        }
    }

    @Test func keyboardInteractiveOnlyLogsInByAnsweringThePrompt() async throws {
        let fleet = try await faultyFleet("[keyboard_interactive_only]")
        try await fleet.use { fleet in
            let result = await fleet.session("cuicpub.lab.test", login + command("show version active"))
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(result.info.authMethod == "keyboard-interactive")
            #expect(result.driverResult?.completedSteps == 3)
            // A node offering both: our client logs in (by whichever it prefers) too.
            let both = await fleet.session("cuicsub.lab.test", login)
            #expect(both.error == nil)
            #expect(["password", "keyboard-interactive"].contains(both.info.authMethod ?? ""))
        }
    }

    @Test func keyboardInteractiveAskingForACodeIsNotAnswered() async throws {
        let fleet = try await faultyFleet("[kbd_int_unexpected_prompt]")
        try await fleet.use { fleet in
            let result = await faultSession(fleet, "cuicpub.lab.test", login)
            #expect(result.error?.kind == .unexpectedKeyboardInteractivePrompt("Verification code: "), "\(String(describing: result.error))")
            #expect(result.driverResult == nil)
        }
    }

    @Test func neverPromptPrintsTheStartupLineThenNothing() async throws {
        let fleet = try await faultyFleet("[never_prompt]")
        try await fleet.use { fleet in
            let result = await fleet.session("cuicpub.lab.test", login + command("show version active"), stepTimeout: .milliseconds(800))
            let driver = try #require(result.driverResult)
            #expect(driver.deadlineFired)
            #expect(driver.completedSteps == 0)
            #expect(driver.text == "Command Line Interface is starting up, please wait ...\r\n")
        }
    }

    @Test func slowStartDelaysThePrompt() async throws {
        let fleet = try await faultyFleet("[{slow_start: 1.0}]")
        try await fleet.use { fleet in
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
    }
}

/// The faults a node shows at its prompt (what the CLI prints, how it pages, asks and drops), seen through our
/// libssh2 client.
@Suite("faults at the prompt through libssh2")
struct CommandFaultTests {
    @Test func dropMidOutputCutsTheConnectionInsideAList() async throws {
        let fleet = try await faultyFleet("[drop_mid_output]")
        try await fleet.use { fleet in
            let result = await fleet.session("cuicpub.lab.test", login + command("utils cuic cors allowed_origin list"),
                                             ending: .waitForEOF)
            let driver = try #require(result.driverResult)
            #expect(driver.completedSteps == 2)  // the prompt, the command sent; never the next prompt
            #expect(driver.sawEndOfFile || result.error != nil)
            #expect(driver.text.hasSuffix("utils cuic cors allowed_origin list\r\n\r\ncors_allowedorigins \r\n=========================== \r\n1. https://a.lab.test \r\n"))
        }
    }

    @Test func garbageOutputIsBinaryJunkThenThePrompt() async throws {
        let fleet = try await faultyFleet("[garbage_output]")
        try await fleet.use { fleet in
            let result = await fleet.session("cuicpub.lab.test", login + command("utils cuic cors allowed_origin list"))
            let driver = try #require(result.driverResult)
            #expect(driver.completedSteps == 3)
            let bytes = driver.transcript
            #expect(bytes.contains(0xFF) && bytes.contains(0x00) && bytes.contains(0x07))
            #expect(!driver.text.contains("cors_allowedorigins"))
        }
    }

    @Test func unknownOutputIsTextNoParserKnows() async throws {
        let fleet = try await faultyFleet("[unknown_output]")
        try await fleet.use { fleet in
            let result = await fleet.session("cuicpub.lab.test", login + command("utils cuic cors status"))
            let out = outputs(of: try #require(result.driverResult).text)
            let status = try #require(out["utils cuic cors status"])
            #expect(status.trimmingCharacters(in: .whitespacesAndNewlines) == "CORS filter mode: 3 (pending reconciliation, see /var/log/active/cors.trc)", "\(status)")
        }
    }

    @Test func confirmPromptAsksFirstAndOnlyYesRuns() async throws {
        let fleet = try await faultyFleet("[confirm_prompt]")
        try await fleet.use { fleet in
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

    @Test func endlessPagerPagesWhateverThePaginationSetting() async throws {
        let fleet = try await faultyFleet("[endless_pager]")
        try await fleet.use { fleet in
            let pager = "<space> for one page, or <q> to quit\u{1B}[0m"
            var script = login + command("set cli pagination off") + [.send("utils cuic cors allowed_origin list\r"), .expect(pager)]
            for _ in 0..<50 { script += [.send(" "), .expect(pager)] }
            script += [.send("q"), .expect(prompt)]
            let result = await faultSession(fleet, "cuicpub.lab.test", script)
            let driver = try #require(result.driverResult)
            #expect(driver.completedSteps == script.count, "\(driver.text.suffix(300))")
            #expect(driver.text.contains("51. https://page51.lab.test \r\n"))
        }
    }

    @Test func oversizeOutputPrintsPastTheCapThenThePrompt() async throws {
        let fleet = try await faultyFleet("[{oversize_output: 300000}]")
        try await fleet.use { fleet in
            let result = await faultSession(fleet, "cuicpub.lab.test", login + command("set cli pagination off")
                + command("utils cuic cors allowed_origin list"))
            let driver = try #require(result.driverResult)
            #expect(driver.completedSteps == 5)
            let list = try #require(outputs(of: driver.text)["utils cuic cors allowed_origin list"])
            #expect(list.utf8.count >= 300_000 && list.utf8.count < 400_000)
            #expect(list.hasPrefix("\r\ncors_allowedorigins \r\n=========================== \r\n1. https://filler1.lab.test \r\n"))
        }
    }

    @Test func dripOutputSendsEveryByteOnItsOwnAndTheTextIsUnchanged() async throws {
        let fleet = try await faultyFleet("[{drip_output: 0.001}]")
        try await fleet.use { fleet in
            let script = login + command("set cli pagination off") + command("utils cuic cors allowed_origin list")
            let dripped = await faultSession(fleet, "cuicpub.lab.test", script, stepTimeout: .seconds(20))
            let a = try #require(dripped.driverResult)
            #expect(a.completedSteps == 5)
            #expect(outputs(of: a.text)["utils cuic cors allowed_origin list"]
                == "\r\ncors_allowedorigins \r\n=========================== \r\n1. https://a.lab.test \r\n2. https://b.lab.test \r\n"
                + "3. https://c.lab.test \r\n4. https://d.lab.test \r\n \r\n")
            #expect(a.text.contains("Welcome to the Platform Command Line Interface"))
            // Byte by byte: the list's ~150 bytes alone take 150 pauses.
            #expect(a.stepTimes[2] - a.stepTimes[1] >= .milliseconds(150))
        }
    }
}
