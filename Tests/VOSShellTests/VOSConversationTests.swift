import Testing
@testable import VOSShell

/// A scripted VOS node: answers what the conversation sends the way a node on a PTY does.
struct ScriptedNode {
    var outputs: [String: String]
    var echo = true
    var prompt = "\u{1B}[Kadmin:"
    var pagerEvery: Int? = nil
    var confirmFor: Set<String> = []

    static let banner = "Command Line Interface is starting up, please wait ...\r\n\r\n   Welcome to the Platform Command Line Interface\r\n\r\nVMware Installation:\r\n        2 vCPU: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\r\n        Disk 1: 146GB, Partition aligned\r\n        10240 Mbytes RAM\r\n\r\n"

    /// The node's bytes answering one line the client typed.
    func answer(_ line: String) -> [String] {
        var chunks: [String] = []
        if echo { chunks.append(line + "\r\n") }
        if line == "exit" { return chunks }
        if confirmFor.contains(line) {
            chunks.append("This will restart things.\r\nContinue (y/n)?")
            return chunks
        }
        let body = line == "set cli pagination off" ? "Automatic pagination is turned off\r\n" : (outputs[line] ?? "Executed command unsuccessfully\r\n")
        if let every = pagerEvery {
            let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
            var page = ""
            for (i, l) in lines.enumerated() {
                page += l + (i < lines.count - 1 ? "\n" : "")
                if (i + 1) % every == 0 && i < lines.count - 1 {
                    chunks.append(page + "\u{1B}[1mPress <enter> for 1 line, <space> for one page, or <q> to quit\u{1B}[0m")
                    page = "\r                                                                   \r"
                }
            }
            chunks.append(page + "\r\n" + prompt)
        } else {
            chunks.append(body + "\r\n" + prompt)
        }
        return chunks
    }
}

/// Runs a whole conversation against a scripted node, delivering each answer in pieces cut by `cut`.
func converse(_ node: ScriptedNode, commands: [String], config: VOSConversationConfig = .init(),
              cut: (inout [UInt8]) -> [[UInt8]]) -> (VOSConversation, [UInt8]) {
    var conversation = VOSConversation(commands: commands, config: config)
    var sent: [UInt8] = []
    var pending: [[UInt8]] = [Array((ScriptedNode.banner + node.prompt).utf8)]
    var typed: [UInt8] = []
    var guardCount = 0
    while !pending.isEmpty && !conversation.isDone && guardCount < 10_000 {
        guardCount += 1
        var chunk = pending.removeFirst()
        for piece in cut(&chunk) {
            let reply = conversation.receive(piece)
            sent += reply
            for b in reply {
                if b == 0x20 && typed.isEmpty {
                    continue  // a pager answer: the next page is already queued
                }
                if b == 0x0A {
                    let line = String(decoding: typed, as: UTF8.self)
                    typed = []
                    pending += node.answer(line).map { Array($0.utf8) }
                } else {
                    typed.append(b)
                }
            }
        }
    }
    return (conversation, sent)
}

let allAtOnce: (inout [UInt8]) -> [[UInt8]] = { [$0] }
let oneByteAtATime: (inout [UInt8]) -> [[UInt8]] = { $0.map { [$0] } }
func randomChunks(seed: UInt64) -> (inout [UInt8]) -> [[UInt8]] {
    var state = seed
    return { bytes in
        var out: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let n = Int((state >> 33) % 17) + 1
            out.append(Array(bytes[i..<min(bytes.count, i + n)]))
            i += n
        }
        return out
    }
}

let listOutput = "\r\ncors_allowedorigins \r\n=========================== \r\n1. https://finessep.uccelab.tac \r\n2. https://finesses.uccelab.tac \r\n3. https://finesses.uccelab.tac:8445 \r\n \r\n"
let labNode = ScriptedNode(outputs: [
    "utils cuic cors status": "CORS status: enabled\r\n",
    "utils cuic cors allowed_origin list": listOutput,
    "show version active": "Active Master Version: 12.6.2.10000-19\r\n",
])
let labCommands = ["utils cuic cors status", "utils cuic cors allowed_origin list", "show version active"]

@Suite struct VOSConversationTests {
    @Test func runsEveryCommandAndExits() {
        let (c, sent) = converse(labNode, commands: labCommands, cut: allAtOnce)
        #expect(c.phase == .finished)
        #expect(c.failure == nil)
        #expect(c.isDone)
        #expect(c.results.map(\.outcome) == [.completed, .completed, .completed])
        #expect(c.results[1].output == listOutput.replacingOccurrences(of: "\r\n", with: "\n"))
        #expect(c.results[0].output == "CORS status: enabled\n")
        #expect(c.setupResult?.output == "Automatic pagination is turned off\n")
        #expect(String(decoding: sent, as: UTF8.self) ==
            "set cli pagination off\nutils cuic cors status\nutils cuic cors allowed_origin list\nshow version active\nexit\n")
    }

    @Test func anyChunkingGivesTheSameResults() {
        let (reference, refSent) = converse(labNode, commands: labCommands, cut: allAtOnce)
        var modes = [oneByteAtATime]
        for seed in [1, 7, 42, 1234, 99999] as [UInt64] { modes.append(randomChunks(seed: seed)) }
        for mode in modes {
            let (c, sent) = converse(labNode, commands: labCommands, cut: mode)
            #expect(c.results == reference.results)
            #expect(c.setupResult == reference.setupResult)
            #expect(sent == refSent)
            #expect(c.transcript == reference.transcript)
        }
    }

    @Test func nothingIsSentBeforeThePrompt() {
        var c = VOSConversation(commands: ["show version active"])
        #expect(c.receive(Array("Command Line Interface is starting up, please wait ...\r\n".utf8)).isEmpty)
        #expect(c.phase == .login)
        #expect(c.receive(Array("admin".utf8)).isEmpty)
        #expect(String(decoding: c.receive(Array(":".utf8)), as: UTF8.self) == "set cli pagination off\n")
    }

    @Test func commandCountPromptAndANSIBeforeIt() {
        var node = labNode
        node.prompt = "\u{1B}[0m\u{1B}[Kadmin[12]:"
        let (c, _) = converse(node, commands: labCommands, cut: oneByteAtATime)
        #expect(c.phase == .finished)
        #expect(c.results[2].output == "Active Master Version: 12.6.2.10000-19\n")
    }

    @Test func pagerIsAnsweredWithASpaceAndRemoved() {
        var node = labNode
        node.pagerEvery = 2
        for cut in [allAtOnce, oneByteAtATime, randomChunks(seed: 3)] {
            let (c, sent) = converse(node, commands: labCommands, cut: cut)
            #expect(c.phase == .finished)
            #expect(c.results[1].pagerAnswers == 3)
            #expect(!c.results[1].output.contains("Press <enter>"))
            #expect(c.results[1].output.contains("3. https://finesses.uccelab.tac:8445"))
            #expect(sent.filter { $0 == 0x20 }.count >= 3)
        }
    }

    @Test func confirmationPromptIsRefusedAndTheNextCommandStillRuns() {
        var node = labNode
        node.confirmFor = ["utils cuic cors status"]
        var c = VOSConversation(commands: labCommands)
        _ = c.receive(Array((ScriptedNode.banner + node.prompt).utf8))
        _ = c.receive(Array("set cli pagination off\r\nAutomatic pagination is turned off\r\n\r\n\u{1B}[Kadmin:".utf8))
        let answer = c.receive(Array("utils cuic cors status\r\nThis will restart things.\r\nContinue (y/n)?".utf8))
        #expect(String(decoding: answer, as: UTF8.self) == "n\n")
        #expect(!answer.contains(UInt8(ascii: "y")))
        let next = c.receive(Array("n\r\n\r\n\u{1B}[Kadmin:".utf8))
        #expect(String(decoding: next, as: UTF8.self) == "utils cuic cors allowed_origin list\n")
        #expect(c.results[0].outcome == .aborted(confirmation: "Continue (y/n)?"))
    }

    @Test(arguments: [("Enter (yes/no)?", "no\n"), ("Press ENTER to continue", "\u{3}"), ("Proceed [y/n]: ", "n\n")])
    func otherConfirmationsAreNeverConfirmed(_ question: String, _ expected: String) {
        var c = VOSConversation(commands: ["utils x"], config: .init(disablePagination: false))
        _ = c.receive(Array("admin:".utf8))
        let answer = c.receive(Array("utils x\r\n\(question)".utf8))
        #expect(String(decoding: answer, as: UTF8.self) == expected)
    }

    @Test func missingEchoKeepsTheFirstLine() {
        var node = labNode
        node.echo = false
        let (c, _) = converse(node, commands: labCommands, cut: allAtOnce)
        #expect(c.results[0].output == "CORS status: enabled\n")
    }

    @Test func adminInTheMiddleOfALineIsNotAPrompt() {
        var c = VOSConversation(commands: ["show myself"], config: .init(disablePagination: false))
        _ = c.receive(Array("admin:".utf8))
        let reply = c.receive(Array("show myself\r\nMachine Name: cuicpub\r\naccount name: admin: ok\r\n".utf8))
        #expect(reply.isEmpty)
        #expect(c.phase == .command(0))
    }

    @Test func outputLimitStopsTheConversation() {
        var c = VOSConversation(commands: ["utils service list", "show version active"], config: .init(maxOutputBytes: 1000, disablePagination: false))
        _ = c.receive(Array("admin:".utf8))
        _ = c.receive(Array(("utils service list\r\n" + String(repeating: "Cisco Tomcat[STARTED]\r\n", count: 100)).utf8))
        #expect(c.failure == .outputLimit(command: "utils service list", limit: 1000))
        #expect(c.results[0].outcome == .truncated(limit: 1000))
        #expect(c.results[1].outcome == .notRun)
        #expect(c.isDone)
    }

    @Test func pagerLimit() {
        var c = VOSConversation(commands: ["utils service list"], config: .init(maxPagerAnswers: 2, disablePagination: false))
        _ = c.receive(Array("admin:".utf8))
        for _ in 0..<3 { _ = c.receive(Array("x\r\nPress <enter> for 1 line, <space> for one page, or <q> to quit".utf8)) }
        #expect(c.failure == .pagerLimit(command: "utils service list"))
    }

    @Test func endOfFileAndTimeoutNameThePhase() {
        var a = VOSConversation(commands: ["show version active"])
        _ = a.receive(Array("Command Line Interface is starting up, please wait ...\r\n".utf8))
        a.timedOut()
        #expect(a.failure == .timeout(.login))
        #expect(a.results[0].outcome == .notRun)

        var b = VOSConversation(commands: ["show version active", "utils service list"], config: .init(disablePagination: false))
        _ = b.receive(Array("admin:".utf8))
        _ = b.receive(Array("show version active\r\nActive Master".utf8))
        b.endOfFile()
        #expect(b.failure == .disconnected(.command(0)))
        #expect(b.results[0].outcome == .disconnected)
        #expect(b.results[1].outcome == .notRun)
        // After a clean finish, EOF is not a failure.
        var c = VOSConversation(commands: [], config: .init(disablePagination: false))
        #expect(String(decoding: c.receive(Array("admin:".utf8)), as: UTF8.self) == "exit\n")
        c.endOfFile()
        #expect(c.failure == nil)
    }

    @Test func largeOutputDripFedIsLinear() {
        let big = String(repeating: "1. https://finessep.uccelab.tac \r\n", count: 60_000)  // ~2 MB
        var c = VOSConversation(commands: ["utils cuic cors allowed_origin list"], config: .init(disablePagination: false))
        _ = c.receive(Array("admin:".utf8))
        for b in Array(("utils cuic cors allowed_origin list\r\n" + big + "admin:").utf8) { _ = c.receive(CollectionOfOne(b)) }
        #expect(c.phase == .finished)
        #expect(c.results[0].output.count == big.count - 60_000)
    }

    @Test func lastBytesAreEscaped() {
        var c = VOSConversation(commands: [])
        _ = c.receive(Array("Command Line Interface is starting up\r\n\u{1B}[1m\u{7}x".utf8))
        #expect(c.lastBytesDescription(12) == "starting up\\r\\n\\x07x".suffix(12).description || c.lastBytesDescription().hasSuffix("up\\r\\n\\x07x"))
    }
}
