import AuditCore
import Foundation
import SSHClient
import Testing
import TestSupport
@testable import VOSSimulator

/// A small lab inventory: one CUIC pair with co-resident Live Data, one Finesse, one standalone Live Data.
let testInventoryYAML = """
    version: 1
    defaults:
      username: admin
      password_env: VOS_SIM_PASSWORD
      host_key_policy: strict
    clusters:
      - name: lab
        finesse:
          - host: finessep.lab.test
        cuic:
          - host: cuicpub.lab.test
            role: publisher
            live_data: coresident
          - host: cuicsub.lab.test
            role: subscriber
            live_data: coresident
        live_data:
          - host: ld.lab.test
    """

let testPassword = "s3cret-test"

extension Simulation {
    /// The test inventory with `state` (YAML `nodes:` content) and tiny delays, in this process.
    static func fleet(state: String = "", inventory: String = testInventoryYAML,
                      timing: SimulationTiming = SimulationTiming(startupDelay: 0.05, commandDelay: 0.01, restartDelay: 0.02))
        async throws -> Simulation
    {
        let inv = try InventoryLoader.parse(yaml: inventory, path: "test.yaml", environment: [:])
        let nodes = try StateFile.parse(yaml: state, inventory: inv, timing: timing)
        return try await start(inventory: inv, nodes: nodes, options: SimulatorOptions(password: testPassword, threads: 1))
    }

    func target(_ host: String, password: String = testPassword) -> SSHTarget {
        let n = node(host)
        return SSHTarget(host: host, address: n.address, port: n.port, username: "admin", credential: .password(password),
                         knownHostsPath: knownHostsPath, hostKeyPolicy: .strict,
                         connectTimeout: .seconds(5), loginTimeout: .seconds(5))
    }

    /// Runs one scripted libssh2 session against `host`.
    func session(_ host: String, _ script: [ScriptDriver.Step], password: String = testPassword,
                 ending: ScriptDriver.Ending = .close, stepTimeout: Duration = .seconds(5))
        async -> SSHJobResult<ScriptDriver.Result>
    {
        let job = SSHJob(target: target(host, password: password)) {
            ScriptDriver(script, ending: ending, stepTimeout: stepTimeout)
        }
        return await SSHRunner().run([job], deadline: .now + .seconds(30)).first!
    }
}

/// The test fleet with `faults` (a state-file list) on `host`, whose CUIC list holds four origins.
func faultyFleet(_ faults: String, host: String = "cuicpub.lab.test") async throws -> Simulation {
    try await Simulation.fleet(state: """
        nodes:
          \(host):
            faults: \(faults)
            lists:
              cuic: {status: enabled, origins: [https://a.lab.test, https://b.lab.test, https://c.lab.test, https://d.lab.test]}
        """)
}

/// One session against `host` with a short connect timeout.
func faultSession(_ fleet: Simulation, _ host: String, _ script: [ScriptDriver.Step], policy: HostKeyPolicy = .strict,
                  stepTimeout: Duration = .seconds(5)) async -> SSHJobResult<ScriptDriver.Result> {
    var target = fleet.target(host)
    target.hostKeyPolicy = policy
    // These tests are about the simulator's faults: off here means the operator allowed it.
    target.insecureHostKeys = policy == .off
    target.connectTimeout = .milliseconds(800)
    let job = SSHJob(target: target) { ScriptDriver(script, ending: .close, stepTimeout: stepTimeout) }
    return await SSHRunner().run([job], deadline: .now + .seconds(60)).first!
}

/// Drives a shell through expect/send steps, independently of the client's VOSShell code: these
/// tests check the simulator's bytes, so the driver only matches literal text.
final class ScriptDriver: ShellDriver {
    enum Step: Sendable {
        /// Wait until the output since the last step ends with this text (ANSI kept).
        case expect(String)
        /// Send these bytes.
        case send(String)
        /// Wait until the output since the last step contains this text.
        case contains(String)
    }

    enum Ending: Sendable { case close, waitForEOF }

    struct Result: Sendable {
        var transcript: [UInt8] = []
        var completedSteps = 0
        var sawEndOfFile = false
        var deadlineFired = false
        /// When each expectation was met, from the shell's opening.
        var stepTimes: [Duration] = []
        var text: String { String(decoding: transcript, as: UTF8.self) }
    }

    private let steps: [Step]
    private let ending: Ending
    private let stepTimeout: Duration
    private var index = 0
    private var window: [UInt8] = []
    private var opened: ContinuousClock.Instant?
    private var result = Result()
    private(set) var deadline: ContinuousClock.Instant?

    init(_ steps: [Step], ending: Ending, stepTimeout: Duration) {
        self.steps = steps
        self.ending = ending
        self.stepTimeout = stepTimeout
    }

    func shellOpened(now: ContinuousClock.Instant) -> ShellAction {
        opened = now
        deadline = now + stepTimeout
        return advance(now: now)
    }

    func received(_ bytes: [UInt8], now: ContinuousClock.Instant) -> ShellAction {
        result.transcript += bytes
        window += bytes
        return advance(now: now)
    }

    private func advance(now: ContinuousClock.Instant) -> ShellAction {
        var out: [UInt8] = []
        while index < steps.count {
            switch steps[index] {
            case .send(let text):
                out += Array(text.utf8)
            case .expect(let text):
                guard window.count >= text.utf8.count, window.suffix(text.utf8.count).elementsEqual(text.utf8) else {
                    return out.isEmpty ? .wait : .send(out)
                }
                window.removeAll()
                result.stepTimes.append(now - opened!)
            case .contains(let text):
                guard String(decoding: window, as: UTF8.self).contains(text) else {
                    return out.isEmpty ? .wait : .send(out)
                }
                window.removeAll()
                result.stepTimes.append(now - opened!)
            }
            index += 1
            result.completedSteps = index
            deadline = now + stepTimeout
        }
        if !out.isEmpty { return .send(out) }
        switch ending {
        case .close:
            deadline = nil
            return .close
        case .waitForEOF:
            return .wait
        }
    }

    func endOfFile(now: ContinuousClock.Instant) { result.sawEndOfFile = true }
    func deadlinePassed(now: ContinuousClock.Instant) { result.deadlineFired = true }
    func finish() -> Result { result }
}

let prompt = "\u{1B}[Kadmin:"

/// Log in and wait for the first prompt.
let login: [ScriptDriver.Step] = [.expect(prompt)]

/// Type a command and wait for the next prompt.
func command(_ text: String) -> [ScriptDriver.Step] {
    [.send(text + "\r"), .expect(prompt)]
}

/// The bytes a command prints between its echo and the next prompt, from a transcript.
func outputs(of transcript: String) -> [String: String] {
    var result: [String: String] = [:]
    let chunks = transcript.components(separatedBy: prompt).dropFirst()
    for chunk in chunks {
        guard let end = chunk.range(of: "\r\n") else { continue }
        result[String(chunk[..<end.lowerBound])] = String(chunk[end.upperBound...])
    }
    return result
}
