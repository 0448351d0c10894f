import CLIParsers
import Testing

@Suite("show network cluster")
struct ClusterMembershipTests {
    @Test("Cisco's published sample: one line per node, then the processnode block")
    func guideSample() throws {
        let outcome = ClusterMembershipParser.parse(try Golden.input("network-cluster.cucm-guide.txt"))
        let value = try #require(outcome.value)
        #expect(value.members.map(\.host) == ["aligator.burren.pst", "hippo2.burren.pst"])
        #expect(value.members.map(\.role) == [.publisher, .subscriber])
        #expect(value.members.map(\.address) == ["10.63.70.48", "10.63.70.125"])
        #expect(value.processNodes == ["aligator.burren.pst", "hippo2.burren.pst"])
        try Golden.check(outcome, "network-cluster.cucm-guide")
    }

    @Test("wrapped lines, at a space or in the middle of a word, are joined")
    func wrapped() throws {
        let outcome = ClusterMembershipParser.parse(try Golden.input("network-cluster.wrapped.txt"))
        let value = try #require(outcome.value)
        #expect(value.members.map(\.host) == ["aligator.burren.pst", "hippo2.burren.pst", "hippo3.burren.pst"])
        #expect(value.members.map(\.role) == [.publisher, .subscriber, .subscriber])
        try Golden.check(outcome, "network-cluster.wrapped")
    }

    @Test("a table with a header row (assumed form) is read by its rows")
    func headerRow() throws {
        let outcome = ClusterMembershipParser.parse(try Golden.input("network-cluster.header-row.txt"))
        let value = try #require(outcome.value)
        #expect(value.headerRow?.hasPrefix("IP Address") == true)
        #expect(value.members.map(\.host) == ["cuicpub.uccelab.tac", "cuicsub.uccelab.tac"])
        try Golden.check(outcome, "network-cluster.header-row")
    }

    @Test("CRLF and ANSI do not change the result")
    func crlf() throws {
        let text = try Golden.input("network-cluster.cucm-guide.txt")
        let plain = ClusterMembershipParser.parse(text)
        #expect(ClusterMembershipParser.parse(text.replacingOccurrences(of: "\n", with: "\r\n")) == plain)
        #expect(ClusterMembershipParser.parse(text.replacingOccurrences(of: "admin:", with: "\u{1B}[Kadmin:")) == plain)
    }

    @Test("anything not understood is unparsed, never an empty cluster")
    func refusals() throws {
        if case .unparsed = ClusterMembershipParser.parse(try Golden.input("network-cluster.unknown.txt")) {} else {
            Issue.record("an unknown shape must be unparsed")
        }
        let cases: [(String, String)] = [
            ("empty", "admin:show network cluster\n\nadmin:"),
            ("no role", "admin:show network cluster\n10.0.0.1 a.lab a Primary cuic\nadmin:"),
            ("short name that is not the FQDN's", "admin:show network cluster\n10.0.0.1 a.lab b Publisher cuic\nadmin:"),
            ("two publishers", "admin:show network cluster\n10.0.0.1 a.lab a Publisher x\n10.0.0.2 b.lab b Publisher x\nadmin:"),
            ("twice", "admin:show network cluster\n10.0.0.1 a.lab a Publisher x\n10.0.0.1 a.lab a Subscriber x\nadmin:"),
            ("a member without an address", "admin:show network cluster\n10.0.0.1 a.lab a Publisher x\nb.lab b.lab b Subscriber x\nadmin:"),
            ("processnode of several words", "admin:show network cluster\n10.0.0.1 a.lab a Publisher x\nServer Table (processnode) Entries\na.lab node 1\nadmin:"),
        ]
        for (name, text) in cases {
            guard case .unparsed = ClusterMembershipParser.parse(text) else {
                Issue.record("\(name): expected unparsed, got \(ClusterMembershipParser.parse(text))"); continue
            }
        }
        #expect(ClusterMembershipParser.parse("admin:show network cluster\nExecuted command unsuccessfully\nadmin:") == .failed("Executed command unsuccessfully"))
    }
}
