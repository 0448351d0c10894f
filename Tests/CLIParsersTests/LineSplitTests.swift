@testable import CLIParsers
import Testing
import VOSShell

/// The byte line walk in `TextLines.splitMarked` against the scalar model it replaced (the overwrite model written
/// the obvious way, one `Unicode.Scalar` at a time): same lines and hidden marks on generated terminal text.
@Suite("Line split")
struct LineSplitTests {
    /// The earlier implementation, kept as the reference: segments of scalars, `\r` opens a segment, the last
    /// non-empty segment is the line.
    static func reference(_ raw: String) -> [TextLines.Line] {
        var filter = ANSIFilter(), bytes: [UInt8] = [], swallowing = false
        for byte in raw.utf8 {
            if let kept = filter.filter(byte) { bytes.append(kept); swallowing = false } else if !swallowing { bytes.append(0); swallowing = true }
        }
        let stripped = String(decoding: bytes, as: UTF8.self)
        let crEndsLines = !stripped.unicodeScalars.contains("\n")
        var lines: [TextLines.Line] = []
        var segments: [[Unicode.Scalar]] = [[]]
        var hidden: [Bool] = [false]
        func text(_ scalars: [Unicode.Scalar]) -> String {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            return String(view)
        }
        func endLine() {
            let index = segments.lastIndex(where: { !$0.isEmpty })
            let overwritten = segments.indices.contains { i in
                guard i != index, !segments[i].isEmpty else { return false }
                return TextLines.removingPager(text(segments[i])).map { !TextLines.trim($0).isEmpty } ?? false
            }
            lines.append(.init(text: index.map { text(segments[$0]) } ?? "", hidden: overwritten || (index.map { hidden[$0] } ?? false)))
            segments = [[]]
            hidden = [false]
        }
        for scalar in stripped.unicodeScalars {
            switch scalar.value {
            case 0x0A: endLine()
            case 0x0D: if crEndsLines { endLine() } else { segments.append([]); hidden.append(false) }
            case 0x08:
                if !segments[segments.count - 1].isEmpty { segments[segments.count - 1].removeLast() }
                hidden[hidden.count - 1] = true
            case 0x09: segments[segments.count - 1].append(scalar)
            case 0x00..<0x20, 0x7F: hidden[hidden.count - 1] = true
            default: segments[segments.count - 1].append(scalar)
            }
        }
        if segments.count > 1 || !segments[0].isEmpty { endLine() }
        return lines
    }

    @Test("agrees with the scalar model on generated terminal text")
    func agreesWithTheScalarModel() {
        // Pieces a VOS session over a PTY mixes: CRLF, bare CR overwrites, erases, bells, tabs, multi-byte scalars
        // (an erase must take all of one), a pager prompt, invalid bytes (repaired before the walk).
        let pieces: [[UInt8]] = [
            Array("admin:".utf8), Array("https://finesse.example".utf8), Array(" ".utf8), [0x0D, 0x0A], [0x0D], [0x0A],
            [0x08], [0x08, 0x20, 0x08], [0x07], [0x09], [0x00], [0x7F], Array("é".utf8), Array("€".utf8), Array("😀".utf8),
            Array("\u{00A0}".utf8), Array("Options: q=quit, n=next, p=prev, b=begin, e=end (lines 1 - 20 of 42) :".utf8),
            [0xFF], [0xC3], [0xE2, 0x82], Array("1. ".utf8), [0xC2, 0x85], [0x1B, 0x5B, 0x4B], [0x1B, 0x5B],
        ]
        var rng = SplitMix(seed: 0x5EED)
        for _ in 0..<4000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(rng.next() % 24) { bytes += pieces[Int(rng.next() % UInt64(pieces.count))] }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(TextLines.splitMarked(text) == Self.reference(text), "\(bytes)")
        }
    }

    @Test("an erase takes one whole scalar, however many bytes it has")
    func eraseTakesAWholeScalar() {
        #expect(TextLines.splitMarked("ab€\u{8}\n") == [.init(text: "ab", hidden: true)])
        #expect(TextLines.splitMarked("a😀\u{8}\u{8}x\n") == [.init(text: "x", hidden: true)])
        #expect(TextLines.splitMarked("line\r\n\r") == [.init(text: "line", hidden: false), .init(text: "", hidden: false)])
    }
}

/// A small deterministic generator: the same cases on every run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
