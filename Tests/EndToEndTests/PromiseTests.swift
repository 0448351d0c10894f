import Foundation
import Testing
import TestSupport
import VOSSimulator

/// README promises that had no test: each one run as a user runs it.
@Suite(.serialized) struct PromiseTests {
    static let password = "promise-test-pw"
    static var hasScript: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/script") }
    static let scriptNote = Comment(rawValue: "needs script(1) (util-linux) for a terminal")

    /// The lab's transcripts with cuicsub's gap filled and its stray Live Data entry gone: a clean run.
    static func cleanTranscripts() throws -> String {
        let dir = try temporaryDirectory("cors-audit-clean")
        try copyLabTranscripts(to: dir)
        let sub = dir + "/cuicsub.uccelab.tac.txt"
        let text = try String(contentsOfFile: sub, encoding: .utf8)
            .replacingOccurrences(of: "3. https://finesses.uccelab.tac:8445 \n", with: "3. https://finesses.uccelab.tac:8445 \n4. https://finessep.uccelab.tac:8445 \n")
            .replacingOccurrences(of: "5. http://127.0.0.1:5500 \n", with: "")
        try text.write(toFile: sub, atomically: true, encoding: .utf8)
        return dir
    }

    /// `command` on a terminal: script(1) gives it a PTY (its stdout and stderr both come back as stdout).
    static func onTerminal(_ arguments: [String], environment: [String: String?] = [:]) throws -> ProcessResult {
        let command = ([product("cors-audit")] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
        return try runProcess("/usr/bin/script", ["-qec", command, "/dev/null"], environment: environment)
    }

    @Test func quietPrintsNothingWhenClean() throws {
        let dir = try Self.cleanTranscripts()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let loud = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", dir, "--output", dir + "/a"])
        #expect(loud.status == 0 && loud.stdout.contains("Result: CLEAN"), "\(loud.stdout)")
        let quiet = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", dir, "--output", dir + "/b", "--quiet"])
        #expect(quiet.status == 0)
        #expect(quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet.stdout)\(quiet.stderr)")
        // Not silent once there is drift.
        let drift = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", "inventory/transcripts/lab", "--output", dir + "/c", "--quiet"])
        #expect(drift.status == 1 && drift.stdout.contains("Result: DRIFT"))
    }

    @Test func aCleanRunWhoseReportsCannotBeWrittenExits2() throws {
        let dir = try Self.cleanTranscripts()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", dir, "--output", "/dev/null/reports"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("could not write the reports"))
    }

    @Test(.enabled(if: hasScript, scriptNote))
    func colourOnlyOnATerminalAndNeverWithNOCOLOR() throws {
        let dir = try temporaryDirectory("cors-audit-colour")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let args = ["audit", "--inventory", "inventory/lab.yaml", "--transcripts", "inventory/transcripts/lab", "--no-history"]
        let terminal = try Self.onTerminal(args + ["--output", dir + "/t"], environment: ["NO_COLOR": nil])
        #expect(terminal.stdout.contains("\u{1B}[31m"), "no colour on a terminal: \(terminal.stdout.prefix(300))")
        let noColor = try Self.onTerminal(args + ["--output", dir + "/n"], environment: ["NO_COLOR": "1"])
        #expect(noColor.stdout.contains("Result: DRIFT") && !noColor.stdout.contains("\u{1B}["), "\(noColor.stdout.prefix(300))")
        let piped = try runProcess(product("cors-audit"), args + ["--output", dir + "/p"], environment: ["NO_COLOR": nil])
        #expect(piped.stdout.contains("Result: DRIFT") && !piped.stdout.contains("\u{1B}["))
    }

    @Test(.enabled(if: hasScript, scriptNote))
    func theProgressLineOnlyOnATerminal() async throws {
        try await Simulation.lab(password: Self.password).use { lab in
            let args = ["audit", "--inventory", lab.inventoryPath, "--no-history"]
            let terminal = try Self.onTerminal(args + ["--output", lab.directory + "/t"], environment: ["VOS_SIM_PASSWORD": Self.password])
            #expect(terminal.stdout.contains("Auditing 4 nodes in 1 cluster ..."), "\(terminal.stdout.prefix(400))")
            #expect(terminal.stdout.contains("4/4 done (0 failed)"))
            let piped = try runProcess(product("cors-audit"), args + ["--output", lab.directory + "/p"], environment: ["VOS_SIM_PASSWORD": Self.password])
            #expect(piped.status == 1)
            #expect(!piped.stderr.contains("Auditing") && !piped.stdout.contains("Auditing"), "\(piped.stderr)")
        }
    }

    @Test func remediateFromAReportWritesTheRunbooksAndTouchesNoNode() throws {
        let dir = try temporaryDirectory("cors-audit-remediate")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let audit = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", "inventory/transcripts/lab", "--output", dir + "/run"])
        #expect(audit.status == 1)
        try FileManager.default.removeItem(atPath: dir + "/run/remediation")
        // No --apply and no --inventory: nothing can be reached, only written.
        let r = try run(["remediate", "--from", dir + "/run/report.json"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("cuicsub.uccelab.tac.md"), "\(r.stdout)")
        let runbook = try String(contentsOfFile: dir + "/run/remediation/cuicsub.uccelab.tac.md", encoding: .utf8)
        #expect(runbook.contains("utils cuic cors allowed_origin add https://finessep.uccelab.tac:8445"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/run/apply.json"))
    }

    @Test func timeoutAndConcurrencyTakeEffect() async throws {
        // Every node takes 3 s to its prompt.
        let slow = Dictionary(uniqueKeysWithValues: ["cuicpub.uccelab.tac", "cuicsub.uccelab.tac"].map { ($0, "startup_delay: 3") })
        try await Simulation.lab(password: Self.password, faults: slow).use { lab in
            let env: [String: String?] = ["VOS_SIM_PASSWORD": Self.password]
            // --timeout 1: the run stops at 1 s, every node incomplete with the run's limit as cause.
            let started = ContinuousClock.now
            let cut = try runProcess(product("cors-audit"), ["audit", "--inventory", lab.inventoryPath, "--no-history", "--timeout", "1",
                                                          "--output", lab.directory + "/cut", "--format", "json"], environment: env)
            let took = ContinuousClock.now - started
            #expect(cut.status == 2, "\(cut.stdout.prefix(300))\(cut.stderr)")
            let nodes = (try JSONSerialization.jsonObject(with: Data(cut.stdout.utf8)) as? [String: Any])?["nodes"] as? [[String: Any]] ?? []
            let cuic = nodes.filter { ($0["host"] as? String)?.hasPrefix("cuic") == true }
            #expect(cuic.count == 2 && cuic.allSatisfy { $0["status"] as? String == "timeout" }, "\(cuic.map { ($0["host"] ?? "-", $0["status"] ?? "-", $0["detail"] ?? "-") })")
            #expect(took < .seconds(3), "a 1 s limit took \(took) (the prompt alone takes 3 s)")
            // --concurrency 1: the two CUIC nodes one after the other, so the run takes at least two start-ups.
            let one = ContinuousClock.now
            let serial = try runProcess(product("cors-audit"), ["audit", "--inventory", lab.inventoryPath, "--no-history", "--concurrency", "1",
                                                             "--output", lab.directory + "/serial"], environment: env)
            #expect(serial.status == 1)
            #expect(ContinuousClock.now - one >= .seconds(6))
        }
    }

    @Test func theHostKeyFingerprintIsSSHKeygens() async throws {
        try await Simulation.lab(password: Self.password, faults: ["cuicsub.uccelab.tac": "faults: [unknown_host_key]"]).use { lab in
            let r = try runProcess(product("cors-audit"), ["audit", "--inventory", lab.inventoryPath, "--no-history", "--format", "json",
                                                          "--output", lab.directory + "/run"], environment: ["VOS_SIM_PASSWORD": Self.password])
            #expect(r.status == 2)
            let key = lab.directory + "/sub.pub"
            try (lab.node("cuicsub.uccelab.tac").knownHostKey + "\n").write(toFile: key, atomically: true, encoding: .utf8)
            let keygen = try runProcess("/usr/bin/ssh-keygen", ["-lf", key])
            let fingerprint = try #require(keygen.stdout.split(separator: " ").first { $0.hasPrefix("SHA256:") }.map(String.init), "\(keygen.stdout)")
            let nodes = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["nodes"] as? [[String: Any]] ?? []
            let sub = try #require(nodes.first { $0["host"] as? String == "cuicsub.uccelab.tac" })
            #expect((sub["detail"] as? String ?? "").contains(fingerprint), "\(sub["detail"] ?? "-") vs ssh-keygen \(fingerprint)")
        }
    }
}
