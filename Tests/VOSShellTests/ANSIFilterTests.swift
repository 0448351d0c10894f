import Testing
import VOSShell

@Suite struct ANSIFilterTests {
    /// Byte by byte through one filter, as the conversation feeds it.
    func dripped(_ text: String) -> String {
        var filter = ANSIFilter()
        return String(decoding: text.utf8.compactMap { filter.filter($0) }, as: UTF8.self)
    }

    @Test(arguments: [
        ("\u{1B}[1mPress <enter>\u{1B}[0m", "Press <enter>"),
        ("\u{1B}[K\u{1B}[0;32madmin:", "admin:"),
        ("\u{1B}]0;cuicpub: admin\u{7}admin:", "admin:"),                 // OSC ended by BEL
        ("\u{1B}]0;title\u{1B}\\admin:", "admin:"),                        // OSC ended by ESC \
        ("\u{1B}]0;title\u{1B}[Kadmin:", "admin:"),                        // OSC ended by the next sequence
        ("\u{1B}(B\u{1B}=\u{1B}7x\u{1B}8", "x"),                           // charset and two-byte escapes
        ("\u{1B}Pq#0;2;0;0;0\u{1B}\\ok", "ok"),                            // DCS
        ("\u{1B}\u{1B}[Kadmin:", "admin:"),                                // a stray ESC before a sequence
        ("done\u{1B}\r\nadmin:", "done\r\nadmin:"),                        // a stray ESC does not eat CR
        ("\u{1B}]0;never terminated\r\nadmin:", "\r\nadmin:"),             // nor an unterminated title
        ("\u{1B}(\nX", "\nX"),                                             // nor an unfinished charset escape
        ("\u{1B}[12\r\nX", "\r\nX"),                                       // a control byte aborts a CSI
        ("Ma\u{1B}[1mch\u{1B}[0mine: é ü", "Machine: é ü"),                // UTF-8 passes through
    ])
    func strips(_ input: String, _ expected: String) {
        #expect(ANSIFilter.strip(input) == expected)
        #expect(dripped(input) == expected)
        #expect(ANSIFilter.strip(Array(input.utf8)) == Array(expected.utf8))
    }

    @Test func knowsWhenInsideASequence() {
        var filter = ANSIFilter()
        #expect(filter.filter(0x1B) == nil)
        #expect(filter.isInsideSequence)
        #expect(filter.filter(UInt8(ascii: "[")) == nil)
        #expect(filter.filter(UInt8(ascii: "1")) == nil)
        #expect(filter.isInsideSequence)
        #expect(filter.filter(UInt8(ascii: "m")) == nil)
        #expect(!filter.isInsideSequence)
        #expect(filter.filter(UInt8(ascii: "a")) == UInt8(ascii: "a"))
    }
}
