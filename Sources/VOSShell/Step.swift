/// What the audit conversation tracks in one step (the wait for the first prompt, the setup command, or one
/// command) on top of the step's received text: the echo, the pager's erasing, refused questions.
///
/// Its methods take the conversation's ``ReceivedText``, which holds the step's stripped bytes.
struct Step: Sendable {
    /// The command typed for this step; empty while waiting for the first prompt.
    let command: String
    /// Its text without surrounding blanks, to recognise the echo.
    let commandLine: [UInt8]
    /// False while waiting for the first prompt: only the current line is kept then (see ``ReceivedText``).
    let keepsText: Bool

    /// Where the output begins in the text: past the echo once the echo has been recognised.
    private(set) var outputStart = 0
    /// The first line has been compared with the command.
    private(set) var echoJudged = false

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

    /// Feeds one stripped byte into `received`.
    mutating func take(_ b: UInt8, into received: inout ReceivedText) {
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
            for blank in blanks { received.append(blank) }
        }
        if questionOpen {
            // `Continue (y/n)` may be recognised before its `?` arrives: the question grows by its
            // closing punctuation, and ends at anything else (the echo of our answer, a line break).
            if TailMatch.isQuestionPunctuation(b) {
                questionEnd = received.text.count + 1
            } else if !TailMatch.isBlank(b) {
                closeQuestion(received)
            }
        }
        if received.append(b), !echoJudged { judgeEcho(received, lineEnd: received.text.count - 1) }
    }

    /// Looks at the current line's tail. `promptOnly` while waiting for the first prompt: the banner
    /// is never answered. (`mutating` though it changes nothing: it runs once per received chunk,
    /// and in unoptimized builds a non-mutating call on the stored step copies it each time.)
    mutating func sighting(_ received: ReceivedText, promptOnly: Bool) -> Sighting {
        guard let line = received.tail else { return .nothing }
        let text = received.text
        if TailMatch.isPrompt(text, line.lowerBound, line.upperBound) { return .prompt }
        if promptOnly { return .nothing }
        if TailMatch.isPager(text, line.lowerBound, line.upperBound) { return .pager }
        if line.lowerBound != questionLine, let refusal = TailMatch.confirmation(text, line.lowerBound, line.upperBound) {
            return .question(refusal)
        }
        return .nothing
    }

    /// Removes the pager text (the line it is on when nothing else is); what erases it is dropped as it arrives.
    mutating func cutPager(_ received: inout ReceivedText) {
        removePagerText(&received)
        pagerErase = .pagerTail
    }

    /// Removes the pager text: it is not output, also when the conversation stops at it.
    mutating func removePagerText(_ received: inout ReceivedText) {
        let line = received.lastLine
        var cut = TailMatch.pagerTextStart(received.text, line.lowerBound, line.upperBound)
        if received.text[line.lowerBound..<cut].allSatisfy(TailMatch.isBlank) { cut = line.lowerBound }
        received.removeText(from: cut)
        if cut > line.lowerBound {
            // The pager shared a line with output: end that line so the next page starts its own.
            if !echoJudged { judgeEcho(received, lineEnd: received.text.count) }
            received.endLine()
        }
    }

    /// Notes a refused question at the end of the current line.
    mutating func questionRefused(_ received: ReceivedText) {
        refusals += 1
        questionLine = received.lineStart
        if refusals == 1 {
            questionStart = received.lineStart
            questionEnd = received.lastVisible + 1
            questionOpen = true
        }
    }

    private mutating func closeQuestion(_ received: ReceivedText) {
        question = refusedQuestion(received)
        questionOpen = false
    }

    private mutating func judgeEcho(_ received: ReceivedText, lineEnd: Int) {
        echoJudged = true
        // A PTY echoes what was typed; anything else on the first line is output and is kept.
        let line = received.text[outputStart..<lineEnd]
        if line.count <= commandLine.count + 64, TailMatch.visibleLine(line).elementsEqual(commandLine) {
            outputStart = lineEnd + 1
        }
    }

    /// The result of this step. `upToPrompt`: the prompt line just arrived and is left out.
    /// `upToLastVisible`: count raw bytes only up to the last visible one (a decision taken on the
    /// tail, so what trails it in the same read is not part of it).
    func result(_ received: ReceivedText, outcome: CommandOutcome, upToPrompt: Bool, upToLastVisible: Bool = false) -> CommandResult {
        let text = received.text
        let lineStart = received.lineStart
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
        if let refused = refusedQuestion(received) {
            switch outcome {
            case .completed, .timedOut, .disconnected: finalOutcome = .aborted(confirmation: refused)
            default: break
            }
        }
        let byteCount = upToLastVisible ? received.rawCountAtLastVisible : received.rawCount
        return CommandResult(command: command, output: start < end ? TailMatch.normalize(text[start..<end]) : "",
                             outcome: finalOutcome, pagerAnswers: pagerAnswers, byteCount: byteCount)
    }

    /// The first refused question, as printed.
    func refusedQuestion(_ received: ReceivedText) -> String? {
        if let question { return question }
        guard questionOpen else { return nil }
        // A pager cut may have shortened the text since; a question is never longer than a line's tail.
        let end = min(questionEnd, received.text.count)
        let start = min(max(questionStart, end - 512), end)
        return String(decoding: TailMatch.visibleLine(received.text[start..<end]), as: UTF8.self)
    }
}
