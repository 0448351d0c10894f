/// Settings of one VOS CLI conversation.
public struct VOSConversationConfig: Sendable, Equatable {
    public var lineEnding: String
    /// Raw bytes one command (or the login banner) may print before the conversation gives up.
    public var maxOutputBytes: Int
    public var maxPagerAnswers: Int
    /// Send `set cli pagination off` before the first command.
    public var disablePagination: Bool

    public init(lineEnding: String = "\n", maxOutputBytes: Int = 4 << 20, maxPagerAnswers: Int = 10_000, disablePagination: Bool = true) {
        self.lineEnding = lineEnding; self.maxOutputBytes = maxOutputBytes
        self.maxPagerAnswers = maxPagerAnswers; self.disablePagination = disablePagination
    }
}

/// Where the conversation is: waiting for the first prompt, turning pagination off, running command i, done.
public enum VOSPhase: Sendable, Equatable { case login, setup, command(Int), exiting, finished }

public enum CommandOutcome: Sendable, Equatable {
    case completed
    /// A confirmation prompt appeared; it was refused, never confirmed.
    case aborted(confirmation: String)
    case truncated(limit: Int)
    case disconnected
    case timedOut
    /// The conversation failed before reaching it.
    case notRun
}

public struct CommandResult: Sendable, Equatable {
    public var command: String
    /// ANSI stripped, line ends normalized to `\n`, echo and prompt removed.
    public var output: String
    public var outcome: CommandOutcome
    public var pagerAnswers: Int
    /// Raw bytes received for this command.
    public var byteCount: Int
}

public enum VOSFailure: Sendable, Equatable {
    case timeout(VOSPhase)
    case disconnected(VOSPhase)
    case outputLimit(command: String, limit: Int)
    case pagerLimit(command: String)
}

/// The VOS CLI conversation as a pure state machine over received bytes.
///
/// It waits for the `admin:` prompt, turns pagination off, runs each command (skipping its echo,
/// answering the pager with a space, refusing confirmation prompts), then sends `exit`. Decisions are
/// taken byte by byte, so any chunking of the same bytes gives the same results.
public struct VOSConversation: Sendable {
    public let commands: [String]
    public let config: VOSConversationConfig
    public private(set) var phase: VOSPhase = .login
    public private(set) var failure: VOSFailure?
    public private(set) var results: [CommandResult]
    public private(set) var setupResult: CommandResult?
    /// Every byte received, raw, in order.
    public private(set) var transcript: [UInt8] = []

    static let setupCommand = "set cli pagination off"

    private var filter = ANSIFilter()
    /// ANSI-stripped bytes of the current phase since the last command was sent.
    private var current: [UInt8] = []
    private var lineStart = 0
    /// Where the output starts in `current` once the echo line has been judged.
    private var outputStart = 0
    private var echoPending = false
    private var rawCount = 0
    private var pagerAnswers = 0
    private var aborted: String?
    private var outgoing: [UInt8] = []

    public init(commands: [String], config: VOSConversationConfig = .init()) {
        self.commands = commands
        self.config = config
        results = commands.map { CommandResult(command: $0, output: "", outcome: .notRun, pagerAnswers: 0, byteCount: 0) }
    }

    /// Finished or failed: the caller can close the session.
    public var isDone: Bool { phase == .finished || failure != nil }

    /// Index of the command currently running, nil in login/setup/exiting.
    public var currentCommandIndex: Int? {
        if case .command(let i) = phase { return i }
        return nil
    }

    /// Feeds received bytes; returns the bytes to send now (possibly empty).
    public mutating func receive<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        transcript.append(contentsOf: bytes)
        outgoing.removeAll(keepingCapacity: true)
        for byte in bytes {
            if isDone { break }
            rawCount += 1
            if rawCount > config.maxOutputBytes {
                fail(.outputLimit(command: currentCommandText, limit: config.maxOutputBytes), outcome: .truncated(limit: config.maxOutputBytes))
                break
            }
            guard let b = filter.filter(byte) else { continue }
            current.append(b)
            if b == UInt8(ascii: "\n") {
                lineEnded()
            } else if Self.mayEndSomething(b) {
                inspectLine()
            }
        }
        return outgoing
    }

    /// The remote closed the session.
    public mutating func endOfFile() {
        guard !isDone else { return }
        fail(.disconnected(phase), outcome: .disconnected)
    }

    /// The caller's deadline for the current phase passed.
    public mutating func timedOut() {
        guard !isDone else { return }
        fail(.timeout(phase), outcome: .timedOut)
    }

    /// The last `count` bytes received, ANSI-stripped, control characters escaped.
    public func lastBytesDescription(_ count: Int = 200) -> String {
        let tail = ANSIFilter.strip(transcript.suffix(count * 2))
        let text = String(decoding: tail.suffix(count), as: UTF8.self)
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\x" + (hex.count == 1 ? "0" : "") + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    // MARK: - Detection

    /// Prompts end in `:`/space, the pager in `quit`/space, confirmations in `?`, `)`, `]`, `:` or `continue`:
    /// other bytes cannot complete one, so the line is not inspected for them.
    private static func mayEndSomething(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: ":"), UInt8(ascii: " "), UInt8(ascii: "?"), UInt8(ascii: ")"), UInt8(ascii: "]"),
             UInt8(ascii: "t"), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "T"):
            return true
        default:
            return false
        }
    }

    private var currentCommandText: String {
        switch phase {
        case .setup: return Self.setupCommand
        case .command(let i): return commands[i]
        default: return ""
        }
    }

    private mutating func lineEnded() {
        if echoPending {
            echoPending = false
            let line = Self.trimmed(current[lineStart..<current.count])
            // Drop the echo only when it is the command itself; anything else is output and kept.
            if line == Array(currentCommandText.utf8) { outputStart = current.count }
        }
        lineStart = current.count
    }

    private mutating func inspectLine() {
        let lineLength = current.count - lineStart
        // The tail of the current line is all that can hold a prompt: bounded, so drip-feeding stays linear.
        let tail = Self.trimmed(current[max(lineStart, current.count - 160)..<current.count])
        if lineLength <= 24, Self.isPrompt(tail), current.last == UInt8(ascii: ":") || current.last == UInt8(ascii: " ") {
            promptArrived()
            return
        }
        guard phase != .login else { return }
        let lower = tail.map { (65...90).contains($0) ? $0 + 32 : $0 }
        if Self.isPager(lower) {
            pagerAnswers += 1
            if pagerAnswers > config.maxPagerAnswers {
                fail(.pagerLimit(command: currentCommandText), outcome: .truncated(limit: config.maxOutputBytes))
                return
            }
            current.removeSubrange(lineStart...)
            outgoing.append(UInt8(ascii: " "))
            return
        }
        if aborted == nil, let answer = Self.confirmationAnswer(lower) {
            aborted = String(decoding: tail, as: UTF8.self)
            outgoing += answer == "\u{3}" ? [3] : Array((answer + config.lineEnding).utf8)
        }
    }

    static func isPrompt(_ line: [UInt8]) -> Bool {
        let admin = Array("admin".utf8)
        guard line.count >= 6, line.starts(with: admin), line.last == UInt8(ascii: ":") else { return false }
        let middle = line[admin.count..<(line.count - 1)]
        if middle.isEmpty { return true }
        // admin[N]:
        guard middle.first == UInt8(ascii: "["), middle.last == UInt8(ascii: "]"), middle.count > 2 else { return false }
        return middle.dropFirst().dropLast().allSatisfy { (48...57).contains($0) }
    }

    static let pagerCore = Array("<space> for one page".utf8)
    static func isPager(_ lower: [UInt8]) -> Bool {
        lower.count >= pagerCore.count && lower.hasSuffix(Array("quit".utf8)) && lower.contains(subsequence: pagerCore)
    }

    /// The refusal to type at a confirmation prompt: `n`, `no`, or Ctrl-C for "Press ENTER to continue",
    /// where any answer but an interrupt would confirm.
    static func confirmationAnswer(_ lower: [UInt8]) -> String? {
        for suffix in ["(y/n)?", "(y/n)", "(y/n):", "[y/n]", "[y/n]?", "[y/n]:"] where lower.hasSuffix(Array(suffix.utf8)) { return "n" }
        for suffix in ["(yes/no)?", "(yes/no)", "(yes/no):", "[yes/no]", "[yes/no]?"] where lower.hasSuffix(Array(suffix.utf8)) { return "no" }
        if lower.hasSuffix(Array("press enter to continue".utf8)) || lower.hasSuffix(Array("press enter to continue...".utf8)) { return "\u{3}" }
        return nil
    }

    // MARK: - Transitions

    private mutating func promptArrived() {
        switch phase {
        case .login:
            break
        case .setup:
            setupResult = finishedResult(Self.setupCommand)
        case .command(let i):
            results[i] = finishedResult(commands[i])
        case .exiting, .finished:
            return
        }
        let next: Int
        switch phase {
        case .login:
            if config.disablePagination {
                send(Self.setupCommand, phase: .setup)
                return
            }
            next = 0
        case .setup: next = 0
        case .command(let i): next = i + 1
        default: return
        }
        if next < commands.count {
            send(commands[next], phase: .command(next))
        } else {
            outgoing += Array(("exit" + config.lineEnding).utf8)
            phase = .finished
        }
    }

    private mutating func finishedResult(_ command: String) -> CommandResult {
        let body = lineStart > outputStart ? current[outputStart..<lineStart] : []
        return CommandResult(command: command, output: Self.normalize(body),
                             outcome: aborted.map { .aborted(confirmation: $0) } ?? .completed,
                             pagerAnswers: pagerAnswers, byteCount: rawCount)
    }

    private mutating func send(_ command: String, phase: VOSPhase) {
        outgoing += Array((command + config.lineEnding).utf8)
        self.phase = phase
        current.removeAll(keepingCapacity: true)
        lineStart = 0
        outputStart = 0
        echoPending = true
        rawCount = 0
        pagerAnswers = 0
        aborted = nil
    }

    private mutating func fail(_ failure: VOSFailure, outcome: CommandOutcome) {
        self.failure = failure
        if case .command(let i) = phase {
            results[i] = CommandResult(command: commands[i], output: Self.normalize(current[min(outputStart, current.count)...]),
                                       outcome: outcome, pagerAnswers: pagerAnswers, byteCount: rawCount)
        }
    }

    /// `\r\n` and lone `\r` become `\n`; decoded once.
    static func normalize(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var previousCR = false
        for b in bytes {
            if b == UInt8(ascii: "\r") { out.append(UInt8(ascii: "\n")); previousCR = true; continue }
            if b == UInt8(ascii: "\n") && previousCR { previousCR = false; continue }
            previousCR = false
            out.append(b)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Without surrounding spaces, tabs and CR.
    static func trimmed(_ s: ArraySlice<UInt8>) -> [UInt8] {
        var slice = s
        while let f = slice.first, f == 0x20 || f == 0x09 || f == 0x0D || f == 0x0A { slice = slice.dropFirst() }
        while let l = slice.last, l == 0x20 || l == 0x09 || l == 0x0D || l == 0x0A { slice = slice.dropLast() }
        return Array(slice)
    }
}

extension Array where Element == UInt8 {
    func hasSuffix(_ s: [UInt8]) -> Bool { count >= s.count && self[(count - s.count)...].elementsEqual(s) }

    func contains(subsequence s: [UInt8]) -> Bool {
        guard s.count <= count else { return false }
        for start in 0...(count - s.count) where self[start..<(start + s.count)].elementsEqual(s) { return true }
        return false
    }
}
