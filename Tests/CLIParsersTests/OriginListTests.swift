import CLIParsers
import Testing

@Suite("Origin lists")
struct OriginListTests {
    static let fieldFile = "cuic-allowed-origin-list.subscriber.txt"
    static let fieldOrigins = ["https://finessep.uccelab.tac", "https://finesses.uccelab.tac", "https://finesses.uccelab.tac:8445"]

    @Test("the field capture gives exactly its three entries")
    func fieldCapture() throws {
        let outcome = OriginListParser.parseNumbered(try Golden.input(Self.fieldFile))
        #expect(outcome.value?.origins == Self.fieldOrigins)
        #expect(outcome.value?.header == "cors_allowedorigins")
        #expect(outcome.value?.ignoredLines == [])
        try Golden.check(outcome, "origin-list.field")
    }

    @Test("the field capture as other paths deliver it", arguments: [
        ("crlf", Variant.crlf),
        ("lone-cr", Variant.loneCR),
        ("ansi", Variant.ansiWrapped),
        ("no-echo", Variant.withoutFirstLine),
        ("surrounded", Variant.surrounded),
    ] as [(String, @Sendable (String) -> String)])
    func fieldVariants(name: String, transform: @Sendable (String) -> String) throws {
        let outcome = OriginListParser.parseNumbered(transform(try Golden.input(Self.fieldFile)))
        #expect(outcome.value?.origins == Self.fieldOrigins)
        #expect(outcome.value?.header == "cors_allowedorigins")
        try Golden.check(outcome, "origin-list.field.\(name)")
    }

    @Test("header and separator with no entries is an empty list")
    func headerOnly() throws {
        let outcome = OriginListParser.parseNumbered("admin:utils cuic cors allowed_origin list\n\ncors_allowedorigins \n=========================== \n \n")
        #expect(outcome == .parsed(OriginList(origins: [], header: "cors_allowedorigins")))
        try Golden.check(outcome, "origin-list.header-only")
    }

    @Test("Finesse list with a header sentence")
    func finesse() throws {
        let outcome = OriginListParser.parseFinesse(try Golden.input("finesse-allowed-origin-list.txt"))
        // What a Finesse CORS list holds: outside web origins (a reverse proxy, a third-party web app), never CUIC's
        // URLs, which belong on the gadget source allow-list. Kept as printed: the audit, not the parser, judges case,
        // paths and pasted pairs.
        #expect(outcome.value?.origins == [
            "https://proxy.uccelab.tac", "https://crm.uccelab.tac:8443",
            "https://CRM.uccelab.tac/", "https://proxy.uccelab.tac, https://crm.uccelab.tac",
        ])
        #expect(outcome.value?.header == "The following source(s) are configured in allowed origins:")
        try Golden.check(outcome, "origin-list.finesse")
    }

    @Test("Finesse no-origins message is an empty list")
    func finesseEmpty() throws {
        let outcome = OriginListParser.parseFinesse(try Golden.input("finesse-allowed-origin-list.empty.txt"))
        #expect(outcome == .parsed(OriginList(origins: [], ignoredLines: ["Currently no origins are configured in allowed origins."])))
        try Golden.check(outcome, "origin-list.finesse-empty")
    }

    @Test("a numbering gap is unparsed, not a shorter list")
    func numberingGap() {
        let outcome = OriginListParser.parseNumbered("cors_allowedorigins\n====\n1. https://a\n2. https://b\n5. https://e\n")
        #expect(outcome == .unparsed("entry numbering jumps from 2 to 5"))
    }

    @Test("numbering not starting at 1, or repeated, is unparsed")
    func numberingStartAndRepeat() {
        #expect(OriginListParser.parseNumbered("2. https://b\n3. https://c\n") == .unparsed("entry numbering starts at 2, not 1"))
        #expect(OriginListParser.parseNumbered("1. https://a\n1. https://a\n") == .unparsed("entry numbering jumps from 1 to 1"))
        #expect(OriginListParser.parseFinesse("1: https://a\n3: https://c\n") == .unparsed("entry numbering jumps from 1 to 3"))
    }

    @Test("an entry with no value is unparsed")
    func emptyValue() {
        #expect(OriginListParser.parseNumbered("1. https://a\n2. \n") == .unparsed("entry 2 has no value"))
        #expect(OriginListParser.parseFinesse("1:\n") == .unparsed("entry 1 has no value"))
    }

    @Test("a value with spaces is kept as printed")
    func valueWithSpaces() {
        let outcome = OriginListParser.parseNumbered("1.   https://a, https://b  \n2.\thttps://Host:8445/ \n")
        #expect(outcome.value?.origins == ["https://a, https://b", "https://Host:8445/"])
    }

    @Test("an entry in the other list's form is unparsed rather than ignored")
    func wrongForm() {
        guard case .unparsed(let reason) = OriginListParser.parseNumbered("1. https://a\n2: https://b\n") else {
            Issue.record("expected unparsed"); return
        }
        #expect(reason.contains("2: https://b"))
        guard case .unparsed = OriginListParser.parseFinesse("1. https://a\n") else { Issue.record("expected unparsed"); return }
        guard case .unparsed = OriginListParser.parseNumbered("1) https://a\n") else { Issue.record("expected unparsed"); return }
    }

    @Test("a version-like line is not an entry")
    func versionIsNotEntry() {
        let outcome = OriginListParser.parseNumbered("1. https://a\n12.6.2 build note\n")
        #expect(outcome.value?.origins == ["https://a"])
        #expect(outcome.value?.ignoredLines == ["12.6.2 build note"])
    }

    @Test("unknown lines are kept beside entries, and refuse an empty list")
    func unknownLines() {
        let withEntries = OriginListParser.parseNumbered("cors_allowedorigins\n1. https://a\nTotal 1\n")
        #expect(withEntries == .parsed(OriginList(origins: ["https://a"], header: "cors_allowedorigins", ignoredLines: ["Total 1"])))
        let without = OriginListParser.parseNumbered("cors_allowedorigins\n=====\nSomething we have never seen\n")
        #expect(without == .unparsed("no entries, and a line that is neither header nor entry: \"Something we have never seen\""))
    }

    @Test("a no-origins wording with the CUIC header is an empty list; with entries it is unparsed")
    func noOriginsWording() {
        let empty = OriginListParser.parseNumbered("cors_allowedorigins\n=====\nNo CORS origins configured\n")
        #expect(empty == .parsed(OriginList(origins: [], header: "cors_allowedorigins", ignoredLines: ["No CORS origins configured"])))
        guard case .unparsed = OriginListParser.parseNumbered("1. https://a\nNo origins configured\n") else {
            Issue.record("expected unparsed"); return
        }
        // "no" must be a word: "Unknown origin" says nothing about an empty list.
        guard case .unparsed = OriginListParser.parseNumbered("Unknown origin\n") else { Issue.record("expected unparsed"); return }
    }

    @Test("blank, prompt-only and separator-only texts are unparsed")
    func nothing() {
        #expect(OriginListParser.parseNumbered("") == .unparsed("no output"))
        #expect(OriginListParser.parseNumbered(" \r\n\n\t\n") == .unparsed("no output"))
        #expect(OriginListParser.parseNumbered("admin:utils cuic cors allowed_origin list\r\n\r\nadmin:") == .unparsed("no output"))
        #expect(OriginListParser.parseNumbered("=====\n") == .unparsed("only a separator line, no header and no entries"))
    }

    @Test("a second header line is kept, not dropped")
    func secondHeader() {
        let outcome = OriginListParser.parseNumbered("cors_allowedorigins\ncors_allowedorigins\n1. https://a\n")
        #expect(outcome.value?.ignoredLines == ["cors_allowedorigins"])
    }

    @Test("a text holding two commands is unparsed")
    func twoCommands() {
        let text = "admin:utils cuic cors allowed_origin list\n1. https://a\nadmin:utils cuic cors status\nenabled\n"
        guard case .unparsed(let reason) = OriginListParser.parseNumbered(text) else { Issue.record("expected unparsed"); return }
        #expect(reason.contains("more than one command"))
    }

    @Test("an echo without its prompt is set apart")
    func bareEcho() {
        let outcome = OriginListParser.parseNumbered("utils cuic cors allowed_origin list\ncors_allowedorigins\n=====\n")
        #expect(outcome == .parsed(OriginList(origins: [], header: "cors_allowedorigins")))
    }

    @Test("a 1000-entry list")
    func thousandEntries() {
        let origins = (1...1000).map { "https://host\($0).example:8445" }
        let text = "admin:utils cuic cors allowed_origin list\r\n\r\ncors_allowedorigins \r\n=====\r\n"
            + origins.enumerated().map { "\($0.offset + 1). \($0.element) \r\n" }.joined() + "admin:"
        #expect(OriginListParser.parseNumbered(text).value?.origins == origins)
    }
}
