import SSHClient

/// A deliberately small VOS conversation for the SSH tests: wait for `admin:` at the end of the
/// output, send the next command, collect its output, answer the pager with a space, and at the
/// end either send `exit` (and wait for the server to close) or close from our side.
///
/// It is independent of the VOSShell target on purpose: these tests are about transport.
final class PromptDriver: ShellDriver {
    struct Result: Sendable {
        var transcript: [UInt8] = []
        /// Output per command, from after its echo up to the next prompt.
        var outputs: [String] = []
        var sawEndOfFile = false
        var deadlineFired = false
        var pagerAnswers = 0
        var sawPrompt = false
        var shellOpenedAt: ContinuousClock.Instant?
        var finishCount = 0

        var text: String { String(decoding: transcript, as: UTF8.self) }
    }

    enum Ending { case exitCommand, close }

    private let commands: [String]
    private let ending: Ending
    private let promptTimeout: Duration
    private let commandTimeout: Duration
    private var next = 0
    private var current: [UInt8] = []
    private var result = Result()
    private var exiting = false
    private(set) var deadline: ContinuousClock.Instant?
    static let pagerPrompt = Array("Press <enter> for 1 line, <space> for one page, or <q> to quit\u{1B}[0m".utf8)

    init(commands: [String] = ["set cli pagination off", "show version active"], ending: Ending = .exitCommand,
         promptTimeout: Duration = .seconds(10), commandTimeout: Duration = .seconds(10)) {
        self.commands = commands
        self.ending = ending
        self.promptTimeout = promptTimeout
        self.commandTimeout = commandTimeout
    }

    func shellOpened(now: ContinuousClock.Instant) -> ShellAction {
        result.shellOpenedAt = now
        deadline = now + promptTimeout
        return .wait
    }

    func received(_ bytes: [UInt8], now: ContinuousClock.Instant) -> ShellAction {
        result.transcript += bytes
        current += bytes
        if current.ends(with: Self.pagerPrompt) {
            result.pagerAnswers += 1
            return .send(Array(" ".utf8))
        }
        guard !exiting, Self.stripANSI(current).ends(with: Array("admin:".utf8)) else { return .wait }
        if result.sawPrompt {
            result.outputs.append(String(decoding: Self.stripANSI(current).dropLast(6), as: UTF8.self))
        }
        result.sawPrompt = true
        current = []
        if next < commands.count {
            let command = commands[next]
            next += 1
            deadline = now + commandTimeout
            return .send(Array((command + "\n").utf8))
        }
        switch ending {
        case .close:
            deadline = nil
            return .close
        case .exitCommand:
            exiting = true
            deadline = now + .seconds(5)
            return .send(Array("exit\n".utf8))
        }
    }

    func endOfFile(now: ContinuousClock.Instant) {
        result.sawEndOfFile = true
    }

    func deadlinePassed(now: ContinuousClock.Instant) {
        result.deadlineFired = true
    }

    func finish() -> Result {
        result.finishCount += 1
        return result
    }

    static func stripANSI(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x1B, index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "[") {
                index += 2
                while index < bytes.count, !(0x40...0x7E).contains(bytes[index]) { index += 1 }
                index += 1
                continue
            }
            out.append(bytes[index])
            index += 1
        }
        return out
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
    }
}
