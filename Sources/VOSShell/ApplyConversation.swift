/// One change typed at a node's `admin:` prompt during an apply.
public enum ApplyStep: Sendable, Equatable {
    /// A line typed as is; it succeeded when the prompt returns without a failure marker.
    case command(String)
    /// An interactive delete: type `command`, read the numbered list the node prints, and answer
    /// `index` only when that entry is exactly `origin`; otherwise answer `q` and stop.
    case delete(command: String, index: Int, origin: String)

    /// The line typed first.
    public var line: String {
        switch self {
        case .command(let c): c
        case .delete(let c, _, _): c
        }
    }
}

/// What became of one step.
public enum ApplyStepOutcome: Sendable, Equatable {
    /// Typed; the prompt came back without a failure marker.
    case applied
    /// Stopped here; the text says why (and, when it matters, that the effect is unknown).
    case failed(String)
    /// Not reached: an earlier step failed or the session ended first.
    case notRun
}

/// One step's result.
public struct ApplyStepResult: Sendable, Equatable {
    public var step: ApplyStep
    public var outcome: ApplyStepOutcome
    /// ANSI stripped, line ends `\n`, the echo of the command and the final prompt removed. For a
    /// delete: the list the node printed, the selection prompt, the answer's echo and what followed.
    public var output: String

    public init(step: ApplyStep, outcome: ApplyStepOutcome, output: String) {
        self.step = step; self.outcome = outcome; self.output = output
    }
}

/// Where an apply conversation is.
public enum ApplyPhase: Sendable, Equatable {
    /// Waiting for the first `admin:` prompt.
    case login
    /// `set cli pagination off` is running.
    case setup
    /// The step at this index is running.
    case step(Int)
    /// A step failed or was refused: waiting for the prompt to type `exit`.
    case leaving
    /// `exit` was typed (or the session ended); nothing more is sent.
    case done
}

/// Why an apply conversation ended before its last step completed.
public enum ApplyFailure: Sendable, Equatable {
    /// A step failed (its result says why); the conversation left the node.
    case stepFailed(index: Int)
    /// The caller's deadline passed in this phase.
    case timeout(ApplyPhase)
    /// The node closed the session in this phase.
    case disconnected(ApplyPhase)
    /// A step printed more than the byte limit.
    case outputLimit(index: Int)
    /// The node printed more than `limit` bytes in a phase other than a step: the login banner (before the
    /// first prompt) or `set cli pagination off`. Nothing was typed after it.
    case phaseLimit(ApplyPhase, limit: Int)
    /// `set cli pagination off` asked a question (refused): no step was typed.
    case setupRefused(String)
}

/// Carries changes out at a VOS `admin:` prompt, as a pure state machine over received bytes.
///
/// Unlike the audit's ``VOSConversation``, this one changes the node, so it is strict about what
/// it answers:
/// - It waits for the first prompt, types `set cli pagination off`, then each step in order.
/// - A command succeeded when the prompt comes back and its output holds no failure marker
///   (`Executed command unsuccessfully`, a line starting `Invalid command`); otherwise it stops.
/// - A delete reads the numbered list the node prints (`N: origin` or `N. origin`, ANSI stripped,
///   trailing blanks trimmed) up to `Select the index of origin to be deleted [1-N or a,q]` (Finesse:
///   `origin(s)`; with or without a trailing `:`), and
///   answers the planned index only when that entry is exactly the planned origin. Otherwise it
///   answers `q` and stops with `index N holds X, not Y; list changed since the audit`. It never
///   answers `a`.
/// - Any confirmation question (`(y/n)`, `[yes/no]`, `Press ENTER to continue`) is refused with
///   its own negative (Ctrl-C for ENTER) and the node is left; a selection prompt outside a delete
///   gets `q`.
/// - The pager, should it appear, is answered with a space.
///
/// Decisions are taken on the tail of the received text once per ``receive(_:)``, like the audit
/// conversation: a node prints nothing after a prompt until something is typed, so any chunking of
/// the same bytes gives the same result. Clocks belong to the caller (``timedOut()``).
public struct ApplyConversation: Sendable {
    public let steps: [ApplyStep]
    public private(set) var phase: ApplyPhase = .login
    public private(set) var results: [ApplyStepResult]
    public private(set) var failure: ApplyFailure?
    /// Every byte received, raw, in order; once done, at most 64 KiB more.
    public var transcript: [UInt8] { received.transcript }
    /// Increases whenever something is typed: the caller restarts its phase clock on a change.
    public private(set) var sendCount = 0

    /// Raw bytes one step (and `set cli pagination off`, and leaving after a failed step) may print before the
    /// conversation gives up.
    public var maxOutputBytes = 1 << 20
    /// Raw bytes the node may print before its first prompt (a VOS banner is a few KB).
    public var maxBannerBytes = 1 << 20
    private var bannerBytes = 0
    public var maxPagerAnswers = 1000
    let lineEnding = "\n"

    private enum Sub: Sendable, Equatable {
        /// The line was typed; waiting for the prompt (a delete: for its selection prompt).
        case sent
        /// A delete's index was typed; waiting for the prompt.
        case answered
    }
    private var sub = Sub.sent
    /// The current step's text (the current line while logging in).
    private var received = ReceivedText()
    private var pagerAnswers = 0
    /// Refusals typed while leaving (a question asked again gets Ctrl-C once, then nothing).
    private var refusals = 0
    /// Start of the line last answered in place (a selection, the pager): what trails it on that
    /// line (the prompt's own trailing blank, the echo of the answer) is not asked again.
    private var answeredLine = -1
    /// The step that failed, while leaving: its output runs on to the prompt.
    private var leavingStep: Int?

    public init(steps: [ApplyStep]) {
        self.steps = steps
        results = steps.map { ApplyStepResult(step: $0, outcome: .notRun, output: "") }
    }

    /// `exit` was typed or the session is over.
    public var isDone: Bool { phase == .done }

    /// The index of the running step, nil otherwise.
    public var currentStepIndex: Int? {
        if case .step(let i) = phase { return i }
        return nil
    }

    /// Feeds received bytes; returns what to type now (possibly nothing).
    public mutating func receive<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        if let reply = bytes.withContiguousStorageIfAvailable({ receive(contiguous: $0) }) { return reply }
        return Array(bytes).withUnsafeBufferPointer { receive(contiguous: $0) }
    }

    private mutating func receive(contiguous bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard phase != .done else { received.recordTrailing(bytes); return [] }
        received.record(bytes)
        for byte in bytes {
            // Counted from the setup command on, like the audit conversation's steps; the banner on its own.
            received.count()
            if phase == .login { bannerBytes += 1 }
            if received.rawCount > maxOutputBytes || bannerBytes > maxBannerBytes {
                switch phase {
                case .step(let i):
                    finishStep(i, .failed("printed more than \(maxOutputBytes) bytes; stopped, its effect is unknown"))
                    failure = .outputLimit(index: i)
                case .login:
                    failure = .phaseLimit(.login, limit: maxBannerBytes)
                case .setup:
                    failure = .phaseLimit(.setup, limit: maxOutputBytes)
                case .leaving:
                    // The step's own failure stands; what it printed on the way out is kept up to here.
                    if let i = leavingStep { results[i].output = output(upToPrompt: false, step: i) }
                case .done:
                    break
                }
                phase = .done
                return []
            }
            if received.isText(byte) { received.append(byte) }
        }
        let reply = act()
        if !reply.isEmpty { sendCount += 1 }
        return reply
    }

    /// The node closed the session.
    public mutating func endOfFile() {
        guard phase != .done else { return }
        interrupted(because: "the node closed the session")
        if failure == nil { failure = .disconnected(phase) }
        phase = .done
    }

    /// The caller's deadline for the current phase passed.
    public mutating func timedOut() {
        guard phase != .done else { return }
        interrupted(because: "the node did not return to the prompt in time")
        if failure == nil { failure = .timeout(phase) }
        phase = .done
    }

    /// The last `count` bytes received, ANSI stripped, control characters escaped, for messages.
    public func lastBytesDescription(_ count: Int = 200) -> String {
        received.lastBytesDescription(count)
    }

    // MARK: - Decisions

    private enum Sighting { case nothing, prompt, pager, selection(Int?), question(TailMatch.Refusal, String) }

    private func sighting() -> Sighting {
        guard let tail = received.tail, tail.lowerBound != answeredLine else { return .nothing }
        let text = received.text, start = tail.lowerBound, end = tail.upperBound
        if TailMatch.isPrompt(text, start, end) { return .prompt }
        if phase == .login { return .nothing }
        if TailMatch.isPager(text, start, end) { return .pager }
        // This runs once per read on a line that may be growing without a line break: only a short line that
        // starts like the selection prompt is decoded, so a newline-free flood costs O(1) per read, not O(line).
        if end - start <= Self.maxSelectionLine, TailMatch.hasPrefix(text, start, end, Self.selectionStart) {
            let selection = Self.selectionPrompt(String(decoding: text[start..<end], as: UTF8.self))
            if selection.isSelection { return .selection(selection.upper) }
        }
        if let refusal = TailMatch.confirmation(text, start, end) {
            return .question(refusal, String(decoding: text[max(start, end - Self.maxQuotedLine)..<end], as: UTF8.self))
        }
        return .nothing
    }

    static let selectionStart = Array(VOSText.selectionPrompt.utf8)
    /// Longer than any selection prompt (`Select the index of origin(s) to be deleted [1-N or a,q]:`).
    static let maxSelectionLine = 256
    /// How much of a question's line a message quotes.
    static let maxQuotedLine = 512

    /// Whether `line` is `Select the index of origin to be deleted [1-N or a,q]` (or `origin(s)`), and its N when
    /// readable. It ends in `:` or `?`, or, as the guides print it, at the `]` closing the range: a node prints
    /// nothing after its prompt, so a line that starts like the prompt and stops there is the whole prompt.
    static func selectionPrompt(_ line: String) -> (isSelection: Bool, upper: Int?) {
        let lower = line.lowercased()
        guard lower.hasPrefix(VOSText.selectionPrompt),
              lower.hasSuffix(":") || lower.hasSuffix("?") || endsAtRange(lower) else { return (false, nil) }
        let chars = Array(lower.utf8)
        let open = Array(VOSText.selectionRange.utf8)
        guard chars.count > open.count,
              let at = (0...(chars.count - open.count)).first(where: { chars[$0..<$0 + open.count].elementsEqual(open) })
        else { return (true, nil) }
        let digits = chars[(at + open.count)...].prefix { (0x30...0x39).contains($0) }
        return (true, Int(String(decoding: digits, as: UTF8.self)))
    }

    /// `lower` starts `select the index of origin` and ends with the range `[1-...]`, its only bracket closing there.
    private static func endsAtRange(_ lower: String) -> Bool {
        guard lower.hasPrefix(VOSText.selectionPromptOrigin), lower.hasSuffix("]"),
              let open = lower.lastIndex(of: "[") else { return false }
        let range = lower[open...]
        return lower.distance(from: lower.startIndex, to: open) >= VOSText.selectionPromptOrigin.count
            && range.hasPrefix(VOSText.selectionRange) && !range.dropLast().contains("]")
    }

    /// A selection line as messages quote it: without a `:` or `?` after its range, which a read may not have
    /// reached when the prompt is answered at the `]`, so every chunking says the same.
    private var quotedSelection: String {
        let line = lastLineText
        var trimmed = Substring(line)
        while let l = trimmed.last, ":? \t".contains(l) { trimmed = trimmed.dropLast() }
        return trimmed.count < line.count && Self.endsAtRange(trimmed.lowercased()) ? String(trimmed) : line
    }

    private mutating func act() -> [UInt8] {
        switch sighting() {
        case .nothing:
            return []
        case .pager:
            guard pagerAnswers < maxPagerAnswers else { return [] }
            pagerAnswers += 1
            answeredLine = received.lineStart
            return [TailMatch.space]
        case .prompt:
            return promptArrived()
        case .selection(let upper):
            return selectionArrived(upper: upper)
        case .question(let refusal, let asked):
            // Its closing punctuation may not have arrived yet: leave it out, so every chunking says the same.
            var question = Substring(asked)
            while let l = question.last, "?:.! \t".contains(l) { question = question.dropLast() }
            if case .step(let i) = phase {
                finishStep(i, .failed("the node asked \"\(question)\", which an apply never confirms; refused and stopped"
                                      + (sub == .answered ? " (after the index was typed: check the list)" : "")))
                failure = .stepFailed(index: i)
            } else if phase == .setup {
                failure = .setupRefused(String(question))
            }
            return leave(refusal: refusal)
        }
    }

    private mutating func promptArrived() -> [UInt8] {
        switch phase {
        case .login:
            return start(VOSText.setupCommand, phase: .setup)
        case .setup:
            return next(after: -1)
        case .step(let i):
            let out = output(upToPrompt: true)
            switch (steps[i], sub) {
            case (.command, _), (.delete, .answered):
                if let marker = Self.failureMarker(in: out) {
                    results[i].output = out
                    return stop(i, "the node answered \"\(marker)\"")
                }
                finishStep(i, .applied, output: out)
                return next(after: i)
            case (.delete, .sent):
                results[i].output = out
                let why = Self.contains(out.lowercased(), VOSText.noOrigins)
                    ? "the list is empty; list changed since the audit"
                    : (Self.failureMarker(in: out).map { "the node answered \"\($0)\"" }
                       ?? "the node printed no selection prompt")
                return stop(i, why)
            }
        case .leaving:
            if let i = leavingStep { results[i].output = output(upToPrompt: true, step: i) }
            return exit()
        case .done:
            return []
        }
    }

    private mutating func selectionArrived(upper: Int?) -> [UInt8] {
        guard case .step(let i) = phase, case .delete(_, let index, let origin) = steps[i], sub == .sent else {
            // A selection prompt nobody planned for (or asked again after the answer): quit it.
            if case .step(let i) = phase {
                finishStep(i, .failed("the node asked \"\(quotedSelection)\" where no selection was planned; answered q and stopped"))
                failure = .stepFailed(index: i)
            } else if phase == .setup {
                failure = .setupRefused(quotedSelection)
            }
            return leave(typing: VOSText.selectionQuit)
        }
        let menu = Self.menuEntries(output(upToPrompt: false))
        let holders = menu.filter { $0.index == index }
        let problem: String?
        if holders.count > 1 {
            problem = "index \(index) appears \(holders.count) times in the list; cannot tell which entry it deletes"
        } else if let entry = holders.first {
            problem = entry.origin == origin ? nil
                : "index \(index) holds \(entry.origin), not \(origin); list changed since the audit"
        } else {
            let size = upper ?? menu.count
            problem = "index \(index) is not in the list (it has \(size) entr\(size == 1 ? "y" : "ies"), not \(origin)); list changed since the audit"
        }
        if let upper, problem == nil, index > upper {
            // The list shows it but the prompt's range excludes it: do not guess which is right.
            results[i].output = output(upToPrompt: false)
            return quit(i, "index \(index) is outside the prompt's range 1-\(upper); list changed since the audit")
        }
        if let problem {
            results[i].output = output(upToPrompt: false)
            return quit(i, problem)
        }
        sub = .answered
        answeredLine = received.lineStart
        return Array((String(index) + lineEnding).utf8)
    }

    // MARK: - Transitions

    private mutating func start(_ line: String, phase: ApplyPhase) -> [UInt8] {
        self.phase = phase
        sub = .sent
        received.startStep(keepingText: true)
        answeredLine = -1
        pagerAnswers = 0
        return Array((line + lineEnding).utf8)
    }

    private mutating func next(after i: Int) -> [UInt8] {
        let n = i + 1
        if n < steps.count { return start(steps[n].line, phase: .step(n)) }
        return exit()
    }

    private mutating func exit() -> [UInt8] {
        phase = .done
        return Array((VOSText.exitCommand + lineEnding).utf8)
    }

    /// At the prompt after a failed step: record it and leave.
    private mutating func stop(_ i: Int, _ why: String) -> [UInt8] {
        finishStep(i, .failed(why))
        failure = .stepFailed(index: i)
        return exit()
    }

    /// At a delete's selection prompt, the planned entry is not there: answer `q`, then leave.
    private mutating func quit(_ i: Int, _ why: String) -> [UInt8] {
        finishStep(i, .failed(why), output: results[i].output)
        failure = .stepFailed(index: i)
        return leave(typing: VOSText.selectionQuit)
    }

    private mutating func leave(typing answer: String) -> [UInt8] {
        enterLeaving()
        refusals += 1
        return refusals <= 2 ? Array((answer + lineEnding).utf8) : []
    }

    private mutating func leave(refusal: TailMatch.Refusal) -> [UInt8] {
        let first = phase != .leaving
        enterLeaving()
        refusals += 1
        if first, case .answer(let word) = refusal { return Array((word + lineEnding).utf8) }
        // ENTER would go ahead, and a question asked again gets Ctrl-C once; then nothing more.
        return refusals <= 2 ? [0x03] : []
    }

    /// Leaves the node once the prompt is back; the question or selection line is not answered twice.
    private mutating func enterLeaving() {
        if case .step(let i) = phase { leavingStep = i }
        phase = .leaving
        answeredLine = received.lineStart
    }

    private mutating func finishStep(_ i: Int, _ outcome: ApplyStepOutcome, output: String? = nil) {
        results[i].outcome = outcome
        results[i].output = output ?? (results[i].output.isEmpty ? self.output(upToPrompt: false) : results[i].output)
    }

    /// The session ended (deadline or end of file) before the step returned to the prompt.
    private mutating func interrupted(because why: String) {
        if phase == .leaving, let i = leavingStep { results[i].output = output(upToPrompt: false, step: i) }
        guard case .step(let i) = phase else { return }
        let typed: String
        switch (steps[i], sub) {
        case (.delete, .sent): typed = "the delete command was typed, no index was answered"
        case (.delete, .answered): typed = "the index was typed: whether the entry was deleted is unknown"
        case (.command, _): typed = "the command was typed: whether it took effect is unknown"
        }
        finishStep(i, .failed("\(why); \(typed)"), output: output(upToPrompt: false))
    }

    // MARK: - Reading

    private var lastLineText: String {
        String(decoding: received.text[received.lastLine], as: UTF8.self)
    }

    /// The step's text with the echo of its command and (at a prompt) the prompt line removed.
    private func output(upToPrompt: Bool, step: Int? = nil) -> String {
        let text = received.text
        var end = upToPrompt ? received.lastLine.lowerBound : received.lastLine.upperBound
        while end > 0, text[end - 1] == TailMatch.cr { end -= 1 }
        var start = 0
        var index = step
        if index == nil, case .step(let i) = phase { index = i }
        if let i = index {
            // A PTY echoes the typed line first.
            var lineEnd = 0
            while lineEnd < end, text[lineEnd] != TailMatch.lf { lineEnd += 1 }
            if lineEnd < end, TailMatch.visibleLine(text[0..<lineEnd]).elementsEqual(TailMatch.visibleLine(ArraySlice(steps[i].line.utf8))) {
                start = lineEnd + 1
            }
        }
        guard start < end else { return "" }
        let body = TailMatch.normalize(text[start..<end])
        return body.hasSuffix("\n") ? body : body + "\n"
    }

    static func contains(_ text: String, _ needle: String) -> Bool {
        let t = Array(text.utf8), n = Array(needle.utf8)
        guard t.count >= n.count else { return false }
        return (0...(t.count - n.count)).contains { t[$0..<$0 + n.count].elementsEqual(n) }
    }

    /// A failure marker in a command's output: `Executed command unsuccessfully` anywhere, or a
    /// line starting `Invalid command`.
    public static func failureMarker(in output: String) -> String? {
        for raw in output.split(separator: "\n") {
            let line = raw.trimmingBlanks
            if contains(line.lowercased(), VOSText.commandFailed) || line.lowercased().hasPrefix(VOSText.invalidCommand) {
                return line
            }
        }
        return nil
    }

    /// The numbered entries of a delete menu: `N: origin` or `N. origin`, leading blanks allowed,
    /// trailing blanks trimmed. `a: all` / `q: quit` are not numbered and so not entries.
    public static func menuEntries(_ text: String) -> [(index: Int, origin: String)] {
        var entries: [(Int, String)] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            var line = Substring(raw.trimmingBlanks)
            let digits = line.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count < 7, let n = Int(digits) else { continue }
            line = line.dropFirst(digits.count)
            guard let sep = line.first, sep == ":" || sep == "." else { continue }
            line = line.dropFirst()
            guard let first = line.first, first == " " || first == "\t" else { continue }
            let value = line.drop { $0 == " " || $0 == "\t" }
            guard !value.isEmpty else { continue }
            entries.append((n, String(value)))
        }
        return entries
    }
}

extension Substring {
    fileprivate var trimmingBlanks: String {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
