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
        }
    }
}
