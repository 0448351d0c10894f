import Foundation
import FuzzInvariants
import Testing
@testable import CLIParsers

/// Inputs the fuzzers (Fuzz/, scripts/fuzz.sh) found, replayed through their target's checks.
@Suite struct FuzzRegressionTests {
    @Test func everyFoundInputKeepsItsInvariants() throws {
        let directory = try #require(Bundle.module.url(forResource: "FuzzRegressions", withExtension: nil))
        let inputs = try FuzzRegressions.inputs(in: directory)
        #expect(!inputs.isEmpty)
        for found in inputs {
            #expect(throws: Never.self, "\(found.name)") { try found.target.check(found.input) }
        }
    }

    // Found by the splitter target: only the first of two pager prompts on one line was removed, so
    // the output kept the second, and re-splitting the output changed it.
    @Test func everyPagerPromptOnALineIsRemoved() {
        let pager = "Press <enter> for 1 line, <space> for one page, or <q> to quit"
        #expect(TextLines.removingPager("a \(pager) b \(pager) c") == "a  b  c")
        #expect(TextLines.removingPager("\(pager)\(pager)") == nil)
        let entries = TranscriptSplitter.split("admin:utils service list\nCisco Tomcat[STARTED] \(pager) \(pager)\nadmin:")
        #expect(entries.map(\.output) == ["Cisco Tomcat[STARTED]  "])
    }

    // Found by the splitter target: a prompt that a pager prompt on its line hid stayed in the output
    // (the splitter looked for prompts before removing pager text; CommandText does it the other way).
    @Test func promptBehindPagerTextStartsACommand() {
        let pager = "Press <enter> for 1 line, <space> for one page, or <q> to quit"
        let entries = TranscriptSplitter.split("admin:utils service list\nCisco Tomcat[STARTED]\n\(pager) admin:show version active\nActive Master Version: 12.6.2\n")
        #expect(entries.map(\.command) == ["utils service list", "show version active"])
        #expect(entries.map(\.output) == ["Cisco Tomcat[STARTED]", "Active Master Version: 12.6.2"])
    }
}
