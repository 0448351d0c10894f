import Foundation
import Testing
import TestSupport

/// Issue 20, item 7: the same failure on several nodes is one line with the count and the nodes, even where each
/// node's detail differs only by what is its own (name, port, key fingerprint, known_hosts line).
@Suite(.serialized) struct OneCauseTests {
    @Test func unknownHostKeysOnTwoNodesAreOneLine() async throws {
        try await withLab(faults: [pub: "faults: [unknown_host_key]", sub: "faults: [unknown_host_key]"]) { lab in
            let r = try corsAudit(["audit", "--inventory", lab.inventoryPath, "--no-history", "--output", lab.directory + "/out"])
            #expect(r.status == 2, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            let lines = r.stdout.split(separator: "\n").filter { $0.contains("HOST_KEY_REJECTED") }
            #expect(lines.count == 1, "\(r.stdout)")
            #expect(lines.first?.hasPrefix("  HOST_KEY_REJECTED on 2 nodes (\(pub), \(sub)): phase host-key: unknown host key SHA256:… for <node>") == true,
                    "\(r.stdout)")
            // Each node's own line to add stays in the report.
            let json = try String(contentsOfFile: lab.directory + "/out/report.json", encoding: .utf8)
            #expect(json.contains("add to known_hosts: [\(pub)]:") && json.contains("add to known_hosts: [\(sub)]:"))
            // Both keys' lines in one file of the run, named once on stderr.
            let newKeys = try String(contentsOfFile: lab.directory + "/out/known_hosts.new", encoding: .utf8)
            let keyLines = newKeys.split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(keyLines.count == 2 && keyLines[0].hasPrefix("[\(pub)]:") && keyLines[1].hasPrefix("[\(sub)]:"), "\(newKeys)")
            #expect(r.stderr.contains("2 nodes presented a host key known_hosts lacks (\(pub), \(sub)): their known_hosts lines are in \(lab.directory)/out/known_hosts.new"), "\(r.stderr)")

            // First contact accepted on the command line: both audited, their keys added to the inventory's known_hosts ...
            let known = lab.directory + "/known_hosts"
            let before = try String(contentsOfFile: known, encoding: .utf8)
            let accepted = try corsAudit(["audit", "--inventory", lab.inventoryPath, "--no-history", "--accept-new-host-keys", "--output", lab.directory + "/out2"])
            #expect(accepted.status == 1, "stdout: \(accepted.stdout)\nstderr: \(accepted.stderr)")
            #expect(!accepted.stdout.contains("HOST_KEY_REJECTED"))
            #expect(!FileManager.default.fileExists(atPath: lab.directory + "/out2/known_hosts.new"))
            let after = try String(contentsOfFile: known, encoding: .utf8)
            for line in keyLines { #expect(after.contains(line), "\(after)") }
            #expect(after.hasPrefix(before))
            // ... so the next strict run trusts them.
            let strict = try corsAudit(["audit", "--inventory", lab.inventoryPath, "--no-history", "--output", lab.directory + "/out3"])
            #expect(strict.status == 1, "stdout: \(strict.stdout)\nstderr: \(strict.stderr)")
        }
    }
}
