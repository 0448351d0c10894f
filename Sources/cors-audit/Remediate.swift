import ArgumentParser
import AuditCore
import Foundation
import Reports

struct Remediate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one runbook per node (Markdown for people, .txt of CLI lines) from a report or a fresh audit.")

    @Option(name: .long, help: "A report.json written by `cors-audit audit`.")
    var from: String?

    @Option(name: .long, help: "Audit this inventory first (offline with --transcripts), then plan.")
    var inventory: String?

    @Option(name: .long, help: "With --inventory: audit from DIR/<host>.txt transcripts.")
    var transcripts: String?

    @Option(name: .long, help: "Folder for the runbooks (default: remediation/ beside the report, or the run folder).")
    var output: String?

    @Flag(name: .long, help: "Carry each node's runbook out over SSH (the inventory says how to reach the nodes; with --from, give --inventory too), then re-audit the changed clusters.")
    var apply = false

    @Flag(name: .long, help: "With --apply: do not ask before each node.")
    var yes = false

    @Flag(name: .long, help: "With --apply: also run the service restarts that make the changes effective.")
    var restart = false

    @Option(name: .long, help: "With --apply: time limit for the whole apply, in seconds.")
    var timeout: Double?

    func validate() throws {
        if apply {
            if inventory == nil { throw ValidationError("--apply needs --inventory FILE to reach the nodes (also with --from)") }
            if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
        } else {
            if (from == nil) == (inventory == nil) { throw ValidationError("give either --from REPORT.json or --inventory FILE") }
            if yes || restart || timeout != nil { throw ValidationError("--yes, --restart and --timeout go with --apply") }
        }
    }

    func run() async throws {
        if apply { try ApplyRun.requireConfirmationChannel(yes: yes) }
        let plans: [RemediationPlan]
        let findings: [Finding]
        var folder = output
        var beforeCode: Int32 = 0
        if let from {
            let read = try ReportReader.read(path: from)
            plans = read.plans
            findings = read.findings
            if folder == nil { folder = ((from as NSString).deletingLastPathComponent as NSString).appendingPathComponent("remediation") }
        } else {
            let inventory = try loadInventory(self.inventory!)
            let observations: [String: NodeObservation]
            if let transcripts {
                observations = TranscriptDirectory(path: transcripts).observations(for: inventory)
            } else if apply {
                observations = await collectLive(inventory, options: .init(), quiet: false).observations
            } else {
                throw ValidationError("live planning needs `cors-audit audit` first; pass --transcripts DIR or use --from REPORT.json")
            }
            let report = Auditor.audit(inventory: inventory, observations: observations, generatedAt: Clock.timestamp())
            plans = report.plans
            findings = report.findings
            beforeCode = report.verdict().exitCode
            if folder == nil { folder = "reports/remediation" }
        }
        guard let folder else { return }
        if plans.isEmpty {
            print("Nothing to fix: no node needs a change.")
            if apply { throw ExitCode(beforeCode) }
            return
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for plan in plans {
            try RunFolder.atomicWrite(plan.text, to: "\(folder)/\(plan.host).txt")
            try RunFolder.atomicWrite(RunbookRenderer().markdown(plan, findings: findings), to: "\(folder)/\(plan.host).md")
            print("\(folder)/\(plan.host).md  (\(plan.steps.filter { if case .note = $0 { return false } else { return true } }.count) steps)")
        }
        if apply {
            let code = try await ApplyRun(plans: plans, before: findings, inventory: try loadInventory(self.inventory!), yes: yes,
                                          restart: restart, folder: folder, timeout: timeout, concurrency: nil).run()
            throw ExitCode(code)
        }
    }
}

/// Reads back the parts of a v1 JSON report that planning needs.
enum ReportReader {
    struct Read {
        var plans: [RemediationPlan]
        var findings: [Finding]
    }

    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    static func read(path: String) throws -> Read {
        guard let data = FileManager.default.contents(atPath: path) else { throw Problem(description: "\(path): cannot read the report") }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Problem(description: "\(path): not a JSON object")
        }
        guard root["schema"] as? String == AuditReport.schema else {
            throw Problem(description: "\(path): not a \(AuditReport.schema) report (schema is \(root["schema"] ?? "missing"))")
        }
        var plans: [RemediationPlan] = []
        for (i, p) in ((root["remediation"] as? [[String: Any]]) ?? []).enumerated() {
            guard let cluster = p["cluster"] as? String, let host = p["host"] as? String, let steps = p["steps"] as? [[String: Any]] else {
                throw Problem(description: "\(path): remediation[\(i)] lacks cluster, host or steps")
            }
            var parsed: [RemediationStep] = []
            for (j, s) in steps.enumerated() {
                switch s["type"] as? String {
                case "command":
                    guard let line = s["line"] as? String, isPlannedCommand(line) else {
                        throw Problem(description: "\(path): remediation[\(i)].steps[\(j)] is not a command cors-audit plans")
                    }
                    parsed.append(.command(line))
                case "delete":
                    guard let line = s["line"] as? String, isPlannedCommand(line), let index = s["index"] as? Int, index > 0,
                          let origin = s["origin"] as? String else {
                        throw Problem(description: "\(path): remediation[\(i)].steps[\(j)] is not a valid delete step")
                    }
                    parsed.append(.delete(command: line, index: index, origin: origin))
                case "note":
                    parsed.append(.note((s["text"] as? String) ?? ""))
                default:
                    throw Problem(description: "\(path): remediation[\(i)].steps[\(j)] has an unknown type")
                }
            }
            plans.append(RemediationPlan(cluster: cluster, host: host, steps: parsed))
        }
        var findings: [Finding] = []
        for f in (root["findings"] as? [[String: Any]]) ?? [] {
            guard let kind = (f["kind"] as? String).flatMap(FindingKind.init(rawValue:)), let cluster = f["cluster"] as? String else { continue }
            findings.append(Finding(kind: kind, cluster: cluster, host: f["host"] as? String, hosts: (f["hosts"] as? [String]) ?? [],
                                    list: (f["list"] as? String).flatMap(ListKind.init(rawValue:)), origin: f["origin"] as? String,
                                    message: (f["message"] as? String) ?? "", remediation: (f["remediation"] as? [String]) ?? []))
        }
        return Read(plans: plans, findings: findings)
    }

    /// A report file may have been edited: only command shapes cors-audit itself plans are accepted back.
    static func isPlannedCommand(_ line: String) -> Bool {
        let families = ["cuic", "live-data", "finesse"]
        for family in families {
            let prefix = "utils \(family) cors "
            if line == prefix + "enable" || line == prefix + "status" || line == prefix + "allowed_origin list"
                || line == prefix + "allowed_origin delete" { return true }
            if line.hasPrefix(prefix + "allowed_origin add ") {
                let origins = line.dropFirst((prefix + "allowed_origin add ").count).split(separator: ",", omittingEmptySubsequences: false)
                return !origins.isEmpty && origins.allSatisfy { OriginAnalysis.isSafeForCommandLine(String($0)) }
            }
        }
        let services = [CORSServices.cuicReporting, CORSServices.liveDataNginx, CORSServices.webProxy,
                        CORSServices.finesseTomcat, CORSServices.finesseNotification]
        return services.contains { line == "utils service restart \($0)" || line == "utils service start \($0)" } || line == "utils service list"
    }
}
