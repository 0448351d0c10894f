import AuditCore
import Foundation
import SSHClient
import Testing
import TestSupport
@testable import VOSSimulator

/// Our libssh2 client against vos-sim over real SSH on loopback: the normal conversation.
@Suite("libssh2 against vos-sim")
struct Libssh2SessionTests {
    static let labState = """
        nodes:
          cuicsub.lab.test:
            version: 12.6.2.10000-19
            lists:
              cuic:
                status: enabled
                origins: [https://finessep.lab.test, https://finessep.lab.test:8445]
              live-data:
                status: disabled
                origins: []
          finessep.lab.test:
            lists:
              finesse: {status: enable_all, origins: [https://cuicpub.lab.test]}
        """

    @Test func normalSessionNegotiatesCTRAndPrintsExactOutputs() async throws {
        let fleet = try await Simulation.fleet(state: Self.labState)
        try await fleet.use { fleet in
            let result = await fleet.session("cuicsub.lab.test", login
                + command("set cli pagination off")
                + command("show version active")
                + command("utils cuic cors status")
                + command("utils cuic cors allowed_origin list")
                + command("utils live-data cors status")
                + command("utils live-data cors allowed_origin list")
                + command("show myself")
                + command("utils finesse cors status")
                + command("frobnicate"))
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(result.info.cipherClientToServer == "aes128-ctr" || result.info.cipherClientToServer == "aes256-ctr")
            #expect(result.info.macClientToServer == "hmac-sha2-256")
            #expect(result.info.hostKeyType?.contains("ed25519") == true)
            let driver = try #require(result.driverResult)
            #expect(driver.completedSteps == 19)
            let text = driver.text
            #expect(text.hasPrefix("Command Line Interface is starting up, please wait ...\r\n"))
            #expect(text.contains("Welcome to the Platform Command Line Interface"))
            let out = outputs(of: text)
            #expect(out["set cli pagination off"] == "Automatic pagination is turned off\r\n")
            #expect(out["show version active"] == "Active Master Version: 12.6.2.10000-19\r\nActive Version Installed Software Options:\r\nNo Installed Software Options Found.\r\n")
            #expect(out["utils cuic cors status"] == "CORS status: enabled\r\n")
            #expect(out["utils cuic cors allowed_origin list"]
                == "\r\ncors_allowedorigins \r\n=========================== \r\n1. https://finessep.lab.test \r\n2. https://finessep.lab.test:8445 \r\n \r\n")
            #expect(out["utils live-data cors status"] == "CORS status: disabled\r\n")
            #expect(out["utils live-data cors allowed_origin list"] == "\r\ncors_allowedorigins \r\n=========================== \r\n \r\n")
            #expect(out["show myself"]?.hasPrefix("Machine Name    : cuicsub\r\naccount name    : admin\r\n") == true)
            // A CUIC node has no Finesse list.
            #expect(out["utils finesse cors status"] == "Executed command unsuccessfully\r\n")
            #expect(out["frobnicate"] == "Invalid command: frobnicate\r\nExecuted command unsuccessfully\r\n")
        }
    }

    @Test func finesseListsAndStatus() async throws {
        let fleet = try await Simulation.fleet(state: Self.labState)
        try await fleet.use { fleet in
            let result = await fleet.session("finessep.lab.test", login
                + command("utils finesse cors status")
                + command("utils finesse cors allowed_origin list")
                + command("utils finesse cors allowed_origin delete") .dropLast()
                + [.expect("Select the index of origin(s) to be deleted [1-1 or a,q] "), .send("1\r"), .expect(prompt)]
                + command("utils finesse cors allowed_origin list"))
            #expect(result.error == nil)
            let text = try #require(result.driverResult).text
            let out = outputs(of: text)
            #expect(out["utils finesse cors status"] == "enable_all\r\n")
            #expect(text.contains("The following origin(s) are configured in allowed origins:\r\n1: https://cuicpub.lab.test\r\n"))
            // The guides' Finesse menu: `N: origin` and "origin(s)", no colon after the range.
            #expect(text.contains("\r\n1: https://cuicpub.lab.test\r\na: all\r\nq: quit\r\n\r\nSelect the index of origin(s) to be deleted [1-1 or a,q] 1\r\n"))
            #expect(text.hasSuffix("Currently no origins are configured in allowed origins.\r\n" + prompt))
        }
    }

    @Test func paginationStopsLongOutputUntilSpaceEnterOrQ() async throws {
        let fleet = try await Simulation.fleet()
        try await fleet.use { fleet in
            let pager = "\u{1B}[1mPress <enter> for 1 line, <space> for one page, or <q> to quit\u{1B}[0m"
            let result = await fleet.session("cuicpub.lab.test", login
                + [.send("utils service list\r"), .expect(pager), .send("\r"), .expect(pager), .send(" "), .expect(prompt)]
                + [.send("utils service list\r"), .expect(pager), .send("q"), .expect(prompt)]
                + command("set cli pagination off")
                + command("utils service list"))
            #expect(result.error == nil)
            let text = try #require(result.driverResult).text
            let out = outputs(of: text)
            let full = try #require(out["utils service list"])
            #expect(full.hasPrefix("Requesting service status, please wait...\r\nService Manager is running\r\nSystem NTP [STARTED]\r\n"))
            #expect(full.contains("Intelligence Center Reporting Service[STARTED]\r\n"))
            #expect(full.contains("Unified CCE Live Data NGINX Service[STARTED]\r\n"))
            #expect(full.contains("Name Service Cache [STOPPED]  Service Not Activated\r\n"))
            #expect(full.hasSuffix("Primary Node =true\r\n"))
            #expect(!full.contains("Press <enter>"))
            // The first page is exactly 20 lines, then the pager; a later Enter shows one more line.
            let firstPage = try #require(text.components(separatedBy: pager).first?.components(separatedBy: "utils service list\r\n").last)
            #expect(firstPage.components(separatedBy: "\r\n").count - 1 == 20)
        }
    }

    @Test func echoAndBackspace() async throws {
        let fleet = try await Simulation.fleet()
        try await fleet.use { fleet in
            let result = await fleet.session("cuicpub.lab.test", login + [.send("show versioX\u{7F}n active\r"), .expect(prompt)])
            let text = try #require(result.driverResult).text
            #expect(text.contains("show versioX\u{08} \u{08}n active\r\nActive Master Version: "))
        }
    }
}
