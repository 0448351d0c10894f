import CLIParsers
import Testing

@Suite("Transcript splitter")
struct TranscriptSplitterTests {
    @Test("a pasted session")
    func pasted() throws {
        let entries = TranscriptSplitter.split(try Golden.input("session-pasted.txt"))
        #expect(entries.map(\.command) == [
            "utils cuic cors status", "utils cuic cors allowed_origin list", "set commandcount enable",
            "show version active", "utils service list", "utils live-data cors status", "exit",
        ])
        try Golden.check(entries, "session-pasted")
        let list = try #require(entries.first { $0.command == "utils cuic cors allowed_origin list" })
        #expect(OriginListParser.parseNumbered(list.output).value?.origins == OriginListTests.fieldOrigins)
        let services = try #require(entries.first { $0.command == "utils service list" })
        #expect(!services.output.contains("Press"))
        #expect(ServiceListParser.parse(services.output).value?.services.count == 4)
        #expect(CorsStatusParser.parse(entries[0].output) == .parsed(.enabled))
        #expect(CorsStatusParser.parse(entries[5].output) == .failed("Executed command unsuccessfully"))
    }

    @Test("raw SSH bytes")
    func raw() throws {
        let entries = TranscriptSplitter.split(try Golden.input("session-raw.bin"))
        #expect(entries.map(\.command) == [
            "set cli pagination off", "utils cuic cors allowed_origin list", "show version active", "utils service list", "exit",
        ])
        #expect(entries.map(\.line) == [12, 15, 23, 27, 34])
        try Golden.check(entries, "session-raw")
        for entry in entries { #expect(!entry.output.contains("\u{1B}") && !entry.output.contains("\r")) }
        #expect(OriginListParser.parseNumbered(entries[1].output).value?.origins == OriginListTests.fieldOrigins)
        #expect(VersionParser.parse(entries[2].output).value?.active == "12.6.2.10000-19")
        #expect(entries[3].output == """
            Requesting service status, please wait...
            System SSH [STARTED]
            Service Manager is running
            Cisco Tomcat[STARTED]
            Intelligence Center Reporting Service[STARTED]
            Cisco HCS Admin UI[ STOPPED ] Component is not running
            """)
    }

    @Test("pasted and raw sessions agree on the list")
    func agree() throws {
        let pasted = TranscriptSplitter.split(try Golden.input("session-pasted.txt"))
        let raw = TranscriptSplitter.split(try Golden.input("session-raw.bin"))
        let command = "utils cuic cors allowed_origin list"
        #expect(pasted.first { $0.command == command }?.output == raw.first { $0.command == command }?.output)
    }

    @Test("prompts, empty prompts, numbering and trailing blanks")
    func shapes() {
        let text = "banner\nadmin:\nadmin: show  myself \nline 1\n  indented \n\n\nadmin[12]:exit\n"
        #expect(TranscriptSplitter.split(text) == [
            TranscriptEntry(command: "show  myself", output: "line 1\n  indented ", line: 3),
            TranscriptEntry(command: "exit", output: "", line: 8),
        ])
    }

    @Test("text with no prompt has no entries")
    func noPrompt() {
        #expect(TranscriptSplitter.split("Command Line Interface is starting up, please wait ...\n") == [])
        #expect(TranscriptSplitter.split("") == [])
        #expect(TranscriptSplitter.split("administrator: x\nadmin[]:y\nadmin[a]:z\n") == [])
    }

    @Test("overwrite: the last non-empty segment of a line stays")
    func overwrite() {
        #expect(TranscriptSplitter.split("admin:x\r\nold text\rnew\r\nkept\r\r\n")
            == [TranscriptEntry(command: "x", output: "new\nkept", line: 1)])
        #expect(TranscriptSplitter.split("admin:x\nshown\r\n") == [TranscriptEntry(command: "x", output: "shown", line: 1)])
    }

    @Test("a pager prompt on the same line as output leaves the output")
    func pagerSameLine() {
        let text = "admin:utils service list\nCisco Tomcat[STARTED]\nPress <enter> for 1 line, <space> for one page, or <q> to quit Cisco DRF Local[STARTED]\n"
        #expect(TranscriptSplitter.split(text).first?.output == "Cisco Tomcat[STARTED]\n Cisco DRF Local[STARTED]")
    }
}
