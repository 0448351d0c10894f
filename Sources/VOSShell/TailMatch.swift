/// Recognisers for what may end the received text: the prompt, the pager, a confirmation question.
///
/// Each looks at one line of ANSI-stripped bytes, `bytes[start..<end]`, where `end` is just past the
/// line's last visible byte (trailing blanks already excluded). They compare from the end backwards
/// and give up at the first mismatch, so checking after every received byte stays O(1) in practice
/// however long the line or the output is.
enum TailMatch {
    typealias Bytes = [UInt8]

    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")

    static func isBlank(_ b: UInt8) -> Bool { b == space || b == tab }

    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 { (0x41...0x5A).contains(b) ? b | 0x20 : b }

    /// True when `bytes[start..<end]` ends with `pattern` (lower-case ASCII), ignoring ASCII case.
    static func hasSuffix(_ bytes: Bytes, _ start: Int, _ end: Int, _ pattern: [UInt8]) -> Bool {
        guard end - start >= pattern.count else { return false }
        var i = end - 1
        var j = pattern.count - 1
        while j >= 0 {
            if lower(bytes[i]) != pattern[j] { return false }
            i -= 1
            j -= 1
        }
        return true
    }

    /// True when `bytes[start..<end]` starts with `pattern` (lower-case ASCII), ignoring ASCII case.
    static func hasPrefix(_ bytes: Bytes, _ start: Int, _ end: Int, _ pattern: [UInt8]) -> Bool {
        guard end - start >= pattern.count else { return false }
        for k in 0..<pattern.count where lower(bytes[start + k]) != pattern[k] { return false }
        return true
    }

    /// Where `pattern` (lower-case ASCII) last occurs in `bytes[start..<end]`, ignoring ASCII case.
    static func lastIndex(of pattern: [UInt8], in bytes: Bytes, _ start: Int, _ end: Int) -> Int? {
        var candidateEnd = end
        while candidateEnd - start >= pattern.count {
            if hasSuffix(bytes, start, candidateEnd, pattern) { return candidateEnd - pattern.count }
            candidateEnd -= 1
        }
        return nil
    }

    // MARK: Prompt

    static let admin = Array(VOSText.promptName.utf8)
    /// Longer than `admin[NNNNNNNNNN]:`; anything longer is not a prompt.
    static let maxPromptLength = 32

    /// `admin:` or `admin[N]:` (the `set commandcount enable` form), the whole line. The account
    /// name never appears: VOS prints `admin:` whoever logged in.
    static func isPrompt(_ bytes: Bytes, _ start: Int, _ end: Int) -> Bool {
        let length = end - start
        guard length >= admin.count + 1, length <= maxPromptLength, bytes[end - 1] == UInt8(ascii: ":") else { return false }
        for k in 0..<admin.count where bytes[start + k] != admin[k] { return false }
        let middleStart = start + admin.count
        let middleEnd = end - 1
        if middleStart == middleEnd { return true }
        guard middleEnd - middleStart >= 3, bytes[middleStart] == UInt8(ascii: "["),
              bytes[middleEnd - 1] == UInt8(ascii: "]") else { return false }
        for k in (middleStart + 1)..<(middleEnd - 1) where !(0x30...0x39).contains(bytes[k]) { return false }
        return true
    }

    // MARK: Pager

    /// The pager's identifying part and the words that bound it (``VOSText/pager``).
    static let pagerCore = Array(VOSText.pagerCore.utf8)
    static let pagerEnd = Array(VOSText.pagerLastWord.utf8)
    static let pagerStart = Array(VOSText.pagerFirstWord.utf8)
    /// How far back from the end of the line the core may start: the core and `, or <q> to quit`
    /// after it are 36 bytes; room for wording variants, small enough to stay cheap per line.
    static let pagerWindow = 96

    /// The pager: the line ends in `quit` and holds the core.
    static func isPager(_ bytes: Bytes, _ start: Int, _ end: Int) -> Bool {
        guard hasSuffix(bytes, start, end, pagerEnd) else { return false }
        return lastIndex(of: pagerCore, in: bytes, max(start, end - pagerWindow), end) != nil
    }

    /// Where the pager text begins in its line: at `Press` when it is there, else at the core.
    static func pagerTextStart(_ bytes: Bytes, _ start: Int, _ end: Int) -> Int {
        let windowStart = max(start, end - pagerWindow)
        guard let core = lastIndex(of: pagerCore, in: bytes, windowStart, end) else { return start }
        return lastIndex(of: pagerStart, in: bytes, windowStart, core) ?? core
    }

    // MARK: Confirmation

    /// How a confirmation question is refused.
    enum Refusal: Sendable, Equatable {
        /// Type this word and the line ending: the question's own "no".
        case answer(String)
        /// Send Ctrl-C: the question has no "no" (only ENTER, which would go ahead).
        case interrupt
    }

    static let yesNoShort = Array(VOSText.yesNoShort.utf8)
    static let yesNoLong = Array(VOSText.yesNoLong.utf8)
    static let pressEnter = Array(VOSText.pressEnter.utf8)
    static let pressEnterBracketed = Array(VOSText.pressEnterBracketed.utf8)

    /// Bytes that may close a question after its choices: `Continue (y/n)?`, `Proceed [y/n]:`,
    /// `Press ENTER to continue...`.
    static func isQuestionPunctuation(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "?") || b == UInt8(ascii: ":") || b == UInt8(ascii: ".") || b == UInt8(ascii: "!")
    }

    /// The refusal when the line ends with a confirmation question, else nil.
    static func confirmation(_ bytes: Bytes, _ start: Int, _ end: Int) -> Refusal? {
        var e = end
        var skipped = 0
        while e > start, skipped < 4, isQuestionPunctuation(bytes[e - 1]) || isBlank(bytes[e - 1]) {
            e -= 1
            skipped += 1
        }
        guard e > start else { return nil }
        // Dispatch on the closing character: `(y/n)`, `[yes/no]`, or the `e` of "continue".
        switch bytes[e - 1] {
        case UInt8(ascii: ")"), UInt8(ascii: "]"):
            let open = bytes[e - 1] == UInt8(ascii: ")") ? UInt8(ascii: "(") : UInt8(ascii: "[")
            for (choices, word) in [(yesNoShort, VOSText.shortNo), (yesNoLong, VOSText.longNo)]
            where e - start >= choices.count + 2 && bytes[e - choices.count - 2] == open
                && hasSuffix(bytes, start, e - 1, choices) {
                return .answer(word)
            }
            return nil
        case UInt8(ascii: "e"), UInt8(ascii: "E"):
            if hasSuffix(bytes, start, e, pressEnter) || hasSuffix(bytes, start, e, pressEnterBracketed) { return .interrupt }
            return nil
        default:
            return nil
        }
    }

    /// A cheap first test: only these bytes can be the last visible byte of a prompt (`:`), the
    /// pager (`quit`) or a question (`)`, `]`, `continue`, closing punctuation).
    @inline(__always)
    static func mayEndSomething(_ b: UInt8) -> Bool {
        // Literals rather than UInt8(ascii:), which unoptimized builds evaluate on every call.
        switch b {
        case 0x3A /* : */, 0x74 /* t */, 0x54 /* T */, 0x29 /* ) */, 0x5D /* ] */,
             0x65 /* e */, 0x45 /* E */, 0x3F /* ? */, 0x2E /* . */, 0x21 /* ! */:
            return true
        default:
            return false
        }
    }

    // MARK: Text

    /// `\r\n` (also `\r\r\n`, which a PTY makes of a program's `\r\n`) and lone `\r` become one `\n`;
    /// decoded from UTF-8 once.
    static func normalize(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var pendingCR = false
        bytes.withUnsafeBufferPointer { buffer in
            for b in buffer {
                if b == cr { pendingCR = true; continue }
                if pendingCR {
                    out.append(lf)
                    pendingCR = false
                    if b == lf { continue }
                }
                out.append(b)
            }
        }
        if pendingCR { out.append(lf) }
        return String(decoding: out, as: UTF8.self)
    }

    /// `bytes` without `\r`, and without blanks at either end.
    static func visibleLine(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let f = slice.first, isBlank(f) || f == cr { slice = slice.dropFirst() }
        while let l = slice.last, isBlank(l) || l == cr { slice = slice.dropLast() }
        if slice.contains(cr) { return ArraySlice(slice.filter { $0 != cr }) }
        return slice
    }
}
