import Testing
@testable import VOSShell

/// Commands chosen from earlier results (what a release has, known after `show version active`): asked once, when the
/// given commands have run, before `exit`.
@Suite struct FollowUpTests {
    static let pna = "utils cuic cors private-network-access status"
    static let login = "Welcome to the Platform Command Line Interface\r\n\r\n\u{1B}[Kadmin:"

    static func conversation() -> VOSConversation {
        VOSConversation(commands: ["show version active"], config: .init(disablePagination: false)) { results in
            results.first { $0.command == "show version active" && $0.outcome == .completed }?.output.contains("12.6") == true ? [pna] : []
        }
    }

    @Test func aReleaseThatHasTheCommandGetsItOnceThenExit() {
        var c = Self.conversation()
        #expect(text(c.receive(bytes(Self.login))) == "show version active\n")
        #expect(text(c.receive(bytes("show version active\r\nActive Master Version: 12.6.2.10000-19\r\n\u{1B}[Kadmin:"))) == Self.pna + "\n")
        #expect(c.results.map(\.outcome) == [.completed, .notRun])
        // Asked once: after the follow-up's own result the conversation ends.
        #expect(text(c.receive(bytes(Self.pna + "\r\nPrivate network access is disabled\r\n\u{1B}[Kadmin:"))) == "exit\n")
        #expect(c.results.map(\.command) == ["show version active", Self.pna])
        #expect(c.results[1].output == "Private network access is disabled\n")
        #expect(c.state == .finished)
    }

    @Test func aReleaseWithoutItIsNeverSentIt() {
        var c = Self.conversation()
        _ = c.receive(bytes(Self.login))
        #expect(text(c.receive(bytes("show version active\r\nActive Master Version: 12.5.1.10000-4\r\n\u{1B}[Kadmin:"))) == "exit\n")
        #expect(c.commands == ["show version active"])
    }

    @Test func aFollowUpLineWithALineBreakIsNeverTyped() {
        var c = VOSConversation(commands: [], config: .init(disablePagination: false)) { _ in ["show status\nutils system restart"] }
        #expect(text(c.receive(bytes(Self.login))) == "exit\n")
        #expect(c.commands.isEmpty)
    }
}
