import Testing
import TestSupport
import VOSShell

let finesseDelete = "utils finesse cors allowed_origin delete"
let finesseList = ["https://cuicpub.uccelab.tac", "https://cuicpub.uccelab.tac:8444", "https://cuicsub.uccelab.tac",
                   "https://cuicsub.uccelab.tac:8444", stray]

/// A delete menu as a node prints it: the entry form, the prompt, and the list it is for.
struct MenuShape: Sendable, CustomStringConvertible {
    var name: String
    var family: String
    var command: String
    var entry: @Sendable (Int, String) -> String
    var prompt: @Sendable (Int) -> String

    var description: String { name }

    /// The guides' shapes: CUIC and Live Data `1. origin` and no trailing colon; Finesse `1: origin` and
    /// "origin(s)". Each with and without a blank after the `]`.
    static let documented: [MenuShape] = [false, true].flatMap { blank in
        let after = blank ? " " : ""
        return [
            MenuShape(name: "Live Data, dot entries, no colon\(blank ? ", a blank" : "")", family: "live-data", command: ldDelete,
                      entry: { "\($0). \($1)" }, prompt: { "Select the index of origin to be deleted [1-\($0) or a,q]" + after }),
            MenuShape(name: "Finesse, origin(s), no colon\(blank ? ", a blank" : "")", family: "finesse", command: finesseDelete,
                      entry: { "\($0): \($1)" }, prompt: { "Select the index of origin(s) to be deleted [1-\($0) or a,q]" + after }),
        ]
    } + [
        MenuShape(name: "Finesse, origin(s), `] :`", family: "finesse", command: finesseDelete,
                  entry: { "\($0): \($1)" }, prompt: { "Select the index of origin(s) to be deleted [1-\($0) or a,q] : " }),
    ]

    func node(_ list: [String]) -> ScriptedNode {
        var node = ScriptedNode()
        node.lists[family] = list
        node.menuLine = entry
        node.selectionPrompt = prompt
        return node
    }

    func delete(_ index: Int, _ origin: String) -> ApplyStep { .delete(command: command, index: index, origin: origin) }
}

@Suite struct DocumentedMenuTests {
    @Test(arguments: MenuShape.documented)
    func theDocumentedMenuDeletesExactlyThePlannedEntry(_ shape: MenuShape) {
        let list = shape.family == "finesse" ? finesseList : ScriptedNode().lists["live-data"]!
        let run = sameInEveryChunking(shape.node(list), [shape.delete(5, stray), .command(addLine)])
        let c = run.conversation
        #expect(c.failure == nil)
        #expect(c.results.map(\.outcome) == [.applied, .applied])
        #expect(typed(run) == ["set cli pagination off", shape.command, "5", addLine, "exit"])
        #expect(run.node.deleted == [stray])
        #expect(run.node.lists[shape.family] == Array(list.dropLast()))
        #expect(c.results[0].output.contains(shape.entry(5, stray) + "\n"))
        #expect(c.results[0].output.hasSuffix(shape.prompt(5) + "5\nOrigin \(stray) deleted successfully.\n"))
    }

    @Test(arguments: MenuShape.documented)
    func aDifferentEntryAtTheIndexAnswersQuitAndStops(_ shape: MenuShape) {
        var list = shape.family == "finesse" ? finesseList : ScriptedNode().lists["live-data"]!
        list.insert("https://proxy.uccelab.tac", at: 1)
        let run = sameInEveryChunking(shape.node(list), [shape.delete(5, stray), .command(addLine)])
        let c = run.conversation
        #expect(c.failure == .stepFailed(index: 0))
        #expect(c.results.map(\.outcome) == [.failed("index 5 holds \(list[4]), not \(stray); list changed since the audit"), .notRun])
        #expect(typed(run) == ["set cli pagination off", shape.command, "q", "exit"])
        #expect(run.node.deleted.isEmpty)
        #expect(run.node.lists[shape.family] == list)
        #expect(c.results[0].output.hasSuffix(shape.prompt(6) + "q\n"))
    }

    /// Logged in, `command` typed and echoed: ready for the menu.
    func atTheMenu(_ command: String, index: Int = 2, origin: String = "https://b.example") -> ApplyConversation {
        var c = ApplyConversation(steps: [.delete(command: command, index: index, origin: origin)])
        #expect(c.receive(bytes("Welcome\r\n\u{1B}[Kadmin:")) == bytes("set cli pagination off\n"))
        #expect(c.receive(bytes("set cli pagination off\r\nAutomatic pagination is turned off\r\n\u{1B}[Kadmin:")) == bytes(command + "\n"))
        return c
    }

    @Test func aPromptCutMidwayIsNotAnsweredEarly() {
        // Every cut of the documented prompt short of its `]` waits; the `]` completes it.
        for (command, prompt) in [(ldDelete, "Select the index of origin to be deleted [1-2 or a,q]"),
                                  (finesseDelete, "Select the index of origin(s) to be deleted [1-12 or a,q]")] {
            let menu = command + "\r\n\r\n1. https://a.example\r\n2. https://b.example\r\na: all\r\nq: quit\r\n\r\n"
            for cut in 1..<prompt.count {
                var c = atTheMenu(command)
                #expect(c.receive(bytes(menu + prompt.prefix(cut))).isEmpty, "answered at \(prompt.prefix(cut))")
                #expect(c.receive(bytes(String(prompt.dropFirst(cut)))) == bytes("2\n"), "\(cut)")
            }
        }
    }

    @Test func aLineEndingInABracketIsThePromptOnlyWhenItStartsLikeOne() {
        // An entry whose origin ends in `]`, cut before its line ends, is not the prompt.
        var c = atTheMenu(ldDelete, origin: "https://[::1]")
        #expect(c.receive(bytes(ldDelete + "\r\n\r\n1. https://a.example\r\n2. https://[::1]")).isEmpty)
        // Nor is a line that only starts like it, or a bracket that does not close the range.
        #expect(c.receive(bytes("\r\nSelect the index [1-2 or a,q]")).isEmpty)
        #expect(c.receive(bytes("\r\nSelect the index of origin [x]")).isEmpty)
        #expect(c.receive(bytes(" to be deleted [1-2 or a,q]")) == bytes("2\n"))
        #expect(c.results[0].outcome == .notRun)
        #expect(c.receive(bytes(" 2\r\nOrigin https://[::1] deleted successfully.\r\n\u{1B}[Kadmin:")) == bytes("exit\n"))
        #expect(c.results[0].outcome == .applied)
    }

    @Test func anUnplannedDocumentedPromptIsQuotedTheSameInEveryChunking() {
        var node = ScriptedNode()
        node.questions[addLine] = "Select the index of origin to be deleted [1-3 or a,q]:"
        let run = sameInEveryChunking(node, [.command(addLine)])
        #expect(run.conversation.results[0].outcome == .failed(
            "the node asked \"Select the index of origin to be deleted [1-3 or a,q]\" where no selection was planned; answered q and stopped"))
        #expect(typed(run) == ["set cli pagination off", addLine, "q", "exit"])
    }
}
