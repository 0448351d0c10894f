import Testing
import TestSupport
@testable import AuditCore
import CLIParsers

/// Issue 15 item 2: white-space and format characters other than VOS's own padding are part of an entry.
@Suite struct InvisibleCharacterTests {
    /// U+00A0, U+2000–U+200B, U+3000, U+FEFF, U+0085, and a few other White_Space / Cf characters.
    static let invisible: [Unicode.Scalar] = [0x00A0, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
                                              0x2009, 0x200A, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x3000, 0xFEFF, 0x0085,
                                              0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x2060, 0x202E, 0x2066, 0x00AD]
        .map { Unicode.Scalar($0)! }

    static func list(_ entry: String) -> String {
        "admin:utils cuic cors allowed_origin list\r\n\r\ncors_allowedorigins \r\n=========================== \r\n"
            + "1. \(entry) \r\n2. https://finesses.uccelab.tac \r\n \r\nadmin:"
    }

    @Test(arguments: invisible)
    func trailingCharacterIsKeptAndTheEntryIsIneffective(_ u: Unicode.Scalar) throws {
        let entry = "https://finessep.uccelab.tac" + String(Character(u))
        let list = try #require(OriginListParser.parseNumbered(Self.list(entry)).value)
        #expect(list.origins == [entry, "https://finesses.uccelab.tac"])
        guard case .ineffective(let reason, let meant) = OriginAnalysis.analyze(entry) else {
            Issue.record("\(Escaping.visible(entry)) read as effective"); return
        }
        #expect(meant == Origin(canonical: "https://finessep.uccelab.tac"))
        #expect(reason.contains(Escaping.codePoint(u) ) && reason.contains("at its end"), "\(reason)")
    }

    @Test(arguments: invisible)
    func leadingCharacterIsKeptAndTheEntryIsIneffective(_ u: Unicode.Scalar) throws {
        let entry = String(Character(u)) + "https://finessep.uccelab.tac:8445"
        let list = try #require(OriginListParser.parseNumbered(Self.list(entry)).value)
        #expect(list.origins.first == entry)
        guard case .ineffective(let reason, let meant) = OriginAnalysis.analyze(entry) else {
            Issue.record("\(Escaping.visible(entry)) read as effective"); return
        }
        #expect(meant == Origin(canonical: "https://finessep.uccelab.tac:8445"))
        #expect(reason.contains("\(Escaping.codePoint(u))") && reason.contains("at its start"), "\(reason)")
    }

    /// Straight after the separator (no space): still an entry, never a line dropped from the list.
    @Test(arguments: [Unicode.Scalar(0x200D)!, Unicode.Scalar(0x200B)!, Unicode.Scalar(0xFEFF)!, Unicode.Scalar(0x00A0)!])
    func aFormatCharacterRightAfterTheSeparatorIsPartOfTheEntry(_ u: Unicode.Scalar) throws {
        let output = "admin:utils cuic cors allowed_origin list\r\n\r\ncors_allowedorigins \r\n=========================== \r\n"
            + "1. https://finesses.uccelab.tac \r\n2.\(String(Character(u)))https://finessep.uccelab.tac \r\n \r\nadmin:"
        let list = try #require(OriginListParser.parseNumbered(output).value)
        #expect(list.origins == ["https://finesses.uccelab.tac", String(Character(u)) + "https://finessep.uccelab.tac"])
    }

    @Test func vosPaddingIsStillTrimmed() throws {
        let list = try #require(OriginListParser.parseNumbered(Self.list("https://finessep.uccelab.tac \t ")).value)
        #expect(list.origins.first == "https://finessep.uccelab.tac")
    }

    @Test func theFindingShowsTheCharacterEscapedAndTheMeantForm() throws {
        let entry = "https://finessep.uccelab.tac\u{A0}"
        guard case .ineffective(let reason, _) = OriginAnalysis.analyze(entry) else { Issue.record("effective"); return }
        #expect(reason == "contains \\u{00A0} (NO-BREAK SPACE) at its end, a character no browser sends in an Origin")
        #expect(Escaping.visible(entry) == "https://finessep.uccelab.tac\\u{a0}")
        #expect(Escaping.visible("a\u{200B}b\u{202E}c\u{FEFF}") == "a\\u{200b}b\\u{202e}c\\u{feff}")
    }

    @Test func aByteOrderMarkOpeningATranscriptIsTheFilesEncoding() {
        let entries = TranscriptSplitter.split("\u{FEFF}admin:show version active\nActive Master Version: 12.6.2.10000-19\n")
        #expect(entries.map(\.command) == ["show version active"])
    }
}
