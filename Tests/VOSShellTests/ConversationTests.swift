import Testing
import TestSupport
@testable import VOSShell

let auditCommands = ["utils cuic cors allowed_origin list", "show version active", "utils service list"]

/// Runs the same node in every chunking mode and checks they agree on everything; returns the
/// whole-chunk run.
@discardableResult
func sameInEveryMode(_ node: FakeNode, _ commands: [String], config: VOSConversationConfig = .init(),
                     sourceLocation: SourceLocation = #_sourceLocation) -> Run {
    let reference = converse(node, commands, config: config, chunking: .whole)
    for chunking in Chunking.all.dropFirst() {
        let run = converse(node, commands, config: config, chunking: chunking)
        let c = run.conversation, r = reference.conversation
        #expect(c.results == r.results, "\(chunking)", sourceLocation: sourceLocation)
        #expect(c.setupResult == r.setupResult, "\(chunking)", sourceLocation: sourceLocation)
        #expect(run.sent == reference.sent, "\(chunking)", sourceLocation: sourceLocation)
        #expect(c.transcript == r.transcript, "\(chunking)", sourceLocation: sourceLocation)
        #expect(c.failure == r.failure, "\(chunking)", sourceLocation: sourceLocation)
        #expect(c.phase == r.phase, "\(chunking)", sourceLocation: sourceLocation)
        #expect(c.state == r.state, "\(chunking)", sourceLocation: sourceLocation)
    }
    return reference
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// A conversation already at its first command (`disablePagination` off, so no setup step).
func atFirstCommand(_ commands: [String], config: VOSConversationConfig = .init(disablePagination: false)) -> VOSConversation {
    var c = VOSConversation(commands: commands, config: config)
    _ = c.receive(bytes("Welcome to the Platform Command Line Interface\r\n\r\n\u{1B}[Kadmin:"))
    return c
}

@Suite struct ConversationTests {
    @Test func auditsANodeTheWayANodeAnswers() {
        let run = sameInEveryMode(FakeNode(), auditCommands)
        let c = run.conversation
        #expect(c.state == .finished)
        #expect(c.phase == .finished)
        #expect(c.failure == nil)
        #expect(c.isDone)
        #expect(c.currentCommandIndex == nil)
        #expect(run.sentText == "set cli pagination off\n" + auditCommands.map { $0 + "\n" }.joined() + "exit\n")
        #expect(c.setupResult == CommandResult(command: "set cli pagination off", output: "Automatic pagination is turned off\n\n",
                                                outcome: .completed, pagerAnswers: 0, byteCount: c.setupResult?.byteCount ?? -1))
        #expect(c.results.map(\.command) == auditCommands)
        #expect(c.results.map(\.outcome) == [.completed, .completed, .completed])
        #expect(c.results[0].output == FakeNode.expected(FakeNode.originList))
        #expect(c.results[0].output.contains("3. https://finesses.uccelab.tac:8445 \n"))  // trailing spaces kept
        #expect(c.results[1].output == "Active Master Version: 12.6.2.10000-19\nActive Version Installed Software Options:\nNo Installed Software Options Found.\n\n")
        #expect(c.results[2].output == FakeNode.expected(FakeNode.serviceList))
        #expect(c.results.allSatisfy { $0.pagerAnswers == 0 })
        #expect(run.node.typedLines == ["set cli pagination off"] + auditCommands + ["exit"])
        // Every raw byte is accounted for: login, each command, and the echo of `exit`.
        var node = FakeNode()
        let login = node.start().count
        let perCommand = c.results.map(\.byteCount).reduce(0, +) + (c.setupResult?.byteCount ?? 0)
        #expect(login + perCommand + "exit\r\n".utf8.count == c.transcript.count)
    }

    @Test func transcriptIsEveryByteReceivedRaw() {
        var c = VOSConversation(commands: ["show version active"], config: .init(disablePagination: false))
        var all: [UInt8] = []
        for piece in ["Command Line Interface is starting up, please wait ...\r\n", "\u{1B}[Kadmin:",
                      "show version active\r\n\u{1B}[1mActive\u{1B}[0m Master Version: 12.6.2.10000-19\r\n\r\n\u{1B}[Kadmin:", "exit\r\n", "late"] {
            all += bytes(piece)
            _ = c.receive(bytes(piece))
        }
        #expect(c.transcript == all)
        #expect(c.results[0].output == "Active Master Version: 12.6.2.10000-19\n\n")
    }

    @Test func nothingIsSentBeforeTheFirstPrompt() {
        var c = VOSConversation(commands: ["show version active"])
        var node = FakeNode()
        let login = node.start()
        // Drip-fed: every byte but the prompt's colon gets no answer.
        for byte in login.dropLast() {
            #expect(c.receive(CollectionOfOne(byte)).isEmpty)
            #expect(c.phase == .login)
        }
        #expect(text(c.receive([UInt8(ascii: ":")])) == "set cli pagination off\n")
        #expect(c.phase == .setup)
        #expect(c.currentCommandIndex == nil)
    }

    @Test func bannerLinesThatLookLikePromptsAreNot() {
        var c = VOSConversation(commands: [])
        #expect(c.receive(bytes("Command Line Interface is starting up, please wait ...\r\n")).isEmpty)
        #expect(c.receive(bytes("login admin: ok\r\nadmin:x\r\nadmins:\r\nadmin[]:\r\nadmin[1a]:\r\n")).isEmpty)
        #expect(c.receive(bytes(String(repeating: "x", count: 5000) + "admin:")).isEmpty)  // not at a line start
        #expect(c.receive(bytes("\r\nadmin:   ")) == bytes("set cli pagination off\n"))
    }

    @Test func promptWithTrailingSpacesAndCommandCount() {
        var node = FakeNode()
        node.commandCount = true
        node.promptPrefix = "\u{1B}[0m\u{1B}[K"
        let run = sameInEveryMode(node, auditCommands)
        #expect(run.conversation.state == .finished)
        #expect(run.conversation.results[1].output.hasPrefix("Active Master Version: 12.6.2.10000-19\n"))
        #expect(text(run.conversation.transcript).contains("admin[3]:"))
    }

    @Test(arguments: ["admin[3]:", "admin[12]: ", "\u{1B}[Kadmin:", "\u{1B}[?1h\u{1B}=\u{1B}[K\u{1B}]0;cuicpub\u{7}admin:", "\u{1B}[1madmin\u{1B}[0m:  "])
    func promptForms(_ prompt: String) {
        var c = atFirstCommand(["show version active"])
        #expect(c.receive(bytes("show version active\r\nActive Master Version: 12.6.2.10000-19\r\n\r\n" + prompt)) == bytes("exit\n"))
        #expect(c.results[0].output == "Active Master Version: 12.6.2.10000-19\n\n")
    }

    @Test func promptAfterALoneCarriageReturn() {
        var c = atFirstCommand(["show version active"])
        #expect(c.receive(bytes("show version active\r\r\nActive Master Version: 12.6.2.10000-19\r\r\n\r\u{1B}[Kadmin:")) == bytes("exit\n"))
        // `\r\r\n` (a PTY's rendering of `\r\n`) is one line break; the prompt's `\r` is not a line.
        #expect(c.results[0].output == "Active Master Version: 12.6.2.10000-19\n")
    }

    @Test func loneCarriageReturnsBecomeLineBreaks() {
        var c = atFirstCommand(["utils service list"])
        _ = c.receive(bytes("utils service list\r\nRequesting service status, please wait...\rSystem SSH [STARTED]\r\n\r\nadmin:"))
        #expect(c.results[0].output == "Requesting service status, please wait...\nSystem SSH [STARTED]\n\n")
    }

    @Test func adminInsideALineIsNotAPrompt() {
        var node = FakeNode()
        node.outputs["show myself"] = "Machine Name    : cuicpub\r\nuser admin: ok\r\nlast login admin:\r\n"
        let run = sameInEveryMode(node, ["show myself", "show version active"])
        #expect(run.conversation.results[0].output == "Machine Name    : cuicpub\nuser admin: ok\nlast login admin:\n\n")
        #expect(run.conversation.results[1].outcome == .completed)
    }

    /// A prompt counts only at the end of what was received: a line `admin:` with more output after it
    /// in the same read is output. (Drip-fed, such a line would end a read and be taken for the prompt:
    /// a node prints nothing after a real prompt until something is typed, and no VOS output has such
    /// a line, so that is the documented assumption.)
    @Test func promptLikeLineFollowedByMoreOutputIsOutput() {
        var c = atFirstCommand(["show myself", "show version active"])
        #expect(c.receive(bytes("show myself\r\nadmin:\r\nprivilege level : 4\r\n")).isEmpty)
        #expect(c.phase == .command(0))
        #expect(c.currentCommandIndex == 0)
        #expect(c.receive(bytes("\r\nadmin:")) == bytes("show version active\n"))
        #expect(c.results[0].output == "admin:\nprivilege level : 4\n\n")
        #expect(c.currentCommandIndex == 1)
    }

    @Test func echoSplitAcrossReads() {
        var c = atFirstCommand(["utils cuic cors allowed_origin list"])
        for piece in ["ut", "ils cuic", " cors allowed_", "origin list", "\r", "\n", "\r\ncors_allowed", "origins \r\n", "1. https://finessep.uccelab.tac \r\n\r\n", "\u{1B}[K", "admin:"] {
            let reply = c.receive(bytes(piece))
            #expect(reply.isEmpty == (piece != "admin:"))
        }
        #expect(c.results[0].output == "\ncors_allowedorigins \n1. https://finessep.uccelab.tac \n\n")
    }

    @Test func echoWithANSIIsRecognised() {
        var c = atFirstCommand(["show version active"])
        _ = c.receive(bytes("\u{1B}[Kshow \u{1B}[1mversion\u{1B}[0m active  \r\nActive Master Version: 12.6.2.10000-19\r\nadmin:"))
        #expect(c.results[0].output == "Active Master Version: 12.6.2.10000-19\n")
    }

    @Test func missingEchoKeepsTheFirstLine() {
        var node = FakeNode()
        node.echo = false
        let run = sameInEveryMode(node, auditCommands)
        #expect(run.conversation.results[1].output.hasPrefix("Active Master Version: 12.6.2.10000-19\n"))
        #expect(run.conversation.results[2].output == FakeNode.expected(FakeNode.serviceList))
        #expect(run.conversation.setupResult?.output == "Automatic pagination is turned off\n\n")
    }

    @Test func aFirstLineOtherThanTheCommandIsKept() {
        var c = atFirstCommand(["show version active"])
        _ = c.receive(bytes("show version\r\nActive Master Version: 12.6.2.10000-19\r\nadmin:"))
        #expect(c.results[0].output == "show version\nActive Master Version: 12.6.2.10000-19\n")
    }

    @Test func commandWithNoOutput() {
        var c = atFirstCommand(["set commandcount enable", "show myself"])
        #expect(c.receive(bytes("set commandcount enable\r\n\u{1B}[Kadmin[1]:")) == bytes("show myself\n"))
        #expect(c.results[0].output == "")
        // No echo and no output: the prompt alone.
        #expect(c.receive(bytes("admin[2]:")) == bytes("exit\n"))
        #expect(c.results[1].output == "")
        #expect(c.results[1].outcome == .completed)
    }

    @Test func pagerLeftOnIsAnsweredAndRemoved() {
        var node = FakeNode()
        node.honorsPaginationOff = false
        node.pageLines = 3
        let paged = sameInEveryMode(node, auditCommands)
        let plain = converse(FakeNode(), auditCommands)
        #expect(paged.conversation.state == .finished)
        // The same outputs as without a pager, the pager lines and their erasing gone.
        #expect(paged.conversation.results.map(\.output) == plain.conversation.results.map(\.output))
        #expect(paged.conversation.results.map(\.pagerAnswers) == [2, 1, 4])
        #expect(paged.conversation.results.allSatisfy { !$0.output.contains("Press") && !$0.output.contains("quit") })
        // A single space per page, no line ending.
        #expect(paged.sentText == "set cli pagination off\nutils cuic cors allowed_origin list\n  show version active\n utils service list\n    exit\n")
    }

    @Test func pagerOnTheSameLineAsOutputKeepsTheOutput() {
        var c = atFirstCommand(["utils service list"])
        #expect(c.receive(bytes("utils service list\r\nCisco DB[STARTED]\r\nCisco Tomcat[STARTED] \u{1B}[1mpress <Enter> for 1 line, <SPACE> FOR ONE PAGE, or <q> to QUIT   ")) == [0x20])
        #expect(c.receive(bytes("\r    \rSystem SSH [STARTED]\r\n\r\nadmin:")) == bytes("exit\n"))
        #expect(c.results[0].output == "Cisco DB[STARTED]\nCisco Tomcat[STARTED] \nSystem SSH [STARTED]\n\n")
        #expect(c.results[0].pagerAnswers == 1)
    }

    @Test(arguments: [("Continue (y/n)?", "n\n"), ("Enter (yes/no)?", "no\n"), ("Press ENTER to continue", "\u{3}"),
                      ("Proceed [y/n]: ", "n\n"), ("Are you sure? (Y/N) ", "n\n"), ("Really [yes/no]", "no\n"),
                      ("Press <Enter> to continue...", "\u{3}"), ("Continue (y/n)?  ", "n\n")])
    func confirmationsAreRefused(_ question: String, _ refusal: String) {
        var node = FakeNode()
        node.questions = ["utils service restart Cisco Tomcat": question]
        let commands = ["show version active", "utils service restart Cisco Tomcat", "utils service list"]
        let run = sameInEveryMode(node, commands)
        let c = run.conversation
        let trimmed = String(question.reversed().drop(while: { $0 == " " }).reversed())
        #expect(c.results[1].outcome == .aborted(confirmation: trimmed))
        #expect(c.results[1].output.hasPrefix("This operation will restart the service.\n\(trimmed)"))
        #expect(!run.node.confirmed)
        #expect(run.sentText == "set cli pagination off\nshow version active\nutils service restart Cisco Tomcat\n" + refusal + "utils service list\nexit\n")
        // No command of this run holds a `y`: any `y` sent would be a confirmation.
        #expect(!commands.joined().contains("y") && !run.sent.contains(UInt8(ascii: "y")) && !run.sent.contains(UInt8(ascii: "Y")))
        // The next command still runs.
        #expect(c.results[2].outcome == .completed)
        #expect(c.results[2].output == FakeNode.expected(FakeNode.serviceList))
        #expect(c.state == .finished)
    }

    @Test func questionAskedAgainIsInterrupted() {
        var node = FakeNode()
        node.questions = ["utils system restart": "Do you really want to restart ?\r\nEnter (yes/no)? "]
        node.asksAgain = true
        let run = sameInEveryMode(node, ["utils system restart", "show version active"])
        #expect(run.sentText == "set cli pagination off\nutils system restart\nno\n\u{3}show version active\nexit\n")
        #expect(run.node.interrupts == 1)
        #expect(!run.node.confirmed)
        #expect(run.conversation.results[0].outcome == .aborted(confirmation: "Enter (yes/no)?"))
        #expect(run.conversation.results[1].outcome == .completed)
    }

    @Test func questionIsAnsweredOnceHoweverItsEndArrives() {
        var c = atFirstCommand(["utils service restart Cisco Tomcat", "show myself"])
        #expect(c.receive(bytes("utils service restart Cisco Tomcat\r\nContinue (y/n)")) == bytes("n\n"))
        #expect(c.receive(bytes("?")).isEmpty)
        #expect(c.receive(bytes(" ")).isEmpty)
        #expect(c.receive(bytes("n")).isEmpty)
        #expect(c.receive(bytes("\r\n\r\nadmin:")) == bytes("show myself\n"))
        #expect(c.results[0].outcome == .aborted(confirmation: "Continue (y/n)?"))
        #expect(c.results[0].output == "Continue (y/n)? n\n\n")
    }

    @Test func textMentioningChoicesMidLineIsNotAQuestion() {
        var c = atFirstCommand(["show myself"])
        #expect(c.receive(bytes("show myself\r\nanswer (y/n) when asked\r\n[yes/no] flags\r\n")).isEmpty)
        #expect(c.receive(bytes("admin:")) == bytes("exit\n"))
        #expect(c.results[0].outcome == .completed)
    }

    @Test func withoutPaginationSetupTheFirstCommandFollowsTheFirstPrompt() {
        let run = sameInEveryMode(FakeNode(), ["show version active"], config: .init(disablePagination: false))
        #expect(run.sentText == "show version active\nexit\n")
        #expect(run.conversation.setupResult == nil)
        #expect(run.conversation.results[0].outcome == .completed)
    }

    @Test func lineEndingIsConfigurable() {
        let run = sameInEveryMode(FakeNode(), ["show version active"], config: .init(lineEnding: "\r\n"))
        #expect(run.sentText == "set cli pagination off\r\nshow version active\r\nexit\r\n")
        #expect(run.conversation.results[0].outcome == .completed)
    }

    @Test func noCommandsStillTurnsPaginationOffAndExits() {
        let run = sameInEveryMode(FakeNode(), [])
        #expect(run.sentText == "set cli pagination off\nexit\n")
        #expect(run.conversation.results.isEmpty)
        #expect(run.conversation.state == .finished)
    }

    @Test func outputLimitTruncatesAndStops() {
        var node = FakeNode()
        node.outputs["utils service list"] = String(repeating: "Cisco Tomcat[STARTED]\r\n", count: 200)
        let run = sameInEveryMode(node, auditCommands, config: .init(maxOutputBytes: 1000))
        let c = run.conversation
        #expect(c.failure == .outputLimit(command: "utils service list", limit: 1000))
        #expect(c.state == .failed)
        #expect(c.isDone)
        #expect(c.phase == .command(2))
        #expect(c.results[2].outcome == .truncated(limit: 1000))
        #expect(c.results[2].byteCount == 1000)
        #expect(c.results[2].output.hasPrefix("Cisco Tomcat[STARTED]\nCisco Tomcat[STARTED]\n"))
        #expect(c.results[0].outcome == .completed)
        // Nothing more is typed, not even `exit`: the caller closes.
        #expect(!run.sentText.contains("exit"))
    }

    @Test func outputLimitStopsBeforeLaterCommands() {
        var c = atFirstCommand(["utils service list", "show version active"], config: .init(maxOutputBytes: 100, disablePagination: false))
        #expect(c.receive(bytes("utils service list\r\n" + String(repeating: "Cisco Tomcat[STARTED]\r\n", count: 10) + "admin:")).isEmpty)
        #expect(c.results.map(\.outcome) == [.truncated(limit: 100), .notRun])
        #expect(c.receive(bytes("more")).isEmpty)
        #expect(c.transcript.suffix(4) == bytes("more")[...])
    }

    @Test func pagerLimit() {
        var node = FakeNode()
        node.honorsPaginationOff = false
        node.pageLines = 1
        let run = sameInEveryMode(node, ["utils service list", "show version active"], config: .init(maxPagerAnswers: 5))
        let c = run.conversation
        #expect(c.failure == .pagerLimit(command: "utils service list"))
        #expect(c.results[0].outcome == .truncated(limit: 5))
        #expect(c.results[0].pagerAnswers == 5)
        #expect(c.results[1].outcome == .notRun)
        #expect(run.sentText == "set cli pagination off\n" + " " + "utils service list\n" + "     ")
    }

    @Test func endOfFileMidCommand() {
        var c = atFirstCommand(["show version active", "utils service list", "show myself"])
        _ = c.receive(bytes("show version active\r\nActive Master Version: 12.6.2.10000-19\r\n\r\nadmin:"))
        _ = c.receive(bytes("utils service list\r\nRequesting service status, please wait...\r\nSystem SSH [STA"))
        c.endOfFile()
        #expect(c.failure == .disconnected(.command(1)))
        #expect(c.state == .failed)
        #expect(c.phase == .command(1))
        #expect(c.currentCommandIndex == nil)
        #expect(c.results.map(\.outcome) == [.completed, .disconnected, .notRun])
        #expect(c.results[1].output == "Requesting service status, please wait...\nSystem SSH [STA")
        // Later bytes and events change nothing but the transcript.
        #expect(c.receive(bytes("RTED]\r\nadmin:")).isEmpty)
        c.timedOut()
        #expect(c.failure == .disconnected(.command(1)))
        #expect(text(c.transcript).hasSuffix("[STARTED]\r\nadmin:"))
    }

    @Test func endOfFileDuringSetup() {
        var c = VOSConversation(commands: ["show version active"])
        _ = c.receive(bytes("admin:"))
        _ = c.receive(bytes("set cli pagination off\r\n"))
        c.endOfFile()
        #expect(c.failure == .disconnected(.setup))
        #expect(c.setupResult?.outcome == .disconnected)
        #expect(c.results[0].outcome == .notRun)
    }

    @Test func endOfFileBeforeThePrompt() {
        var c = VOSConversation(commands: ["show version active"])
        _ = c.receive(bytes("Command Line Interface is starting up, please wait ...\r\n"))
        c.endOfFile()
        #expect(c.failure == .disconnected(.login))
    }

    @Test func timeoutWaitingForTheFirstPrompt() {
        var c = VOSConversation(commands: ["show version active", "utils service list"])
        _ = c.receive(bytes("Command Line Interface is starting up, please wait ...\r\n"))
        c.timedOut()
        #expect(c.failure == .timeout(.login))
        #expect(c.state == .failed)
        #expect(c.phase == .login)
        #expect(c.setupResult == nil)
        #expect(c.results.map(\.outcome) == [.notRun, .notRun])
        #expect(c.receive(bytes("admin:")).isEmpty)  // too late
        c.endOfFile()
        #expect(c.failure == .timeout(.login))
    }

    @Test func timeoutMidCommandKeepsThePartialOutput() {
        var c = atFirstCommand(["utils service list"])
        _ = c.receive(bytes("utils service list\r\nRequesting service status, please wait...\r\n"))
        c.timedOut()
        #expect(c.failure == .timeout(.command(0)))
        #expect(c.results[0] == CommandResult(command: "utils service list", output: "Requesting service status, please wait...\n",
                                              outcome: .timedOut, pagerAnswers: 0, byteCount: 63))
    }

    @Test func timeoutAfterARefusalReportsTheQuestion() {
        var c = atFirstCommand(["utils system restart"])
        #expect(c.receive(bytes("utils system restart\r\nContinue (y/n)?")) == bytes("n\n"))
        c.timedOut()
        #expect(c.failure == .timeout(.command(0)))
        #expect(c.results[0].outcome == .aborted(confirmation: "Continue (y/n)?"))
    }

    @Test func finishingThenClosingIsClean() {
        var c = atFirstCommand([])
        #expect(c.state == .finished)
        c.endOfFile()
        c.timedOut()
        #expect(c.failure == nil)
        #expect(c.state == .finished)
        #expect(c.receive(bytes("exit\r\nConnection closed.\r\nadmin:")).isEmpty)
        #expect(text(c.transcript).hasSuffix("Connection closed.\r\nadmin:"))
    }

    @Test func largeOutputDripFedOneByteAtATime() {
        // Origin-list lines; `:` and `t` among them make the conversation look at the tail.
        let line = "1. https://finesses.uccelab.tac:8445 \r\n"
        let count = (4 << 20) / line.utf8.count - 1
        let body = String(repeating: line, count: count)
        var c = atFirstCommand(["utils cuic cors allowed_origin list"])
        var reply: [UInt8] = []
        // One-byte slices of one buffer, as a caller reading into a buffer passes them.
        let stream = bytes("utils cuic cors allowed_origin list\r\n" + body + "\u{1B}[Kadmin:")
        for i in stream.indices {
            let r = c.receive(stream[i..<(i + 1)])
            if !r.isEmpty { reply += r }
        }
        #expect(text(reply) == "exit\n")
        #expect(c.results[0].outcome == .completed)
        #expect(c.results[0].output.utf8.count == body.utf8.count - count)
    }

    @Test func longLineWithoutBreaksDripFed() {
        // Every byte here can end something (`:`, `t`, `e`, `)`), and the line never ends: the
        // checks must stay bounded by the tail, not the line (~1 MB, one byte per read).
        let body = String(repeating: "to quit: admin: continue (yes/no) ", count: 30_000)
        var c = atFirstCommand(["show myself"])
        _ = c.receive(bytes("show myself\r\n"))
        var reply: [UInt8] = []
        let stream = bytes(body)
        for i in stream.indices {
            let r = c.receive(stream[i..<(i + 1)])
            if !r.isEmpty { reply += r }
        }
        // The line ends in "(yes/no) " after every repetition: one line, refused once.
        #expect(text(reply) == "no\n")
        _ = c.receive(bytes("\r\nadmin:"))
        #expect(c.results[0].output.utf8.count == body.utf8.count + 1)
    }

    @Test func lastBytesDescriptionEscapesControlCharacters() {
        var c = VOSConversation(commands: [])
        _ = c.receive(bytes("Command Line Interface is starting up, please wait ...\r\n\u{1B}[1mtab\there\u{7}\\ é\u{1B}[0m"))
        #expect(c.lastBytesDescription(24) == " wait ...\\r\\ntab\\there\\u{7}\\\\ é")
        #expect(c.lastBytesDescription().hasPrefix("Command Line Interface"))
        #expect(c.lastBytesDescription(0) == "")
        #expect(c.lastBytesDescription(Int.max).hasPrefix("Command Line Interface"))
        // A cut in the middle of a UTF-8 character drops the fragment rather than show a replacement.
        #expect(c.lastBytesDescription(1) == "")
        #expect(c.lastBytesDescription(2) == "é")
    }

    @Test func stateAndPhaseProgression() {
        var c = VOSConversation(commands: ["show myself", "show version active"])
        #expect(c.phase == .login)
        #expect(c.state == .running)
        _ = c.receive(bytes("admin:"))
        #expect(c.phase == .setup)
        _ = c.receive(bytes("set cli pagination off\r\nAutomatic pagination is turned off\r\nadmin:"))
        #expect(c.phase == .command(0))
        #expect(c.currentCommandIndex == 0)
        _ = c.receive(bytes("show myself\r\nMachine Name    : cuicpub\r\nadmin:"))
        #expect(c.currentCommandIndex == 1)
        #expect(c.results[1].outcome == .notRun)
        _ = c.receive(bytes("show version active\r\nActive Master Version: 12.6.2.10000-19\r\nadmin:"))
        #expect(c.phase == .finished)
        #expect(c.setupResult?.command == VOSConversation.setupCommand)
        #expect(c.setupResult?.output == "Automatic pagination is turned off\n")
    }
}
