/// Settings of one VOS CLI conversation.
public struct VOSConversationConfig: Sendable, Equatable {
    /// Appended to every line the conversation types (commands, `n`/`no` refusals, `exit`).
    public var lineEnding: String
    /// Raw bytes one command (the setup command included) may print before the conversation gives up.
    public var maxOutputBytes: Int
    /// Raw bytes the node may print before its first prompt (a VOS banner is a few KB); past it the
    /// conversation gives up rather than keep a flooding node's transcript until the login deadline.
    public var maxBannerBytes: Int
    /// Pager answers one command may need before the conversation gives up.
    public var maxPagerAnswers: Int
    /// Send `set cli pagination off` before the first command.
    public var disablePagination: Bool

    /// Creates a configuration; every setting has the default the audit uses.
    public init(lineEnding: String = "\n", maxOutputBytes: Int = 4 << 20, maxPagerAnswers: Int = 10_000,
                disablePagination: Bool = true, maxBannerBytes: Int = 1 << 20) {
        self.lineEnding = lineEnding
        self.maxOutputBytes = maxOutputBytes
        self.maxBannerBytes = maxBannerBytes
        self.maxPagerAnswers = maxPagerAnswers
        self.disablePagination = disablePagination
    }
}

/// Where the conversation is. After a failure it stays at the phase that failed.
public enum VOSPhase: Sendable, Equatable {
    /// Waiting for the first `admin:` prompt.
    case login
    /// `set cli pagination off` is running.
    case setup
    /// The command at this index of `commands` is running.
    case command(Int)
    /// Never rested in: `exit` is typed in the same step that finishes the conversation. Kept so
    /// callers can name the step in timings and messages.
    case exiting
    /// `exit` was sent after the last command; nothing more is expected.
    case finished
}

/// Whether the conversation still needs bytes.
public enum VOSState: Sendable, Equatable {
    case running
    case finished
    case failed
}

/// What happened to one command.
public enum CommandOutcome: Sendable, Equatable {
    /// The command ran and the prompt came back.
    case completed
    /// A confirmation prompt appeared; it was refused (never confirmed). The text is the question as printed.
    case aborted(confirmation: String)
    /// The output went past a cap and the conversation stopped. `limit` is `maxOutputBytes` for an
    /// output limit and `maxPagerAnswers` for a pager limit; the conversation's `failure` says which.
    case truncated(limit: Int)
    /// The remote closed the session while the command ran.
    case disconnected
    /// The caller's deadline passed while the command ran.
    case timedOut
    /// The conversation failed before reaching it.
    case notRun
}

/// One command's result.
public struct CommandResult: Sendable, Equatable {
    public var command: String
    /// ANSI stripped, line ends normalized to `\n`, echo and prompt line removed. Partial when the
    /// command did not complete.
    public var output: String
    public var outcome: CommandOutcome
    /// How many times the pager was answered with a space.
    public var pagerAnswers: Int
    /// Raw bytes received for this command (escape sequences, echo and prompt included).
    public var byteCount: Int

    /// Creates a result.
    public init(command: String, output: String, outcome: CommandOutcome, pagerAnswers: Int = 0, byteCount: Int = 0) {
        self.command = command
        self.output = output
        self.outcome = outcome
        self.pagerAnswers = pagerAnswers
        self.byteCount = byteCount
    }
}

/// Why a conversation stopped before `exit`.
public enum VOSFailure: Sendable, Equatable {
    /// The caller's deadline passed in this phase.
    case timeout(VOSPhase)
    /// The remote closed the session in this phase.
    case disconnected(VOSPhase)
    /// The command printed more than `limit` raw bytes.
    case outputLimit(command: String, limit: Int)
    /// The command needed more pager answers than allowed.
    case pagerLimit(command: String)
    /// The node printed more than `limit` raw bytes before its first prompt.
    case bannerLimit(limit: Int)
}
