import AuditCore
import Foundation
import Testing
import TestSupport
@testable import VOSSimulator

/// `remediate --apply --restart` on two clusters of two CUIC nodes each, every node missing one origin: each node's
/// plan adds it and restarts the Intelligence Center Reporting Service. vos-sim logs every restart's window (wall
/// clock), so the tests see when each node's reporting was down.
struct RollingLab {
    let simulation: Simulation
    let restartLog: String

    static let clusters = ["alpha", "beta"]
    static func hosts(_ cluster: String) -> [String] { ["cuicpub.\(cluster).test", "cuicsub.\(cluster).test"] }
    static var allHosts: [String] { clusters.flatMap(hosts) }

    /// Runs `body` against the started lab; `faults`: a state-file `faults:` value per host.
    static func with(faults: [String: String] = [:], _ body: (RollingLab) async throws -> Void) async throws {
        let dir = try temporaryDirectory("rolling")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var inventory = "version: 1\ndefaults:\n  username: admin\n  host_key_policy: strict\n  timeouts: {connect: 10, login: 30, command: 30}\nclusters:\n"
        var state = "defaults:\n  startup_delay: 0.1\n  command_delay: 0.02\n  restart_delay: 0.4\nnodes:\n"
        for cluster in clusters {
            let fp = "finessep.\(cluster).test", fs = "finesses.\(cluster).test"
            inventory += "  - name: \(cluster)\n    finesse:\n      - {host: \(fp), audit: false}\n      - {host: \(fs), audit: false}\n"
            inventory += "    cuic:\n"
            for (i, host) in hosts(cluster).enumerated() {
                inventory += "      - {host: \(host), role: \(i == 0 ? "publisher" : "subscriber"), live_data: none}\n"
                // The TAC case on every node: the primary's :8445 is missing.
                state += "  \(host):\n"
                if let fault = faults[host] { state += "    faults: [\(fault)]\n" }
                state += "    lists:\n      cuic:\n        status: enabled\n"
                state += "        origins: [\"https://\(fp)\", \"https://\(fs)\", \"https://\(fs):8445\"]\n"
            }
            inventory += "    live_data: []\n    expected: {finesse_ports: [443, 8445]}\n"
        }
        let inventoryPath = dir + "/rolling.yaml"
        try inventory.write(toFile: inventoryPath, atomically: true, encoding: .utf8)
        let loaded = try InventoryLoader.load(path: inventoryPath)
        let nodes = try StateFile.parse(yaml: state, inventory: loaded, path: "rolling.sim.yaml")
        let log = dir + "/restarts.jsonl"
        let simulation = try await Simulation.start(inventory: loaded, nodes: nodes,
                                                    options: SimulatorOptions(password: simPassword, threads: 1, restartLog: log))
        try await simulation.use { try await body(RollingLab(simulation: $0, restartLog: log)) }
    }

    func apply(_ extra: [String] = []) throws -> ProcessResult {
        try corsAudit(["remediate", "--inventory", simulation.inventoryPath, "--apply", "--no-history", "--yes", "--restart",
                       "--output", simulation.directory + "/apply"] + extra)
    }

    func windows() throws -> [RestartWindow] { try RestartLog.read(path: restartLog) }

    func record(_ host: String) throws -> [String: Any] { try readJSON("\(simulation.directory)/apply/apply-\(host).json") }

    /// Pairs of restart windows of two different nodes of one cluster that share an instant.
    static func overlapsWithinClusters(_ windows: [RestartWindow]) -> [(RestartWindow, RestartWindow)] {
        var pairs: [(RestartWindow, RestartWindow)] = []
        for cluster in clusters {
            let mine = windows.filter { hosts(cluster).contains($0.host) }
            for (i, a) in mine.enumerated() {
                for b in mine[(i + 1)...] where a.host != b.host && a.overlaps(b) { pairs.append((a, b)) }
            }
        }
        return pairs
    }
}

@Suite(.serialized) struct RollingApplyTests {
    @Test func nodesOfAClusterRestartOneAfterTheOtherAndTheOrderIsShownFirst() async throws {
        try await RollingLab.with { lab in
            let r = try lab.apply()
            #expect(r.status == 0, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            let windows = try lab.windows()
            #expect(Set(windows.map(\.host)) == Set(RollingLab.allHosts))
            #expect(windows.count == 4 && windows.allSatisfy { $0.result == "STARTED" && $0.end > $0.start })
            let overlapping = RollingLab.overlapsWithinClusters(windows)
            #expect(overlapping.isEmpty, "restart windows of one cluster overlap: \(overlapping)")
            // One cluster at a time (the default): no two windows anywhere share an instant, in the order shown.
            let sorted = windows.sorted { $0.start < $1.start }
            #expect(sorted.map(\.host) == RollingLab.allHosts)
            for (a, b) in zip(sorted, sorted.dropFirst()) { #expect(a.end <= b.start, "\(a) overlaps \(b)") }
            // The order comes before anything is applied.
            let order = "  cluster alpha: cuicpub.alpha.test, then cuicsub.alpha.test\n  cluster beta: cuicpub.beta.test, then cuicsub.beta.test\n"
            let shown = try #require(r.stdout.range(of: order), "\(r.stdout)")
            let firstRecord = try #require(r.stdout.range(of: "cuicpub.alpha.test (cluster alpha): APPLIED"))
            #expect(shown.upperBound <= firstRecord.lowerBound)
            #expect(r.stdout.contains("one cluster at a time"))
            for host in RollingLab.allHosts {
                let cluster = host.split(separator: ".")[1]
                #expect(lab.simulation.node(host).configuredList(.cuic)?.origins.contains("https://finessep.\(cluster).test:8445") == true)
                #expect(lab.simulation.node(host).state.pendingRestarts.isEmpty)
                // Each node's record holds the service check that let the next one start.
                let steps = try lab.record(host)["steps"] as! [[String: Any]]
                let check = try #require(steps.last)
                #expect(check["line"] as? String == "utils service list" && check["status"] as? String == "applied", "\(steps)")
            }
        }
    }

    /// On a terminal (script(1) gives it a PTY) each node is asked for as its turn comes: the second node of a cluster
    /// only once the first is applied and verified, never every question before any node is touched (issue 20, item 4).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) (util-linux) for a terminal"))
    func onATerminalEachNodeIsAskedForAsItsTurnComes() async throws {
        try await RollingLab.with { lab in
            let command = [binary, "remediate", "--inventory", lab.simulation.inventoryPath, "--apply", "--restart",
                           "--output", lab.simulation.directory + "/apply"].map { "'" + $0 + "'" }.joined(separator: " ")
            // Yes to alpha's publisher, no to its subscriber, yes to both of beta.
            let r = try corsAudit([], stdin: "y\nn\ny\ny\n", through: ["/usr/bin/script", "-qec", command, "/dev/null"])
            #expect(r.status == 1, "\(r.stdout)")
            func at(_ text: String) throws -> String.Index { try #require(r.stdout.range(of: text), "\(text) not in \(r.stdout)").lowerBound }
            let order = [try at("Apply to cuicpub.alpha.test? [y/N]"), try at("  cuicpub.alpha.test (cluster alpha): applied"),
                         try at("Apply to cuicsub.alpha.test? [y/N]"), try at("  cuicsub.alpha.test (cluster alpha): declined"),
                         try at("Apply to cuicpub.beta.test? [y/N]"), try at("  cuicpub.beta.test (cluster beta): applied"),
                         try at("Apply to cuicsub.beta.test? [y/N]"), try at("  cuicsub.beta.test (cluster beta): applied")]
            #expect(order == order.sorted(), "\(r.stdout)")
            #expect(r.stdout.contains("cuicsub.alpha.test (cluster alpha): DECLINED"))
            // The declined node was never touched; the others restarted one after the other.
            let windows = try lab.windows()
            #expect(windows.map(\.host).sorted() == ["cuicpub.alpha.test", "cuicpub.beta.test", "cuicsub.beta.test"])
            #expect(lab.simulation.node("cuicsub.alpha.test").configuredList(.cuic)?.origins.contains("https://finessep.alpha.test:8445") == false)
        }
    }

    @Test func twoClustersRunSideBySideWithParallelClustersTwo() async throws {
        try await RollingLab.with { lab in
            let r = try lab.apply(["--parallel-clusters", "2"])
            #expect(r.status == 0, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            #expect(r.stdout.contains("up to 2 clusters at a time"))
            let windows = try lab.windows()
            #expect(windows.count == 4)
            let overlapping = RollingLab.overlapsWithinClusters(windows)
            #expect(overlapping.isEmpty, "restart windows of one cluster overlap: \(overlapping)")
            // The two clusters' first nodes start together: their restarts share time.
            let alpha = windows.filter { $0.host.hasSuffix(".alpha.test") }, beta = windows.filter { $0.host.hasSuffix(".beta.test") }
            #expect(alpha.contains { a in beta.contains { a.overlaps($0) } }, "\(windows)")
        }
    }

    @Test func aNodeWhoseServiceStaysStoppedHaltsTheRestOfItsCluster() async throws {
        try await RollingLab.with(faults: ["cuicpub.alpha.test": "restart_stays_stopped"]) { lab in
            let r = try lab.apply()
            #expect(r.status == 2, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            let why = "`utils service list` shows Intelligence Center Reporting Service STOPPED after its restart, not STARTED"
            #expect(r.stdout.contains("cuicpub.alpha.test (cluster alpha): STOPPED — verification: \(why)"), "\(r.stdout)")
            #expect(r.stdout.contains("cuicsub.alpha.test (cluster alpha): NOT RUN — halted: cuicpub.alpha.test before it in cluster alpha stopped (verification: \(why)); nothing was typed here"), "\(r.stdout)")
            #expect(r.stdout.contains("cuicpub.beta.test (cluster beta): APPLIED"))
            #expect(r.stdout.contains("cuicsub.beta.test (cluster beta): APPLIED"))
            #expect(r.stdout.contains("Result after apply: INCOMPLETE (exit 2)"))
            #expect(r.stdout.contains("not run: cuicsub.alpha.test"), "\(r.stdout)")

            // Nothing was typed on the halted node: no session, no restart, its list as it was.
            let sub = lab.simulation.node("cuicsub.alpha.test")
            #expect(sub.configuredList(.cuic)?.origins.contains("https://finessep.alpha.test:8445") == false)
            let windows = try lab.windows()
            #expect(!windows.contains { $0.host == "cuicsub.alpha.test" })
            #expect(windows.filter { $0.host.hasSuffix(".beta.test") }.count == 2)

            let record = try lab.record("cuicsub.alpha.test")
            #expect(record["status"] as? String == "not_run")
            #expect((record["detail"] as? String)?.hasPrefix("halted: cuicpub.alpha.test before it in cluster alpha stopped") == true)
            #expect((record["steps"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String == "not_run" } == true)
            let failed = try lab.record("cuicpub.alpha.test")
            #expect(failed["status"] as? String == "stopped")
            let check = try #require((failed["steps"] as? [[String: Any]])?.last)
            #expect(check["status"] as? String == "failed")
            #expect((check["detail"] as? String)?.contains("STOPPED after its restart, not STARTED") == true)
            let markdown = try String(contentsOfFile: lab.simulation.directory + "/apply/apply.md", encoding: .utf8)
            #expect(markdown.contains("## cuicsub.alpha.test (cluster alpha): NOT RUN"))
        }
    }

    @Test func parallelClustersMustBeAPositiveInteger() async throws {
        try await RollingLab.with { lab in
            for bad in ["0", "-1", "two", "1.5"] {
                let r = try lab.apply(["--parallel-clusters", bad])
                #expect(r.status == 64, "\(bad): \(r.stderr)")
                #expect(r.stderr.contains("parallel-clusters"), "\(bad): \(r.stderr)")
                #expect(!r.stderr.contains("Unknown option"), "\(bad): \(r.stderr)")
            }
            let zero = try lab.apply(["--parallel-clusters=0"])
            #expect(zero.stderr.contains("--parallel-clusters must be a positive integer"), "\(zero.stderr)")
            let r = try corsAudit(["remediate", "--inventory", lab.simulation.inventoryPath, "--transcripts", lab.simulation.directory,
                                   "--parallel-clusters", "2"])
            #expect(r.status == 64)
            #expect(r.stderr.contains("--parallel-clusters"), "\(r.stderr)")
            // Nothing was typed anywhere.
            #expect(try lab.windows().isEmpty)
        }
    }
}
