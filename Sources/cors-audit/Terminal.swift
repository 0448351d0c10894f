import AuditCore
import Collector
import Foundation

/// The process's terminal: stderr messages, which streams are terminals, and what is typed at them.
enum Terminal {
    /// Writes `text` to stderr as is.
    static func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// `cors-audit: <message>` on stderr; the message may quote a node, a file or the inventory, so it passes
    /// `Escaping.terminal` (one line, nothing a terminal acts on).
    static func error(_ message: String) { write("cors-audit: \(Escaping.terminal(message))\n") }

    /// Several lines, each passing `Escaping.terminal`.
    static func lines(_ text: String) {
        write(text.split(separator: "\n", omittingEmptySubsequences: false).map { Escaping.terminal(String($0)) }.joined(separator: "\n"))
    }

    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}

/// `password_prompt: true` answers typed in this process: each scope and user is asked at most once,
/// even when a command collects twice (remediate --apply audits, applies, then re-audits).
enum TerminalPasswords {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var asked = PromptedPasswords()

    static func forInventory(_ inventory: Inventory) -> PromptedPasswords {
        lock.lock(); defer { lock.unlock() }
        asked.ask(PromptedPasswords.requests(for: inventory)) { try TerminalSecret.read(prompt: $0) }
        return asked
    }
}

/// Nodes done / total on stderr while a live run goes on; only on a terminal.
final class Progress: Sendable {
    let enabled: Bool
    let total: Int
    let start = ContinuousClock.now

    init(enabled: Bool, total: Int, clusters: Int) {
        self.enabled = enabled
        self.total = total
        if enabled {
            Terminal.write("Auditing \(total) node\(total == 1 ? "" : "s") in \(clusters) cluster\(clusters == 1 ? "" : "s") ...")
        }
    }

    func update(_ p: SSHCollector.Progress) {
        guard enabled else { return }
        Terminal.write("\r\u{1B}[KAuditing \(p.total) nodes ...  \(p.done)/\(p.total) done (\(p.failed) failed)  \(elapsed)")
    }

    func finish() {
        guard enabled else { return }
        Terminal.write("  \(elapsed)\n")
    }

    var elapsed: String {
        let d = ContinuousClock.now - start
        return String(format: "%.1f s", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
}
