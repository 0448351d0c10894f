import Foundation
import Testing
import TestSupport

/// Hostile files and careless operator input, through the binary as a user runs it; each bounded, so a hang fails.
@Suite struct HostileInputTests {
    /// A run that must end within `seconds` (a hang before the fix is a failure here, not a stalled suite).
    func bounded(_ arguments: [String], environment: [String: String] = [:], seconds: Int = 60) throws -> ProcessResult {
        let arguments = arguments.first == "audit" && !arguments.contains("--history") ? arguments + ["--no-history"] : arguments
        return try runProcess(product("cors-audit"), arguments, environment: environment.mapValues { Optional($0) },
                              timeout: .seconds(seconds))
    }

    @Test func aYAMLAliasBombIsRefusedBeforeItIsExpanded() throws {
        let dir = try temporaryDirectory("hostile-bomb")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 10 levels of 9 aliases: 9^10 values, and as a key Yams hashed it whole while composing (the loader hung).
        var lines = ["version: 1", "a: &a [x, x, x, x, x, x, x, x, x]"]
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i", "j"] {
            lines.append("\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]")
            previous = name
        }
        lines += ["? *j", ": v", "clusters: []"]
        let file = dir + "/bomb.yaml"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let r = try bounded(["audit", "--inventory", file, "--transcripts", "inventory/transcripts/lab"], seconds: 30)
        #expect(r.status == 64, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("\(file):2:4: (yaml): YAML anchor '&a' is not accepted"), "stderr: \(r.stderr)")
        #expect(r.seconds < 10)
    }

    @Test func remediateFromAReportWhoseHostIsAPathWritesNothingOutsideTheFolder() throws {
        let parent = try temporaryDirectory("hostile-report")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let audit = try bounded(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", "inventory/transcripts/lab", "--format", "json",
                                 "--output", parent + "/run"])
        #expect(audit.status == 1, "stderr: \(audit.stderr)")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])
        var plans = try #require(json["remediation"] as? [[String: Any]])
        plans[0]["host"] = "../../escaped"
        json["remediation"] = plans
        try FileManager.default.createDirectory(atPath: parent + "/edited", withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: parent + "/edited/report.json"))

        let r = try bounded(["remediate", "--from", parent + "/edited/report.json"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("\(parent)/edited/report.json: remediation[0].host: '../../escaped' is not a host name"), "stderr: \(r.stderr)")
        // Before: the runbook landed at edited/remediation/../../escaped.txt, outside the report's folder.
        #expect(!FileManager.default.fileExists(atPath: parent + "/escaped.txt"))
        #expect(!FileManager.default.fileExists(atPath: parent + "/escaped.md"))
        #expect(!FileManager.default.fileExists(atPath: parent + "/edited/remediation"))
    }

    @Test func aBuildShellsSourceDateEpochDoesNotPinTheRunsTime() throws {
        let out = try temporaryDirectory("hostile-epoch")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try bounded(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", "inventory/transcripts/lab", "--format", "json,prometheus",
                             "--output", out], environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        #expect(r.status == 1, "stderr: \(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let stamp = try #require(json["generated_at"] as? String)
        let date = try #require(ISO8601DateFormatter().date(from: stamp))
        #expect(abs(date.timeIntervalSinceNow) < 600, "generated_at \(stamp) is not now")
        let prom = try String(contentsOfFile: out + "/cors_audit.prom", encoding: .utf8)
        #expect(!prom.contains("cors_audit_last_run_timestamp_seconds 1700000000"))
    }

    @Test func anOutputFolderOfAnEarlierRunIsReplacedWholeAndOneWithForeignFilesIsRefused() throws {
        let parent = try temporaryDirectory("hostile-output")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let out = parent + "/out"
        let first = try bounded(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", "inventory/transcripts/lab",
                                 "--format", "table,markdown,html", "--output", out])
        #expect(first.status == 1, "stderr: \(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: out + "/report.md"))
        #expect(FileManager.default.fileExists(atPath: out + "/remediation/cuicsub.uccelab.tac.txt"))

        // The second run is only partial (one transcript) and asks for JSON alone: nothing of the first may survive.
        let partial = parent + "/partial"
        try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: repoRoot + "/inventory/transcripts/lab/cuicpub.uccelab.tac.txt", toPath: partial + "/cuicpub.uccelab.tac.txt")
        let second = try bounded(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", partial, "--format", "json", "--output", out])
        #expect(second.status == 2, "stderr: \(second.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(left == ["report.json"] || left == ["remediation", "report.json"], "\(left)")
        #expect(!FileManager.default.fileExists(atPath: out + "/report.md"))
        #expect(!FileManager.default.fileExists(atPath: out + "/remediation/cuicsub.uccelab.tac.txt"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).sorted() == ["out", "partial"], "no staging folder left")

        // A file cors-audit did not write: the run refuses the folder and deletes nothing.
        try "mine\n".write(toFile: out + "/notes.txt", atomically: true, encoding: .utf8)
        let refused = try bounded(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", "inventory/transcripts/lab", "--output", out])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--output \(out) holds \(out)/notes.txt, which cors-audit does not write"), "stderr: \(refused.stderr)")
        #expect(try String(contentsOfFile: out + "/notes.txt", encoding: .utf8) == "mine\n")
        #expect(FileManager.default.fileExists(atPath: out + "/report.json"))
    }

    @Test func aPasswordFileThatIsAFIFOIsRefusedNotWaitedOn() throws {
        let dir = try temporaryDirectory("hostile-secret")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fifo = dir + "/secret"
        #expect(mkfifo(fifo, 0o600) == 0)
        try """
            version: 1
            clusters:
              - name: lab
                finesse:
                  - {host: finessep.lab.tac, audit: false}
                cuic:
                  - host: cuicpub.lab.tac
                    role: publisher
                    address: 127.0.0.1
                    port: 1
                    password_file: \(fifo)

            """.write(toFile: dir + "/inv.yaml", atomically: true, encoding: .utf8)
        // Before: opening the FIFO waited for a writer forever.
        let r = try bounded(["audit", "--inventory", dir + "/inv.yaml", "--format", "json", "--output", dir + "/out"], seconds: 30)
        #expect(r.status == 2, "stderr: \(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let node = try #require((json["nodes"] as? [[String: Any]])?.first { $0["host"] as? String == "cuicpub.lab.tac" })
        #expect(node["status"] as? String == "auth_failed")
        #expect((node["detail"] as? String)?.contains("password_file \(fifo) is not a regular file (a FIFO)") == true, "\(node)")
    }

    @Test func aTranscriptThatIsAFIFOOrTooLargeLeavesItsNodePartial() throws {
        let dir = try temporaryDirectory("hostile-transcripts")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for host in ["finessep", "finesses"] {
            try FileManager.default.copyItem(atPath: "\(repoRoot)/inventory/transcripts/lab/\(host).uccelab.tac.txt", toPath: "\(dir)/\(host).uccelab.tac.txt")
        }
        #expect(mkfifo(dir + "/cuicsub.uccelab.tac.txt", 0o600) == 0)
        // A sparse file past the 64 MiB cap.
        let big = open(dir + "/cuicpub.uccelab.tac.txt", O_WRONLY | O_CREAT, 0o600)
        #expect(ftruncate(big, 65 << 20) == 0)
        close(big)
        let r = try bounded(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", dir, "--output", dir + "/out"], seconds: 30)
        #expect(r.status == 2, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("PARTIAL (no transcript: \(dir)/cuicsub.uccelab.tac.txt is not a regular file (a FIFO)"), "stdout: \(r.stdout)")
        #expect(r.stdout.contains("PARTIAL (no transcript: \(dir)/cuicpub.uccelab.tac.txt is 68157440 bytes, more than the 67108864-byte limit"), "stdout: \(r.stdout)")
    }
}
