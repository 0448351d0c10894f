import AuditCore
import Foundation
import SSHClient
import Testing
import TestSupport
@testable import VOSSimulator

/// add / delete / enable / disable / restart through libssh2, and configured versus effective state.
@Suite("write commands through libssh2")
struct WriteCommandTests {
    static let state = """
        nodes:
          cuicsub.lab.test:
            # Long enough that a session closed at [STOPPING] is gone before the restart completes.
            restart_delay: 0.5
            lists:
              cuic:
                status: enabled
                origins: [https://finessep.lab.test, https://finesses.lab.test, https://finesses.lab.test:8445]
              live-data:
                status: enabled
                origins: [https://finessep.lab.test, http://127.0.0.1:5500]
          ld.lab.test:
            version: 15.0.1.10000-1
          finessep.lab.test:
            lists:
              finesse: {status: enable_all}
        """

    @Test func addShowsInTheListButTakesEffectOnlyAfterTheRestart() async throws {
        let fleet = try await Simulation.fleet(state: Self.state)
        try await fleet.use { fleet in
            let node = fleet.node("cuicsub.lab.test")
            let before = node.effectiveList(.cuic)
            let result = await fleet.session("cuicsub.lab.test", login
                + command("set cli pagination off")
                + command("utils cuic cors allowed_origin add https://finessep.lab.test:8445,https://proxy.lab.test")
                + command("utils cuic cors allowed_origin list"))
            #expect(result.error == nil)
            let out = outputs(of: try #require(result.driverResult).text)
            #expect(out["utils cuic cors allowed_origin add https://finessep.lab.test:8445,https://proxy.lab.test"]?
                .hasPrefix("Allowed origin(s) added successfully: https://finessep.lab.test:8445,https://proxy.lab.test\r\n") == true)
            #expect(out["utils cuic cors allowed_origin list"]?.contains("4. https://finessep.lab.test:8445 \r\n5. https://proxy.lab.test \r\n") == true)
            #expect(node.configuredList(.cuic)?.origins.count == 5)
            #expect(node.effectiveList(.cuic) == before)
            #expect(!node.allowsPreflight(from: "https://finessep.lab.test:8445", list: .cuic))
            #expect(node.state.pendingRestarts[.cuic] == ["Intelligence Center Reporting Service"])

            // A restart of another service changes nothing; the matching one makes it effective.
            let restart = await fleet.session("cuicsub.lab.test", login
                + command("utils service restart Cisco Tomcat")
                + [.send("utils service restart Intelligence Center Reporting Service\r"), .contains("[STOPPING]")])
            #expect(restart.error == nil)
            // Mid-restart (stopping): not yet effective.
            #expect(node.effectiveList(.cuic) == before)
            let finish = await fleet.session("cuicsub.lab.test", login
                + command("utils service restart Intelligence Center Reporting Service"))
            #expect(finish.error == nil)
            #expect(outputs(of: try #require(finish.driverResult).text)["utils service restart Intelligence Center Reporting Service"]?
                .hasSuffix("Intelligence Center Reporting Service[STARTING]\r\nIntelligence Center Reporting Service[STARTED]\r\n") == true)
            #expect(node.effectiveList(.cuic) == node.configuredList(.cuic))
            #expect(node.allowsPreflight(from: "https://finessep.lab.test:8445", list: .cuic))
            #expect(node.state.pendingRestarts.isEmpty)
        }
    }

    @Test func addValidatesTheOriginsAndTheCommas() async throws {
        let fleet = try await Simulation.fleet(state: Self.state)
        try await fleet.use { fleet in
            let result = await fleet.session("cuicsub.lab.test", login
                + command("utils cuic cors allowed_origin add https://ok.lab.test,ftp://bad.lab.test")
                + command("utils cuic cors allowed_origin add https://a.lab.test, https://b.lab.test")
                + command("utils cuic cors allowed_origin add https://x.lab.test:99999")
                + command("utils cuic cors allowed_origin add https://finessep.lab.test"))
            let out = outputs(of: try #require(result.driverResult).text)
            #expect(out["utils cuic cors allowed_origin add https://ok.lab.test,ftp://bad.lab.test"]
                == "Invalid origin 'ftp://bad.lab.test'. An origin has the form http[s]://host[:port].\r\nExecuted command unsuccessfully\r\n")
            #expect(out["utils cuic cors allowed_origin add https://a.lab.test, https://b.lab.test"]?.hasSuffix("Executed command unsuccessfully\r\n") == true)
            #expect(out["utils cuic cors allowed_origin add https://x.lab.test:99999"]?.hasSuffix("Executed command unsuccessfully\r\n") == true)
            #expect(out["utils cuic cors allowed_origin add https://finessep.lab.test"] == "Origin https://finessep.lab.test is already configured.\r\n")
            // Nothing was added by the failed commands.
            #expect(fleet.node("cuicsub.lab.test").configuredList(.cuic)?.origins.count == 3)
            #expect(OriginSyntax.isValid("http://127.0.0.1:5500"))
            #expect(OriginSyntax.isValid("https://host/"))
            #expect(!OriginSyntax.isValid("https://host/path"))
            #expect(!OriginSyntax.isValid("https://"))
        }
    }

    /// CUIC and Live Data as the guides print them (`N. origin`, nothing after the `]`), and the colon form.
    @Test(arguments: [DeleteMenuForm.documented, .colon])
    func deleteByIndexAllAndQuit(_ form: DeleteMenuForm) async throws {
        let state = Self.state.replacingOccurrences(of: "    restart_delay: 0.5", with: "    restart_delay: 0.5\n    delete_menu: \(form.rawValue)")
        let fleet = try await Simulation.fleet(state: state)
        try await fleet.use { fleet in
            let (sep, after) = form == .colon ? (":", ": ") : (".", "")
            let result = await fleet.session("cuicsub.lab.test", login
                + [.send("utils live-data cors allowed_origin delete\r"), .expect("Select the index of origin to be deleted [1-2 or a,q]" + after),
                   .send("2\r"), .expect(prompt)]
                + [.send("utils cuic cors allowed_origin delete\r"), .expect("[1-3 or a,q]" + after), .send("q\r"), .expect(prompt)]
                + [.send("utils cuic cors allowed_origin delete\r"), .expect("[1-3 or a,q]" + after), .send("7\r"), .expect(prompt)]
                + [.send("utils cuic cors allowed_origin delete\r"), .expect("[1-3 or a,q]" + after), .send("a\r"), .expect(prompt)])
            #expect(result.error == nil)
            let text = try #require(result.driverResult).text
            #expect(text.contains("utils live-data cors allowed_origin delete\r\n\r\n1\(sep) https://finessep.lab.test\r\n2\(sep) http://127.0.0.1:5500\r\na: all\r\nq: quit\r\n\r\nSelect the index of origin to be deleted [1-2 or a,q]\(after)2\r\nOrigin http://127.0.0.1:5500 deleted successfully.\r\n"))
            #expect(text.contains("[1-3 or a,q]\(after)q\r\n" + prompt))
            #expect(text.contains("[1-3 or a,q]\(after)7\r\nInvalid selection '7'.\r\nExecuted command unsuccessfully\r\n"))
            #expect(text.contains("[1-3 or a,q]\(after)a\r\nAll origins deleted successfully.\r\n"))
            let node = fleet.node("cuicsub.lab.test")
            #expect(node.configuredList(.liveData)?.origins == ["https://finessep.lab.test"])
            #expect(node.configuredList(.cuic)?.origins == [])
            // Effective until the restarts.
            #expect(node.effectiveList(.liveData)?.origins == ["https://finessep.lab.test", "http://127.0.0.1:5500"])
            #expect(node.state.pendingRestarts[.liveData] == ["Unified CCE Live Data NGINX Service"])
        }
    }

    @Test func enableDisableAndFinesseNeedsBothRestarts() async throws {
        let fleet = try await Simulation.fleet(state: Self.state)
        try await fleet.use { fleet in
            let result = await fleet.session("finessep.lab.test", login
                + command("utils finesse cors enable")
                + command("utils finesse cors status")
                + command("utils service restart Cisco Finesse Tomcat"))
            #expect(result.error == nil)
            let out = outputs(of: try #require(result.driverResult).text)
            #expect(out["utils finesse cors enable"]?.hasPrefix("Cisco Finesse CORS is enabled now.\r\n") == true)
            #expect(out["utils finesse cors status"] == "enabled\r\n")
            let node = fleet.node("finessep.lab.test")
            #expect(node.effectiveList(.finesse)?.status == .enableAll)
            #expect(node.state.pendingRestarts[.finesse] == ["Cisco Finesse Notification Service"])
            let second = await fleet.session("finessep.lab.test", login + command("utils service restart Cisco Finesse Notification Service"))
            #expect(second.error == nil)
            #expect(node.effectiveList(.finesse)?.status == .enabled)

            // Disable on CUIC, and the 15.0 standalone Live Data node restarts its web proxy.
            let ld = await fleet.session("ld.lab.test", login
                + command("utils live-data cors disable")
                + command("utils service restart Unified CCE Live Data NGINX Service")
                + command("utils service restart Cisco Web Proxy Service"))
            let ldOut = outputs(of: try #require(ld.driverResult).text)
            #expect(ldOut["utils service restart Unified CCE Live Data NGINX Service"]?.hasSuffix("Executed command unsuccessfully\r\n") == true)
            #expect(fleet.node("ld.lab.test").effectiveList(.liveData)?.status == .disabled)
        }
    }
}
