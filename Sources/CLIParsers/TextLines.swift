import VOSShell

/// Turns terminal text into the lines a person would have seen on screen.
enum TextLines {
    /// ANSI stripped, split at `\n` (or at `\r` when the text has no `\n` at all), each line's terminal
    /// overwrites and backspaces applied. Lines keep their spaces; a final line break adds no empty line.
    static func split(_ text: String) -> [String] { splitMarked(text).map(\.text) }

    /// A line as a terminal shows it, and whether the shown part had bytes the terminal does not show.
    struct Line: Equatable {
        var text: String
        /// Escape sequences, control characters or backspaces inside the visible part of the line: what
        /// was stored there cannot be read exactly from the screen.
        var hidden: Bool
    }

    static func splitMarked(_ text: String) -> [Line] {
        // Each swallowed escape sequence leaves one NUL, so the loop below knows where something hid.
        var filter = ANSIFilter()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var swallowing = false
        for byte in text.utf8 {
            if let kept = filter.filter(byte) {
                bytes.append(kept)
                swallowing = false
            } else if !swallowing {
                bytes.append(0)
                swallowing = true
            }
        }
        // Decoded once so invalid input is repaired as a whole (U+FFFD); its UTF-8 is then valid, and the line walk
        // below works on those bytes: every control character is one byte below 0x80, never inside a multi-byte scalar.
        var stripped = String(decoding: bytes, as: UTF8.self)
        // Without any LF the text cannot be terminal output with overwrites: CR is then the line end
        // (old Mac files, some clipboard paths), and treating it as an overwrite would lose all but one line.
        return stripped.withUTF8 { utf8 in
            var walk = LineWalk(crEndsLines: !utf8.contains(0x0A))
            return walk.lines(of: utf8)
        }
    }

    /// The overwrite model over UTF-8 bytes: `\r` starts a new segment of the same line, the last non-empty segment is
    /// what stayed visible. Only non-empty earlier segments are kept (an empty one can neither show nor hide text).
    private struct LineWalk {
        let crEndsLines: Bool
        var lines: [Line] = []
        var current: [UInt8] = []
        var currentHidden = false
        var earlier: [[UInt8]] = []
        var earlierHidden: [Bool] = []
        /// A `\r` since the line began: the line exists even when all its segments are empty.
        var segmented = false

        init(crEndsLines: Bool) {
            self.crEndsLines = crEndsLines
            current.reserveCapacity(256)
        }

        mutating func lines(of utf8: UnsafeBufferPointer<UInt8>) -> [Line] {
            for byte in utf8 {
                switch byte {
                case 0x0A:
                    endLine()
                case 0x0D:
                    if crEndsLines { endLine() } else { newSegment() }
                case 0x08:
                    // Echoed erase (`\b \b`) from someone correcting a typo at the prompt: one scalar goes.
                    while let last = current.last, last & 0xC0 == 0x80 { current.removeLast() }
                    if !current.isEmpty { current.removeLast() }
                    currentHidden = true
                case 0x09:
                    current.append(byte)
                case 0x00..<0x20, 0x7F:
                    // Bells, NULs and the like are invisible on a terminal and only get in the way of matching.
                    currentHidden = true
                default:
                    current.append(byte)
                }
            }
            if segmented || !current.isEmpty { endLine() }
            return lines
        }

        mutating func newSegment() {
            if !current.isEmpty {
                earlier.append(current)
                earlierHidden.append(currentHidden)
                current.removeAll(keepingCapacity: true)
            }
            currentHidden = false
            segmented = true
        }

        mutating func endLine() {
            let text: String, hidden: Bool
            var others = earlier[...]
            if !current.isEmpty {
                text = String(decoding: current, as: UTF8.self)
                hidden = currentHidden
            } else if let last = earlier.last {
                text = String(decoding: last, as: UTF8.self)
                hidden = earlierHidden[earlier.count - 1]
                others = others.dropLast()
            } else {
                text = ""
                hidden = false
            }
            // Text overwritten on the same line (other than blanks or a pager prompt) was sent, and may be part of what
            // is stored, but is not what the screen shows.
            let overwritten = others.contains { segment in
                TextLines.removingPager(String(decoding: segment, as: UTF8.self)).map { !TextLines.trim($0).isEmpty } ?? false
            }
            lines.append(Line(text: text, hidden: overwritten || hidden))
            current.removeAll(keepingCapacity: true)
            currentHidden = false
            earlier.removeAll(keepingCapacity: true)
            earlierHidden.removeAll(keepingCapacity: true)
            segmented = false
        }
    }

    /// The line without the padding VOS prints around it: ASCII spaces, tabs and carriage returns. Any other
    /// white-space or format character (a pasted U+00A0, U+200B, U+FEFF) is content: a stored origin
    /// holding one never matches, and trimming it would report the entry clean.
    static func trim<S: StringProtocol>(_ s: S) -> String {
        // Padding is ASCII, so its bytes never sit inside a multi-byte scalar: the first kept byte starts a scalar and
        // the byte after the last kept one ends one.
        let s = Substring(s), utf8 = s.utf8
        if let first = utf8.first, let last = utf8.last, !isPaddingByte(first), !isPaddingByte(last) { return String(s) }
        guard let start = utf8.firstIndex(where: { !isPaddingByte($0) }) else { return "" }
        let last = utf8.lastIndex(where: { !isPaddingByte($0) })!
        return String(s[start..<utf8.index(after: last)])
    }

    static func isPaddingByte(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0D
    }

    /// For a prompt line (`admin:` or `admin[N]:`, after leading whitespace) the command typed after it, trimmed; else nil.
    static func promptCommand(_ line: String) -> String? {
        // Bytes first: nearly every line is not a prompt, and that shows in its first bytes.
        let utf8 = line.utf8
        guard var i = utf8.firstIndex(where: { !isPaddingByte($0) }) else { return nil }
        for byte in promptNameBytes {
            guard i < utf8.endIndex, utf8[i] == byte else { return nil }
            i = utf8.index(after: i)
        }
        if i < utf8.endIndex, utf8[i] == UInt8(ascii: "[") {
            i = utf8.index(after: i)
            let digits = i
            while i < utf8.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(utf8[i]) { i = utf8.index(after: i) }
            guard i > digits, i < utf8.endIndex, utf8[i] == UInt8(ascii: "]") else { return nil }
            i = utf8.index(after: i)
        }
        guard i < utf8.endIndex, utf8[i] == UInt8(ascii: ":") else { return nil }
        // The bytes match, which Characters matching requires: the few prompt lines are now read as Characters (a
        // combining mark after `:` makes another Character, and the line no prompt).
        let trimmed = trim(line)
        var rest = Substring(trimmed)
        guard rest.hasPrefix(VOSText.promptName) else { return nil }
        rest = rest.dropFirst(VOSText.promptName.count)
        if rest.first == "[" {
            let number = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
            guard !number.isEmpty, rest.dropFirst(1 + number.count).first == "]" else { return nil }
            rest = rest.dropFirst(2 + number.count)
        }
        guard rest.first == ":" else { return nil }
        return trim(rest.dropFirst())
    }

    private static let promptNameBytes = Array(VOSText.promptName.utf8)

    /// The line with the pager prompts removed: nil when nothing else was on the line, else the remaining text.
    static func removingPager(_ line: String) -> String? {
        guard asciiCaseInsensitiveRange(of: VOSText.pagerOpening, in: line) != nil else { return line }
        var remaining = line
        // Every prompt, not just the first: pages joined without the pager's erase leave several on
        // one line. Each pass removes text, so the loop ends.
        while let start = asciiCaseInsensitiveRange(of: VOSText.pagerOpening, in: remaining) {
            var end = remaining.endIndex
            if let quit = asciiCaseInsensitiveRange(of: VOSText.pagerClosing, in: remaining, from: start.upperBound) { end = quit.upperBound }
            remaining = String(remaining[..<start.lowerBound]) + String(remaining[end...])
        }
        return trim(remaining).isEmpty ? nil : remaining
    }
}

/// One command's output as handed to a parser, with the echo, prompts and pager prompts set apart.
struct CommandText {
    /// Non-blank, non-prompt trimmed lines before the echo line (banner text); never the command's output.
    var preamble: [String] = []
    /// The echoed command, when the text still holds it.
    var echo: String?
    /// Trimmed lines after the echo (or all lines), prompt lines removed, blank lines kept as "".
    var body: [String] = []
    /// Indices into `body` of lines whose visible part hid escape sequences or control characters.
    var hiddenBody: Set<Int> = []
    /// A command typed at a later prompt: the text is then more than one command's output.
    var laterCommand: String?

    init(_ output: String) {
        var lines: [String] = []
        var hiddenLines: Set<Int> = []
        for line in TextLines.splitMarked(output) {
            guard let text = TextLines.removingPager(line.text) else { continue }
            if line.hidden { hiddenLines.insert(lines.count) }
            lines.append(TextLines.trim(text))
        }
        var echoIndex = lines.firstIndex { TextLines.promptCommand($0).map { !$0.isEmpty } ?? false }
        if let index = echoIndex {
            echo = TextLines.promptCommand(lines[index])
        } else if let index = lines.firstIndex(where: { !$0.isEmpty }), Self.isBareEcho(lines[index]) {
            // A collector that consumed the prompt before sending may leave the echoed command without it.
            echoIndex = index
            echo = lines[index]
        }
        let start = echoIndex.map { $0 + 1 } ?? 0
        if let index = echoIndex { preamble = lines[..<index].filter { !$0.isEmpty && TextLines.promptCommand($0) == nil } }
        for (index, line) in lines.enumerated().dropFirst(start) {
            if let command = TextLines.promptCommand(line) {
                if !command.isEmpty, laterCommand == nil { laterCommand = command }
                continue
            }
            if hiddenLines.contains(index) { hiddenBody.insert(body.count) }
            body.append(line)
        }
    }

    /// The non-blank body lines.
    var content: [String] { body.filter { !$0.isEmpty } }

    /// The non-blank body lines, each with whether it hid bytes a terminal does not show.
    var markedContent: [(text: String, hidden: Bool)] {
        body.indices.filter { !body[$0].isEmpty }.map { (body[$0], hiddenBody.contains($0)) }
    }

    /// The reason to refuse the text when it is not one command's output.
    var notOneCommand: String? {
        guard let later = laterCommand else { return nil }
        if let echo { return "the text holds more than one command (`\(echo)`, then `\(later)`)" }
        return "the text holds output followed by another command (`\(later)`)"
    }

    private static func isBareEcho(_ line: String) -> Bool {
        let words = line.split(separator: " ", maxSplits: 1)
        guard words.count == 2 else { return false }
        return ["utils", "show", "set"].contains(words[0].lowercased())
    }
}

/// ASCII-only case folding: VOS keywords are ASCII, and folding only ASCII keeps string indices valid.
func asciiLower(_ c: Character) -> Character {
    guard let a = c.asciiValue, (65...90).contains(a) else { return c }
    return Character(Unicode.Scalar(a + 32))
}

func hasASCIIPrefixCaseInsensitive(_ s: String, _ prefix: String) -> Bool {
    var it = s.makeIterator()
    for p in prefix {
        guard let c = it.next(), asciiLower(c) == asciiLower(p) else { return false }
    }
    return true
}

func containsASCIICaseInsensitive(_ s: String, _ needle: String) -> Bool {
    asciiCaseInsensitiveRange(of: needle, in: s) != nil
}

func asciiCaseInsensitiveRange(of needle: String, in s: String, from: String.Index? = nil) -> Range<String.Index>? {
    guard !needle.isEmpty else { return nil }
    // A match of Characters is a match of their bytes, so a text whose bytes hold no match has none: most lines hold no
    // pager prompt or marker, and a byte scan rules them out at a fraction of the Character walk below.
    guard asciiBytesMayContain(needle, s, from: from) else { return nil }
    let n = Array(needle).map(asciiLower)
    var start = from ?? s.startIndex
    while start < s.endIndex {
        var i = start
        var k = 0
        while k < n.count, i < s.endIndex, asciiLower(s[i]) == n[k] {
            i = s.index(after: i)
            k += 1
        }
        if k == n.count { return start..<i }
        start = s.index(after: start)
    }
    return nil
}

/// Whether `s`'s UTF-8 from `from` holds `needle`'s bytes, ASCII letters compared without case.
func asciiBytesMayContain(_ needle: String, _ s: String, from: String.Index?) -> Bool {
    let n = Array(needle.utf8).map { (65...90).contains($0) ? $0 + 32 : $0 }
    let bytes = from.map { s.utf8[$0...] } ?? s.utf8[...]
    return bytes.withContiguousStorageIfAvailable { buffer -> Bool in
        guard buffer.count >= n.count else { return false }
        for start in 0...(buffer.count - n.count) {
            var k = 0
            while k < n.count {
                let b = buffer[start + k]
                if ((65...90).contains(b) ? b + 32 : b) != n[k] { break }
                k += 1
            }
            if k == n.count { return true }
        }
        return false
    } ?? true  // not contiguous (a bridged string): leave it to the Character walk
}

/// Lower-cased words (letters, digits, `_` and apostrophes), for matching whole words rather than substrings.
func words(_ s: String) -> [String] {
    s.lowercased()
        .split { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "'" || $0 == "\u{2019}") }
        .map { String($0.map { $0 == "\u{2019}" ? "'" : $0 }) }
}
