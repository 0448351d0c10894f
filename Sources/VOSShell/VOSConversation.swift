/// The VOS CLI conversation as a pure state machine over received bytes: no I/O, no clocks, no threads.
///
/// It waits for the first `admin:` prompt, turns pagination off, runs each command (dropping its
/// echo and the prompt after it, answering the pager with a space, refusing confirmation questions),
/// then types `exit`. The caller moves bytes and owns the deadlines: it feeds what the node sent to
/// ``receive(_:)``, sends back what that returns, and calls ``endOfFile()`` or ``timedOut()``.
///
/// **When the end of the text counts.** ANSI is stripped and line state is tracked byte by byte, but
/// the prompt, pager and question checks are made once per ``receive(_:)``, on the tail of everything
/// received so far, and only that tail: a prompt is a prompt when the received bytes *end* with it.
/// A line `admin:` followed by more output in the same chunk is output. This relies on what a node
/// does: after a real prompt, pager or question it prints nothing until something is typed, and the
/// conversation answers at once, so the text that counts is always the end of the stream and any
/// chunking of a real conversation gives the same results. What cannot be told apart without
/// clocks (which belong to the caller) is prompt-like output that happens to end a chunk while the
/// node is still printing; requiring the prompt to be a whole line of exactly `admin:` or
/// `admin[N]:` keeps that to text no VOS command prints.
///
/// **Confirmations are never confirmed.** An audit must not change a node, so a question is refused
/// with the answer that cannot go ahead: `n` for `(y/n)`/`[y/n]`, `no` for `(yes/no)`/`[yes/no]` (the
/// question's own negative, after which the CLI returns to its prompt). `Press ENTER to continue` has
/// no negative (ENTER is the go-ahead), so it gets Ctrl-C, which cancels a running VOS command. If a
/// question comes back on a later line, Ctrl-C once more; after that nothing is typed and the
/// caller's deadline ends it. The command is `.aborted(confirmation:)` with the question as printed,
/// and the conversation goes on with the next command when the prompt returns.
///
/// **Pager.** Though pagination is turned off first, a pager line (`… <space> for one page …`) at the
/// end of the text is answered with a single space, and removed from the output together with what
/// the node prints to wipe it (blanks and carriage returns), so paged and unpaged outputs match.
///
/// Each command is one line: a command holding a line break would desynchronise the conversation.
public struct VOSConversation: Sendable {
    /// The commands to run, in order; grows once when ``followUp`` gives more.
    public private(set) var commands: [String]
    /// Asked once, when the given commands have all run, for the commands that depend on their results (what a
    /// release has, known only after `show version active`). Pure: the results in, the command lines out.
    public typealias FollowUp = @Sendable ([CommandResult]) -> [String]
    private var followUp: FollowUp?
    public let config: VOSConversationConfig
    /// Where the conversation is; after a failure, the phase that failed.
    public private(set) var phase: VOSPhase = .login
    /// Running, finished (after `exit`), or failed (see ``failure``).
    public private(set) var state: VOSState = .running
    /// Why the conversation stopped early, nil while running and after a clean finish.
    public private(set) var failure: VOSFailure?
    /// One per command (the setup command is ``setupResult``), in order; commands not reached are `.notRun`.
    public private(set) var results: [CommandResult]
    /// The result of `set cli pagination off`, once it ran (nil when `disablePagination` is false).
    public private(set) var setupResult: CommandResult?
    /// Every byte received, raw (ANSI and all), in order; once done, at most 64 KiB more. Nothing sent is in
    /// it: the node echoes.
    public var transcript: [UInt8] { received.transcript }

    /// The command that turns the pager off for the session.
    public static let setupCommand = VOSText.setupCommand

    private var received = ReceivedText()
    private var step = Step(command: "", keepsText: false)
    /// Raw bytes received before the first prompt.
    private var bannerBytes = 0

    /// Prepares a conversation; nothing is sent before the node's first prompt.
    public init(commands: [String], config: VOSConversationConfig = .init(), followUp: FollowUp? = nil) {
        self.commands = commands
        self.config = config
        self.followUp = followUp
        results = commands.map { CommandResult(command: $0, output: "", outcome: .notRun) }
    }

    /// Finished or failed: the caller can close the session.
    public var isDone: Bool { state != .running }

    /// Index of the command currently running, nil in login/setup/exiting and once done.
    public var currentCommandIndex: Int? {
        guard state == .running, case .command(let index) = phase else { return nil }
        return index
    }

    /// Feeds received bytes; returns the bytes to send now (possibly empty).
    public mutating func receive<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        // Everything else is non-generic over contiguous bytes: a node dribbling a large output makes
        // this the hot path, one call per byte.
        if let reply = bytes.withContiguousStorageIfAvailable({ receive(contiguous: $0) }) { return reply }
        return Array(bytes).withUnsafeBufferPointer { receive(contiguous: $0) }
    }

    /// Feeds received bytes; returns the bytes to send now (possibly empty). The same as the generic
    /// form, without generic dispatch per call (it shows when a node sends a byte per read).
    public mutating func receive(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBufferPointer { receive(contiguous: $0) }
    }

    /// Feeds received bytes; returns the bytes to send now (possibly empty). The same as the generic form.
    public mutating func receive(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        bytes.withUnsafeBufferPointer { receive(contiguous: $0) }
    }

    private mutating func receive(contiguous bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard state == .running else { received.recordTrailing(bytes); return [] }
        received.record(bytes)
        consume(bytes)
        guard state == .running else { return [] }
        return act()
    }

    /// The remote closed the session: a failure unless the conversation had finished.
    public mutating func endOfFile() {
        guard state == .running else { return }
        fail(.disconnected(phase), outcome: .disconnected)
    }

    /// The caller's deadline for the current phase passed.
    public mutating func timedOut() {
        guard state == .running else { return }
        fail(.timeout(phase), outcome: .timedOut)
    }

    /// The last `count` bytes received, ANSI-stripped, control characters escaped (`\r`, `\n`,
    /// `\t`, `\u{1B}` style; a backslash as `\\`) for error details.
    public func lastBytesDescription(_ count: Int = 200) -> String {
        received.lastBytesDescription(count)
    }

    // MARK: - Bytes

    private mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>) {
        for byte in bytes {
            if case .login = phase {
                if bannerBytes == config.maxBannerBytes {
                    fail(.bannerLimit(limit: config.maxBannerBytes), outcome: .notRun)
                    return
                }
                bannerBytes += 1
            }
            if received.keepsText && received.rawCount == config.maxOutputBytes {
                fail(.outputLimit(command: step.command, limit: config.maxOutputBytes),
                     outcome: .truncated(limit: config.maxOutputBytes))
                return
            }
            received.count()
            if received.isText(byte) { step.take(byte, into: &received) }
        }
    }

    /// Decides on the tail of what was received; called once per received chunk.
    private mutating func act() -> [UInt8] {
        let waitingForLogin: Bool
        if case .login = phase { waitingForLogin = true } else { waitingForLogin = false }
        switch step.sighting(received, promptOnly: waitingForLogin) {
        case .nothing:
            return []
        case .prompt:
            return promptArrived()
        case .pager:
            guard step.pagerAnswers < config.maxPagerAnswers else {
                step.removePagerText(&received)
                fail(.pagerLimit(command: step.command), outcome: .truncated(limit: config.maxPagerAnswers), atTail: true)
                return []
            }
            step.pagerAnswers += 1
            step.cutPager(&received)
            // A space shows the next page; no line ending, the pager reads single keys.
            return [TailMatch.space]
        case .question(let refusal):
            step.questionRefused(received)
            switch step.refusals {
            case 1:
                switch refusal {
                case .answer(let word): return Array((word + config.lineEnding).utf8)
                case .interrupt: return [0x03]
                }
            case 2:
                // Asked again after our "no" (not accepted, or a second question): interrupt the command.
                // Ctrl-C cancels a running VOS command and can never be read as a yes.
                return [0x03]
            default:
                // Still asking: type nothing more; the caller's deadline ends it.
                return []
            }
        }
    }

    // MARK: - Transitions

    private mutating func promptArrived() -> [UInt8] {
        switch phase {
        case .login:
            break
        case .setup:
            setupResult = step.result(received, outcome: .completed, upToPrompt: true)
        case .command(let index):
            results[index] = step.result(received, outcome: .completed, upToPrompt: true)
        case .exiting, .finished:
            return []
        }
        let next: Int
        switch phase {
        case .login where config.disablePagination:
            return start(Self.setupCommand, phase: .setup)
        case .login, .setup:
            next = 0
        case .command(let index):
            next = index + 1
        case .exiting, .finished:
            return []
        }
        if next == commands.count, let ask = followUp {
            followUp = nil
            let more = ask(results).filter { !$0.contains(where: \.isNewline) }
            commands += more
            results += more.map { CommandResult(command: $0, output: "", outcome: .notRun) }
        }
        if next < commands.count { return start(commands[next], phase: .command(next)) }
        phase = .finished
        state = .finished
        begin(Step(command: "", keepsText: false))
        return Array((VOSText.exitCommand + config.lineEnding).utf8)
    }

    private mutating func start(_ command: String, phase: VOSPhase) -> [UInt8] {
        self.phase = phase
        begin(Step(command: command, keepsText: true))
        return Array((command + config.lineEnding).utf8)
    }

    private mutating func begin(_ next: Step) {
        step = next
        received.startStep(keepingText: next.keepsText)
    }

    /// `atTail`: the failure was decided on the tail of the text (see `Step.result`).
    private mutating func fail(_ failure: VOSFailure, outcome: CommandOutcome, atTail: Bool = false) {
        self.failure = failure
        state = .failed
        switch phase {
        case .setup:
            setupResult = step.result(received, outcome: outcome, upToPrompt: false, upToLastVisible: atTail)
        case .command(let index):
            results[index] = step.result(received, outcome: outcome, upToPrompt: false, upToLastVisible: atTail)
        case .login, .exiting, .finished:
            break
        }
    }
}
