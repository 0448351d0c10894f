import AuditCore
import SSHClient
import VOSShell

/// What one node's shell conversation produced, whatever happened.
public struct ShellTranscript: Sendable {
    public var results: [CommandResult]
    public var failure: VOSFailure?
    public var transcript: [UInt8]
    public var lastBytes: String
    public var phaseTimings: [(phase: String, seconds: Double)]
}

/// Runs the VOS conversation on one SSH shell and owns its clocks: the login deadline until the
/// first prompt, then one command deadline per command.
final class VOSDriver: ShellDriver {
    private var conversation: VOSConversation
    private let timeouts: Timeouts
    private var phaseDeadline: ContinuousClock.Instant?
    private var lastPhase: VOSPhase
    private var phaseStarted: ContinuousClock.Instant
    private var timings: [(phase: String, seconds: Double)] = []
    /// After `exit`, how long to wait for the node to close before closing ourselves.
    private static let closeGrace: Duration = .seconds(2)

    init(commands: [String], timeouts: Timeouts, config: VOSConversationConfig = .init(), followUp: VOSConversation.FollowUp? = nil) {
        conversation = VOSConversation(commands: commands, config: config, followUp: followUp)
        self.timeouts = timeouts
        lastPhase = conversation.phase
        phaseStarted = .now
    }

    var deadline: ContinuousClock.Instant? { phaseDeadline }

    func shellOpened(now: ContinuousClock.Instant) -> ShellAction {
        phaseStarted = now
        phaseDeadline = now + Timeouts.duration(timeouts.login)
        return .wait
    }

    func received(_ bytes: [UInt8], now: ContinuousClock.Instant) -> ShellAction {
        let reply = conversation.receive(bytes)
        noticePhase(now: now)
        if conversation.isDone && conversation.failure != nil { return .close }
        return reply.isEmpty ? .wait : .send(reply)
    }

    func endOfFile(now: ContinuousClock.Instant) {
        conversation.endOfFile()
        noticePhase(now: now)
    }

    func deadlinePassed(now: ContinuousClock.Instant) {
        // Past the grace period after a clean `exit` nothing failed: the node just kept the channel open.
        if !conversation.isDone { conversation.timedOut() }
        noticePhase(now: now)
    }

    func finish() -> ShellTranscript {
        ShellTranscript(results: conversation.results, failure: conversation.failure, transcript: conversation.transcript,
                        lastBytes: conversation.lastBytesDescription(200), phaseTimings: timings)
    }

    private func noticePhase(now: ContinuousClock.Instant) {
        let phase = conversation.phase
        guard phase != lastPhase else { return }
        let elapsed = now - phaseStarted
        timings.append((Self.name(lastPhase), Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
        lastPhase = phase
        phaseStarted = now
        switch phase {
        case .login: phaseDeadline = now + Timeouts.duration(timeouts.login)
        case .setup, .command: phaseDeadline = now + Timeouts.duration(timeouts.command)
        case .exiting, .finished: phaseDeadline = conversation.isDone ? now + Self.closeGrace : now + Timeouts.duration(timeouts.command)
        }
    }

    static func name(_ phase: VOSPhase) -> String {
        switch phase {
        case .login: "login"
        case .setup: "setup"
        case .command(let i): "command \(i + 1)"
        case .exiting: "exit"
        case .finished: "finished"
        }
    }
}
