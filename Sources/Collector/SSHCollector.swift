import AuditCore
import Foundation
import Logging
import SSHClient
import VOSShell

/// Collects every audited node of an inventory over SSH, all at once, and hands the core what each returned.
public struct SSHCollector: Sendable {
    public struct Options: Sendable {
        /// Most sessions open at once; nil: all nodes at once.
        public var concurrency: Int?
        /// The whole run's time limit.
        public var runTimeout: Duration?
        public var environment: [String: String]
        /// Answers to `password_prompt: true`, asked before the run.
        public var passwords: PromptedPasswords
        /// `--insecure-host-keys`: nodes with host_key_policy off may still be sent their password.
        public var insecureHostKeys: Bool
        /// Run these on every node instead of its audit commands (`cors-audit discover`); nil: the audit's.
        public var commands: [String]? = nil
        /// Where the SSH poll loops add their CPU by phase (the benchmark's `--cpu-report`); nil: not measured.
        public var cpuTally: SSHCPUTally?
        public init(concurrency: Int? = nil, runTimeout: Duration? = nil,
                    environment: [String: String] = ProcessInfo.processInfo.environment,
                    passwords: PromptedPasswords = .init(), insecureHostKeys: Bool = false) {
            self.concurrency = concurrency; self.runTimeout = runTimeout; self.environment = environment
            self.passwords = passwords; self.insecureHostKeys = insecureHostKeys
        }
    }

    /// One node's collection: the observation for the core, and the raw session for saving.
    public struct NodeResult: Sendable {
        public var observation: NodeObservation
        /// Every byte the shell sent, replayable with `--transcripts`; nil when no shell opened.
        public var transcript: [UInt8]?
        public var info: SSHSessionInfo?
        public var phaseTimings: [(phase: String, seconds: Double)]
    }

    /// Nodes finished so far, for a progress display.
    public struct Progress: Sendable {
        public var done: Int
        public var total: Int
        public var failed: Int
    }

    public var options: Options
    public var logger: Logger

    public init(options: Options = .init(), logger: Logger = Logger(label: "cors-audit.collector")) {
        self.options = options; self.logger = logger
    }

    /// Every audited node's result. `each` hears each node's as soon as it is known (on the SSH thread, in the order
    /// the sessions end), so its parsing can overlap the other sessions.
    public func collect(_ inventory: Inventory, progress: (@Sendable (Progress) -> Void)? = nil,
                        each: (@Sendable (NodeResult) -> Void)? = nil) async -> [String: NodeResult] {
        var results: [String: NodeResult] = [:]
        var jobs: [SSHJob<VOSDriver>] = []
        var jobNodes: [InventoryNode] = []
        for (_, node) in inventory.nodes where node.audit {
            let credential: SSHCredential
            do {
                credential = try Credentials.resolve(for: node, environment: options.environment, prompted: options.passwords)
            } catch {
                results[node.host] = NodeResult(
                    observation: NodeObservation(host: node.host, captures: [],
                        failure: CollectionFailure(status: .authFailed, detail: "phase auth: \(error.message); not contacted")),
                    transcript: nil, info: nil, phaseTimings: [])
                each?(results[node.host]!)
                continue
            }
            let target = SSHTarget(node: node, credential: credential, insecureHostKeys: options.insecureHostKeys)
            let commands = options.commands ?? node.auditCommands.map(\.rawValue)
            let timeouts = node.connection.timeouts
            // Discovery's fixed commands have no release-dependent follow-up.
            let followUp = options.commands == nil ? Self.releaseCommands(for: node) : nil
            jobs.append(SSHJob(target: target, makeDriver: {
                VOSDriver(commands: commands, timeouts: timeouts, followUp: followUp)
            }))
            jobNodes.append(node)
        }
        let deadline = options.runTimeout.map { ContinuousClock.now + $0 }
        let skippedFailures = results.count
        let ended = EndedResults(count: jobs.count)
        let outcomes = await SSHRunner(concurrency: options.concurrency, cpuTally: options.cpuTally)
            .run(jobs, deadline: deadline, progress: progress.map { report in
            { @Sendable (p: SSHProgress) in
                report(Progress(done: p.done + skippedFailures, total: p.total + skippedFailures, failed: p.failed + skippedFailures))
            }
        }, ended: { [jobNodes] index, outcome in
            let result = Self.nodeResult(node: jobNodes[index], outcome: outcome)
            ended.set(index, result)
            each?(result)
        })
        for (index, (node, outcome)) in zip(jobNodes, outcomes).enumerated() {
            let result = ended.get(index) ?? Self.nodeResult(node: node, outcome: outcome)
            do {
                let info = outcome.info
                logger.debug("session", metadata: [
                    "host": "\(node.host)", "kex": "\(info.kex ?? "-")", "hostkey": "\(info.hostKeyType ?? "-")",
                    "cipher": "\(info.cipherClientToServer ?? "-")", "mac": "\(info.macClientToServer ?? "-")",
                    "auth": "\(info.authMethod ?? "-")",
                    "timings": "\((info.phaseTimings + result.phaseTimings).map { "\($0.phase)=\(String(format: "%.2f", $0.seconds))s" }.joined(separator: " "))",
                ])
            }
            results[node.host] = result
        }
        return results
    }

    /// Results as the sessions end, one slot per job.
    private final class EndedResults: @unchecked Sendable {
        private let lock = NSLock()
        private var results: [NodeResult?]
        init(count: Int) { results = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ result: NodeResult) { lock.lock(); results[index] = result; lock.unlock() }
        func get(_ index: Int) -> NodeResult? { lock.lock(); defer { lock.unlock() }; return results[index] }
    }

    /// What to send once the node's version is read: the commands its release has (private network access).
    static func releaseCommands(for node: InventoryNode) -> VOSConversation.FollowUp {
        { results in
            let version = results.first { $0.command == VOSCommand.version.rawValue && $0.outcome == .completed }?.output
            return node.commands(afterVersion: version).map(\.rawValue)
        }
    }

    /// Maps the SSH outcome and the conversation into the core's observation, failing closed.
    static func nodeResult(node: InventoryNode, outcome: SSHJobResult<ShellTranscript>) -> NodeResult {
        let shell = outcome.driverResult
        var captures: [CommandCapture] = []
        for result in shell?.results ?? [] {
            switch result.outcome {
            case .completed:
                captures.append(CommandCapture(command: result.command, output: result.output))
            case .aborted(let prompt):
                captures.append(CommandCapture(command: result.command, output: result.output,
                    failure: "it asked \"\(Escaping.visible(prompt))\", which an audit never confirms; the command was aborted"))
            case .truncated, .disconnected, .timedOut, .notRun:
                continue  // explained by the failure below; partial output is never parsed
            }
        }
        var notes: [String] = []
        if let note = outcome.info.hostKeyNote { notes.append(note) }
        var failure: CollectionFailure?
        let last = shell?.lastBytes ?? ""
        let lastText = last.isEmpty ? "no bytes received" : "last bytes: \"\(last)\""
        if let error = outcome.error, error.kind == .disconnected, error.phase == .io,
           case .disconnected(let phase)? = shell?.failure {
            // The connection died inside the CLI: the command it cut short says more than the transport phase.
            failure = CollectionFailure(status: .disconnected,
                                        detail: "phase \(phaseName(phase, shell)): the node closed the connection (\(error.message)); \(lastText)")
        } else if let error = outcome.error {
            var newKey: String?
            if case .hostKeyUnknown(_, let line) = error.kind { newKey = line }
            failure = CollectionFailure(status: status(for: error.kind),
                                        detail: "phase \(error.phase.rawValue): \(describe(error)); \(lastText)", knownHostsLine: newKey)
        } else if let vos = shell?.failure {
            switch vos {
            case .timeout(let phase):
                failure = CollectionFailure(status: .timeout, detail: "phase \(phaseName(phase, shell)): no \(VOSText.prompt) prompt within the \(phaseLimit(phase, node)) s limit; \(lastText)")
            case .disconnected(let phase):
                failure = CollectionFailure(status: .disconnected, detail: "phase \(phaseName(phase, shell)): the node closed the session; \(lastText)")
            case .outputLimit(let command, let limit):
                failure = CollectionFailure(status: .commandFailed, detail: "phase command: `\(command)` printed more than \(limit) bytes; stopped; \(lastText)")
            case .pagerLimit(let command):
                failure = CollectionFailure(status: .commandFailed, detail: "phase command: `\(command)` kept paging past the limit; stopped; \(lastText)")
            case .bannerLimit(let limit):
                failure = CollectionFailure(status: .commandFailed, detail: "phase login: the node printed more than \(limit) bytes before its first \(VOSText.prompt) prompt; stopped; \(lastText)")
            }
        } else if shell == nil {
            failure = CollectionFailure(status: .disconnected, detail: "phase shell: no shell was opened; \(lastText)")
        }
        return NodeResult(observation: NodeObservation(host: node.host, captures: captures, failure: failure, notes: notes),
                          transcript: shell?.transcript, info: outcome.info, phaseTimings: shell?.phaseTimings ?? [])
    }

    static func status(for kind: SSHErrorKind) -> NodeStatus {
        switch kind {
        case .refused, .dnsFailure, .noRoute, .connectTimeout, .handshakeTimeout, .noCommonAlgorithm, .protocolError:
            return .unreachable
        case .hostKeyUnknown, .hostKeyChanged, .hostKeyRevoked, .hostKeyCertificateAuthority:
            return .hostKeyRejected
        case .authRejected, .authUnsupported, .unexpectedKeyboardInteractivePrompt, .passwordWithheld:
            return .authFailed
        case .loginTimeout, .runDeadline:
            return .timeout
        case .channelFailure, .disconnected, .io:
            return .disconnected
        }
    }

    static func describe(_ error: SSHError) -> String {
        switch error.kind {
        case .hostKeyUnknown(let fp, let line):
            return "unknown host key \(fp) for \(error.host) (host_key_policy strict); if it is right, add to known_hosts: \(line)"
        case .hostKeyChanged(let fp, let line):
            return "HOST KEY CHANGED for \(error.host): the node presents \(fp), known_hosts holds another; verify it, then replace the entry with: \(line)"
        case .hostKeyRevoked, .hostKeyCertificateAuthority, .passwordWithheld:
            return error.message
        case .noCommonAlgorithm(let ours, let theirs):
            return "no common algorithm: we offer \(ours)" + (theirs.map { "; the server offers \($0)" } ?? "") + " (\(error.message))"
        case .authRejected(let tried):
            return "authentication rejected (tried \(tried.joined(separator: ", ")))"
        case .authUnsupported(let offered):
            return "no usable authentication method: the server offers \(offered.joined(separator: ", "))"
        case .unexpectedKeyboardInteractivePrompt(let prompt):
            return "keyboard-interactive asked \"\(Escaping.visible(prompt))\", which is not a password prompt"
        default:
            return error.description
        }
    }

    static func phaseName(_ phase: VOSPhase, _ shell: ShellTranscript?) -> String {
        switch phase {
        case .login: return "login"
        case .setup: return "command (\(VOSText.setupCommand))"
        case .command(let i):
            let command = shell.flatMap { i < $0.results.count ? $0.results[i].command : nil } ?? "#\(i + 1)"
            return "command (`\(command)`)"
        case .exiting, .finished: return "exit"
        }
    }

    static func phaseLimit(_ phase: VOSPhase, _ node: InventoryNode) -> String {
        let t = phase == .login ? node.connection.timeouts.login : node.connection.timeouts.command
        return t == t.rounded() ? String(Int(t)) : String(t)
    }
}
