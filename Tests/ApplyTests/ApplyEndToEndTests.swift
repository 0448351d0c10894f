import AuditCore
import Foundation
import Testing
import TestSupport
@testable import VOSSimulator

/// The cors-audit binary built beside this test bundle.
let binary = product("cors-audit")

let simPassword = "apply-test-pw"
let sub = "cuicsub.uccelab.tac"
let pub = "cuicpub.uccelab.tac"
let fullList = ["https://finessep.uccelab.tac", "https://finessep.uccelab.tac:8445",
                "https://finesses.uccelab.tac", "https://finesses.uccelab.tac:8445"]

/// Runs cors-audit from the package root with the simulator's password in its environment (never argv); `through`
/// runs it under another program (its arguments then come whole from `through`).
func corsAudit(_ arguments: [String], stdin: String? = nil, through: [String] = [], withoutPassword: Bool = false) throws -> ProcessResult {
    try runProcess(through.isEmpty ? binary : through[0], through.isEmpty ? arguments : Array(through.dropFirst()),
                   environment: ["VOS_SIM_PASSWORD": withoutPassword ? nil : simPassword], stdin: stdin)
}

extension Simulation {
    /// `cors-audit audit` of the lab, live; returns the report's path.
    func auditBefore() throws -> String {
        let r = try corsAudit(["audit", "--inventory", inventoryPath, "--output", directory + "/before", "--no-history"])
        #expect(r.status == 1, "stderr: \(r.stderr)")
        return directory + "/before/report.json"
    }

    func record(_ host: String, in folder: String) throws -> [String: Any] { try readJSON("\(folder)/apply-\(host).json") }
}

/// The TAC case alone: the lab with finesses' gadget source list complete (the shipped lab lacks cuicsub's URLs there).
func tacCase(_ nodes: inout [NodeDefinition]) { Simulation.tacCase(&nodes) }

/// Runs `body` against a started lab (`adjust` changes its node definitions first; by default the TAC case alone) and
/// always shuts it down after.
func withLab(adjust: (inout [NodeDefinition]) -> Void = tacCase, _ body: (Simulation) async throws -> Void) async throws {
    try await Simulation.lab(password: simPassword, adjust: adjust).use(body)
}

@Suite(.serialized) struct ApplyEndToEndTests {
    @Test func applyWithRestartLeavesTheClusterCleanAndServingTheFix() async throws {
        try await withLab { lab in
            let report = try lab.auditBefore()
            let out = lab.directory + "/apply"
            // No --inventory: the report's own, checked against the digest it recorded.
            #expect(try readJSON(report)["inventory_digest"] is String)
            let r = try corsAudit(["remediate", "--from", report, "--apply", "--no-history", "--yes", "--restart", "--output", out])
            #expect(r.status == 0, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            #expect(r.stdout.contains("\(sub) (cluster uccelab): APPLIED"))
            #expect(r.stdout.contains("  applied  utils live-data cors allowed_origin delete → 5 (http://127.0.0.1:5500)"))
            #expect(r.stdout.contains("  applied  utils service restart Intelligence Center Reporting Service"))
            #expect(r.stdout.contains("  \(sub)   cuic       ✗ 1 missing-origin     ok"))
            #expect(r.stdout.contains("  \(sub)   live-data  ! 1 unexpected-origin  ok"))
            #expect(r.stdout.contains("  cluster uccelab       cuic       i 1 asymmetric-list    ok"))
            #expect(r.stdout.contains("Result after apply: CLEAN (exit 0)\n"))
            #expect(!r.stdout.contains("restarts pending"))

            // The node serves what it is configured with: every restart ran.
            let node = lab.node(sub)
            #expect(node.configuredList(.cuic)?.origins.sorted() == fullList)
            #expect(node.configuredList(.liveData)?.origins == fullList)
            #expect(node.effectiveList(.cuic) == node.configuredList(.cuic))
            #expect(node.effectiveList(.liveData) == node.configuredList(.liveData))
            #expect(node.state.pendingRestarts.isEmpty)
            #expect(node.allowsPreflight(from: "https://finessep.uccelab.tac:8445", list: .cuic))
            #expect(!node.allowsPreflight(from: "http://127.0.0.1:5500", list: .liveData))
            // The publisher was re-audited, never changed.
            #expect(lab.node(pub).state.pendingRestarts.isEmpty)

            let record = try lab.record(sub, in: out)
            #expect(record["schema"] as? String == "cors-audit/apply/v1")
            #expect(record["status"] as? String == "applied")
            let steps = record["steps"] as! [[String: Any]]
            // The plan's seven steps, then the `utils service list` that shows the restarted services STARTED.
            #expect(steps.map { $0["status"] as! String } == ["applied", "skipped", "applied", "applied", "applied", "applied", "applied", "applied"])
            #expect(steps.last?["line"] as? String == "utils service list")
            // The Live Data menu as the guides print it: `N. origin`, no colon after the range.
            #expect((steps[2]["output"] as? String)?.contains("5. http://127.0.0.1:5500\n") == true)
            let after = try readJSON(out + "/after/report.json")
            #expect((after["summary"] as? [String: Any])?["result"] as? String == "clean")
            #expect(FileManager.default.fileExists(atPath: out + "/apply.md"))
            // The session is kept, and holds no password.
            let transcript = try String(contentsOfFile: out + "/apply-transcripts/\(sub).txt", encoding: .utf8)
            #expect(transcript.contains("Select the index of origin to be deleted [1-5 or a,q]5\r\n"))
            #expect(!transcript.contains(simPassword))
        }
    }

    @Test func applyWithoutRestartIsConfiguredButNotYetServed() async throws {
        try await withLab { lab in
            // Straight from the inventory: a live audit plans, then the plan is applied.
            let out = lab.directory + "/apply"
            let r = try corsAudit(["remediate", "--inventory", lab.inventoryPath, "--apply", "--no-history", "--yes", "--output", out])
            // Configured, not served: never headed clean, never "ok" (issue 20, item 4).
            #expect(r.status == 1, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            #expect(r.stdout.contains("  skipped  utils service restart Unified CCE Live Data NGINX Service  (service restarts run only with --restart)"))
            #expect(r.stdout.contains("  ! configured but not effective until restarted: utils service restart Intelligence Center Reporting Service; utils service restart Unified CCE Live Data NGINX Service"))
            #expect(r.stdout.contains("Result after apply: PENDING RESTART (exit 1); restarts pending on \(sub)"))
            #expect(r.stdout.contains("  \(sub)   cuic       ✗ 1 missing-origin     configured, restart pending"), "\(r.stdout)")
            #expect(r.stdout.contains("  \(sub)   live-data  ! 1 unexpected-origin  configured, restart pending"))

            let node = lab.node(sub)
            // The CLI (and so the audit) sees the configured lists ...
            #expect(node.configuredList(.cuic)?.origins.contains("https://finessep.uccelab.tac:8445") == true)
            #expect(node.configuredList(.liveData)?.origins == fullList)
            // ... while the node still serves the old ones.
            #expect(node.effectiveList(.cuic)?.origins.contains("https://finessep.uccelab.tac:8445") == false)
            #expect(node.effectiveList(.liveData)?.origins.contains("http://127.0.0.1:5500") == true)
            #expect(node.state.pendingRestarts[.cuic] == ["Intelligence Center Reporting Service"])
            #expect(node.state.pendingRestarts[.liveData] == ["Unified CCE Live Data NGINX Service"])

            let record = try lab.record(sub, in: out)
            #expect(record["restarts_pending"] as? [String] == ["utils service restart Intelligence Center Reporting Service",
                                                                "utils service restart Unified CCE Live Data NGINX Service"])
        }
    }

    /// The report's inventory edited since the report: the plan may not fit it, so `--from` alone refuses it before any
    /// node is touched; nothing changes on the nodes.
    @Test func applyFromAReportWhoseInventoryChangedIsRefused() async throws {
        try await withLab { lab in
            let report = try lab.auditBefore()
            let text = try String(contentsOfFile: lab.inventoryPath, encoding: .utf8)
            try text.replacingOccurrences(of: "- name: \"uccelab\"", with: "- name: \"uccelab-renamed\"")
                .write(toFile: lab.inventoryPath, atomically: true, encoding: .utf8)
            let r = try corsAudit(["remediate", "--from", report, "--apply", "--no-history", "--yes", "--restart", "--output", lab.directory + "/apply"])
            #expect(r.status == 64, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            #expect(r.stderr.contains("\(lab.inventoryPath) has changed since \(report) was made (digest "), "\(r.stderr)")
            #expect(r.stderr.contains("audit again and plan from the new report, or pass --inventory \(lab.inventoryPath)"))
            #expect(lab.node(sub).state.pendingRestarts.isEmpty)
            #expect(lab.node(sub).configuredList(.liveData)?.origins.contains("http://127.0.0.1:5500") == true)
        }
    }

    /// An origin someone added by hand since the audit: the node answers "already configured", recorded as no change,
    /// never as applied; and a plan three hours and one run old is said to be so before anything is typed.
    @Test func anAddTheNodeAlreadyHoldsIsNoChangeAndAnOldPlanIsWarned() async throws {
        try await withLab { lab in
            let report = try lab.auditBefore()
            // The report as if written three hours ago, and one run recorded since.
            var json = try String(contentsOfFile: report, encoding: .utf8)
            let stamp = try #require(json.firstRange(of: /"generated_at": *"[^"]*"/))
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime]
            let old = f.string(from: Date().addingTimeInterval(-3 * 3600))
            json.replaceSubrange(stamp, with: "\"generated_at\":\"\(old)\"")
            try json.write(toFile: report, atomically: true, encoding: .utf8)
            let history = lab.directory + "/history.sqlite"
            let later = try corsAudit(["audit", "--inventory", lab.inventoryPath, "--output", lab.directory + "/later", "--history", history])
            #expect(later.status == 1, "stderr: \(later.stderr)")
            let missing = "https://finessep.uccelab.tac:8445"
            lab.node(sub).updateConfigured(.cuic) { $0.origins.append(missing) }

            let out = lab.directory + "/apply"
            let r = try corsAudit(["remediate", "--from", report, "--inventory", lab.inventoryPath, "--apply", "--yes", "--restart",
                                   "--history", history, "--output", out])
            #expect(r.status == 0, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            #expect(r.stderr.contains("warning: the plan is 3.0 hours old (its report was generated \(old)); 1 run of this inventory recorded in \(history) since"), "\(r.stderr)")
            #expect(r.stdout.contains("! the plan is 3.0 hours old"))
            #expect(r.stdout.contains("  no change  utils cuic cors allowed_origin add \(missing)  (no change: the node answered that its CUIC list already holds \(missing))"), "\(r.stdout)")
            #expect(r.stdout.contains("  applied  utils live-data cors allowed_origin delete → 5 (http://127.0.0.1:5500)"))
            let steps = try lab.record(sub, in: out)["steps"] as! [[String: Any]]
            #expect(steps[0]["status"] as? String == "no_change")
            #expect(try lab.record(sub, in: out)["no_change"] as? Bool == false)
            #expect(try String(contentsOfFile: out + "/apply.md", encoding: .utf8).contains("> **Warning:** the plan is 3.0 hours old"))
            // Added once, by hand: the apply did not add it again.
            #expect(lab.node(sub).configuredList(.cuic)?.origins.filter { $0 == missing }.count == 1)
        }
    }

    /// With the menus in the colon form (`N: origin`, a prompt ending `: `), which the guides do not show.
    @Test func aListChangedSinceTheAuditStopsTheNodeAndNothingIsDeleted() async throws {
        try await withLab(adjust: { nodes in tacCase(&nodes); for i in nodes.indices { nodes[i].deleteMenu = .colon } }) { lab in
            let report = try lab.auditBefore()
            // After the audit someone adds an origin in front of the stray one: index 5 now holds another entry.
            let node = lab.node(sub)
            node.updateConfigured(.liveData) { $0.origins.insert("https://proxy.uccelab.tac", at: 2) }
            let changed = try #require(node.configuredList(.liveData)?.origins)
            #expect(changed[4] == "https://finesses.uccelab.tac:8445")

            let out = lab.directory + "/apply"
            let r = try corsAudit(["remediate", "--from", report, "--inventory", lab.inventoryPath, "--apply", "--no-history", "--yes", "--restart", "--output", out])
            #expect(r.status == 2, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            let message = "index 5 holds https://finesses.uccelab.tac:8445, not http://127.0.0.1:5500; list changed since the audit"
            #expect(r.stdout.contains("\(sub) (cluster uccelab): STOPPED — stopped at `utils live-data cors allowed_origin delete`: \(message)"))
            #expect(r.stdout.contains("  FAILED   utils live-data cors allowed_origin delete → 5 (http://127.0.0.1:5500)  (\(message))"))
            #expect(r.stdout.contains("  not run  utils service restart Intelligence Center Reporting Service"))
            #expect(r.stdout.contains("Result after apply: INCOMPLETE (exit 2)"))

            // Nothing was deleted; the add before the delete was applied and recorded as such; no restart ran.
            #expect(node.configuredList(.liveData)?.origins == changed)
            #expect(node.configuredList(.cuic)?.origins.contains("https://finessep.uccelab.tac:8445") == true)
            #expect(node.state.pendingRestarts[.cuic] == ["Intelligence Center Reporting Service"])
            let record = try lab.record(sub, in: out)
            #expect(record["status"] as? String == "stopped")
            let steps = record["steps"] as! [[String: Any]]
            #expect(steps.map { $0["status"] as! String } == ["applied", "skipped", "failed", "not_run", "not_run", "not_run", "not_run", "not_run"])
            #expect(steps[2]["detail"] as? String == message)
            #expect((steps[2]["output"] as? String)?.hasSuffix("Select the index of origin to be deleted [1-6 or a,q]: q\n") == true)
            // The re-audit shows the stray origin still there.
            #expect(r.stdout.contains("  \(sub)   live-data  ! 1 unexpected-origin  ! 2 unexpected-origin"))
        }
    }

    /// The guides' CUIC and Live Data menus (`N. origin`, no colon after the range): each delete takes exactly the
    /// planned entry from the middle or the end of its list (the CUIC add runs first, so that menu has 5 entries).
    @Test func theDocumentedMenusDeleteExactlyThePlannedEntries() async throws {
        let oldGadgets = "https://old-gadgets.uccelab.tac"
        try await withLab(adjust: { nodes in
            tacCase(&nodes)
            let s = nodes.firstIndex { $0.host == sub }!
            nodes[s].lists[.cuic]!.origins.insert(oldGadgets, at: 1)
        }) { lab in
            let out = lab.directory + "/apply"
            let r = try corsAudit(["remediate", "--inventory", lab.inventoryPath, "--apply", "--no-history", "--yes", "--output", out])
            // Without --restart the change is configured, not served: exit 1 (PENDING RESTART).
            #expect(r.status == 1, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            #expect(r.stdout.contains("Result after apply: PENDING RESTART (exit 1)"))
            #expect(r.stdout.contains("  applied  utils cuic cors allowed_origin delete → 2 (\(oldGadgets))"), "\(r.stdout)")
            #expect(r.stdout.contains("  applied  utils live-data cors allowed_origin delete → 5 (http://127.0.0.1:5500)"), "\(r.stdout)")
            let node = lab.node(sub)
            #expect(node.configuredList(.cuic)?.origins.sorted() == fullList)
            #expect(node.configuredList(.liveData)?.origins == fullList)

            let transcript = try String(contentsOfFile: out + "/apply-transcripts/\(sub).txt", encoding: .utf8)
            #expect(transcript.contains("1. https://finessep.uccelab.tac\r\n2. \(oldGadgets)\r\n3. https://finesses.uccelab.tac\r\n"),
                    "\(transcript)")
            #expect(transcript.contains("Select the index of origin to be deleted [1-5 or a,q]2\r\n"), "\(transcript)")
        }
    }

    @Test func confirmationIsAskedOnATerminalAndRequiredWithoutOne() async throws {
        try await withLab { lab in
            let report = try lab.auditBefore()
            // No terminal, no --yes: refused before any connection.
            var r = try corsAudit(["remediate", "--from", report, "--inventory", lab.inventoryPath, "--apply", "--no-history"])
            #expect(r.status == 64)
            #expect(r.stderr.contains("--apply asks before changing each node and stdin is not a terminal; pass --yes"))
            // --apply needs an inventory to reach the nodes: given, or the one a --from report names.
            r = try corsAudit(["remediate", "--apply", "--no-history", "--yes"])
            #expect(r.status == 64)
            #expect(r.stderr.contains("--apply needs --inventory FILE or --from REPORT.json"))
            // A report whose inventory cannot be read from here (a relative path from another folder) says what to pass.
            let moved = try String(contentsOfFile: report, encoding: .utf8)
                .replacingOccurrences(of: "\"inventory\": \"\(lab.inventoryPath)\"", with: "\"inventory\": \"elsewhere/site.yaml\"")
            #expect(moved.contains("elsewhere/site.yaml"))
            try moved.write(toFile: lab.directory + "/moved.json", atomically: true, encoding: .utf8)
            r = try corsAudit(["remediate", "--from", lab.directory + "/moved.json", "--apply", "--no-history", "--yes"])
            #expect(r.status == 64)
            #expect(r.stderr.contains("names the inventory elsewhere/site.yaml, which cannot be read from here: pass --inventory FILE"), "\(r.stderr)")
            r = try corsAudit(["remediate", "--from", report, "--restart"])
            #expect(r.status == 64)

            #expect(lab.node(sub).configuredList(.liveData)?.origins.contains("http://127.0.0.1:5500") == true)
        }
    }

    /// On a terminal (script(1) gives it a PTY) the node's steps are shown and "n" declines; without script(1) the
    /// test shows as skipped, never as passed.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) (util-linux) for a terminal"))
    func onATerminalTheStepsAreShownAndNoDeclines() async throws {
        try await withLab { lab in
            let report = try lab.auditBefore()
            let command = [binary, "remediate", "--from", report, "--inventory", lab.inventoryPath, "--apply", "--no-history", "--output", lab.directory + "/declined"]
                .map { "'" + $0 + "'" }.joined(separator: " ")
            let r = try corsAudit([], stdin: "n\n", through: ["/usr/bin/script", "-qec", command, "/dev/null"])
            #expect(r.stdout.contains("Apply to \(sub)? [y/N]"), "\(r.stdout)")
            #expect(r.stdout.contains("→ 5, only if the list shows http://127.0.0.1:5500 at 5"))
            #expect(r.stdout.contains("\(sub) (cluster uccelab): DECLINED"))
            #expect(r.stdout.contains("Nothing was typed on any node: no re-audit."))
            #expect(r.status == 1)
            #expect(lab.node(sub).configuredList(.liveData)?.origins.contains("http://127.0.0.1:5500") == true)
            #expect(lab.node(sub).state.pendingRestarts.isEmpty)
        }
    }
}
