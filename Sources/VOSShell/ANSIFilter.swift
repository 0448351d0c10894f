/// Removes ANSI escape sequences from a byte stream, one byte at a time, so a sequence split across
/// reads is still removed whole.
///
/// Handles CSI (`ESC [ … final`), OSC (`ESC ] … BEL` or `ESC \`), the other string sequences
/// (DCS `ESC P`, SOS `ESC X`, PM `ESC ^`, APC `ESC _`, treated like OSC) and two-byte / charset
/// escapes (`ESC (` `B`, `ESC =`, …). Other control bytes pass through: callers decide what they mean.
///
/// A line break is never swallowed: a stray `ESC` or an unterminated string sequence gives way to
/// `\r`/`\n`, because the conversation finds prompts by where lines start and must not lose that.
public struct ANSIFilter: Sendable, Equatable {
    private enum State: Sendable, Equatable { case text, escape, csi, string, stringEscape, intermediate }
    private var state: State = .text

    public init() {}

    /// Feeds one byte; returns it when it is text, nil when it belongs to an escape sequence.
    @inlinable
    public mutating func filter(_ byte: UInt8) -> UInt8? {
        return step(byte) ? byte : nil
    }

    /// True when the filter is inside an unfinished escape sequence.
    public var isInsideSequence: Bool { state != .text }

    /// Feeds one byte; true when it is text.
    @usableFromInline
    mutating func step(_ byte: UInt8) -> Bool {
        switch state {
        case .text:
            if byte == 0x1B { state = .escape; return false }
            return true
        case .escape:
            return afterEscape(byte)
        case .csi:
            // Parameters and intermediates are 0x20–0x3F; a final byte is 0x40–0x7E. Anything else
            // (a control byte) aborts the sequence rather than swallowing text.
            if (0x40...0x7E).contains(byte) { state = .text; return false }
            if (0x20...0x3F).contains(byte) { return false }
            if byte == 0x1B { state = .escape; return false }
            state = .text
            return true
        case .intermediate:
            // `ESC ( B` and friends: intermediates, then one final byte.
            if (0x20...0x2F).contains(byte) { return false }
            if byte == 0x1B { state = .escape; return false }
            state = .text
            return byte < 0x20  // a control byte is not a final byte: let it through
        case .string:
            if byte == 0x07 { state = .text; return false }
            if byte == 0x1B { state = .stringEscape; return false }
            // A title never holds a line break; an unterminated one must not eat the rest of the session.
            if byte == 0x0A || byte == 0x0D { state = .text; return true }
            return false
        case .stringEscape:
            // `ESC \` is the string terminator; any other ESC ends the string too and starts a new sequence.
            if byte == UInt8(ascii: "\\") { state = .text; return false }
            return afterEscape(byte)
        }
    }

    /// The byte after an `ESC`.
    private mutating func afterEscape(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "["): state = .csi
        case UInt8(ascii: "]"), UInt8(ascii: "P"), UInt8(ascii: "X"), UInt8(ascii: "^"), UInt8(ascii: "_"): state = .string
        case 0x20...0x2F: state = .intermediate
        case 0x1B: state = .escape  // ESC ESC: the first one was stray
        case 0x00...0x1A, 0x1C...0x1F:
            // A control byte after a stray ESC (typically CR or LF) is text, not part of an escape.
            state = .text
            return true
        default: state = .text  // two-byte escape such as ESC = or ESC 7
        }
        return false
    }

    /// Strips every escape sequence from a complete byte buffer.
    public static func strip<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var filter = ANSIFilter()
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes where filter.step(byte) { out.append(byte) }
        return out
    }

    /// Strips every escape sequence from a string.
    public static func strip(_ text: String) -> String {
        String(decoding: strip(Array(text.utf8)), as: UTF8.self)
    }
}
