import Foundation
import Testing
import TestSupport

/// `--cluster`, `--host`, `--exclude` and `inventory check`, offline on the lab's transcripts.
@Suite struct ScopeTests {
    static let transcripts = "inventory/transcripts/lab"

    @Test func aScopedRunSaysSoInEveryFormatAndLeavesTheOthersUncontacted() throws {
        let out = try temporaryDirectory("cors-audit-scope")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", Self.transcripts, "--host", "cuicpub.uccelab.tac",
                         "--output", out + "/run", "--format", "table,markdown,junit"])
        // The publisher alone is clean; the run must not read as a clean fleet.
        #expect(r.status == 0, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
        #expect(r.stdout.hasPrefix("⚠ scoped run (host cuicpub.uccelab.tac): only part of inventory/lab.yaml was audited"), "\(r.stdout)")
        #expect(r.stdout.contains("Result: CLEAN (exit 0) · SCOPED to host cuicpub.uccelab.tac · "), "\(r.stdout)")
        let subRow = r.stdout.split(separator: "\n").first { $0.hasPrefix("  cuicsub.uccelab.tac ") }
        #expect(subRow?.contains(" skipped ") == true, "\(r.stdout)")
        let json = try readJSON(out + "/run/report.json")
        #expect(json["scoped"] as? Bool == true)
        #expect((json["summary"] as? [String: Any])?["scope"] as? String == "host cuicpub.uccelab.tac")
        let statuses = (json["nodes"] as! [[String: Any]]).map { "\($0["host"]!) \($0["status"]!)" }
        #expect(statuses.contains("cuicsub.uccelab.tac skipped") && statuses.contains("cuicpub.uccelab.tac audited"))
        #expect(try String(contentsOfFile: out + "/run/report.md", encoding: .utf8).contains("scoped run (host cuicpub.uccelab.tac)"))

        // --exclude and comma lists; the cluster by name.
        let ex = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", Self.transcripts, "--cluster", "uccelab",
                          "--exclude", "cuicsub.uccelab.tac,finessep.uccelab.tac", "--output", out + "/ex", "--format", "json"])
        #expect(ex.status == 0, "\(ex.stderr)")
        let exJSON = try JSONSerialization.jsonObject(with: Data(ex.stdout.utf8)) as! [String: Any]
        #expect((exJSON["summary"] as? [String: Any])?["scope"] as? String == "cluster uccelab; excluding cuicsub.uccelab.tac, finessep.uccelab.tac")
    }

    @Test func unknownNamesAreUsageErrorsNamingEachOne() throws {
        let r = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", Self.transcripts,
                         "--cluster", "nosuch", "--host", "cuicpub.uccelab.tac,ghost.uccelab.tac", "--exclude", "other.tac"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("not in the inventory: --cluster nosuch, --host ghost.uccelab.tac, --exclude other.tac (inventory/lab.yaml)"), "\(r.stderr)")
        let p = try run(["probe", "--inventory", "inventory/lab.yaml", "--cluster", "nosuch"])
        #expect(p.status == 64)
        #expect(p.stderr.contains("--cluster nosuch"))
    }

    @Test func inventoryCheckValidatesWithoutConnecting() throws {
        let ok = try run(["inventory", "check", "inventory/lab.yaml"], environment: ["VOS_PASSWORD": "x"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout == "inventory/lab.yaml: valid — 1 cluster, 4 nodes (4 audited, 0 topology only)\n", "\(ok.stdout)")
        let dir = try temporaryDirectory("cors-audit-check")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = dir + "/bad.yaml"
        try "version: 1\nclusters:\n  - name: a\n    finesse: [{host: f.a.test}]\n    cuic: [{host: c.a.test, rol: publisher}]\nwaivers:\n  - {kind: missing-origin, reason: x}\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let r = try run(["inventory", "check", bad])
        #expect(r.status == 64)
        #expect(r.stderr.contains("\(bad):5:"), "\(r.stderr)")
        #expect(r.stderr.contains("unknown key 'rol' (did you mean 'role'?)"))
        #expect(r.stderr.contains("\(bad):7:"))
        #expect(r.stderr.contains("waivers[0].expires: missing"))
        #expect(r.stdout.isEmpty)
    }
}
