import AuditCore
import Foundation
import SSHClient
import VOSShell

/// Carries remediation plans out over SSH, one session per node.
///
/// Each node's plan runs through an ``ApplyConversation``: commands in order, deletes answered only
/// after the list the node prints shows the planned origin at the planned index, nothing confirmed,
/// and the node left at its first failure. Service restarts run only with `restart`; otherwise they
/// are recorded as skipped and the node's change as configured but not yet effective. With restarts,
/// `utils service list` is typed after them. A node whose steps all applied is then verified
/// (``ApplyVerification``): a verification that does not show the change stops the node.
///
/// ``applyRolling(_:parallelClusters:)`` is how `remediate --apply` runs: one node at a time per cluster.
public struct Applier: Sendable {
    public struct Options: Sendable {
        /// Run the plans' `utils service restart ...` steps.
        public var restart: Bool
        /// Seconds a restart may take before the node is given up on (real restarts take minutes).
        public var restartTimeout: Double
        /// The whole run's time limit.
        public var runTimeout: Duration?
        public var concurrency: Int?
        public var environment: [String: String]
        /// Answers to `password_prompt: true`, asked before the run.
        public var passwords: PromptedPasswords

        public init(restart: Bool, restartTimeout: Double = 900, runTimeout: Duration? = nil, concurrency: Int? = nil,
                    environment: [String: String] = ProcessInfo.processInfo.environment,
                    passwords: PromptedPasswords = .init()) {
            self.restart = restart; self.restartTimeout = restartTimeout; self.runTimeout = runTimeout
            self.concurrency = concurrency; self.environment = environment; self.passwords = passwords
        }
    }

    public var options: Options

    public init(options: Options) { self.options = options }

    public typealias Work = (plan: RemediationPlan, node: InventoryNode)

    /// The clusters of `work` in order of first appearance, each with its nodes (indices into `work`) in order.
    public static func clusters(_ work: [Work]) -> [(cluster: String, items: [Int])] {
        var out: [(cluster: String, items: [Int])] = []
        for (i, item) in work.enumerated() {
            if let k = out.firstIndex(where: { $0.cluster == item.plan.cluster }) { out[k].items.append(i) } else {
                out.append((item.plan.cluster, [i]))
            }
        }
        return out
    }

    /// Applies the plans one node at a time within each cluster, up to `parallelClusters` clusters side by side.
    /// A node starts only once the one before it in its cluster applied every step and its verification shows
    /// the change (restarted services STARTED): so a cluster never has two nodes restarting at once. A node that
    /// stops or is not contacted halts its cluster: the nodes after it are `notRun`, saying which node and why.
    /// `confirm`, when given, is asked for each node just before it would start, in this rolling order (so a person
    /// sees the node before it verified first); false declines it: nothing is typed there and its cluster goes on.
    /// `nodeDone` is told of each node's record as it ends. Records in `work` order.
    public func applyRolling(_ work: [Work], parallelClusters: Int = 1,
                             confirm: (@Sendable (RemediationPlan) async -> Bool)? = nil,
                             nodeDone: @escaping @Sendable (NodeApplyRecord) -> Void = { _ in }) async -> [NodeApplyRecord] {
        let deadline = options.runTimeout.map { ContinuousClock.now + $0 }
        let groups = Self.clusters(work).map { group in group.items.map { ($0, work[$0].plan, work[$0].node) } }
        let width = max(1, parallelClusters)
        let done = await withTaskGroup(of: [(Int, NodeApplyRecord)].self) { tasks in
            var next = 0
            var out: [(Int, NodeApplyRecord)] = []
            while next < min(width, groups.count) {
                let group = groups[next]
                tasks.addTask { await self.roll(group, deadline: deadline, confirm: confirm, nodeDone: nodeDone) }
                next += 1
            }
            for await finished in tasks {
                out += finished
                if next < groups.count {
                    let group = groups[next]
                    tasks.addTask { await self.roll(group, deadline: deadline, confirm: confirm, nodeDone: nodeDone) }
                    next += 1
                }
            }
            return out
        }
        var records = [NodeApplyRecord?](repeating: nil, count: work.count)
        for (i, record) in done { records[i] = record }
        return records.map { $0! }
    }

    /// One cluster's nodes, in order, each after the one before it is verified.
    private func roll(_ items: [(Int, RemediationPlan, InventoryNode)], deadline: ContinuousClock.Instant?,
                      confirm: (@Sendable (RemediationPlan) async -> Bool)?,
                      nodeDone: @Sendable (NodeApplyRecord) -> Void) async -> [(Int, NodeApplyRecord)] {
        var out: [(Int, NodeApplyRecord)] = []
        var halted: String?
        for (i, plan, node) in items {
            let record: NodeApplyRecord
            if let halted {
                record = ApplyMapping(plan: plan, restart: options.restart).record(conversation: nil, status: .notRun, detail: halted)
            } else if let confirm, !(await confirm(plan)) {
                record = .declined(plan)
            } else {
                record = await apply([(plan, node)], deadline: deadline)[0]
                if record.status != .applied {
                    let what = record.status == .notContacted ? "was not contacted" : "stopped"
                    halted = "halted: \(record.host) before it in cluster \(record.cluster) \(what) (\(record.detail ?? "see its record")); nothing was typed here"
                }
            }
            nodeDone(record)
            out.append((i, record))
        }
        return out
    }

    /// Applies each plan to its inventory node, all at once; records in plan order.
    public func apply(_ work: [Work]) async -> [NodeApplyRecord] {
        await apply(work, deadline: options.runTimeout.map { ContinuousClock.now + $0 })
    }

    func apply(_ work: [Work], deadline: ContinuousClock.Instant?) async -> [NodeApplyRecord] {
        var records: [NodeApplyRecord?] = Array(repeating: nil, count: work.count)
        var jobs: [SSHJob<ApplyDriver>] = []
        var jobIndex: [Int] = []
        for (i, (plan, node)) in work.enumerated() {
            let mapping = ApplyMapping(plan: plan, restart: options.restart)
            let credential: SSHCredential
            do {
                credential = try Credentials.resolve(for: node, environment: options.environment, prompted: options.passwords)
            } catch {
                records[i] = mapping.record(conversation: nil, status: .notContacted, detail: "phase auth: \(error.message); not contacted")
                continue
            }
            if mapping.steps.isEmpty {
                records[i] = mapping.record(conversation: nil, status: .applied, detail: "nothing to type")
                continue
            }
            let target = SSHTarget(node: node, credential: credential)
            let steps = mapping.steps
            let restarts = mapping.restartSteps
            let timeouts = node.connection.timeouts
            let restartTimeout = options.restartTimeout
            jobs.append(SSHJob(target: target, makeDriver: {
                ApplyDriver(steps: steps, restartSteps: restarts, timeouts: timeouts, restartTimeout: restartTimeout)
            }))
            jobIndex.append(i)
        }
        let outcomes = await SSHRunner(concurrency: options.concurrency).run(jobs, deadline: deadline)
        for (i, outcome) in zip(jobIndex, outcomes) {
            let (plan, node) = work[i]
            let mapping = ApplyMapping(plan: plan, restart: options.restart)
            let shell = outcome.driverResult
            let last = shell?.lastBytes ?? ""
            let lastText = last.isEmpty ? "no bytes received" : "last bytes: \"\(last)\""
            var status: NodeApplyRecord.Status
            var detail: String?
            if let conversation = shell?.conversation {
                switch conversation.failure {
                case nil:
                    status = conversation.results.allSatisfy { $0.outcome == .applied } ? .applied : .stopped
                case .stepFailed(let index):
                    status = .stopped
                    if case .failed(let why) = conversation.results[index].outcome {
                        detail = "stopped at `\(conversation.steps[index].line)`: \(why)"
                    }
                case .timeout(let phase):
                    status = .stopped
                    detail = "no admin: prompt in time (\(Self.describe(phase, conversation, mapping, node, restartTimeout: options.restartTimeout))); \(lastText)"
                case .disconnected(let phase):
                    status = .stopped
                    detail = "the node closed the session (\(Self.describe(phase, conversation, mapping, node, restartTimeout: options.restartTimeout))); \(lastText)"
                case .outputLimit(let index):
                    status = .stopped
                    detail = "`\(conversation.steps[index].line)` printed more than \(conversation.maxOutputBytes) bytes; stopped"
                case .setupRefused(let question):
                    status = .stopped
                    detail = "`set cli pagination off` asked \"\(question)\", which an apply never confirms; nothing was typed"
                case .phaseLimit(let phase, let limit):
                    status = .stopped
                    let what = phase == .login ? "before its first admin: prompt" : "in \(Self.describe(phase, conversation, mapping, node, restartTimeout: options.restartTimeout))"
                    detail = "the node printed more than \(limit) bytes \(what); stopped; \(lastText)"
                }
                if conversation.results.allSatisfy({ $0.outcome == .notRun }), status != .applied,
                   conversation.failure == .timeout(.login) || conversation.failure == .phaseLimit(.login, limit: conversation.maxBannerBytes) {
                    status = .notContacted
                }
            } else {
                status = .notContacted
            }
            if let error = outcome.error {
                // A transport error after the shell opened still leaves the steps' record as it was.
                let text = "phase \(error.phase.rawValue): \(SSHCollector.describe(error)); \(lastText)"
                if shell?.conversation.results.contains(where: { $0.outcome != .notRun }) == true {
                    status = .stopped
                    detail = detail.map { "\($0); \(text)" } ?? text
                } else {
                    status = .notContacted
                    detail = text
                }
            } else if shell == nil {
                detail = detail ?? "no shell was opened; \(lastText)"
            }
            var record = mapping.record(conversation: shell?.conversation, status: status, detail: detail, transcript: shell?.transcript)
            if record.status == .applied, let problem = ApplyVerification.problem(in: record.steps) {
                record.steps[problem.index].status = .failed
                record.steps[problem.index].detail = problem.why
                record.status = .stopped
                record.detail = "verification: \(problem.why)"
            }
            records[i] = record
        }
        return records.map { $0! }
    }

    static func describe(_ phase: ApplyPhase, _ c: ApplyConversation, _ mapping: ApplyMapping, _ node: InventoryNode, restartTimeout: Double) -> String {
        switch phase {
        case .login: return "login, \(seconds(node.connection.timeouts.login)) s limit"
        case .setup: return "`set cli pagination off`, \(seconds(node.connection.timeouts.command)) s limit"
        case .step(let i):
            let line = c.steps[i].line
            let limit = mapping.restartSteps.contains(i) ? restartTimeout : node.connection.timeouts.command
            return "`\(line)`, \(seconds(limit)) s limit"
        case .leaving: return "leaving the node after a failed step"
        case .done: return "after exit"
        }
    }

    static func seconds(_ t: Double) -> String { t == t.rounded() ? String(Int(t)) : String(t) }
}

/// How a plan's steps map to what the conversation types.
struct ApplyMapping {
    let plan: RemediationPlan
    let restart: Bool
    /// The plan's steps, and after the last service restart or start typed a `utils service list` (what shows
    /// they STARTED), unless the plan has one there.
    let planSteps: [RemediationAction]
    /// The typed steps, and for each the plan step it came from.
    let steps: [ApplyStep]
    let planIndex: [Int]
    /// Indices into `steps` of the service restarts (they get the restart time limit).
    let restartSteps: Set<Int>

    init(plan: RemediationPlan, restart: Bool) {
        self.plan = plan
        self.restart = restart
        var steps: [ApplyStep] = []
        var planIndex: [Int] = []
        var restartSteps: Set<Int> = []
        var planSteps = plan.steps
        let typesService: (RemediationAction) -> Bool = { step in
            if case .start = step { return true }
            return restart && step.isRestart
        }
        if let last = plan.steps.lastIndex(where: typesService), !plan.steps[last...].contains(.verifyServices) {
            planSteps.append(.verifyServices)
        }
        self.planSteps = planSteps
        for (i, step) in planSteps.enumerated() {
            guard let line = step.commandLine, restart || !step.isRestart else { continue }
            if step.isRestart { restartSteps.insert(steps.count) }
            if case .delete(_, let index, let origin) = step {
                steps.append(.delete(command: line, index: index, origin: origin))
            } else {
                steps.append(.command(line))
            }
            planIndex.append(i)
        }
        self.steps = steps
        self.planIndex = planIndex
        self.restartSteps = restartSteps
    }

    func record(conversation: ApplyConversation?, status: NodeApplyRecord.Status, detail: String?, transcript: [UInt8]? = nil) -> NodeApplyRecord {
        var out = planSteps.map { step -> NodeApplyRecord.Step in
            switch step {
            case .note: return .init(step: step, status: .skipped, detail: "a note, never typed", output: nil)
            case .restart where !restart:
                return .init(step: step, status: .skipped, detail: "service restarts run only with --restart", output: nil)
            default: return .init(step: step, status: .notRun, detail: nil, output: nil)
            }
        }
        if let conversation {
            for (k, result) in conversation.results.enumerated() {
                let i = planIndex[k]
                switch result.outcome {
                case .applied:
                    out[i].status = .applied; out[i].output = result.output
                    if case .add(let list, let origins) = out[i].step {
                        // An origin the node says it already holds changed nothing: recorded so, never as applied.
                        let typed = origins.filter(OriginAnalysis.isSafeForCommandLine)
                        let already = AddAnswer.alreadyPresent(typed, output: result.output)
                        if !typed.isEmpty, already.count == typed.count {
                            out[i].status = .unchanged
                            out[i].detail = "no change: the node answered that its \(list.displayName) list already holds \(already.map(Escaping.visible).joined(separator: ", "))"
                        } else if !already.isEmpty {
                            out[i].detail = "already configured, unchanged: \(already.map(Escaping.visible).joined(separator: ", "))"
                        }
                    }
                case .failed(let why): out[i].status = .failed; out[i].detail = why; out[i].output = result.output
                case .notRun: break
                }
            }
        }
        let changed = out.contains { ($0.status == .applied || $0.status == .failed) && $0.step.changesNode }
        let pending: [RemediationAction] = changed ? out.filter { $0.status == .skipped && $0.step.isRestart }.map(\.step) : []
        return NodeApplyRecord(cluster: plan.cluster, host: plan.host, status: status, detail: detail, steps: out,
                               restartsPending: pending, transcript: transcript)
    }
}

/// What one node's apply session produced.
public struct ApplySession: Sendable {
    public var conversation: ApplyConversation
    public var transcript: [UInt8]
    public var lastBytes: String
}

/// Runs an ``ApplyConversation`` on one SSH shell and owns its clocks: the login limit until the first
/// prompt, then the command limit per phase — a step from its line typed to the prompt after it, pager
/// answers and a delete's index included (the restart limit for `utils service restart`). Only a new
/// phase restarts the clock, so a node that pages forever cannot stretch a step past its limit.
final class ApplyDriver: ShellDriver {
    private var conversation: ApplyConversation
    private let restartSteps: Set<Int>
    private let timeouts: Timeouts
    private let restartTimeout: Double
    private var phaseDeadline: ContinuousClock.Instant?
    private var lastPhase = ApplyPhase.login
    private static let closeGrace: Duration = .seconds(2)

    init(steps: [ApplyStep], restartSteps: Set<Int>, timeouts: Timeouts, restartTimeout: Double) {
        conversation = ApplyConversation(steps: steps)
        self.restartSteps = restartSteps
        self.timeouts = timeouts
        self.restartTimeout = restartTimeout
    }

    var deadline: ContinuousClock.Instant? { phaseDeadline }

    func shellOpened(now: ContinuousClock.Instant) -> ShellAction {
        phaseDeadline = now + Timeouts.duration(timeouts.login)
        return .wait
    }

    func received(_ bytes: [UInt8], now: ContinuousClock.Instant) -> ShellAction {
        let reply = conversation.receive(bytes)
        if conversation.phase != lastPhase {
            lastPhase = conversation.phase
            let limit: Double
            if conversation.isDone {
                phaseDeadline = now + Self.closeGrace
                return reply.isEmpty ? .close : .send(reply)
            } else if let i = conversation.currentStepIndex, restartSteps.contains(i) {
                limit = restartTimeout
            } else {
                limit = timeouts.command
            }
            phaseDeadline = now + Timeouts.duration(limit)
        }
        if conversation.isDone && reply.isEmpty { return .close }
        return reply.isEmpty ? .wait : .send(reply)
    }

    func endOfFile(now: ContinuousClock.Instant) { conversation.endOfFile() }

    func deadlinePassed(now: ContinuousClock.Instant) { conversation.timedOut() }

    func finish() -> ApplySession {
        ApplySession(conversation: conversation, transcript: conversation.transcript, lastBytes: conversation.lastBytesDescription(200))
    }
}
