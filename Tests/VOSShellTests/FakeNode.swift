import TestSupport
import VOSShell

/// A scripted VOS node behind a PTY: it prints what a real node prints and reacts to what the
/// conversation types, so echoes, pages and answers follow what was actually sent.
struct FakeNode {
    /// Command → its output, lines ending `\r\n` as the node prints them.
    var outputs: [String: String] = FakeNode.labOutputs
    var echo = true
    /// Printed before `admin:` (the node clears the line first).
    var promptPrefix = "\u{1B}[K"
    /// `set commandcount enable`: prompts become `admin[N]:`.
    var commandCount = false
    /// A node that ignores `set cli pagination off` still pages.
    var honorsPaginationOff = true
    var pageLines = 20
    /// Command → the confirmation question it asks (after a warning line).
    var questions: [String: String] = [:]
    /// Asks the question again after being told no.
    var asksAgain = false
    var dnsWarning = true

    // What happened.
    private(set) var typedLines: [String] = []
    private(set) var confirmed = false
    private(set) var closed = false
    private(set) var interrupts = 0

    private enum Waiting { case line, page, answer }
    private var waiting = Waiting.line
    private var pagination = true
    private var pendingPages: [String] = []
    private var remainder = ""
    private var typed: [UInt8] = []
    private var count = 0
    private var currentQuestion = ""

    static let pager = "\u{1B}[1mPress <enter> for 1 line, <space> for one page, or <q> to quit \u{1B}[0m"
    /// How the node wipes the pager line after an answer.
    static let erasePager = "\r" + String(repeating: " ", count: 66) + "\r"

    static let originList = "\r\ncors_allowedorigins \r\n=========================== \r\n1. https://finessep.uccelab.tac \r\n2. https://finesses.uccelab.tac \r\n3. https://finesses.uccelab.tac:8445 \r\n"
    static let version = "Active Master Version: 12.6.2.10000-19\r\nActive Version Installed Software Options:\r\nNo Installed Software Options Found.\r\n"
    static let serviceList = """
        Requesting service status, please wait...\r
        System SSH [STARTED]\r
        Cisco DB[STARTED]\r
        Cisco Tomcat[STARTED]\r
        Cisco Tomcat Stats Servlet[STARTED]\r
        Intelligence Center Reporting Service[STARTED]\r
        Intelligence Center Serviceability Service[STARTED]\r
        Unified CCE Live Data NGINX Service[STARTED]\r
        Cisco HCS Admin UI[ STOPPED ] Component is not running\r
        Name Service Cache [STOPPED] Service Not Activated\r
        Service Manager is running\r
        Commanded Out: Service Manager is running\r

        """
    static let labOutputs = [
        "utils cuic cors allowed_origin list": originList,
        "show version active": version,
        "utils service list": serviceList,
        "show myself": "Machine Name    : cuicpub\r\naccount name    : ccmadmin\r\nprivilege level : 4\r\n",
    ]

    /// What the output of `command` normalizes to in a result.
    static func expected(_ body: String) -> String {
        // The scripted outputs use `\r\n` only, so dropping every CR is the normalization.
        String(body.unicodeScalars.filter { $0 != "\r" }.map(Character.init)) + "\n"
    }

    var prompt: String {
        promptPrefix + (commandCount ? "admin[\(count)]:" : "admin:")
    }

    /// The login: the CLI starting up, the banner, the first prompt.
    mutating func start() -> [UInt8] {
        var text = "Command Line Interface is starting up, please wait ...\r\n\r\n"
        text += "   Welcome to the Platform Command Line Interface\r\n\r\n"
        text += "VMware Installation:\r\n        2 vCPU: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz\r\n"
        text += "        Disk 1: 146GB, Partition aligned\r\n        8192 Mbytes RAM\r\n\r\n"
        if dnsWarning { text += "WARNING: DNS unreachable\r\n\r\n" }
        return Array((text + prompt).utf8)
    }

    /// The node's reaction to bytes typed at it.
    mutating func input(_ bytes: [UInt8]) -> [UInt8] {
        var out = ""
        for byte in bytes {
            if byte == 0x03 {
                interrupts += 1
                waiting = .line
                typed = []
                pendingPages = []
                out += "^C\r\n" + prompt
                continue
            }
            switch waiting {
            case .page:
                if byte == UInt8(ascii: " ") { out += nextPage() }
                if byte == UInt8(ascii: "q") { waiting = .line; pendingPages = []; out += FakeNode.erasePager + prompt }
            case .line, .answer:
                if byte == UInt8(ascii: "\r") { continue }
                guard byte == UInt8(ascii: "\n") else { typed.append(byte); continue }
                let line = String(decoding: typed, as: UTF8.self)
                typed = []
                if echo { out += line + "\r\n" }
                out += waiting == .answer ? answered(line) : run(line)
            }
        }
        return Array(out.utf8)
    }

    private mutating func run(_ line: String) -> String {
        typedLines.append(line)
        count += 1
        if line == "exit" { closed = true; return "" }
        if let question = questions[line] {
            waiting = .answer
            currentQuestion = question
            return "This operation will restart the service.\r\n" + question
        }
        var body = outputs[line] ?? "Executed command unsuccessfully\r\n"
        if line == VOSConversation.setupCommand {
            if honorsPaginationOff { pagination = false }
            body = "Automatic pagination is turned off\r\n"
        }
        body += "\r\n"
        guard pagination else { return body + prompt }
        // Pages of `pageLines` lines each; the rest waits for the pager answers.
        // `\r\n` is a single Character; the last piece is the empty rest after the final line break.
        var lines = body.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()
        var pages: [String] = []
        while !lines.isEmpty {
            let page = lines.prefix(pageLines)
            lines.removeFirst(page.count)
            pages.append(page.map { $0 + "\r\n" }.joined())
        }
        pendingPages = Array(pages.dropFirst())
        return (pages.first ?? "") + pageEnd()
    }

    private mutating func nextPage() -> String {
        let page = pendingPages.removeFirst()
        return FakeNode.erasePager + page + pageEnd()
    }

    private mutating func pageEnd() -> String {
        if pendingPages.isEmpty { waiting = .line; return prompt }
        waiting = .page
        return FakeNode.pager
    }

    private mutating func answered(_ answer: String) -> String {
        if answer.lowercased().hasPrefix("y") { confirmed = true; waiting = .line; return "Restarting...\r\n" + prompt }
        if asksAgain { return "Invalid input.\r\n" + currentQuestion }
        waiting = .line
        return "Operation cancelled.\r\n\r\n" + prompt
    }
}

/// One conversation against one node.
struct Run {
    var conversation: VOSConversation
    var node: FakeNode
    /// Everything the conversation sent, in order.
    var sent: [UInt8]
    var sentText: String { String(decoding: sent, as: UTF8.self) }
}

/// Plays the conversation against the node until neither has anything to say or the node closed.
func converse(_ node: FakeNode, _ commands: [String], config: VOSConversationConfig = .init(),
              chunking: Chunking = .whole) -> Run {
    var node = node
    var conversation = VOSConversation(commands: commands, config: config)
    var lengths = ReadLengths(chunking)
    var sent: [UInt8] = []
    var pending = node.start()
    for _ in 0..<100_000 {
        var reply: [UInt8] = []
        for piece in lengths.split(pending) { reply += conversation.receive(piece) }
        sent += reply
        if node.closed { conversation.endOfFile(); break }
        if reply.isEmpty { break }
        pending = node.input(reply)
    }
    return Run(conversation: conversation, node: node, sent: sent)
}
