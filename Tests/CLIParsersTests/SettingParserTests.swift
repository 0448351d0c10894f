import CLIParsers
import Testing

/// The settings beside the CORS lists. No public sample shows any of these outputs (docs/releases.md: assumed), so the
/// goldens hold this project's assumed forms, and the tests pin what the parsers refuse.
@Suite("Setting parsers")
struct SettingParserTests {
    @Test("gadget source allowed list: `N: url` under Finesse's header sentence")
    func gadgetSources() throws {
        let outcome = SettingListParser.parseGadgetSources(try Golden.input("gadget-source-allowed-list.txt"))
        #expect(outcome.value?.origins == ["https://cuicpub.uccelab.tac", "https://cuicpub.uccelab.tac:8444",
                                           "https://cuicsub.uccelab.tac", "https://cuicsub.uccelab.tac:8444"])
        try Golden.check(outcome, "gadget-source-list")
    }

    @Test("gadget source allowed list as other paths deliver it", arguments: [
        ("crlf", Variant.crlf), ("ansi", Variant.ansiWrapped), ("surrounded", Variant.surrounded),
    ] as [(String, @Sendable (String) -> String)])
    func gadgetSourceVariants(name: String, transform: @Sendable (String) -> String) throws {
        let outcome = SettingListParser.parseGadgetSources(transform(try Golden.input("gadget-source-allowed-list.txt")))
        #expect(outcome.value?.origins.count == 4)
    }

    @Test("an empty gadget source list, and what is not one")
    func gadgetSourceEmptyAndUnknown() {
        #expect(SettingListParser.parseGadgetSources("No sources are configured in the allowed list.\n") == .parsed(OriginList(origins: [], ignoredLines: ["No sources are configured in the allowed list."])))
        // The pre-ES4 keyword (`whitelist`) on a node that lacks `allowed_list`: never an empty list.
        #expect(SettingListParser.parseGadgetSources("Invalid command: allowed_list\n") != .parsed(OriginList(origins: [])))
        if case .unparsed = SettingListParser.parseGadgetSources("Gadget source whitelisting is not supported\n") {} else { Issue.record("unknown text parsed") }
        if case .unparsed = SettingListParser.parseGadgetSources("1: https://a.test\n3: https://b.test\n") {} else { Issue.record("a gap parsed") }
        if case .unparsed = SettingListParser.parseGadgetSources("1. https://a.test\n") {} else { Issue.record("the dotted form parsed as a Finesse list") }
    }

    @Test("header lists: CUIC's dotted form and Finesse's colon form")
    func headers() throws {
        let cuic = SettingListParser.parseHeaders(try Golden.input("cuic-allowed-headers-list.txt"))
        #expect(cuic.value?.origins == ["X-Custom-Id", "X-Trace"])
        #expect(cuic.value?.header == "cors_allowedheaders")
        try Golden.check(cuic, "headers-list.cuic")
        let finesse = SettingListParser.parseHeaders(try Golden.input("finesse-exposed-headers-list.txt"))
        #expect(finesse.value?.origins == ["X-Custom-Id", "X-Trace"])
        try Golden.check(finesse, "headers-list.finesse")
    }

    @Test("header lists: empty forms parse empty; mixed or unknown forms are refused")
    func headersEmptyAndUnknown() {
        #expect(SettingListParser.parseHeaders("\ncors_exposedheaders \n=========================== \n \n").value?.origins == [])
        #expect(SettingListParser.parseHeaders("Currently no headers are configured in allowed headers.\n").value?.origins == [])
        if case .unparsed = SettingListParser.parseHeaders("1. X-A\n2: X-B\n") {} else { Issue.record("a mixed list parsed") }
        if case .unparsed = SettingListParser.parseHeaders("Content-Type, X-Requested-With, accept\n") {} else { Issue.record("a sentence parsed") }
        if case .failed = SettingListParser.parseHeaders("Executed command unsuccessfully\n") {} else { Issue.record("a failure not seen") }
    }

    @Test("switch statuses: enabled or disabled, nothing else", arguments: [
        ("Gadget source allowed list status: enabled\n", true as Bool?),
        ("Gadget source allowed list status: disabled\n", false),
        ("Private network access is enabled\n", true),
        ("Private network access is not enabled\n", false),
        ("disabled\n", false),
        ("enable_all\n", nil),
        ("Private network access: pending\n", nil),
        ("enabled\ndisabled\n", nil),
    ])
    func switches(text: String, expected: Bool?) {
        #expect(SwitchStatusParser.parse(text).value == expected)
        if expected == nil, case .parsed = SwitchStatusParser.parse(text) { Issue.record("parsed \(text)") }
    }
}
