import CLIParsers
import Foundation
import Testing

@Suite("Robustness")
struct RobustnessTests {
    @Test("invalid UTF-8 decoded lossily is kept, not fatal")
    func invalidUTF8() {
        var bytes = Array("admin:utils cuic cors allowed_origin list\r\ncors_allowedorigins\r\n1. https://a\r\n2. https://b".utf8)
        bytes += [0xFF, 0xFE, 0xC3]
        bytes += Array("\r\n".utf8)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(OriginListParser.parseNumbered(text).value?.origins == ["https://a", "https://b\u{FFFD}\u{FFFD}\u{FFFD}"])
        #expect(TranscriptSplitter.split(text).count == 1)
    }

    @Test("control characters are not fatal and do not hide entries")
    func controlCharacters() {
        let text = "\u{0}\u{7}cors_allowedorigins\u{7}\n1. https://a\n\u{1B}\n\u{1B}[\n\u{1B}]0;title"
        #expect(OriginListParser.parseNumbered(text).value?.origins == ["https://a"])
    }

    /// A browser compares the stored bytes; a screen that hides some of them cannot say what is stored.
    @Test("an entry hiding control characters or escape sequences is never read as the origin it shows",
          arguments: ["1. https://a\u{0}\n", "1. https://a\u{7}\n", "1. https://a\u{1B}[0m\n", "1. https://x\u{1B}[31ma\n",
                      "1. https://ab\u{8}\n", "1. https://evil.example\r1. https://a\r\n", "1. \u{1B}]0;t\u{7}https://a\n", "1. https://a\u{7F}\r\n"])
    func hiddenBytesInAnEntry(_ line: String) {
        let outcome = OriginListParser.parseNumbered("cors_allowedorigins\n" + line)
        guard case .unparsed(let reason) = outcome else { Issue.record("\(outcome)"); return }
        #expect(reason.contains("entry 1 holds escape sequences or control characters a terminal does not show"), "\(reason)")
    }

    @Test("hidden bytes outside the entry's visible part do not matter: a pager overwritten by the entry")
    func hiddenBytesOverwritten() {
        let text = "cors_allowedorigins\n\u{1B}[1mPress <enter> for 1 line, <space> for one page, or <q> to quit\u{1B}[0m\r        \r1. https://a\n"
        #expect(OriginListParser.parseNumbered(text).value?.origins == ["https://a"])
    }

    @Test("a BOM before the echo")
    func byteOrderMark() {
        #expect(CorsStatusParser.parse("\u{FEFF}admin:utils cuic cors status\nenabled\n") == .parsed(.enabled))
    }

    @Test("backspaces at the prompt edit the command")
    func backspace() {
        #expect(TranscriptSplitter.split("admin:show versoin\u{8}\u{8}\u{8} \u{8}ion active\n").first?.command == "show version active")
    }

    @Test("pseudo-random bytes never crash any parser")
    func noisyInput() {
        // A fixed-seed generator keeps the test deterministic.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let alphabet = Array("admin:[]1.2: \r\n\u{1B}[K\u{8}\u{7}=-enabledisabled_allhttps://x".utf8) + [0xFF, 0xC3, 0x00, 0x0D, 0x0A]
        for _ in 0..<300 {
            let bytes = (0..<Int(next() % 200)).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            let text = String(decoding: bytes, as: UTF8.self)
            // Beyond not crashing: the same bytes give the same answer, and no origin a parser accepts carries a
            // control character or a line break (it would reach a report or a command line).
            for parse in [OriginListParser.parseNumbered, OriginListParser.parseFinesse] {
                let outcome = parse(text)
                #expect(outcome == parse(text))
                if case .parsed(let list) = outcome {
                    #expect(list.origins.allSatisfy { !$0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }, "\(list.origins)")
                }
            }
            #expect(CorsStatusParser.parse(text) == CorsStatusParser.parse(text))
            _ = VersionParser.parse(text)
            _ = ServiceListParser.parse(text)
            _ = FailureMarker.detect(in: text)
            #expect(TranscriptSplitter.split(text).allSatisfy { !$0.command.contains("\n") })
        }
    }

    @Test("outcomes round-trip through JSON")
    func codable() throws {
        let outcomes: [ParseOutcome<OriginList>] = [
            .parsed(OriginList(origins: ["https://a"], header: "cors_allowedorigins")), .failed("Executed command unsuccessfully"), .unparsed("no output"),
        ]
        let data = try JSONEncoder().encode(outcomes)
        #expect(try JSONDecoder().decode([ParseOutcome<OriginList>].self, from: data) == outcomes)
    }
}
