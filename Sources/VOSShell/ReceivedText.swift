/// What a node sent in one conversation, as both conversations read it: every raw byte in order (the transcript),
/// and the ANSI-stripped text of the current step with the bounds of its last line.
///
/// The bounds are kept up to date byte by byte, so the checks made at the end of every read (prompt, pager,
/// question) look only at the last line's tail, in O(1) however long the output.
struct ReceivedText: Sendable {
    /// Every byte received, raw (ANSI and all). Nothing sent is in it: the node echoes.
    private(set) var transcript: [UInt8] = []
    private var filter = ANSIFilter()

    /// False while waiting for the first prompt: the banner is not kept (the transcript has it), only its current
    /// line, which is all the prompt check needs; nor are its bytes counted.
    private(set) var keepsText = false
    /// Stripped bytes of the current step.
    private(set) var text: [UInt8] = []
    /// Index in `text` of the first byte after the last `\r` or `\n`.
    private(set) var lineStart = 0
    /// Index of the last byte that is neither blank nor a line break; below `lineStart` when the current line is blank.
    private(set) var lastVisible = -1
    /// While waiting for the first prompt, a line too long to be a prompt has its start discarded: it cannot hold a
    /// prompt until the next line break.
    private var lineIsPartial = false
    /// Raw bytes received in this step (not counted while waiting for the first prompt).
    private(set) var rawCount = 0
    /// `rawCount` when the last visible byte arrived: what a decision on the tail counts, so bytes that only trail
    /// it in the same read (a reset sequence, blanks) do not change the count.
    private(set) var rawCountAtLastVisible = 0

    /// Starts the text of a new step; the transcript and the escape-sequence state go on.
    mutating func startStep(keepingText: Bool) {
        keepsText = keepingText
        text.removeAll(keepingCapacity: true)
        lineStart = 0
        lastVisible = -1
        lineIsPartial = false
        rawCount = 0
        rawCountAtLastVisible = 0
    }

    /// Adds received bytes to the transcript.
    mutating func record(_ bytes: UnsafeBufferPointer<UInt8>) {
        if bytes.count == 1 { transcript.append(bytes[0]) } else { transcript.append(contentsOf: bytes) }
    }

    /// What the transcript keeps of the bytes that arrive after the conversation ended (the node's goodbye
    /// while the caller closes): at most this many, so a node flooding past `exit` is bounded too.
    static let maxTrailingBytes = 64 << 10
    private var trailingBytes = 0

    /// Adds bytes received after the conversation ended, up to ``maxTrailingBytes`` in all.
    mutating func recordTrailing(_ bytes: UnsafeBufferPointer<UInt8>) {
        let n = min(bytes.count, Self.maxTrailingBytes - trailingBytes)
        guard n > 0 else { return }
        transcript.append(contentsOf: bytes.prefix(n))
        trailingBytes += n
    }

    /// Counts one raw byte of the step (nothing while waiting for the first prompt).
    @inline(__always)
    mutating func count() {
        if keepsText { rawCount += 1 }
    }

    /// Feeds one raw byte to the ANSI filter: true when it is text.
    @inline(__always)
    mutating func isText(_ byte: UInt8) -> Bool { filter.step(byte) }

    /// Appends one stripped byte; true when it is a line feed.
    @discardableResult
    mutating func append(_ b: UInt8) -> Bool {
        text.append(b)
        switch b {
        case TailMatch.lf, TailMatch.cr:
            lineStart = text.count
            lineIsPartial = false
            if !keepsText {
                text.removeAll(keepingCapacity: true)
                lineStart = 0
                lastVisible = -1
            }
            return b == TailMatch.lf
        case TailMatch.space, TailMatch.tab:
            return false
        default:
            lastVisible = text.count - 1
            rawCountAtLastVisible = rawCount
            if !keepsText && text.count > TailMatch.maxPromptLength * 4 {
                text.removeAll(keepingCapacity: true)
                lineStart = 0
                lastVisible = -1
                lineIsPartial = true
            }
            return false
        }
    }

    /// Removes the current line's text from `index` on (not below `lineStart`); nothing visible is left on it.
    mutating func removeText(from index: Int) {
        text.removeSubrange(index...)
        lastVisible = lineStart - 1
    }

    /// Ends the current line with a `\n` the node did not send.
    mutating func endLine() {
        text.append(TailMatch.lf)
        lineStart = text.count
        lastVisible = lineStart - 1
    }

    /// The last line: from after the last line break to just past its last visible byte.
    var lastLine: Range<Int> { lineStart..<max(lineStart, lastVisible + 1) }

    /// The last line when its end may be a prompt, the pager or a question (a cheap test made once per read), else nil.
    var tail: Range<Int>? {
        guard !lineIsPartial, lastVisible >= lineStart, TailMatch.mayEndSomething(text[lastVisible]) else { return nil }
        return lineStart..<(lastVisible + 1)
    }

    /// The last `count` bytes received, ANSI-stripped, control characters escaped (`\r`, `\n`, `\t`, `\u{1B}` style;
    /// a backslash as `\\`), for error details.
    func lastBytesDescription(_ count: Int) -> String {
        let count = min(count, transcript.count)
        guard count > 0 else { return "" }
        // Strip a wider raw window so `count` visible bytes remain after the escapes go.
        let raw = transcript.suffix(count * 4 + 64)
        var tail = ArraySlice(ANSIFilter.strip(raw).suffix(count))
        // Do not start in the middle of a UTF-8 character.
        while let first = tail.first, (0x80...0xBF).contains(first) { tail = tail.dropFirst() }
        var out = ""
        for scalar in String(decoding: tail, as: UTF8.self).unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
