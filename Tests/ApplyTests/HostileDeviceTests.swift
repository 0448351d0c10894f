import AuditCore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport
@testable import VOSSimulator

/// Printable entries a hostile or broken device may hold in its CORS list.
let hostileEntries = [
    "https://evil.example,https://attacker.example",
    "https://a.example b",
    "https://\"q\".example'",
    "<script>alert(1)</script>",
    "```<img src=x onerror=alert(2)>",
]

/// Entries whose screen form differs from what is stored: an escape sequence and a bell inside the value.
let invisibleEntries = ["https://finessep.uccelab.tac\u{1b}[31m", "https://finesses.uccelab.tac\u{07}"]

/// Markdown outside fenced code blocks (inside them, markup is shown, never interpreted).
func outsideFences(_ markdown: String) -> String {
    var inFence = false
    var kept: [Substring] = []
    for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("```") { inFence.toggle(); continue }
        if !inFence { kept.append(line) }
    }
    #expect(!inFence, "an unterminated fence: a device string broke out of its code block")
    return kept.joined(separator: "\n")
}

/// A remediation command line is one of the shapes the planner writes, with canonical origins only.
func isPlannedCommand(_ line: String) -> Bool {
    let origin = #"https?://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?"#
    let shapes = [
        #"^utils (cuic|live-data|finesse) cors allowed_origin add \#(origin)(,\#(origin))*$"#,
        #"^utils (cuic|live-data|finesse) cors allowed_origin (delete|list)$"#,
        #"^utils (cuic|live-data|finesse) cors (enable|status)$"#,
        #"^[0-9]{1,4}$"#,
        #"^utils service restart [A-Za-z][A-Za-z ]*[a-z]$"#,
        #"^utils finesse gadget_source_check allowed_list add \#(origin)$"#,
        #"^utils finesse gadget_source_check (status|allowed_list list)$"#,
        #"^utils cuic cors private-network-access (enable|status)$"#,
    ]
    return shapes.contains { line.range(of: $0, options: .regularExpression) != nil }
}

@Suite(.serialized) struct HostileDeviceTests {
    /// A node whose list holds commas, spaces, quotes, markup and escape sequences, and one whose list has
    /// a line break that fakes another numbered entry: audited over SSH, reported, remediated and applied.
    @Test func hostileListsNeverReachACommandLineOrMarkupUnescaped() async throws {
        try await withLab(adjust: { nodes in
            let p = nodes.firstIndex { $0.host == pub }!
            nodes[p].lists[.cuic]!.origins += hostileEntries
            nodes[p].lists[.liveData]!.origins = Array(nodes[p].lists[.liveData]!.origins.dropFirst(2)) + invisibleEntries
            let s = nodes.firstIndex { $0.host == sub }!
            nodes[s].lists[.liveData]!.origins.append("https://x.example\n9: https://injected.example")
        }) { lab in
        let out = lab.directory + "/hostile"
        let r = try corsAudit(["audit", "--inventory", lab.inventoryPath, "--output", out, "--no-history",
                               "--format", "table,json,markdown,html,junit,prometheus"])
        #expect(r.status == 2, "\(r.stdout)\n\(r.stderr)")
        #expect(!r.stdout.contains("\u{1b}") && !r.stdout.contains("\u{07}"), "the table passes control characters through")

        // JSON keeps the device's bytes exactly (escaped by JSON), for a human to look at.
        let report = try reportJSON(out)
        let nodes = try #require(report["nodes"] as? [[String: Any]])
        let pubNode = try #require(nodes.first { $0["host"] as? String == pub })
        let pubLists = try #require(pubNode["lists"] as? [String: Any])
        let pubList = try #require((pubLists["cuic"] as? [String: Any])?["origins"] as? [String])
        #expect(Array(pubList.suffix(hostileEntries.count)) == hostileEntries)
        // What the screen shows is not what is stored: the list is unparsed, never read as the two
        // expected origins it appears to hold.
        #expect(pubNode["status"] as? String == "unparsed", "\(pubNode)")
        let pubLiveData = try #require(pubLists["live-data"] as? [String: Any])
        #expect(pubLiveData["origins"] is NSNull, "\(pubLiveData)")
        #expect("\(pubNode)".contains("holds escape sequences or control characters a terminal does not show"), "\(pubNode)")
        // The faked entry is not believed: the sub's Live Data list is reported unparsed, never guessed.
        let subNode = try #require(nodes.first { $0["host"] as? String == sub })
        #expect(subNode["status"] as? String == "unparsed", "\(subNode)")
        #expect("\(subNode)".contains("injected.example"), "the raw text is kept: \(subNode)")

        // Every command line in every runbook is a planned shape with canonical origins only.
        let runbooks = try FileManager.default.contentsOfDirectory(atPath: out + "/remediation").filter { $0.hasSuffix(".txt") }
        #expect(runbooks.contains("\(pub).txt"))
        var commands = 0
        for name in runbooks {
            let text = try String(contentsOfFile: out + "/remediation/" + name, encoding: .utf8)
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) where !line.isEmpty && !line.hasPrefix("#") {
                #expect(isPlannedCommand(line), "\(name): \(line)")
                commands += 1
            }
            #expect(!text.contains("injected.example"))
            #expect(!text.contains("\u{1b}") && !text.contains("\u{07}"))
        }
        #expect(commands > 0)

        // Markup formats escape every device string.
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(!html.contains("<script") && !html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("\u{1b}") && !html.contains("\u{07}"))
        let markdown = outsideFences(try String(contentsOfFile: out + "/report.md", encoding: .utf8))
        // CommonMark shows a backslash-escaped `<` literally; an unescaped one would open a tag.
        #expect(markdown.range(of: #"(?<!\\)<(script|img)"#, options: .regularExpression) == nil, "\(markdown)")
        #expect(markdown.contains("\\<script\\>"), "device strings in prose are escaped")
        let junit = try Data(contentsOf: URL(fileURLWithPath: out + "/junit.xml"))
        #expect(XMLParser(data: junit).parse(), "junit.xml is well-formed")
        let metrics = try String(contentsOfFile: out + "/cors_audit.prom", encoding: .utf8)
        #expect(!metrics.contains("<script"))
        for line in metrics.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.range(of: #"^[a-z_]+(\{[^\n]*\})? [0-9.e+-]+$"#, options: .regularExpression) != nil, "\(line)")
        }

        // Applying the plan removes the hostile entries from the publisher's CUIC list (deletes by index,
        // each checked against the entry the prompt shows) and leaves the unparsed lists alone.
        let applied = try corsAudit(["remediate", "--from", out + "/report.json", "--inventory", lab.inventoryPath,
                                     "--apply", "--no-history", "--yes", "--restart", "--output", lab.directory + "/apply"])
        #expect(lab.node(pub).configuredList(.cuic)?.origins == fullList, "\(applied.stdout)\n\(applied.stderr)")
        #expect(lab.node(pub).configuredList(.liveData)?.origins.suffix(2) == invisibleEntries[...])
        #expect(lab.node(sub).configuredList(.liveData)?.origins.last == "https://x.example\n9: https://injected.example")
        }
    }
}
