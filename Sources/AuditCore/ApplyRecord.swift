/// What `remediate --apply` did on one node, step by step.
public struct NodeApplyRecord: Sendable {
    public enum Status: String, Sendable {
        /// Every step typed was applied (restarts may have been skipped).
        case applied
        /// A step failed or the session ended midway: the steps say exactly what was applied.
        case stopped
        /// Nothing was typed: the node could not be reached or logged into.
        case notContacted = "not_contacted"
        /// The person declined at the confirmation.
        case declined
        /// Not started: a node before it in its cluster stopped or was not contacted (the detail says which and why),
        /// and a cluster's nodes change one at a time, each only once the one before it is verified.
        case notRun = "not_run"
    }

    public enum StepStatus: String, Sendable {
        case applied, skipped, failed
        case notRun = "not_run"
        /// Typed, and the node answered that every origin of the `add` was already in the list: nothing changed.
        case unchanged = "no_change"
    }

    public struct Step: Sendable {
        public var step: RemediationAction
        public var status: StepStatus
        /// Why it was skipped or failed.
        public var detail: String?
        /// What the node printed for it (ANSI stripped), when it was typed.
        public var output: String?

        public init(step: RemediationAction, status: StepStatus, detail: String?, output: String?) {
            self.step = step; self.status = status; self.detail = detail; self.output = output
        }
    }

    public var cluster: String
    public var host: String
    public var status: Status
    public var detail: String?
    public var steps: [Step]
    /// Restarts skipped (no `--restart`) on a node where a change was applied.
    public var restartsPending: [RemediationAction]
    /// Every byte the shell sent, when a shell opened.
    public var transcript: [UInt8]?

    public init(cluster: String, host: String, status: Status, detail: String?, steps: [Step],
                restartsPending: [RemediationAction], transcript: [UInt8]?) {
        self.cluster = cluster; self.host = host; self.status = status; self.detail = detail; self.steps = steps
        self.restartsPending = restartsPending; self.transcript = transcript
    }

    /// The node's apply did not complete: it stopped, was not contacted, or was not run (declined is the person's choice).
    public var isIncomplete: Bool { status == .stopped || status == .notContacted || status == .notRun }

    /// Something was typed at the node's prompt (so it may have changed).
    public var typedAnything: Bool {
        steps.contains { $0.status == .applied || $0.status == .failed || $0.status == .unchanged }
    }

    /// Every step that would change the node was typed and changed nothing (each `add` was already configured).
    public var changedNothing: Bool {
        let changing = steps.filter { $0.step.changesNode && $0.status != .skipped }
        return status == .applied && !changing.isEmpty && changing.allSatisfy { $0.status == .unchanged }
    }

    public static func declined(_ plan: RemediationPlan) -> NodeApplyRecord {
        NodeApplyRecord(cluster: plan.cluster, host: plan.host, status: .declined, detail: "declined at the confirmation; nothing was typed",
                        steps: plan.steps.map { Step(step: $0, status: .notRun, detail: nil, output: nil) },
                        restartsPending: [], transcript: nil)
    }
}

