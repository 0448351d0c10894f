/// The ANSI-stripped text of one step of the conversation (the wait for the first prompt, the setup
/// command, or one command) and what has been recognised in it so far.
///
/// Everything is tracked as bytes arrive so that the checks made at the end of every received chunk
/// only look at the current line's tail: `lineStart` and `lastVisible` make "the last line without
/// its trailing blanks" available in O(1).
struct Step: Sendable {
    /// The command typed for this step; empty while waiting for the first prompt.
    let command: String
    /// Its text without surrounding blanks, to recognise the echo.
    let commandLine: [UInt8]
    /// False while waiting for the first prompt: the banner is not kept (the transcript has it), only
    /// its current line, which is all the prompt check needs.
    let keepsText: Bool

    /// Stripped bytes received in this step.
    private(set) var text: [UInt8] = []
    /// Index in `text` of the first byte after the last `\r` or `\n`.
    private(set) var lineStart = 0
    /// Index of the last byte that is neither blank nor a line break; below `lineStart` when the
    /// current line is blank.
    private(set) var lastVisible = -1
    /// While waiting for the first prompt, a line too long to be a prompt has its start discarded:
    /// it cannot hold a prompt until the next line break.
    private var lineIsPartial = false

    /// Where the output begins in `text`: past the echo once the echo has been recognised.
    private(set) var outputStart = 0
    /// The first line has been compared with the command.
    private(set) var echoJudged = false

    /// Raw bytes received in this step.
    var rawCount = 0
    /// `rawCount` when the last visible byte arrived: what a failure decided on the tail counts, so
    /// bytes that only trail it (a reset sequence, blanks) in the same read do not change the count.
    private(set) var rawCountAtLastVisible = 0
    var pagerAnswers = 0

    /// After a pager answer, how the node gets rid of the pager line.
    private enum PagerErase { case none, pagerTail, overwriting }
    /// `.pagerTail` until the first line break: blanks there are the pager line's own (the space
    /// before its closing `ESC[0m`). `.overwriting` after a `\r`: blanks are pending, as they may
    /// be the node wiping the line (`\r` spaces `\r`); another `\r` discards them, anything else
    /// keeps them and ends the erase. So the next page keeps its blank lines and indentation.
    private var pagerErase = PagerErase.none
    private var pendingBlanks: [UInt8] = []

    /// Questions refused in this step.
    private(set) var refusals = 0
    /// `lineStart` of the last refused question: a line is refused once, however its end trickles in.
    private var questionLine = -1
    /// Bounds of the first refused question while its closing punctuation may still arrive.
    private var questionStart = 0
    private var questionEnd = 0
    private var questionOpen = false
    /// The first refused question as printed, once its line has moved on.
    private var question: String?

    init(command: String, keepsText: Bool) {
        self.command = command
        self.commandLine = Array(TailMatch.visibleLine(ArraySlice(command.utf8)))
        self.keepsText = keepsText
        // Nothing is typed while waiting for the first prompt, so there is no echo to look for.
        self.echoJudged = !keepsText
    }

    /// What the end of the received text is.
    enum Sighting: Equatable {
        case nothing
        case prompt
        case pager
        case question(TailMatch.Refusal)
    }

    /// Feeds one stripped byte.
    mutating func take(_ b: UInt8) {
        switch pagerErase {
        case .none:
            break
        case .pagerTail:
            if TailMatch.isBlank(b) { return }
            if b == TailMatch.cr { pagerErase = .overwriting; return }
            pagerErase = .none
        case .overwriting:
            if TailMatch.isBlank(b) { pendingBlanks.append(b); return }
            if b == TailMatch.cr { pendingBlanks.removeAll(); return }
            pagerErase = .none
            let blanks = pendingBlanks
            pendingBlanks.removeAll()
            for blank in blanks { append(blank) }
        }
        if questionOpen {
            // `Continue (y/n)` may be recognised before its `?` arrives: the question grows by its
            // closing punctuation, and ends at anything else (the echo of our answer, a line break).
            if TailMatch.isQuestionPunctuation(b) {
                questionEnd = text.count + 1
            } else if !TailMatch.isBlank(b) {
                closeQuestion()
            }
        }
        append(b)
        if lastVisible == text.count - 1 { rawCountAtLastVisible = rawCount }
    }

    private mutating func append(_ b: UInt8) {
        text.append(b)
        switch b {
        case TailMatch.lf, TailMatch.cr:
            if b == TailMatch.lf && !echoJudged { judgeEcho(lineEnd: text.count - 1) }
            lineStart = text.count
            lineIsPartial = false
            if !keepsText {
                text.removeAll(keepingCapacity: true)
                lineStart = 0
                lastVisible = -1
            }
        case TailMatch.space, TailMatch.tab:
            break
        default:
            lastVisible = text.count - 1
            if !keepsText && text.count > TailMatch.maxPromptLength * 4 {
                text.removeAll(keepingCapacity: true)
                lineStart = 0
                lastVisible = -1
                lineIsPartial = true
            }
        }
    }

    /// Looks at the current line's tail. `promptOnly` while waiting for the first prompt: the banner
    /// is never answered. (`mutating` though it changes nothing: it runs once per received chunk,
    /// and in unoptimized builds a non-mutating call on the stored step copies it each time.)
    mutating func sighting(promptOnly: Bool) -> Sighting {
        guard !lineIsPartial, lastVisible >= lineStart, TailMatch.mayEndSomething(text[lastVisible]) else { return .nothing }
        let end = lastVisible + 1
        if TailMatch.isPrompt(text, lineStart, end) { return .prompt }
        if promptOnly { return .nothing }
        if TailMatch.isPager(text, lineStart, end) { return .pager }
        if lineStart != questionLine, let refusal = TailMatch.confirmation(text, lineStart, end) { return .question(refusal) }
        return .nothing
    }

    /// Removes the pager text (the line it is on when nothing else is); what erases it is dropped as it arrives.
    mutating func cutPager() {
        removePagerText()
        pagerErase = .pagerTail
    }

    /// Removes the pager text: it is not output, also when the conversation stops at it.
    mutating func removePagerText() {
        let end = lastVisible + 1
        var cut = TailMatch.pagerTextStart(text, lineStart, end)
        if text[lineStart..<cut].allSatisfy(TailMatch.isBlank) { cut = lineStart }
        text.removeSubrange(cut...)
        if cut > lineStart {
            // The pager shared a line with output: end that line so the next page starts its own.
            if !echoJudged { judgeEcho(lineEnd: text.count) }
            text.append(TailMatch.lf)
            lineStart = text.count
        }
        lastVisible = lineStart - 1
    }

    /// Notes a refused question at the end of the current line.
    mutating func questionRefused() {
        refusals += 1
        questionLine = lineStart
        if refusals == 1 {
            questionStart = lineStart
            questionEnd = lastVisible + 1
            questionOpen = true
        }
    }

    private mutating func closeQuestion() {
        question = refusedQuestion
        questionOpen = false
    }

    private mutating func judgeEcho(lineEnd: Int) {
        echoJudged = true
        // A PTY echoes what was typed; anything else on the first line is output and is kept.
        let line = text[outputStart..<lineEnd]
        if line.count <= commandLine.count + 64, TailMatch.visibleLine(line).elementsEqual(commandLine) {
            outputStart = lineEnd + 1
        }
    }

    /// The result of this step. `upToPrompt`: the prompt line just arrived and is left out.
    /// `upToLastVisible`: count raw bytes only up to the last visible one (a decision taken on the
    /// tail, so what trails it in the same read is not part of it).
    func result(outcome: CommandOutcome, upToPrompt: Bool, upToLastVisible: Bool = false) -> CommandResult {
        var end = upToPrompt ? lineStart : text.count
        // The prompt's own carriage return (`\r\n\radmin:`) is not an empty output line.
        if upToPrompt {
            while end > outputStart, text[end - 1] == TailMatch.cr { end -= 1 }
            if end < lineStart, end > outputStart, text[end - 1] != TailMatch.lf { end = lineStart }
        }
        var start = outputStart
        if !echoJudged, start < end, end - start <= commandLine.count + 64,
           TailMatch.visibleLine(text[start..<end]).elementsEqual(commandLine) {
            start = end  // an echo with no line break after it, straight before the prompt
        }
        var finalOutcome = outcome
        if let refused = refusedQuestion {
            switch outcome {
            case .completed, .timedOut, .disconnected: finalOutcome = .aborted(confirmation: refused)
            default: break
            }
        }
        let byteCount = upToLastVisible ? rawCountAtLastVisible : rawCount
        return CommandResult(command: command, output: start < end ? TailMatch.normalize(text[start..<end]) : "",
                             outcome: finalOutcome, pagerAnswers: pagerAnswers, byteCount: byteCount)
    }

    /// The first refused question, as printed.
    var refusedQuestion: String? {
        if let question { return question }
        guard questionOpen else { return nil }
        // A pager cut may have shortened the text since; a question is never longer than a line's tail.
        let end = min(questionEnd, text.count)
        let start = min(max(questionStart, end - 512), end)
        return String(decoding: TailMatch.visibleLine(text[start..<end]), as: UTF8.self)
    }
}
