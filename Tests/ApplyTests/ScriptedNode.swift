import Testing
import TestSupport
import VOSShell

/// A scripted VOS node for the apply conversation: it echoes what is typed, prints each list's
/// delete menu from its current entries, deletes what the answer selects, and can ask questions or
/// fail commands on cue. Written for these tests only.
struct ScriptedNode {
    /// `utils <family> cors` → entries.
    var lists: [String: [String]] = [
        "cuic": ["https://finessep.uccelab.tac", "https://finesses.uccelab.tac", "https://finesses.uccelab.tac:8445"],
        "live-data": ["https://finessep.uccelab.tac", "https://finessep.uccelab.tac:8445", "https://finesses.uccelab.tac",
                      "https://finesses.uccelab.tac:8445", "http://127.0.0.1:5500"],
    ]
    /// Command → a question asked instead of running it (only `y` runs it).
    var questions: [String: String] = [:]
    /// A question asked after a delete's index is typed (only `y` deletes).
    var deleteQuestion: String?
    /// Command → output printed instead of running it.
    var outputs: [String: String] = [:]
    /// How menu entries are printed: `"\(n): \(origin)"` by default.
    var menuLine: (Int, String) -> String = { "\($0): \($1)" }
    /// The selection prompt for a list of N entries: the colon form with a trailing `: ` by default.
    var selectionPrompt: (Int) -> String = { "Select the index of origin to be deleted [1-\($0) or a,q]: " }
    var prompt = "\u{1B}[Kadmin:"

    // What happened.
    private(set) var typedLines: [String] = []
    private(set) var deleted: [String] = []
    private(set) var interrupts = 0

    private enum Waiting { case command, selection(String), deleteConfirm(String, Int), confirm(String) }
    private var waiting = Waiting.command
    private var typed: [UInt8] = []

    mutating func start() -> [UInt8] {
        bytes("Command Line Interface is starting up, please wait ...\r\n\r\n   Welcome to the Platform Command Line Interface\r\n\r\nWARNING: DNS unreachable\r\n" + prompt)
    }

    /// Bytes typed by the conversation → what the node prints back.
    mutating func type(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for b in input {
            if b == 0x03 {
                interrupts += 1
                typed.removeAll()
                waiting = .command
                out += bytes("^C\r\n" + prompt)
                continue
            }
            if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
                let line = String(decoding: typed, as: UTF8.self)
                typed.removeAll()
                typedLines.append(line)
                out += bytes("\r\n") + respond(line)
            } else {
                typed.append(b)
                out.append(b)  // echo
            }
        }
        return out
    }

    private mutating func respond(_ line: String) -> [UInt8] {
        switch waiting {
        case .selection(let family):
            waiting = .command
            var list = lists[family] ?? []
            if line == "q" { return bytes(prompt) }
            if line == "a" { lists[family] = []; deleted += list; return bytes("All origins deleted successfully.\r\n" + prompt) }
            guard let n = Int(line), (1...list.count).contains(n) else {
                return bytes("Invalid selection '\(line)'.\r\nExecuted command unsuccessfully\r\n" + prompt)
            }
            if let q = deleteQuestion {
                waiting = .deleteConfirm(family, n)
                return bytes("Deleting \(list[n - 1]).\r\n" + q)
            }
            let removed = list.remove(at: n - 1)
            lists[family] = list
            deleted.append(removed)
            return bytes("Origin \(removed) deleted successfully.\r\n" + prompt)
        case .deleteConfirm(let family, let n):
            waiting = .command
            if line == "y" {
                let removed = lists[family]!.remove(at: n - 1)
                deleted.append(removed)
                return bytes("Origin \(removed) deleted successfully.\r\n" + prompt)
            }
            return bytes("Nothing deleted.\r\n" + prompt)
        case .confirm(let command):
            waiting = .command
            if line == "y" { return run(command) }
            return bytes("\r\n" + prompt)
        case .command:
            if let q = questions[line] {
                waiting = .confirm(line)
                return bytes("This may take a while.\r\n" + q)
            }
            return run(line)
        }
    }

    private mutating func run(_ line: String) -> [UInt8] {
        if let o = outputs[line] { return bytes(o + prompt) }
        let w = line.split(separator: " ").map(String.init)
        if line == "set cli pagination off" { return bytes("Automatic pagination is turned off\r\n" + prompt) }
        if line == "exit" { return [] }
        if w.count >= 5, w[0] == "utils", w[2] == "cors", w[3] == "allowed_origin" {
            let family = w[1]
            switch w[4] {
            case "add":
                lists[family, default: []] += w[5].split(separator: ",").map(String.init)
                return bytes("Allowed origin(s) added successfully: \(w[5])\r\n" + prompt)
            case "list":
                let entries = (lists[family] ?? []).enumerated().map { "\($0.offset + 1). \($0.element) \r\n" }.joined()
                return bytes("\r\ncors_allowedorigins \r\n=========================== \r\n" + entries + prompt)
            case "delete":
                let list = lists[family] ?? []
                if list.isEmpty { return bytes("Currently no origins are configured in allowed origins.\r\n" + prompt) }
                waiting = .selection(family)
                let menu = list.enumerated().map { menuLine($0.offset + 1, $0.element) + "\r\n" }.joined()
                return bytes("\r\n" + menu + "a: all\r\nq: quit\r\n\r\n" + selectionPrompt(list.count))
            default: break
            }
        }
        if w.count >= 4, w[0] == "utils", w[1] == "service", w[2] == "restart" {
            let name = w[3...].joined(separator: " ")
            return bytes("Service Manager is running\r\n\(name)[STOPPING]\r\n\(name)[STARTING]\r\n\(name)[STARTED]\r\n" + prompt)
        }
        return bytes("Executed command unsuccessfully\r\n" + prompt)
    }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

struct Conversed {
    var conversation: ApplyConversation
    var node: ScriptedNode
    /// Everything typed, in order.
    var sent: [UInt8]
}

/// Runs an apply against a node, feeding what it prints in the given chunking.
func converse(_ node: ScriptedNode, _ steps: [ApplyStep], chunking: Chunking) -> Conversed {
    var node = node
    var c = ApplyConversation(steps: steps)
    var lengths = ReadLengths(chunking)
    var pending = node.start()
    var sent: [UInt8] = []
    var rounds = 0
    while !pending.isEmpty, !c.isDone, rounds < 10_000 {
        rounds += 1
        let n = lengths.next(available: pending.count)
        let chunk = Array(pending.prefix(n))
        pending.removeFirst(min(n, pending.count))
        let reply = c.receive(chunk)
        if !reply.isEmpty {
            sent += reply
            pending += node.type(reply)
        }
    }
    return Conversed(conversation: c, node: node, sent: sent)
}

/// Runs every chunking, checks they agree, returns the all-at-once run.
func sameInEveryChunking(_ node: ScriptedNode, _ steps: [ApplyStep], sourceLocation: SourceLocation = #_sourceLocation) -> Conversed {
    let reference = converse(node, steps, chunking: .whole)
    for chunking in Chunking.all.dropFirst() {
        let run = converse(node, steps, chunking: chunking)
        #expect(run.conversation.results == reference.conversation.results, "\(chunking)", sourceLocation: sourceLocation)
        #expect(run.sent == reference.sent, "\(chunking)", sourceLocation: sourceLocation)
        #expect(run.conversation.failure == reference.conversation.failure, "\(chunking)", sourceLocation: sourceLocation)
        #expect(run.node.lists == reference.node.lists, "\(chunking)", sourceLocation: sourceLocation)
        #expect(run.conversation.transcript == reference.conversation.transcript, "\(chunking)", sourceLocation: sourceLocation)
    }
    return reference
}
