import Foundation
import Testing
import TestSupport

/// Two inventories in one folder audited against vos-sim over SSH, one history database: each keeps its own runs,
/// drift and baseline; apply's audits are recorded, tagged, and name the changes they made in the next nightly drift.
@Suite struct PerInventoryEndToEndTests {
    let binary = product("cors-audit")
    let password = "history-test-pw"

    func run(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(binary, arguments, environment: ["VOS_SIM_PASSWORD": password])
    }

    func json(_ r: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)\(r.stderr)")
    }

    @Test func twoInventoriesInOneFolderKeepTheirOwnHistory() async throws {
        // The TAC case alone: the one gap is on the subscriber, which the second inventory leaves out.
        try await Simulation.lab(password: password, adjust: Simulation.tacCase).use { lab in
            let dir = lab.directory, db = lab.directory + "/history.sqlite"
            let a = lab.inventoryPath, b = dir + "/without-subscriber.yaml"
            let text = try String(contentsOfFile: a, encoding: .utf8)
            let sub = "      - host: \"cuicsub.uccelab.tac\"\n"
            #expect(text.contains(sub))
            try text.replacingOccurrences(of: sub, with: sub + "        audit: false\n").write(toFile: b, atomically: true, encoding: .utf8)
            func audit(_ inventory: String) throws -> ProcessResult {
                try run(["audit", "--inventory", inventory, "--history", db, "--output", "\(dir)/run-\(UUID().uuidString)", "--quiet"])
            }
            var r = try audit(a)
            #expect(r.status == 1, "\(r.stderr)")  // the lab's planted gap
            r = try audit(b)
            #expect(r.status == 0, "\(r.stderr)")  // the gap is on the subscriber, which this inventory does not audit
            // The same file commented: the same inventory, with the same content digest.
            try ("# the lab, audited nightly\n" + text).write(toFile: a, atomically: true, encoding: .utf8)
            r = try audit(a)
            #expect(r.status == 1, "\(r.stderr)")

            r = try run(["history", "--history", db, "--inventory", a, "--format", "json"])
            #expect(r.status == 0, "\(r.stderr)")
            let runsA = try #require(try json(r)["runs"] as? [[String: Any]])
            #expect(runsA.map { $0["id"] as? Int } == [3, 1])
            #expect(Set(runsA.compactMap { $0["inventory_digest"] as? String }).count == 1)
            r = try run(["history", "--history", db, "--inventory", b, "--format", "json"])
            #expect(try (json(r)["runs"] as? [[String: Any]])?.map { $0["id"] as? Int } == [2])
            #expect(try (json(r)["runs"] as? [[String: Any]])?.first?["inventory_digest"] as? String != runsA[0]["inventory_digest"] as? String)

            // Not told which: refused, naming both; or every run with --all-inventories.
            r = try run(["history", "--history", db])
            #expect(r.status == 64)
            #expect(r.stderr.contains("the history holds runs of 2 inventories") && r.stderr.contains("without-subscriber.yaml"))
            r = try run(["history", "--history", db, "--all-inventories", "--format", "json"])
            #expect(try (json(r)["runs"] as? [[String: Any]])?.count == 3)

            // Drift within one inventory: nothing changed; across the two, the subscriber's status.
            r = try run(["drift", "--history", db, "--inventory", a])
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains("against run 1"))
            r = try run(["drift", "--history", db, "--all-inventories"])
            #expect(r.status == 1)
            #expect(r.stdout.contains("cuicsub.uccelab.tac\n    status     skipped → audited"))
            r = try run(["drift", "--history", db, "--inventory", a, "1", "3"])
            #expect(r.status == 0)
            r = try run(["drift", "--history", db, "--inventory", b, "1", "2"])
            #expect(r.status == 64)
            #expect(r.stderr.contains("run 1 audited another inventory"))

            // A baseline per inventory.
            r = try run(["baseline", "approve", "--history", db, "--inventory", b])
            #expect(r.stdout.hasPrefix("Approved run 2 ("))
            r = try run(["baseline", "show", "--history", db, "--inventory", a])
            #expect(r.status == 64)

            // Apply fixes the gap: the audit it planned from and its re-audit are recorded, tagged.
            r = try run(["remediate", "--inventory", a, "--apply", "--yes", "--restart", "--history", db, "--output", dir + "/apply"])
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            r = try run(["history", "--history", db, "--inventory", a, "--format", "json"])
            let runs = try #require(try json(r)["runs"] as? [[String: Any]])
            #expect(runs.map { $0["id"] as? Int } == [5, 4, 3, 1])
            #expect(runs.map { $0["tag"] as? String } == ["apply-after", "apply-before", nil, nil])
            #expect(runs[0]["plan_run"] as? Int == 4)

            // The next nightly run: what changed since the last whole run is the apply's doing, and says so.
            r = try audit(a)
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            r = try run(["drift", "--history", db, "--inventory", a])
            #expect(r.status == 1)
            #expect(r.stdout.contains("against run 4"))
            #expect(r.stdout.contains("(changed by apply run 5)"))
            #expect(r.stdout.hasSuffix("made by cors-audit's apply (exit 1)\n"), "\(r.stdout)")
            #expect(r.stdout.contains("all made by cors-audit's apply"))

            r = try run(["history", "--history", db, "--inventory", a, "--format", "html", "--output", dir + "/history.html"])
            #expect(r.status == 0, "\(r.stderr)")
            let html = try String(contentsOfFile: dir + "/history.html", encoding: .utf8)
            #expect(html.contains("apply run 5") && html.contains("<svg"))
        }
    }
}
