import Foundation
import Testing
import TestSupport

/// `host_key_policy: off` through the real binary: the inventory alone never gets a password sent;
/// `--insecure-host-keys` on the command line does.
@Suite(.serialized) struct InsecureHostKeysTests {
    @Test func policyOffNeedsTheCommandLineFlagToSendThePassword() async throws {
        let corsAudit = try #require(builtBinary("cors-audit"), "cors-audit not built next to the test bundle")
        let dir = try temporaryDirectory("insecure-host-keys")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let password = "insecure-host-keys-pw"
        try """
            version: 1
            defaults:
              username: admin
              password_env: VOS_SIM_PASSWORD
              host_key_policy: off
              timeouts: {connect: 2, login: 3, command: 3}
            clusters:
              - name: lab
                finesse:
                  - {host: finessep.lab.test, audit: false}
                cuic:
                  - {host: cuicpub.lab.test, role: publisher, live_data: none}
                live_data: []
            """.write(toFile: dir + "/inventory.yaml", atomically: true, encoding: .utf8)
        try """
            defaults: {startup_delay: 0.05, command_delay: 0.01}
            nodes:
              cuicpub.lab.test:
                faults: [wrong_host_key]
                lists:
                  cuic: {status: enabled, origins: ["https://finessep.lab.test", "https://finessep.lab.test:8445"]}
            """.write(toFile: dir + "/state.yaml", atomically: true, encoding: .utf8)
        try await Simulation.launch(["--inventory", dir + "/inventory.yaml", "--state", dir + "/state.yaml", "--threads", "1"],
                                    password: password).use { sim in
            func audit(_ extra: [String], _ out: String) throws -> (status: Int32, node: [String: Any]) {
                let run = try runProcess(corsAudit, ["audit", "--inventory", sim.inventoryPath, "--output", out, "--no-history",
                                                     "--format", "json", "--timeout", "60"] + extra,
                                         environment: ["VOS_SIM_PASSWORD": password], timeout: .seconds(120))
                let nodes = try readJSON(out + "/report.json")["nodes"] as? [[String: Any]] ?? []
                return (run.status, try #require(nodes.first { $0["host"] as? String == "cuicpub.lab.test" }, "\(run.stderr)"))
            }
            let refused = try audit([], dir + "/without")
            #expect(refused.status == 2)
            #expect(refused.node["status"] as? String == "auth_failed")
            let detail = refused.node["detail"] as? String ?? ""
            #expect(detail.contains("phase auth: host_key_policy is off") && detail.contains("pass --insecure-host-keys"), "\(detail)")

            let allowed = try audit(["--insecure-host-keys"], dir + "/with")
            #expect(allowed.status != 2, "\(allowed.node)")
            #expect(allowed.node["status"] as? String == "audited")
            #expect((allowed.node["notes"] as? [String] ?? []).contains { $0.contains("host key NOT checked (host_key_policy: off)") })
        }
    }
}
