import AuditCore
import Foundation
import SSHClient
import Testing

/// Load against a running `vos-sim fleet`: every audited node of VOS_SIM_BENCH_INVENTORY gets one
/// libssh2 session with six commands. Off unless that variable is set (it needs a separate,
/// release-built simulator so that its CPU can be measured on its own).
@Suite("benchmark", .enabled(if: ProcessInfo.processInfo.environment["VOS_SIM_BENCH_INVENTORY"] != nil))
struct BenchmarkTests {
    @Test func everyNodeAnswersSixCommands() async throws {
        let env = ProcessInfo.processInfo.environment
        let inventory = try InventoryLoader.load(path: env["VOS_SIM_BENCH_INVENTORY"]!)
        let password = env["VOS_SIM_PASSWORD"] ?? "vos-sim"
        let commands = ["set cli pagination off", "show version active", "utils cuic cors status",
                        "utils cuic cors allowed_origin list", "utils live-data cors status", "utils live-data cors allowed_origin list"]
        let jobs = inventory.nodes.filter { $0.node.audit }.map { _, node in
            SSHJob(target: SSHTarget(host: node.host, address: node.connection.address, port: node.connection.port,
                                     username: node.connection.username, credential: .password(password),
                                     knownHostsPath: node.connection.knownHosts, hostKeyPolicy: .strict,
                                     connectTimeout: .seconds(30), loginTimeout: .seconds(60))) {
                ScriptDriver(login + commands.flatMap(command), ending: .close, stepTimeout: .seconds(60))
            }
        }
        let started = ContinuousClock.now
        let results = await SSHRunner().run(jobs, deadline: .now + .seconds(600))
        let elapsed = ContinuousClock.now - started
        let ok = results.filter { $0.error == nil && $0.driverResult?.completedSteps == 13 }.count
        print("benchmark: \(ok)/\(jobs.count) nodes complete in \(elapsed)")
        for r in results where r.error != nil { print("benchmark failure: \(r.error!)") }
        #expect(ok == jobs.count)
    }
}
