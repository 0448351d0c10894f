import AuditCore
import Foundation

/// Passwords typed at the terminal for `password_prompt: true`, asked once per scope and user.
public struct PromptedPasswords: Sendable {
    public struct Key: Hashable, Sendable {
        public var scope: String
        public var username: String
    }

    /// One question to ask: which scope, which user, and the nodes that share the answer.
    public struct Request: Sendable, Equatable {
        public var scope: String
        public var username: String
        public var hosts: [String]
        public var key: Key { Key(scope: scope, username: username) }

        /// `Password for admin (defaults: 12 nodes): ` or `Password for admin@cuicpub.example: `.
        public var prompt: String {
            scope == "defaults"
                ? "Password for \(username) (defaults: \(hosts.count) node\(hosts.count == 1 ? "" : "s")): "
                : "Password for \(username)@\(scope): "
        }
    }

    var answers: [Key: String] = [:]
    /// Why a scope has no answer (no terminal, interrupted, empty): the nodes fail with this cause.
    var problems: [Key: String] = [:]

    public init() {}

    /// Every prompt the audited nodes of `inventory` need, defaults first, then by host.
    public static func requests(for inventory: Inventory, nodes: [InventoryNode]? = nil) -> [Request] {
        var order: [Key] = []
        var hosts: [Key: [String]] = [:]
        for node in nodes ?? inventory.nodes.map(\.node).filter(\.audit) {
            guard case .passwordPrompt(let scope) = node.connection.credential else { continue }
            let key = Key(scope: scope, username: node.connection.username)
            if hosts[key] == nil { order.append(key) }
            hosts[key, default: []].append(node.host)
        }
        order.sort { ($0.scope == "defaults" ? 0 : 1, $0.scope, $0.username) < ($1.scope == "defaults" ? 0 : 1, $1.scope, $1.username) }
        return order.map { Request(scope: $0.scope, username: $0.username, hosts: hosts[$0]!) }
    }

    /// Asks each request not asked before on the controlling terminal; a scope that cannot be asked is
    /// recorded (its nodes fail with the cause), never fatal.
    public mutating func ask(_ requests: [Request]) {
        for request in requests where answers[request.key] == nil && problems[request.key] == nil {
            do {
                answers[request.key] = try TerminalSecret.read(prompt: request.prompt)
            } catch {
                problems[request.key] = error.description
            }
        }
    }

    public mutating func set(_ password: String, for key: Key) { answers[key] = password }

    func password(scope: String, username: String) -> Result<String, Credentials.Problem> {
        let key = Key(scope: scope, username: username)
        if let answer = answers[key] { return .success(answer) }
        let cause = problems[key] ?? "it was not asked"
        return .failure(Credentials.Problem(message: "password_prompt (\(scope == "defaults" ? "defaults" : "node \(scope)")): \(cause)"))
    }
}

/// Reads one line from the controlling terminal with echo off, restoring the terminal on every exit.
public enum TerminalSecret {
    public enum Failure: Error, CustomStringConvertible {
        case noTerminal(String)
        case interrupted
        case empty

        public var description: String {
            switch self {
            case .noTerminal(let why): "no terminal to ask on (\(why)); run interactively or use password_env / password_file"
            case .interrupted: "input ended before a password was entered"
            case .empty: "an empty password was entered"
            }
        }
    }

    public static func read(prompt: String) throws(Failure) -> String {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw .noTerminal("/dev/tty: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { throw .noTerminal("/dev/tty: \(String(cString: strerror(errno)))") }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO | ECHOE | ECHOK | ECHONL)

        // A signal while echo is off must not leave the user's terminal silent.
        TerminalRestore.arm(fd: fd, saved: saved)
        defer { TerminalRestore.disarm() }
        // Echo off (and type-ahead, which was echoed, discarded) before the prompt shows.
        guard tcsetattr(fd, TCSAFLUSH, &quiet) == 0 else { throw .noTerminal("cannot turn echo off: \(String(cString: strerror(errno)))") }
        write(fd, prompt)
        var line: [UInt8] = []
        var ended = false
        var byte: UInt8 = 0
        while true {
            let n = Foundation.read(fd, &byte, 1)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { ended = true; break }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
            line.append(byte)
        }
        _ = tcsetattr(fd, TCSAFLUSH, &saved)
        write(fd, "\n")
        if ended && line.isEmpty { throw .interrupted }
        guard !line.isEmpty else { throw .empty }
        return String(decoding: line, as: UTF8.self)
    }

    private static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
    }
}

/// The saved terminal state for the signal handlers (signal handlers cannot capture).
private enum TerminalRestore {
    nonisolated(unsafe) static var fd: Int32 = -1
    nonisolated(unsafe) static var saved = termios()
    nonisolated(unsafe) static var previous: [Int32: sigaction] = [:]
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    static func arm(fd: Int32, saved: termios) {
        Self.fd = fd
        Self.saved = saved
        for sig in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                _ = tcsetattr(TerminalRestore.fd, TCSAFLUSH, &TerminalRestore.saved)
                // Default action (end or stop the process), as if we had not been here.
                signal(sig, SIG_DFL)
                raise(sig)
            }
            sigemptyset(&action.sa_mask)
            var old = sigaction()
            sigaction(sig, &action, &old)
            previous[sig] = old
        }
    }

    static func disarm() {
        for (sig, var old) in previous { sigaction(sig, &old, nil) }
        previous = [:]
        fd = -1
    }
}
