import Foundation
import Testing
import TestSupport

@Suite struct DemoTests {
    @Test func demoAuditsTheSimulatedLabOverSSHAndExits1() throws {
        let out = try temporaryDirectory("cors-audit-e2e")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try run(["demo", "--output", out, "--format", "table,json"])
        #expect(r.status == 1, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("cuicsub.uccelab.tac   cuic       enabled  3/4      ✗ 1 missing-origin"))
        #expect(r.stdout.contains("utils cuic cors allowed_origin add https://finessep.uccelab.tac:8445"))
        #expect(r.stdout.contains("Result: DRIFT (exit 1)"))
        let json = try readJSON(out + "/report.json")
        #expect(json["complete"] as? Bool == true)
        let kinds = (json["findings"] as! [[String: Any]]).map { "\($0["kind"]!) \($0["host"] as? String ?? "-") \($0["origin"] as? String ?? "-")" }
        #expect(kinds == [
            "missing-origin cuicsub.uccelab.tac https://finessep.uccelab.tac:8445",
            "unexpected-origin cuicsub.uccelab.tac http://127.0.0.1:5500",
            // The lab's gadget source list on finesses lacks cuicsub's URLs (lab.sim.yaml).
            "gadget-source-missing finesses.uccelab.tac https://cuicsub.uccelab.tac",
            "gadget-source-missing finesses.uccelab.tac https://cuicsub.uccelab.tac:8444",
            "asymmetric-list - -",
            "asymmetric-list - -",
            "asymmetric-gadget-source-check - -",
            // The lab's planted third CUIC node, listed by both CUIC nodes' `show network cluster`.
            "node-not-in-inventory - -",
        ])
        let unknown = (json["findings"] as! [[String: Any]]).last!
        #expect(unknown["hosts"] as? [String] == ["cuicpub.uccelab.tac", "cuicsub.uccelab.tac"])
        #expect((unknown["message"] as? String)?.contains("cuicsub2.uccelab.tac (127.0.0.254, subscriber)") == true)
        // The live session transcripts replay offline to the same findings.
        let replay = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", out + "/transcripts", "--output", out + "/replay"])
        #expect(replay.status == 1)
        let again = try readJSON(out + "/replay/report.json")
        #expect((again["findings"] as! [[String: Any]]).count == 8)
    }

    /// From a folder outside the checkout the demo finds its lab beside the binary, and writes its reports here.
    @Test func demoRunsFromAnyFolder() throws {
        let here = try temporaryDirectory("cors-audit-elsewhere")
        defer { try? FileManager.default.removeItem(atPath: here) }
        let r = try runProcess(product("cors-audit"), ["demo", "--format", "json", "--quiet"], workingDirectory: here)
        #expect(r.status == 1, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
        let json = try readJSON(here + "/reports/latest/report.json")
        #expect((json["findings"] as! [[String: Any]]).contains { $0["kind"] as? String == "missing-origin" })
    }

    /// A binary outside any checkout, with no lab in the folder: exit 64 and what to do, before anything starts.
    @Test func demoWithoutItsLabSaysWhatToDo() throws {
        let here = try temporaryDirectory("cors-audit-nolab")
        defer { try? FileManager.default.removeItem(atPath: here) }
        try FileManager.default.copyItem(atPath: product("cors-audit"), toPath: here + "/cors-audit")
        let r = try runProcess(here + "/cors-audit", ["demo"], workingDirectory: here)
        #expect(r.status == 64, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
        #expect(r.stderr.contains("demo: inventory/lab.yaml and inventory/lab.sim.yaml not found here nor in a checkout holding this binary"))
        #expect(r.stderr.contains("`cd cors-audit && make demo`"))
    }
}
