import Testing
import TestSupport
import VOSShell

let addLine = "utils cuic cors allowed_origin add https://finessep.uccelab.tac:8445"
let ldDelete = "utils live-data cors allowed_origin delete"
let stray = "http://127.0.0.1:5500"
let labSteps: [ApplyStep] = [
    .command(addLine),
    .delete(command: ldDelete, index: 5, origin: stray),
    .command("utils service restart Intelligence Center Reporting Service"),
    .command("utils cuic cors allowed_origin list"),
]

func typed(_ run: Conversed) -> [String] { run.node.typedLines }

@Suite struct ApplyConversationTests {
    @Test func appliesEveryStepAndDeletesOnlyTheVerifiedEntry() {
        let run = sameInEveryChunking(ScriptedNode(), labSteps)
        let c = run.conversation
        #expect(c.failure == nil)
        #expect(c.isDone)
        #expect(c.results.map(\.outcome) == [.applied, .applied, .applied, .applied])
        #expect(typed(run) == ["set cli pagination off", addLine, ldDelete, "5",
                               "utils service restart Intelligence Center Reporting Service",
                               "utils cuic cors allowed_origin list", "exit"])
        #expect(run.node.deleted == [stray])
        #expect(run.node.lists["live-data"]?.contains(stray) == false)
        #expect(run.node.lists["cuic"]?.last == "https://finessep.uccelab.tac:8445")
        // Outputs: echo and prompt removed; the delete keeps the menu it was checked against.
        #expect(c.results[0].output == "Allowed origin(s) added successfully: https://finessep.uccelab.tac:8445\n")
        #expect(c.results[1].output.contains("5: http://127.0.0.1:5500\n"))
        #expect(c.results[1].output.hasSuffix("Select the index of origin to be deleted [1-5 or a,q]: 5\nOrigin http://127.0.0.1:5500 deleted successfully.\n"))
        #expect(c.results[3].output.contains("4. https://finessep.uccelab.tac:8445 \n"))
    }

    @Test func aChangedListAnswersQuitAndStops() {
        var node = ScriptedNode()
        // Someone removed an entry since the audit: index 5 is now another origin... or rather, a new one came in front.
        node.lists["live-data"] = ["https://finessep.uccelab.tac", "https://finessep.uccelab.tac:8445", "https://finesses.uccelab.tac",
                                   stray, "https://finesses.uccelab.tac:8445"]
        let run = sameInEveryChunking(node, labSteps)
        let c = run.conversation
        #expect(c.failure == .stepFailed(index: 1))
        #expect(c.results[0].outcome == .applied)
        #expect(c.results[1].outcome == .failed("index 5 holds https://finesses.uccelab.tac:8445, not http://127.0.0.1:5500; list changed since the audit"))
        #expect(c.results[2].outcome == .notRun)
        #expect(c.results[3].outcome == .notRun)
        #expect(typed(run) == ["set cli pagination off", addLine, ldDelete, "q", "exit"])
        #expect(run.node.deleted.isEmpty)
        #expect(c.results[1].output.contains("4: http://127.0.0.1:5500\n"))
    }

    @Test func aShorterOrEmptyListStops() {
        var node = ScriptedNode()
        node.lists["live-data"] = ["https://finessep.uccelab.tac", "https://finessep.uccelab.tac:8445"]
        var run = sameInEveryChunking(node, [.delete(command: ldDelete, index: 5, origin: stray)])
        #expect(run.conversation.results[0].outcome
                == .failed("index 5 is not in the list (it has 2 entries, not http://127.0.0.1:5500); list changed since the audit"))
        #expect(typed(run) == ["set cli pagination off", ldDelete, "q", "exit"])

        node.lists["live-data"] = []
        run = sameInEveryChunking(node, [.delete(command: ldDelete, index: 5, origin: stray), .command(addLine)])
        #expect(run.conversation.results[0].outcome == .failed("the list is empty; list changed since the audit"))
        #expect(run.conversation.results[1].outcome == .notRun)
        #expect(typed(run) == ["set cli pagination off", ldDelete, "exit"])
    }

    @Test func theEntryMustMatchExactlyAfterStrippingANSIAndTrailingBlanks() {
        var node = ScriptedNode()
        // Bold entries with trailing blanks, `N.` numbering: still the planned origin.
        node.menuLine = { "  \u{1B}[1m\($0). \($1)\u{1B}[0m   " }
        var run = sameInEveryChunking(node, [.delete(command: ldDelete, index: 5, origin: stray)])
        #expect(run.conversation.results[0].outcome == .applied)
        #expect(run.node.deleted == [stray])

        // A longer origin that starts with the planned one is another origin.
        node = ScriptedNode()
        node.lists["live-data"]![4] = "http://127.0.0.1:55001"
        run = sameInEveryChunking(node, [.delete(command: ldDelete, index: 5, origin: stray)])
        #expect(run.conversation.results[0].outcome == .failed("index 5 holds http://127.0.0.1:55001, not http://127.0.0.1:5500; list changed since the audit"))
        #expect(run.node.deleted.isEmpty)

        // Upper case is another origin too.
        node.lists["live-data"]![4] = "HTTP://127.0.0.1:5500"
        run = sameInEveryChunking(node, [.delete(command: ldDelete, index: 5, origin: stray)])
        #expect(run.node.deleted.isEmpty)
    }

    @Test func confirmationQuestionsAreRefusedAndStopTheNode() {
        var node = ScriptedNode()
        node.questions[addLine] = "Continue (y/n)?"
        var run = sameInEveryChunking(node, labSteps)
        #expect(run.conversation.results[0].outcome == .failed("the node asked \"Continue (y/n)\", which an apply never confirms; refused and stopped"))
        #expect(run.conversation.results[1...].allSatisfy { $0.outcome == .notRun })
        #expect(typed(run) == ["set cli pagination off", addLine, "n", "exit"])
        #expect(run.node.lists["cuic"]?.count == 3)

        node = ScriptedNode()
        node.questions[addLine] = "Press ENTER to continue..."
        run = sameInEveryChunking(node, labSteps)
        #expect(run.node.interrupts == 1)
        #expect(typed(run) == ["set cli pagination off", addLine, "exit"])
        #expect(run.node.lists["cuic"]?.count == 3)

        // A question after the index was typed: refused, nothing deleted.
        node = ScriptedNode()
        node.deleteQuestion = "Are you sure you want to delete it (yes/no)?"
        run = sameInEveryChunking(node, labSteps)
        #expect(run.conversation.results[1].outcome == .failed(
            "the node asked \"Are you sure you want to delete it (yes/no)\", which an apply never confirms; refused and stopped (after the index was typed: check the list)"))
        #expect(typed(run) == ["set cli pagination off", addLine, ldDelete, "5", "no", "exit"])
        #expect(run.node.deleted.isEmpty)
    }

    @Test func failureMarkersStopTheNode() {
        var node = ScriptedNode()
        node.outputs[addLine] = "Invalid origin 'x'. An origin has the form http[s]://host[:port].\r\nExecuted command unsuccessfully\r\n"
        var run = sameInEveryChunking(node, labSteps)
        #expect(run.conversation.results[0].outcome == .failed("the node answered \"Executed command unsuccessfully\""))
        #expect(run.conversation.failure == .stepFailed(index: 0))
        #expect(typed(run) == ["set cli pagination off", addLine, "exit"])

        node = ScriptedNode()
        node.outputs["utils service restart Intelligence Center Reporting Service"] = "Invalid command: restart\r\n"
        run = sameInEveryChunking(node, labSteps)
        #expect(run.conversation.results.map(\.outcome) == [.applied, .applied, .failed("the node answered \"Invalid command: restart\""), .notRun])

        // The menu shows the entry but the prompt's range excludes it: not guessed.
        node = ScriptedNode()
        node.menuLine = { n, o in n == 5 ? "5: \(o)\r\n6: https://extra.tac" : "\(n): \(o)" }
        run = sameInEveryChunking(node, [.delete(command: ldDelete, index: 6, origin: "https://extra.tac")])
        #expect(run.conversation.results[0].outcome == .failed("index 6 is outside the prompt's range 1-5; list changed since the audit"))
        #expect(typed(run) == ["set cli pagination off", ldDelete, "q", "exit"])
    }

    @Test func neverAnswersAll() {
        // Whatever the lists hold, `a` is never typed.
        for list in [[], [stray], ["a", stray], Array(repeating: stray, count: 7)] {
            var node = ScriptedNode()
            node.lists["live-data"] = list
            for index in 1...7 {
                let run = converse(node, [.delete(command: ldDelete, index: index, origin: stray)], chunking: .whole)
                #expect(!typed(run).contains("a"))
                #expect(run.node.deleted.count <= 1)
            }
        }
    }

    @Test func aDuplicatedIndexIsNotGuessed() {
        var node = ScriptedNode()
        node.menuLine = { n, o in n == 2 ? "2: \(o)\r\n5: \(stray)" : "\(n): \(o)" }
        let run = sameInEveryChunking(node, [.delete(command: ldDelete, index: 5, origin: stray)])
        #expect(run.conversation.results[0].outcome == .failed("index 5 appears 2 times in the list; cannot tell which entry it deletes"))
        #expect(run.node.deleted.isEmpty)
    }

    @Test func aTimeoutAfterTypingSaysTheEffectIsUnknown() {
        var c = ApplyConversation(steps: labSteps)
        #expect(c.receive(bytes("Welcome\r\n\u{1B}[Kadmin:")) == bytes("set cli pagination off\n"))
        #expect(c.receive(bytes("set cli pagination off\r\nAutomatic pagination is turned off\r\nadmin:")) == bytes(addLine + "\n"))
        _ = c.receive(bytes(addLine + "\r\nWorking"))
        c.timedOut()
        #expect(c.failure == .timeout(.step(0)))
        #expect(c.results[0].outcome == .failed("the node did not return to the prompt in time; the command was typed: whether it took effect is unknown"))
        #expect(c.results[0].output == "Working\n")
        #expect(c.isDone)
        #expect(c.receive(bytes("admin:")).isEmpty)

        var d = ApplyConversation(steps: labSteps)
        _ = d.receive(bytes("admin:"))
        d.endOfFile()
        #expect(d.failure == .disconnected(.setup))
        #expect(d.results.allSatisfy { $0.outcome == .notRun })
    }

    @Test func loginBannerIsNeverAnswered() {
        var c = ApplyConversation(steps: labSteps)
        // Questions and a pager in the banner are not answered: only the prompt starts the work.
        #expect(c.receive(bytes("Continue (y/n)?\r\nPress <enter> for 1 line, <space> for one page, or <q> to quit")).isEmpty)
        #expect(c.receive(bytes("\r\n\u{1B}[Kadmin:")) == bytes("set cli pagination off\n"))
    }

    @Test func menuEntriesAndFailureMarkers() {
        let menu = "\n1: https://a.tac\n  2. https://b.tac   \n3:https://nospace.tac\na: all\nq: quit\n10: https://j.tac\n"
        let entries = ApplyConversation.menuEntries(menu)
        #expect(entries.map(\.index) == [1, 2, 10])
        #expect(entries.map(\.origin) == ["https://a.tac", "https://b.tac", "https://j.tac"])
        #expect(ApplyConversation.failureMarker(in: "ok\n") == nil)
        #expect(ApplyConversation.failureMarker(in: "x\n  Executed command unsuccessfully  \n") == "Executed command unsuccessfully")
        #expect(ApplyConversation.failureMarker(in: "Invalid command: foo\n") == "Invalid command: foo")
    }
}
