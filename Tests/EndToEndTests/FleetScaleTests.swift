import AuditCore
import Foundation
import Testing
import TestSupport
import VOSSimulator

/// The 200-node synthetic fleet (`vos-sim fleet`'s generator) audited from transcripts written from its state, and
/// without its password: what a person reads first at fleet scale.
@Suite struct FleetScaleTests {
    /// The generated fleet in a folder: fleet.yaml and, per audited node, the transcript its simulated CLI would give.
    static func fleet(nodes: Int = 200, driftEvery: Int = 40) throws -> (dir: String, generated: FleetGenerator.Output) {
        let dir = try temporaryDirectory("cors-audit-fleet")
        let generated = FleetGenerator(nodes: nodes, driftEvery: driftEvery).generate()
        try generated.inventoryYAML.write(toFile: dir + "/fleet.yaml", atomically: true, encoding: .utf8)
        let inventory = try InventoryLoader.load(path: dir + "/fleet.yaml")
        try FileManager.default.createDirectory(atPath: dir + "/transcripts", withIntermediateDirectories: true)
        for (cluster, node) in inventory.nodes where node.audit {
            let expected = ExpectedOrigins.required(for: cluster).map(\.description)
            var text = "admin:set cli pagination off\nAutomatic pagination is turned off\n\n"
            for list in node.lists {
                let family = list == .cuic ? "cuic" : "live-data"
                var origins = expected
                for d in generated.drift where d.host == node.host && d.list == family {
                    origins.removeAll { d.missing.contains($0) }
                    origins += d.extra
                }
                text += "admin:utils \(family) cors status\nCORS status: enabled\n\n"
                text += "admin:utils \(family) cors allowed_origin list\n\ncors_allowedorigins \n=========================== \n"
                text += origins.enumerated().map { "\($0 + 1). \($1) \n" }.joined() + " \n\n"
                for headers in ["allowed_headers", "exposed_headers"] {
                    text += "admin:utils \(family) cors \(headers) list\n\ncors_\(headers.replacingOccurrences(of: "_", with: "")) \n=========================== \n \n\n"
                }
            }
            if node.lists.contains(.cuic) { text += "admin:utils cuic cors private-network-access status\nPrivate network access is disabled\n\n" }
            text += "admin:show version active\nActive Master Version: 12.6.2.10000-19\n\n"
            text += "admin:utils service list\nRequesting service status, please wait...\nCisco Tomcat[STARTED]\n"
            // Live Data services only where the inventory says Live Data runs: the audit checks the flag against them.
            text += "Intelligence Center Reporting Service[STARTED]\n" + (node.lists.contains(.liveData) ? "Unified CCE Live Data NGINX Service[STARTED]\n" : "")
                + "\nadmin:exit\n"
            try text.write(toFile: "\(dir)/transcripts/\(node.host).txt", atomically: true, encoding: .utf8)
        }
        return (dir, generated)
    }

    @Test func theSummaryComesFirstAndCleanClustersFoldAway() throws {
        let (dir, generated) = try Self.fleet()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let drifted = Set(generated.drift.map { $0.host.split(separator: ".", maxSplits: 1)[1].split(separator: ".")[0] })
        #expect(drifted.count == 5)
        let r = try run(["audit", "--inventory", dir + "/fleet.yaml", "--transcripts", dir + "/transcripts",
                         "--format", "table,markdown,html", "--output", dir + "/out"])
        #expect(r.status == 1, "stderr: \(r.stderr)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The answer first: counts, then every drifted cluster by name with its worst finding, on one screen.
        #expect(lines[0].hasPrefix("Summary: 100 clusters, 400 nodes: 200 audited, 200 skipped"), "\(lines[0])")
        #expect(lines[1] == "  5 clusters need work, 95 clean")
        for name in drifted {
            let line = lines.prefix(8).first { $0.contains(" \(name): ") }
            #expect(line?.contains("worst: ") == true, "\(name): \(lines.prefix(8))")
        }
        // Clean clusters and the Finesse nodes (audit: false) are folded, and the fold says how many.
        #expect(!r.stdout.contains("not contacted (audit: false)"))
        #expect(r.stdout.contains("Not shown: 95 clean clusters, 10 skipped nodes (audit: false) · --all shows them"))
        #expect(lines.count < 90, "\(lines.count) lines")
        // The last line names what needs work, not just the verdict.
        let last = lines.last { !$0.isEmpty }!
        #expect(last.hasPrefix("Result: DRIFT (exit 1) · 5 of 100 clusters need work: "), "\(last)")
        #expect(last.contains(" and 2 more · "), "\(last)")
        // The files start with the same list.
        let md = try String(contentsOfFile: dir + "/out/report.md", encoding: .utf8)
        let html = try String(contentsOfFile: dir + "/out/report.html", encoding: .utf8)
        #expect(md.contains("## Clusters needing work: 5 of 100"))
        #expect(html.contains("<h2>Clusters needing work: 5 of 100</h2>"))
        for name in drifted {
            #expect(md.range(of: "- \(name): ")!.lowerBound < md.range(of: "## Cluster site000")!.lowerBound)
        }
        // --all shows everything.
        let all = try run(["audit", "--inventory", dir + "/fleet.yaml", "--transcripts", dir + "/transcripts", "--all", "--output", dir + "/all"])
        #expect(all.stdout.contains("cluster site000 — clean") && all.stdout.contains("not contacted (audit: false)"))
        #expect(!all.stdout.contains("Not shown:"))
    }

    @Test func anUnsetPasswordEnvIsOneLineBeforeAnyConnection() throws {
        let (dir, _) = try Self.fleet(driftEvery: 0)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let started = ContinuousClock.now
        // The fleet's hosts do not resolve: had the run tried to connect, each node would say so instead.
        let r = try runProcess(product("cors-audit"), ["audit", "--inventory", dir + "/fleet.yaml", "--no-history",
                                                       "--format", "table,json", "--output", dir + "/out"],
                               environment: ["VOS_SIM_PASSWORD": nil])
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(r.status == 2, "stderr: \(r.stderr)")
        #expect(r.stderr == "cors-audit: password_env VOS_SIM_PASSWORD is not set in the environment: 200 nodes use it "
                + "(cuicpub.site000.fleet.test, cuicsub.site000.fleet.test, cuicpub.site001.fleet.test and 197 more) "
                + "and will not be contacted; the run will be incomplete (exit 2)\n")
        let causeLines = r.stdout.split(separator: "\n").filter { $0.contains("AUTH_FAILED") }
        #expect(causeLines == ["    AUTH_FAILED on 200 nodes (cuicpub.site000.fleet.test, cuicsub.site000.fleet.test, cuicpub.site001.fleet.test and 197 more): "
                               + "phase auth: password_env VOS_SIM_PASSWORD is not set in the environment; not contacted"], "\(r.stdout)")
        #expect(r.stdout.contains("  ? 100 clusters with no node audited: site000, site001, site002 and 97 more\n"))
        #expect(r.stdout.contains("Not shown: 100 clusters with no node audited (causes in the summary) · --all shows them"))
        #expect(r.stdout.split(separator: "\n").count < 40, "\(r.stdout)")
        // Every report is written all the same.
        #expect(FileManager.default.fileExists(atPath: dir + "/out/report.json"))
    }
}
