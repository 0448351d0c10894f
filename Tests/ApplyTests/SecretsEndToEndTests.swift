import AuditCore
import Foundation
import Testing
import TestSupport
@testable import VOSSimulator

/// Runs cors-audit on a fresh pseudo-terminal and types `answer` once the password prompt shows.
/// Returns the exit status, everything the terminal displayed, and whether the terminal echoes once it ended.
private func onTerminal(_ arguments: [String], answer: String) throws -> (status: Int32, screen: String, echoAfter: Bool) {
    let driver = """
        import os, pty, select, sys, termios, time
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(sys.argv[1], sys.argv[1:])
        screen, answered, deadline = b"", False, time.time() + 60
        while time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if fd in ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                screen += chunk
            if not answered and b"Password for" in screen:
                answer = sys.stdin.buffer.read()
                os.write(fd, answer if answer.endswith(b"\\x03") else answer + b"\\r")
                answered = True
        else:
            os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
        sys.stderr.write("ECHO=%d" % (1 if termios.tcgetattr(fd)[3] & termios.ECHO else 0))
        sys.stdout.buffer.write(screen)
        sys.exit(os.waitstatus_to_exitcode(status) & 0xff)
        """
    let r = try runProcess("/usr/bin/env", ["python3", "-c", driver, binary] + arguments,
                           environment: ["VOS_SIM_PASSWORD": nil], stdin: answer, timeout: .seconds(120))
    return (r.status, r.stdout, r.stderr.hasSuffix("ECHO=1"))
}

/// Every file under `root`, recursively, with its bytes (binary files included: SQLite, WAL).
private func allFiles(under root: String) -> [(path: String, bytes: Data)] {
    guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
    var files: [(String, Data)] = []
    for case let relative as String in walker {
        let path = root + "/" + relative
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
              let data = FileManager.default.contents(atPath: path) else { continue }
        files.append((path, data))
    }
    return files
}

/// Where `secret` (as UTF-8, or its base64 / hex forms) shows up in `data`.
private func leaks(of secret: String, in data: Data) -> [String] {
    let forms = [("plain", Data(secret.utf8)), ("base64", Data(Data(secret.utf8).base64EncodedString().utf8)),
                 ("hex", Data(Data(secret.utf8).map { String(format: "%02x", $0) }.joined().utf8))]
    return forms.compactMap { data.range(of: $0.1) != nil ? $0.0 : nil }
}

/// A run folder's report.json.
func reportJSON(_ folder: String) throws -> [String: Any] { try readJSON(folder + "/report.json") }

@Suite(.serialized) struct SecretsEndToEndTests {
    @Test func passwordPromptAsksOnceWithoutEchoAndTheAuditRuns() async throws {
        try await withLab { lab in
        let inventory = lab.directory + "/prompt.yaml"
        let text = try String(contentsOfFile: lab.inventoryPath, encoding: .utf8)
        #expect(text.contains("password_env: VOS_SIM_PASSWORD"))
        try text.replacingOccurrences(of: "password_env: VOS_SIM_PASSWORD", with: "password_prompt: true")
            .write(toFile: inventory, atomically: true, encoding: .utf8)

        let r = try onTerminal(["audit", "--inventory", inventory, "--output", lab.directory + "/prompted", "--no-history"],
                               answer: simPassword)
        // The TAC case: the audit got through every node (exit 1: findings), with the typed password only.
        #expect(r.status == 1, "\(r.screen)")
        #expect(r.screen.components(separatedBy: "Password for admin (defaults: ").count == 2, "asked exactly once: \(r.screen)")
        #expect(!r.screen.contains(simPassword), "the password was echoed: \(r.screen)")
        let summary = try reportJSON(lab.directory + "/prompted")["summary"] as! [String: Any]
        #expect(summary["result"] as? String == "drift")
        #expect(summary["statuses"] as? [String: Int] == ["audited": 4])
        for file in allFiles(under: lab.directory + "/prompted") {
            #expect(leaks(of: simPassword, in: file.bytes).isEmpty, "\(file.path)")
        }

        #expect(r.echoAfter)

        // Ctrl-C at the prompt ends the run (by SIGINT, nothing written) and leaves the terminal echoing.
        let interrupted = try onTerminal(["audit", "--inventory", inventory, "--output", lab.directory + "/interrupted", "--no-history"],
                                         answer: "half\u{03}")
        #expect(interrupted.status == (256 - SIGINT) & 0xff, "\(interrupted.screen)")
        #expect(interrupted.echoAfter, "echo left off after Ctrl-C")
        #expect(!FileManager.default.fileExists(atPath: lab.directory + "/interrupted/report.json"))

        // A wrong answer is an authentication failure of those nodes, never a hang or a clean run.
        let wrong = try onTerminal(["audit", "--inventory", inventory, "--output", lab.directory + "/wrong", "--no-history"],
                                   answer: "not-the-password")
        #expect(wrong.status == 2, "\(wrong.screen)")
        let statuses = (try reportJSON(lab.directory + "/wrong")["nodes"] as! [[String: Any]]).map { $0["status"] as? String }
        #expect(statuses == Array(repeating: "auth_failed", count: 4), "\(wrong.screen)")
        #expect(!wrong.screen.contains("not-the-password"))
        }
    }

    @Test func passwordPromptWithoutATerminalFailsClosed() async throws {
        try await withLab { lab in
        let inventory = lab.directory + "/prompt.yaml"
        try String(contentsOfFile: lab.inventoryPath, encoding: .utf8)
            .replacingOccurrences(of: "password_env: VOS_SIM_PASSWORD", with: "password_prompt: true")
            .write(toFile: inventory, atomically: true, encoding: .utf8)
        // setsid: a new session has no controlling terminal, like cron.
        let r = try corsAudit([], through: ["/usr/bin/setsid", "-w", binary, "audit", "--inventory", inventory,
                                            "--output", lab.directory + "/no-tty", "--no-history"], withoutPassword: true)
        #expect(r.status == 2, "\(r.stdout)\n\(r.stderr)")
        let audited = try reportJSON(lab.directory + "/no-tty")["nodes"] as! [[String: Any]]
        #expect(audited.count == 4)
        for node in audited {
            #expect(node["status"] as? String == "auth_failed", "\(node)")
            let detail = node["detail"] as? String ?? ""
            #expect(detail.contains("password_prompt (defaults): no terminal to ask on"), "\(detail)")
            #expect(detail.contains("not contacted"), "\(detail)")
        }
        }
    }

    /// Every output of a run — stdout, stderr, --verbose logs, every report format, transcripts, runbooks,
    /// the Prometheus file, the history database and its WAL, apply records — searched for the password.
    @Test func thePasswordAppearsInNoOutputOfARun() async throws {
        try await withLab { lab in
        let dir = lab.directory + "/outputs"
        let db = dir + "/history.sqlite"
        var outputs: [(String, String)] = []
        var r = try corsAudit(["audit", "--inventory", lab.inventoryPath, "--output", dir + "/run", "--verbose",
                               "--format", "table,json,markdown,html,junit,prometheus",
                               "--prometheus-file", dir + "/cors.prom", "--history", db])
        #expect(r.status == 1, "\(r.stderr)")
        // --verbose logs each session's negotiated algorithms and its authentication method.
        #expect(r.stderr.contains("session") && r.stderr.contains("kex=") && r.stderr.contains("auth=password"),
                "--verbose logs the sessions: \(r.stderr.prefix(400))")
        outputs.append(("audit stdout", r.stdout)); outputs.append(("audit stderr", r.stderr))
        r = try corsAudit(["remediate", "--from", dir + "/run/report.json", "--inventory", lab.inventoryPath,
                           "--apply", "--no-history", "--yes", "--restart", "--output", dir + "/apply"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        outputs.append(("apply stdout", r.stdout)); outputs.append(("apply stderr", r.stderr))
        r = try corsAudit(["audit", "--inventory", lab.inventoryPath, "--output", dir + "/after", "--history", db])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        for args in [["history", "--history", db], ["drift", "--history", db]] {
            r = try corsAudit(args)
            outputs.append((args[0], r.stdout + r.stderr))
        }

        let files = allFiles(under: dir)
        #expect(files.contains { $0.path.hasSuffix("history.sqlite") })
        #expect(files.contains { $0.path.contains("/run/transcripts/") })
        #expect(files.contains { $0.path.contains("/apply/apply-transcripts/") })
        #expect(files.count >= 15, "\(files.map(\.path))")
        for file in files { #expect(leaks(of: simPassword, in: file.bytes).isEmpty, "\(file.path)") }
        for (name, text) in outputs { #expect(leaks(of: simPassword, in: Data(text.utf8)).isEmpty, "\(name)") }
        // The search itself finds a planted copy (so the checks above can fail).
        #expect(leaks(of: simPassword, in: Data("x\(simPassword)y".utf8)) == ["plain"])
        }
    }
}
