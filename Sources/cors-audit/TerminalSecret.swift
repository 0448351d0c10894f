import AuditCore
import Foundation

/// Reads one line from the controlling terminal with echo off, restoring the terminal on every exit.
enum TerminalSecret {
    enum Failure: Error, CustomStringConvertible {
        case noTerminal(String)
        case interrupted
        case empty

        var description: String {
            switch self {
            case .noTerminal(let why): "no terminal to ask on (\(why)); run interactively or use password_env / password_file"
            case .interrupted: "input ended before a password was entered"
            case .empty: "an empty password was entered"
            }
        }
    }

    static func read(prompt: String) throws(Failure) -> String {
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
        write(fd, Escaping.terminal(prompt))  // names from the inventory, made safe like every terminal line
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
