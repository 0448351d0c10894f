import AuditCore
import Collector
import Foundation
import Testing
import TestSupport

@Suite(.serialized) struct FloodTests {
    /// A node that prints far past the client's 4 MiB cap: the session stops at the cap instead of
    /// reading (and holding) everything the node sends before the conversation hears any of it.
    @Test func floodIsCutAtTheCapWithoutReadingItAll() async throws {
        let dir = try temporaryDirectory("flood")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            version: 1
            defaults: {username: admin, password_env: VOS_SIM_PASSWORD, host_key_policy: strict, timeouts: {connect: 5, login: 5, command: 20}}
            clusters:
              - name: flood
                finesse: [{host: finessep.flood.test, audit: false}]
                cuic:
                  - {host: cuicflood.flood.test, role: publisher, live_data: none}
                  - {host: cuicpub.flood.test, role: subscriber, live_data: none}
                live_data: []
                expected: {finesse_ports: [443]}

            """.write(toFile: dir + "/flood.yaml", atomically: true, encoding: .utf8)
        try """
            defaults: {startup_delay: 0.05, command_delay: 0.01}
            nodes:
              cuicflood.flood.test: {faults: [{oversize_output: 33554432}]}
              cuicpub.flood.test: {lists: {cuic: {status: enabled, origins: [https://finessep.flood.test]}}}

            """.write(toFile: dir + "/flood.sim.yaml", atomically: true, encoding: .utf8)
        try await Simulation.launch(["--inventory", dir + "/flood.yaml", "--state", dir + "/flood.sim.yaml"],
                                    password: "flood-pw").use { sim in
            let inventory = try sim.inventory()
            let results = await SSHCollector(options: .init(runTimeout: .seconds(60), environment: ["VOS_SIM_PASSWORD": "flood-pw"]))
                .collect(inventory)
            let flood = try #require(results["cuicflood.flood.test"])
            #expect(flood.observation.failure?.status == .commandFailed)
            #expect(flood.observation.failure?.detail.contains("printed more than 4194304 bytes; stopped") == true,
                    "\(String(describing: flood.observation.failure))")
            // The cap plus at most one hand-over (256 KiB) and one read: not the 32 MiB the node sends.
            let received = flood.transcript?.count ?? 0
            #expect(received > 4 << 20 && received < (4 << 20) + (512 << 10), "\(received) bytes kept")
            #expect(results["cuicpub.flood.test"]?.observation.failure == nil)
        }
    }
}
