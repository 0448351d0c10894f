import AuditCore
import Foundation
import NIOConcurrencyHelpers

/// One thing a session does, run in order by the channel handler (delays on the event loop).
enum CLIStep {
    case write([UInt8])
    case delay(Double)
    /// Applies a state change when the conversation reaches it (e.g. a restart's `[STARTED]`).
    case effect(() -> Void)
    /// Ends the shell politely (the `exit` command).
    case closeChannel
    /// Cuts the whole connection (the `drop_mid_output` fault).
    case disconnect
}

/// The VOS `admin:` CLI of one session, as a state machine over typed bytes.
///
/// Written from domain.md and the field capture, independently of the client's prompt and parser
/// code. Texts that no public capture shows (the CUIC/Live Data status line, empty lists, errors of
/// add/delete) are assumptions, listed in README.md.
struct VOSCLI {
    static let prompt = "\u{1B}[Kadmin:"
    static let pagerPrompt = "\u{1B}[1mPress <enter> for 1 line, <space> for one page, or <q> to quit\u{1B}[0m"
    static let startingUp = "Command Line Interface is starting up, please wait ..."
    static let failed = "Executed command unsuccessfully"
    /// Lines per page while pagination is on (real nodes page by terminal height, about this).
    static let pageLines = 20

    private enum Mode {
        case prompt
        /// `never_prompt`: everything typed is ignored.
        case silent
        case pager(remaining: [String])
        /// `endless_pager`: the next line number of a list that never ends.
        case endlessPager(next: Int)
        case deleteSelection(ListKind)
        case confirm(command: String)
        case closed
    }

    let node: SimulatedNode
    let def: NodeDefinition
    private var mode = Mode.prompt
    private var pagination = true
    private var pending: [UInt8] = []
    private var line: [UInt8] = []
    private var lastWasCR = false
    /// Skips the rest of an escape sequence typed at the prompt (arrow keys and the like).
    private var inEscape = false

    init(node: SimulatedNode) {
        self.node = node
        self.def = node.definition
    }

    /// The login: the starting-up line, the wait, the banner and the first prompt.
    mutating func start() -> [CLIStep] {
        var steps: [CLIStep] = [.write(Self.bytes(Self.startingUp + "\r\n"))]
        if def.has(.neverPrompt) {
            mode = .silent
            return steps
        }
        steps.append(.delay(def.effectiveStartupDelay))
        let banner = ["", "   Welcome to the Platform Command Line Interface", "",
                      "VMware Installation:",
                      "        2 vCPU: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz",
                      "        Disk 1: 146GB, Partitions aligned",
                      "        8192 Mbytes RAM", ""]
        steps.append(.write(Self.bytes(banner.map { $0 + "\r\n" }.joined() + Self.prompt)))
        return steps
    }

    /// Queues typed bytes; `next()` consumes them.
    mutating func feed(_ bytes: [UInt8]) {
        if case .silent = mode { return }
        pending += bytes
    }

    /// Consumes typed bytes up to and including the next one that starts work (a command, a pager
    /// key); returns what to do, or nothing when all input is consumed.
    mutating func next() -> [CLIStep] {
        var echo: [UInt8] = []
        var steps: [CLIStep] = []
        while steps.isEmpty, !pending.isEmpty {
            let byte = pending.removeFirst()
            let isLF = byte == 0x0A
            defer { lastWasCR = byte == 0x0D }
            if isLF && lastWasCR { continue }  // CR LF is one Enter
            switch mode {
            case .silent, .closed:
                pending.removeAll()
            case .pager(let remaining):
                steps = pagerKey(byte, remaining: remaining)
            case .endlessPager(let next):
                steps = endlessPagerKey(byte, next: next)
            case .prompt, .deleteSelection, .confirm:
                if let submitted = edit(byte, echo: &echo) {
                    echo += Self.bytes("\r\n")
                    steps = submit(submitted)
                }
            }
        }
        return echo.isEmpty ? steps : [.write(echo)] + steps
    }

    /// Line editing with echo; returns the line when Enter is pressed.
    private mutating func edit(_ byte: UInt8, echo: inout [UInt8]) -> String? {
        if inEscape {
            // CSI sequences end in a letter or `~`; a lone ESC ends at the next byte.
            if (0x40...0x7E).contains(byte) && byte != UInt8(ascii: "[") { inEscape = false }
            return nil
        }
        switch byte {
        case 0x0D, 0x0A:
            let text = String(decoding: line, as: UTF8.self)
            line.removeAll()
            return text
        case 0x7F, 0x08:
            if !line.isEmpty {
                line.removeLast()
                echo += [0x08, 0x20, 0x08]
            }
        case 0x03:  // Ctrl-C abandons the line
            line.removeAll()
            echo += Self.bytes("^C\r\n" + Self.prompt)
            mode = .prompt
        case 0x1B:
            inEscape = true
        case 0x20...0x7E:
            line.append(byte)
            echo.append(byte)
        default:
            break
        }
        return nil
    }

    private mutating func pagerKey(_ byte: UInt8, remaining: [String]) -> [CLIStep] {
        // The pager line is erased before the output goes on, as `more`-style pagers do.
        let erase = Self.bytes("\r\u{1B}[K")
        switch byte {
        case UInt8(ascii: " "):
            return [.write(erase)] + page(remaining, count: Self.pageLines)
        case 0x0D, 0x0A:
            return [.write(erase)] + page(remaining, count: 1)
        case UInt8(ascii: "q"), UInt8(ascii: "Q"):
            mode = .prompt
            return [.write(erase + Self.bytes(Self.prompt))]
        default:
            return []
        }
    }

    /// Output lines, paged when pagination is on and they are more than a page, then the prompt.
    mutating func output(_ lines: [String]) -> [CLIStep] {
        if pagination && lines.count > Self.pageLines {
            return page(lines, count: Self.pageLines)
        }
        mode = .prompt
        return [.write(Self.bytes(lines.map { $0 + "\r\n" }.joined() + Self.prompt))]
    }

    private mutating func page(_ lines: [String], count: Int) -> [CLIStep] {
        let shown = lines.prefix(count)
        let rest = Array(lines.dropFirst(count))
        var text = shown.map { $0 + "\r\n" }.joined()
        if rest.isEmpty {
            mode = .prompt
            text += Self.prompt
        } else {
            mode = .pager(remaining: rest)
            text += Self.pagerPrompt
        }
        return [.write(Self.bytes(text))]
    }

    private mutating func submit(_ text: String) -> [CLIStep] {
        switch mode {
        case .deleteSelection(let kind):
            return [.delay(def.commandDelay)] + deleteSelected(text.trimmingSpaces, kind: kind)
        case .confirm(let command):
            if text.trimmingSpaces.lowercased() == "y" {
                return run(command, confirmed: true)
            }
            return output([""])
        default:
            return run(text, confirmed: false)
        }
    }

    // MARK: - Commands

    private mutating func run(_ text: String, confirmed: Bool) -> [CLIStep] {
        let words = text.split(separator: " ").map(String.init)
        guard let first = words.first?.lowercased() else { return output([]) }
        let w = words.map { $0.lowercased() }
        let delay = CLIStep.delay(def.commandDelay)

        switch first {
        case "exit", "quit":
            mode = .closed
            return [.closeChannel]
        case "set":
            if w == ["set", "cli", "pagination", "off"] {
                pagination = false
                return [delay] + output(["Automatic pagination is turned off"])
            }
            if w == ["set", "cli", "pagination", "on"] {
                pagination = true
                return [delay] + output(["Automatic pagination is turned on"])
            }
        case "show":
            if w == ["show", "version", "active"] {
                if def.has(.garbageOutput) { return [delay] + garbage() }
                return [delay] + output(["Active Master Version: \(def.version)",
                                         "Active Version Installed Software Options:",
                                         "No Installed Software Options Found."])
            }
            if w == ["show", "network", "cluster"] {
                if def.has(.garbageOutput) { return [delay] + garbage() }
                return [delay] + output(Self.networkCluster(node.membership))
            }
            if w == ["show", "myself"] {
                return [delay] + output(["Machine Name    : \(def.host.split(separator: ".").first.map(String.init) ?? def.host)",
                                         "account name    : admin", "privilege level : 4",
                                         "command count   : disabled", "logging setting : disabled"])
            }
            if w == ["show", "status"] {
                return [delay] + output(["", "Host Name        : \(def.host.split(separator: ".").first.map(String.init) ?? def.host)",
                                         "Product Ver      : \(def.version)", "Unified OS Ver   : 7.0.0.0-4",
                                         "Time Zone        : UTC", "Locale           : en_US.UTF-8", ""])
            }
        case "utils":
            if let steps = settingCommand(w, words: words) { return [delay] + steps }
            if w.count >= 3, w[1] == "service" {
                return serviceCommand(words, delay: delay)
            }
            if w.count >= 4, w[2] == "cors", let kind = ListKind(rawValue: w[1]) {
                guard def.lists[kind] != nil else { return [delay] + output([Self.failed]) }
                return corsCommand(kind, words: words, text: text, confirmed: confirmed)
            }
        default:
            return [delay] + output(["Invalid command: \(words[0])", Self.failed])
        }
        return [delay] + output([Self.failed])
    }

    private mutating func serviceCommand(_ words: [String], delay: CLIStep) -> [CLIStep] {
        let sub = words[2].lowercased()
        if sub == "list" && words.count == 3 {
            if def.has(.garbageOutput) { return [delay] + garbage() }
            var lines = ["Requesting service status, please wait...", "Service Manager is running"]
            for s in node.services() {
                let gap = s.spaced ? " " : ""
                switch s.state {
                case .started: lines.append("\(s.name)\(gap)[STARTED]")
                case .stopped: lines.append("\(s.name)\(gap)[STOPPED]  Commanded Out of Service")
                case .notActivated: lines.append("\(s.name)\(gap)[STOPPED]  Service Not Activated")
                }
            }
            lines.append("Primary Node =true")
            if def.has(.dropMidOutput) { return [delay] + drop(lines) }
            return [delay] + output(lines)
        }
        if sub == "restart" && words.count > 3 {
            let name = words[3...].joined(separator: " ")
            guard let service = node.services().first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else {
                return [delay] + output(["Service \"\(name)\" not found on this node", Self.failed])
            }
            let n = service.name
            let node = self.node
            mode = .prompt
            // The window a restart log records: from the first line of the restart to its last.
            let began = NIOLockedValueBox<Double?>(nil)
            let last = def.has(.restartStaysStopped) ? "\(n)[STOPPED]" : "\(n)[STARTED]"
            return [
                delay,
                .effect { began.withLockedValue { $0 = Date().timeIntervalSince1970 } },
                .write(Self.bytes(["Do not press Ctrl+C while the service is restarting. If the service has not restarted properly, execute the same command again.",
                                   "Service Manager is running", "\(n)[STOPPING]"].map { $0 + "\r\n" }.joined())),
                .delay(def.restartDelay),
                .write(Self.bytes("\(n)[STOPPING]\r\n\(n)[STARTING]\r\n")),
                .delay(def.restartDelay),
                .effect { node.restarted(service: n, start: began.withLockedValue { $0 }) },
                .write(Self.bytes(last + "\r\n" + Self.prompt)),
            ]
        }
        return [delay] + output([Self.failed])
    }

    private mutating func corsCommand(_ kind: ListKind, words: [String], text: String, confirmed: Bool) -> [CLIStep] {
        let w = words.map { $0.lowercased() }
        let delay = CLIStep.delay(def.commandDelay)
        let product = kind == .finesse ? "Cisco Finesse" : (kind == .cuic ? "Cisco Unified Intelligence Center" : "Live Data")
        let isRead = w.count == 4 && w[3] == "status" || w.count == 5 && w[3] == "allowed_origin" && w[4] == "list"
        if isRead && def.has(.confirmPrompt) && !confirmed {
            mode = .confirm(command: text)
            return [delay, .write(Self.bytes("Continue (y/n)?"))]
        }
        if isRead && def.has(.garbageOutput) { return [delay] + garbage() }
        let list = node.configuredList(kind) ?? CORSList()

        switch (w.count, w[3]) {
        case (4, "status"):
            if def.has(.unknownOutput) {
                return [delay] + output(["CORS filter mode: 3 (pending reconciliation, see /var/log/active/cors.trc)"])
            }
            if kind == .finesse { return [delay] + output([list.status.rawValue]) }
            return [delay] + output(["CORS status: \(list.status.rawValue)"])
        case (4, "enable"), (4, "disable"):
            let status: CORSStatus = w[3] == "enable" ? .enabled : .disabled
            node.updateConfigured(kind) { $0.status = status }
            return [delay] + output(["\(product) CORS is \(status.rawValue) now."] + restartHint(kind))
        case (5, "allowed_origin") where w[4] == "list":
            if def.has(.endlessPager) { return [delay] + endlessPagerKey(UInt8(ascii: " "), next: 1, first: true) }
            if let size = def.oversizeBytes { return [delay] + oversize(kind, bytes: size) }
            let lines = listLines(kind, list.origins)
            if def.has(.dropMidOutput) { return [delay] + drop(lines) }
            return [delay] + output(lines)
        case (_, "allowed_origin") where w.count >= 5 && w[4] == "add":
            return [delay] + add(kind, arguments: Array(words.dropFirst(5)))
        case (5, "allowed_origin") where w[4] == "delete":
            if list.origins.isEmpty {
                return [delay] + output(["Currently no origins are configured in allowed origins."])
            }
            let menu = deleteMenu(kind)
            var lines = [""]
            for (i, o) in list.origins.enumerated() { lines.append("\(i + 1)\(menu.separator) \(o)") }
            lines += ["a: all", "q: quit", ""]
            mode = .deleteSelection(kind)
            let text = lines.map { $0 + "\r\n" }.joined() + "\(menu.prompt) [1-\(list.origins.count) or a,q]\(menu.after)"
            return [delay, .write(Self.bytes(text))]
        default:
            return [delay] + output([Self.failed])
        }
    }

    /// The delete menu's entry separator, prompt, and what follows the prompt's range. The guides print the same
    /// shapes for 12.5, 12.6 and 15.0, so the node's release does not choose between them.
    private func deleteMenu(_ kind: ListKind) -> (separator: String, prompt: String, after: String) {
        switch (def.deleteMenu, kind) {
        case (.colon, _): (":", "Select the index of origin to be deleted", ": ")
        case (.documented, .finesse): (":", "Select the index of origin(s) to be deleted", " ")
        case (.documented, _): (".", "Select the index of origin to be deleted", "")
        }
    }

    private func listLines(_ kind: ListKind, _ origins: [String]) -> [String] {
        if kind == .finesse {
            if origins.isEmpty { return ["Currently no origins are configured in allowed origins."] }
            return ["The following origin(s) are configured in allowed origins:"]
                + origins.enumerated().map { "\($0.offset + 1): \($0.element)" }
        }
        // The field capture's shape, trailing spaces included.
        return ["", "cors_allowedorigins ", "=========================== "]
            + origins.enumerated().map { "\($0.offset + 1). \($0.element) " } + [" "]
    }

    private func restartHint(_ kind: ListKind) -> [String] {
        let services = def.restartServices(for: kind)
        return ["Restart \(services.joined(separator: " and ")) on this node for the change to take effect."]
    }

    private mutating func add(_ kind: ListKind, arguments: [String]) -> [CLIStep] {
        guard arguments.count == 1 else {
            let why = arguments.isEmpty ? "No origin given." : "Origins must be separated by commas, without spaces."
            return output([why, "Usage: utils \(kind.rawValue) cors allowed_origin add <origin1>,<origin2>", Self.failed])
        }
        let entries = arguments[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if let bad = entries.first(where: { !OriginSyntax.isValid($0) }) {
            return output(["Invalid origin '\(bad)'. An origin has the form http[s]://host[:port].", Self.failed])
        }
        var added: [String] = []
        var lines: [String] = []
        let current = node.configuredList(kind)?.origins ?? []
        for e in entries {
            if current.contains(e) || added.contains(e) {
                lines.append("Origin \(e) is already configured.")
            } else {
                added.append(e)
            }
        }
        if !added.isEmpty {
            node.updateConfigured(kind) { $0.origins += added }
            lines.append("Allowed origin(s) added successfully: \(added.joined(separator: ","))")
            lines += restartHint(kind)
        }
        return output(lines)
    }

    private mutating func deleteSelected(_ answer: String, kind: ListKind) -> [CLIStep] {
        mode = .prompt
        let count = node.configuredList(kind)?.origins.count ?? 0
        switch answer.lowercased() {
        case "q":
            return output([])
        case "a":
            node.updateConfigured(kind) { $0.origins.removeAll() }
            return output(["All origins deleted successfully."] + restartHint(kind))
        default:
            guard let index = Int(answer), (1...max(count, 1)).contains(index), index <= count else {
                return output(["Invalid selection '\(answer)'.", Self.failed])
            }
            var removed = ""
            node.updateConfigured(kind) { removed = $0.origins.remove(at: index - 1) }
            return output(["Origin \(removed) deleted successfully."] + restartHint(kind))
        }
    }

    // MARK: - Faults

    /// `garbage_output`: invalid UTF-8, NULs, bells and stray escape sequences, then the prompt.
    private mutating func garbage() -> [CLIStep] {
        mode = .prompt
        let junk: [UInt8] = [0xFF, 0xFE, 0x00, 0x07, 0x1B, 0x5B, 0x33, 0x31, 0x6D, 0xC3, 0x28, 0x80, 0x81, 0x0D, 0x0A,
                             0xF0, 0x9F, 0x0E, 0x0F, 0x1B, 0x5D, 0x30, 0x3B, 0x08, 0x08, 0xED, 0xA0, 0x80, 0x0D, 0x0A]
        return [.write(junk + Self.bytes(Self.prompt))]
    }

    /// `endless_pager`: one numbered line per page and the pager line again, whatever key (but `q`)
    /// is pressed and whether or not pagination is on.
    private mutating func endlessPagerKey(_ byte: UInt8, next: Int, first: Bool = false) -> [CLIStep] {
        if byte == UInt8(ascii: "q") || byte == UInt8(ascii: "Q") {
            mode = .prompt
            return [.write(Self.bytes("\r\u{1B}[K" + Self.prompt))]
        }
        guard [UInt8(ascii: " "), 0x0D, 0x0A].contains(byte) else { return [] }
        mode = .endlessPager(next: next + 1)
        let head = first ? "\r\ncors_allowedorigins \r\n=========================== \r\n" : "\r\u{1B}[K"
        return [.write(Self.bytes(head + "\(next). https://page\(next).lab.test \r\n" + Self.pagerPrompt))]
    }

    /// `oversize_output`: a list of made-up origins at least `bytes` long, then the prompt.
    private mutating func oversize(_ kind: ListKind, bytes: Int) -> [CLIStep] {
        mode = .prompt
        var steps: [CLIStep] = [.write(Self.bytes(kind == .finesse ? "The following origin(s) are configured in allowed origins:\r\n"
                                                   : "\r\ncors_allowedorigins \r\n=========================== \r\n"))]
        var written = 0, n = 1
        while written < bytes {
            // 64 KiB writes: the channel's window paces them.
            var chunk = ""
            while chunk.utf8.count < 64 * 1024 && written + chunk.utf8.count < bytes {
                chunk += kind == .finesse ? "\(n): https://filler\(n).lab.test\r\n" : "\(n). https://filler\(n).lab.test \r\n"
                n += 1
            }
            written += chunk.utf8.count
            steps.append(.write(Self.bytes(chunk)))
        }
        steps.append(.write(Self.bytes(" \r\n" + Self.prompt)))
        return steps
    }

    /// `drop_mid_output`: half the lines, then the connection is cut.
    private mutating func drop(_ lines: [String]) -> [CLIStep] {
        mode = .closed
        let half = max(1, lines.count / 2)
        return [.write(Self.bytes(lines.prefix(half).map { $0 + "\r\n" }.joined())), .disconnect]
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// `show network cluster` in the shape of Cisco's CUCM/IM&P samples: one line per member, then the processnode
    /// table. The application word and the DBSub role word are assumed (README.md).
    static func networkCluster(_ members: [SimulatedMember]) -> [String] {
        var lines = members.map { m in
            let short = m.host.split(separator: ".").first.map(String.init) ?? m.host
            return "\(m.address) \(m.host) \(short) \(m.publisher ? "Publisher" : "Subscriber") \(m.application) "
                + "\(m.publisher ? "DBPub" : "DBSub") authenticated using TCP since Mon Jan  5 09:00:00 2026"
        }
        lines += ["", "Server Table (processnode) Entries", "----------------------------------"] + members.map(\.host) + [""]
        return lines
    }
}

/// The origin syntax `allowed_origin add` accepts: `http[s]://host[:port]`, optionally with a
/// trailing `/` (nodes in the field hold such entries, so the CLI evidently takes them).
enum OriginSyntax {
    static func isValid(_ s: String) -> Bool {
        let lower = s.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") { rest = lower.dropFirst(8) } else if lower.hasPrefix("http://") { rest = lower.dropFirst(7) } else { return false }
        var hostPort = rest
        if hostPort.hasSuffix("/") { hostPort = hostPort.dropLast() }
        let parts = hostPort.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let host = parts.first, !host.isEmpty,
              host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }),
              !host.hasPrefix("."), !host.hasSuffix("."), !host.hasPrefix("-")
        else { return false }
        if parts.count == 2 {
            guard let port = Int(parts[1]), (1...65535).contains(port), parts[1].allSatisfy(\.isNumber) else { return false }
        }
        return true
    }
}

extension String {
    var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
