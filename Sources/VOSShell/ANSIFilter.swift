/// Removes ANSI escape sequences from a byte stream, one byte at a time, so a sequence split across
/// reads is still removed whole.
///
/// Handles CSI (`ESC [ … final`), OSC (`ESC ] … BEL` or `ESC \`), and two-byte / charset escapes
/// (`ESC (` `B`, `ESC =`, …). Other control bytes pass through: callers decide what they mean.
public struct ANSIFilter: Sendable, Equatable {
    private enum State: Sendable, Equatable { case text, escape, csi, osc, oscEscape, intermediate }
    private var state: State = .text

    public init() {}

    /// Feeds one byte; returns it when it is text, nil when it belongs to an escape sequence.
    @inlinable
    public mutating func filter(_ byte: UInt8) -> UInt8? {
        return step(byte) ? byte : nil
    }

    /// True when the filter is inside an unfinished escape sequence.
    public var isInsideSequence: Bool { state != .text }

    @usableFromInline
    mutating func step(_ byte: UInt8) -> Bool {
        switch state {
        case .text:
            if byte == 0x1B { state = .escape; return false }
            return true
        case .escape:
            switch byte {
            case UInt8(ascii: "["): state = .csi
            case UInt8(ascii: "]"): state = .osc
            case 0x20...0x2F: state = .intermediate
            default: state = .text  // two-byte escape such as ESC = or ESC 7
            }
            return false
        case .csi:
            // Parameters and intermediates are 0x20–0x3F; a final byte is 0x40–0x7E. Anything else
            // (a control byte) aborts the sequence rather than swallowing text.
            if (0x40...0x7E).contains(byte) { state = .text; return false }
            if (0x20...0x3F).contains(byte) { return false }
            if byte == 0x1B { state = .escape; return false }
            state = .text
            return true
        case .intermediate:
            if (0x20...0x2F).contains(byte) { return false }
            state = .text
            return false
        case .osc:
            if byte == 0x07 { state = .text } else if byte == 0x1B { state = .oscEscape }
            return false
        case .oscEscape:
            state = byte == UInt8(ascii: "\\") ? .text : .osc
            return false
        }
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
