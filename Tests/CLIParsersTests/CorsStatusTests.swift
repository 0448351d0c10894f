import CLIParsers
import Testing

@Suite("CORS status")
struct CorsStatusTests {
    struct Case: Codable {
        var input: String
        var outcome: ParseOutcome<CorsState>
    }

    static let understood: [(String, CorsState)] = [
        ("enabled", .enabled),
        ("disabled", .disabled),
        ("enable_all", .enableAll),
        ("ENABLE_ALL", .enableAll),
        ("CORS status: true", .enabled),
        ("CORS status: false", .disabled),
        ("cors enabled: false", .disabled),
        ("cors enabled: true", .enabled),
        ("cors.enabled=false", .disabled),
        ("CORS disabled: true", .disabled),
        ("CORS is enabled", .enabled),
        ("CORS is Enabled.", .enabled),
        ("Cisco Finesse CORS is enabled now.", .enabled),
        ("Status: Disabled", .disabled),
        ("CORS status: enable_all", .enableAll),
        ("CORS is not enabled", .disabled),
        ("CORS isn't enabled.", .disabled),
        ("CORS is not currently enabled", .disabled),
        ("CORS is no longer enabled", .disabled),
        ("CORS is disabled. Run utils cuic cors enable to enable it.", .disabled),
        ("CORS is enabled on this node", .enabled),
        ("CORS is disabled on this node", .disabled),
        ("CORS status: enabled\nCORS is enabled", .enabled),
        ("Allow credentials: true\nCORS is disabled", .disabled),
    ]

    static let refused: [String] = [
        "",
        "\n \r\n",
        "CORS is enabled\nCORS is disabled",
        "enabled disabled",
        "enable_all\nenabled",
        "CORS status: maybe",
        "Allow credentials: true",
        "cors enabled false",
        "To turn CORS on use utils cuic cors enable",
        "Status: unknown",
        "Everything is fine",
    ]

    @Test("understood wordings", arguments: understood)
    func understoodWordings(text: String, state: CorsState) {
        #expect(CorsStatusParser.parse(text) == .parsed(state), "\(text)")
        #expect(CorsStatusParser.parse("admin:utils cuic cors status\r\n" + Variant.crlf(text) + "\r\n\u{1B}[Kadmin:") == .parsed(state))
    }

    @Test("refused wordings", arguments: refused)
    func refusedWordings(text: String) {
        guard case .unparsed = CorsStatusParser.parse(text) else {
            Issue.record("\(text.debugDescription) should be unparsed, got \(CorsStatusParser.parse(text))")
            return
        }
    }

    @Test("golden table of status wordings")
    func golden() throws {
        let cases = (Self.understood.map(\.0) + Self.refused).map { Case(input: $0, outcome: CorsStatusParser.parse($0)) }
        try Golden.check(cases, "cors-status.variants")
    }

    @Test("enable_all is its own state, not enabled")
    func enableAllIsNotEnabled() {
        #expect(CorsStatusParser.parse("enable_all") == .parsed(.enableAll))
        #expect(CorsStatusParser.parse("enable_all") != .parsed(.enabled))
        #expect(CorsStatusParser.parse("CORS enable_all and enabled") == .unparsed("the text states more than one state: enable_all, enabled"))
    }

    @Test("both enabled and disabled is unparsed")
    func bothStates() {
        #expect(CorsStatusParser.parse("CORS is enabled\nCORS is disabled") == .unparsed("the text states more than one state: enabled, disabled"))
    }

    @Test("words inside other words do not count")
    func wordBoundaries() {
        guard case .unparsed = CorsStatusParser.parse("CORS is reenabled-ish and undisabledness") else {
            Issue.record("expected unparsed"); return
        }
    }

    @Test("Finesse enable_all with banner and prompts around it")
    func finesseSurrounded() {
        #expect(CorsStatusParser.parse(Variant.surrounded("admin:utils finesse cors status\nenable_all\n")) == .parsed(.enableAll))
    }
}
