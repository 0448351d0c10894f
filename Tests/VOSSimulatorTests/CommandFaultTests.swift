import AuditCore
import Foundation
import SSHClient
import Testing
import TestSupport
@testable import VOSSimulator

/// The faults a node shows at its prompt (what the CLI prints, how it pages, asks and drops), seen through our
/// libssh2 client.
@Suite("faults at the prompt through libssh2")
struct CommandFaultTests {
    @Test func dropMidOutputCutsTheConnectionInsideAList() async throws {
        let fleet = try await faultyFleet("[drop_mid_output]")
        defer { Task { try await fleet.stop() } }
        let result = await fleet.session("cuicpub.lab.test", login + command("utils cuic cors allowed_origin list"),
                                         ending: .waitForEOF)
        let driver = try #require(result.driverResult)
        #expect(driver.completedSteps == 2)  // the prompt, the command sent; never the next prompt
        #expect(driver.sawEndOfFile || result.error != nil)
        #expect(driver.text.hasSuffix("utils cuic cors allowed_origin list\r\n\r\ncors_allowedorigins \r\n=========================== \r\n1. https://a.lab.test \r\n"))
    }

    @Test func garbageOutputIsBinaryJunkThenThePrompt() async throws {
        let fleet = try await faultyFleet("[garbage_output]")
        defer { Task { try await fleet.stop() } }
        let result = await fleet.session("cuicpub.lab.test", login + command("utils cuic cors allowed_origin list"))
        let driver = try #require(result.driverResult)
        #expect(driver.completedSteps == 3)
        let bytes = driver.transcript
        #expect(bytes.contains(0xFF) && bytes.contains(0x00) && bytes.contains(0x07))
        #expect(!driver.text.contains("cors_allowedorigins"))
    }

    @Test func unknownOutputIsTextNoParserKnows() async throws {
        let fleet = try await faultyFleet("[unknown_output]")
        defer { Task { try await fleet.stop() } }
        let result = await fleet.session("cuicpub.lab.test", login + command("utils cuic cors status"))
        let out = outputs(of: try #require(result.driverResult).text)
        let status = try #require(out["utils cuic cors status"])
        #expect(!status.lowercased().contains("enabled") && !status.lowercased().contains("disabled"))
        #expect(!status.isEmpty)
    }

    @Test func confirmPromptAsksFirstAndOnlyYesRuns() async throws {
        let fleet = try await faultyFleet("[confirm_prompt]")
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

    @Test func endlessPagerPagesWhateverThePaginationSetting() async throws {
        let fleet = try await faultyFleet("[endless_pager]")
        defer { Task { try await fleet.stop() } }
        let pager = "<space> for one page, or <q> to quit\u{1B}[0m"
        var script = login + command("set cli pagination off") + [.send("utils cuic cors allowed_origin list\r"), .expect(pager)]
        for _ in 0..<50 { script += [.send(" "), .expect(pager)] }
        script += [.send("q"), .expect(prompt)]
        let result = await faultSession(fleet, "cuicpub.lab.test", script)
        let driver = try #require(result.driverResult)
        #expect(driver.completedSteps == script.count, "\(driver.text.suffix(300))")
        #expect(driver.text.contains("51. https://page51.lab.test \r\n"))
    }

    @Test func oversizeOutputPrintsPastTheCapThenThePrompt() async throws {
        let fleet = try await faultyFleet("[{oversize_output: 300000}]")
        defer { Task { try await fleet.stop() } }
        let result = await faultSession(fleet, "cuicpub.lab.test", login + command("set cli pagination off")
            + command("utils cuic cors allowed_origin list"))
        let driver = try #require(result.driverResult)
        #expect(driver.completedSteps == 5)
        let list = try #require(outputs(of: driver.text)["utils cuic cors allowed_origin list"])
        #expect(list.utf8.count >= 300_000 && list.utf8.count < 400_000)
        #expect(list.hasPrefix("\r\ncors_allowedorigins \r\n=========================== \r\n1. https://filler1.lab.test \r\n"))
    }

    @Test func dripOutputSendsEveryByteOnItsOwnAndTheTextIsUnchanged() async throws {
        let fleet = try await faultyFleet("[{drip_output: 0.001}]")
        defer { Task { try await fleet.stop() } }
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
