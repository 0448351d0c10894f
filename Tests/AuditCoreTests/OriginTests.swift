import Testing
import TestSupport
@testable import AuditCore

@Suite struct OriginTests {
    @Test(arguments: [
        "https://finessep.uccelab.tac", "https://finessep.uccelab.tac:8445", "http://127.0.0.1:5500",
        "https://10.0.0.5", "https://[fe80::1]:8445", "https://a-b.c",
    ])
    func canonicalOriginsAreEffective(_ entry: String) {
        #expect(OriginAnalysis.analyze(entry) == .effective(Origin(canonical: entry)!))
        #expect(OriginAnalysis.isSafeForCommandLine(entry))
    }

    @Test(arguments: [
        ("https://finessep.uccelab.tac/", "has a path or trailing slash", "https://finessep.uccelab.tac"),
        ("https://finessep.uccelab.tac:8445/desktop", "has a path or trailing slash", "https://finessep.uccelab.tac:8445"),
        ("https://finessep.uccelab.tac:443", "has an explicit default port", "https://finessep.uccelab.tac"),
        ("http://host.tac:80", "has an explicit default port", "http://host.tac"),
        ("HTTPS://FinesseP.uccelab.tac", "has upper case", "https://finessep.uccelab.tac"),
        ("https://Finessep.uccelab.tac:443/", "has upper case and a path or trailing slash and an explicit default port", "https://finessep.uccelab.tac"),
        ("https://finessep.uccelab.tac :8445", "contains whitespace", "https://finessep.uccelab.tac:8445"),
    ])
    func nonCanonicalFormsAreIneffectiveWithTheMeantForm(_ entry: String, _ reason: String, _ meant: String) {
        #expect(OriginAnalysis.analyze(entry) == .ineffective(reason: reason, meant: Origin(canonical: meant)))
        #expect(!OriginAnalysis.isSafeForCommandLine(entry))
    }

    @Test(arguments: [
        "finessep.uccelab.tac", "ftp://x.y", "https://", "https://a,b", "https://x.y:0", "https://x.y:99999",
        "https://x.y:8445;rm", "https://-bad.tac", "https://x\"y", "https://<script>", "",
    ])
    func garbageIsNeverAnOriginNorSafeForACommand(_ entry: String) {
        if case .effective = OriginAnalysis.analyze(entry) { Issue.record("\(entry) accepted") }
        #expect(!OriginAnalysis.isSafeForCommandLine(entry))
    }

    @Test func httpsOriginDropsPort443() {
        #expect(Origin.https(host: "F.tac", port: 443).description == "https://f.tac")
        #expect(Origin.https(host: "f.tac", port: 8445).description == "https://f.tac:8445")
    }
}

@Suite struct ExpectedOriginsTests {
    func cluster(_ policy: ExpectedPolicy, aliases: [String] = []) throws -> Cluster {
        var c = try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml").clusters[0]
        c.finesse[1].aliases = aliases
        c.expected = policy
        return c
    }

    @Test func everyFinesseNodeWithAndWithout8445() throws {
        #expect(ExpectedOrigins.required(for: try cluster(ExpectedPolicy())).map(\.description) == [
            "https://finessep.uccelab.tac", "https://finessep.uccelab.tac:8445",
            "https://finesses.uccelab.tac", "https://finesses.uccelab.tac:8445",
        ])
    }

    @Test func aliasesPortsAndExtrasAddOrigins() throws {
        let policy = ExpectedPolicy(finessePorts: [8445], extraOrigins: [Origin(canonical: "https://proxy.example.com")!,
                                                                         Origin(canonical: "https://finessep.uccelab.tac:8445")!])
        #expect(ExpectedOrigins.required(for: try cluster(policy, aliases: ["finesse-b.example.com"])).map(\.description) == [
            "https://finessep.uccelab.tac:8445", "https://finesses.uccelab.tac:8445",
            "https://finesse-b.example.com:8445", "https://proxy.example.com",
        ])
    }
}
