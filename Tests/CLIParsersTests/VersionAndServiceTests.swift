import CLIParsers
import Testing

@Suite("show version active")
struct VersionTests {
    @Test("version and installed options")
    func golden() throws {
        let outcome = VersionParser.parse(try Golden.input("show-version-active.txt"))
        #expect(outcome.value?.active == "12.6.2.10000-19")
        try Golden.check(outcome, "version")
    }

    @Test("CRLF and ANSI do not change the result")
    func variants() throws {
        let text = try Golden.input("show-version-active.txt")
        #expect(VersionParser.parse(Variant.ansiWrapped(text)) == VersionParser.parse(text))
        #expect(VersionParser.parse(Variant.surrounded(text)).value?.active == "12.6.2.10000-19")
    }

    @Test("refusals")
    func refusals() {
        #expect(VersionParser.parse("") == .unparsed("no output"))
        #expect(VersionParser.parse("Active Version Installed Software Options:\nNo Installed Software Options Found.\n")
            == .unparsed("no `Active Master Version:` line"))
        #expect(VersionParser.parse("Active Master Version: \n") == .unparsed("a version line without a version: \"Active Master Version:\""))
        #expect(VersionParser.parse("Active Master Version: 12.6.2.10000-19\nActive Master Version: 12.5.1.10000-6\n")
            == .unparsed("two different active versions: 12.6.2.10000-19 and 12.5.1.10000-6"))
    }
}

@Suite("utils service list")
struct ServiceListTests {
    @Test("every line shape")
    func golden() throws {
        let outcome = ServiceListParser.parse(try Golden.input("utils-service-list.txt"))
        let list = try #require(outcome.value)
        #expect(list.service(named: "cisco tomcat")?.state == .started)
        #expect(list.service(named: "System SSH")?.state == .started)
        #expect(list.service(named: "Cisco HCS Admin UI") == ServiceStatus(
            name: "Cisco HCS Admin UI", state: .stopped, rawState: "STOPPED", tail: "Component is not running", notActivated: false))
        #expect(list.service(named: "Name Service Cache")?.notActivated == true)
        #expect(list.service(named: "Unified CCE Live Data NGINX Service")?.state == .stopped)
        #expect(list.service(named: "Cisco Web Proxy Service")?.notActivated == true)
        #expect(list.service(named: "Cisco Certificate Expiry Monitor")?.state == .other)
        #expect(list.service(named: "Cisco Certificate Expiry Monitor")?.rawState == "STARTING")
        #expect(list.service(named: "Cisco Tomca") == nil)
        #expect(list.ignoredLines.contains("Service Manager is running"))
        try Golden.check(outcome, "services")
    }

    @Test("raw state is kept as printed")
    func rawStateAsPrinted() {
        let service = ServiceListParser.parse("Cisco Tomcat[ Started ]\n").value?.services.first
        #expect(service?.state == .started)
        #expect(service?.rawState == "Started")
    }

    @Test("bracketed text that is not a state is no service line")
    func notServices() {
        #expect(ServiceListParser.parse("[INFO] starting\nProgress [1/3]\n") == .unparsed("no `Name[STATE]` service lines"))
        #expect(ServiceListParser.parse("\n") == .unparsed("no output"))
    }

    @Test("CRLF and ANSI do not change the result")
    func variants() throws {
        let text = try Golden.input("utils-service-list.txt")
        #expect(ServiceListParser.parse(Variant.ansiWrapped(text)) == ServiceListParser.parse(text))
        #expect(ServiceListParser.parse(Variant.crlf(text)) == ServiceListParser.parse(text))
    }
}

@Suite("Failure markers")
struct FailureMarkerTests {
    struct Case: Codable {
        var input: String
        var parser: String
        var result: OutcomeSummary
    }

    static let inputs = [
        "admin:utils cuic cors status\nExecuted command unsuccessfully\n",
        "admin:utils cuic cors allowed_origin list\r\nError: could not read the configuration\r\nExecuted command unsuccessfully\r\n\u{1B}[Kadmin:",
        "admin:utils live-data cors status\nInvalid command: live-data\n",
        "\n  invalid COMMAND\n",
        "cors_allowedorigins\n1. https://a\nEXECUTED COMMAND UNSUCCESSFULLY\n",
    ]

    static let parsers: [(String, @Sendable (String) -> OutcomeSummary)] = [
        ("numbered list", { OutcomeSummary(OriginListParser.parseNumbered($0)) }),
        ("finesse list", { OutcomeSummary(OriginListParser.parseFinesse($0)) }),
        ("status", { OutcomeSummary(CorsStatusParser.parse($0)) }),
        ("version", { OutcomeSummary(VersionParser.parse($0)) }),
        ("services", { OutcomeSummary(ServiceListParser.parse($0)) }),
    ]

    @Test("every parser reports a failure marker as failed")
    func everyParser() throws {
        var cases: [Case] = []
        for input in Self.inputs {
            for (name, parse) in Self.parsers {
                let result = parse(input)
                #expect(result.outcome == "failed", "\(name): \(input.debugDescription)")
                cases.append(Case(input: input, parser: name, result: result))
            }
        }
        try Golden.check(cases, "failures")
    }

    @Test("detect")
    func detect() {
        #expect(FailureMarker.detect(in: "Executed command unsuccessfully") == "Executed command unsuccessfully")
        #expect(FailureMarker.detect(in: "admin:foo\n Invalid command \n") == "Invalid command")
        #expect(FailureMarker.detect(in: "Welcome to the Platform Command Line Interface\nadmin:foo\nInvalid command\n") == "Invalid command")
        // Only the first line of the output counts for "Invalid command".
        #expect(FailureMarker.detect(in: "1. https://a\nInvalid command\n") == nil)
        #expect(FailureMarker.detect(in: "CORS is enabled") == nil)
        #expect(FailureMarker.detect(in: "") == nil)
        #expect(FailureMarker.detect(in: "Commands Executed Successfully") == nil)
    }
}
