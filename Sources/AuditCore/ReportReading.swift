import Foundation

/// Report v1 read back (`remediate --from report.json`): a `Decodable` mirror of what `AuditReport.json` writes,
/// limited to what planning needs. A report file may have been edited, so every step must decode into a
/// ``RemediationAction`` whose rendering is exactly the line it came from; anything else is rejected.
public enum ReportReader {
    public struct Read: Sendable {
        public var plans: [RemediationPlan]
        public var findings: [Finding]
        /// The report's `generated_at` (how old the plan is), when it holds one.
        public var generatedAt: String? = nil
        /// The run probed: its TLS settings, so an apply can probe again after the change.
        public var probe: ProbeSettings? = nil
        /// The inventory the report names, and the digest of its content then (absent from older reports).
        public var inventoryPath: String? = nil
        public var inventoryDigest: String? = nil
    }

    public struct ProbeSettings: Sendable, Equatable {
        public var caFile: String?
        public var insecure: Bool
    }

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    struct Document: Decodable {
        var schema: String?
        var generated_at: String?
        var inventory: String?
        var inventory_digest: String?
        var remediation: [Plan]?
        var findings: [FindingEntry]?
        var probe: ProbeEntry?
    }

    struct ProbeEntry: Decodable {
        var ca_file: String?
        var insecure: Bool?
    }

    struct Plan: Decodable {
        var cluster: String?
        var host: String?
        var steps: [Step]?
    }

    struct Step: Decodable {
        var type: String?
        var line: String?
        var index: Int?
        var origin: String?
        var text: String?
    }

    struct FindingEntry: Decodable {
        var kind: String?
        var severity: String?
        var cluster: String?
        var host: String?
        var hosts: [String]?
        var list: String?
        var origin: String?
        var message: String?
        var remediation: [String]?
    }

    public static func read(path: String) throws(Problem) -> Read {
        let data: Data
        do { data = try BoundedFile.read(path, limit: BoundedFile.reportLimit, what: "the report \(path)") } catch {
            throw Problem(description: "\(error)")
        }
        return try read(data, name: path)
    }

    public static func read(_ data: Data, name: String) throws(Problem) -> Read {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw Problem(description: "\(name): not a \(AuditReport.schema) JSON object (\(Self.describe(error)))")
        }
        guard document.schema == AuditReport.schema else {
            throw Problem(description: "\(name): not a \(AuditReport.schema) report (schema is \(document.schema ?? "missing"))")
        }
        var plans: [RemediationPlan] = []
        for (i, p) in (document.remediation ?? []).enumerated() {
            guard let cluster = p.cluster, let host = p.host, let steps = p.steps else {
                throw Problem(description: "\(name): remediation[\(i)] lacks cluster, host or steps")
            }
            // The host names the runbook and apply files: a name that is not a host could write outside the folder.
            try checkNames(cluster: cluster, host: host, at: "\(name): remediation[\(i)]")
            var actions: [RemediationAction] = []
            for (j, s) in steps.enumerated() {
                let place = "\(name): remediation[\(i)].steps[\(j)]"
                switch s.type {
                case "command":
                    guard let line = s.line, let action = RemediationAction(commandLine: line) else {
                        throw Problem(description: "\(place) is not a command cors-audit plans")
                    }
                    actions.append(action)
                case "delete":
                    guard let line = s.line, let index = s.index, let origin = s.origin,
                          let action = RemediationAction(deleteLine: line, index: index, origin: origin) else {
                        throw Problem(description: "\(place) is not a valid delete step")
                    }
                    actions.append(action)
                case "note":
                    actions.append(.note(s.text ?? ""))
                default:
                    throw Problem(description: "\(place) has an unknown type")
                }
            }
            plans.append(RemediationPlan(cluster: cluster, host: host, steps: actions))
        }
        var findings: [Finding] = []
        for (i, f) in (document.findings ?? []).enumerated() {
            // Findings only explain the plans (runbooks' "why", apply's before column): an unknown kind is passed over.
            guard let kind = f.kind.flatMap(FindingKind.init(rawValue:)), let cluster = f.cluster else { continue }
            try checkNames(cluster: cluster, host: f.host, at: "\(name): findings[\(i)]")
            for (j, h) in (f.hosts ?? []).enumerated() where !SafeName.isHostName(h) {
                throw Problem(description: "\(name): findings[\(i)].hosts[\(j)]: \(quoted(h)) is not a host name (letters, digits, hyphens and dots)")
            }
            guard let remediation = RemediationAction.parse(lines: f.remediation ?? [], origin: f.origin) else {
                throw Problem(description: "\(name): findings[\(i)].remediation holds a line cors-audit does not plan")
            }
            // The severity as the report states it (an asymmetric-list's depends on its cause), else the kind's.
            findings.append(Finding(kind: kind, severity: f.severity.flatMap(Severity.init(rawValue:)), cluster: cluster, host: f.host, hosts: f.hosts ?? [],
                                    list: f.list.flatMap(ListKind.init(rawValue:)), origin: f.origin,
                                    message: f.message ?? "", remediation: remediation))
        }
        return Read(plans: plans, findings: findings, generatedAt: document.generated_at,
                    probe: document.probe.map { ProbeSettings(caFile: $0.ca_file, insecure: $0.insecure ?? false) },
                    inventoryPath: document.inventory, inventoryDigest: document.inventory_digest)
    }

    static func checkNames(cluster: String, host: String?, at place: String) throws(Problem) {
        if !SafeName.isClusterName(cluster) {
            throw Problem(description: "\(place).cluster: \(quoted(cluster)) is not a cluster name (\(SafeName.clusterRule))")
        }
        if let host, !SafeName.isHostName(host) {
            throw Problem(description: "\(place).host: \(quoted(host)) is not a host name (letters, digits, hyphens and dots)")
        }
    }

    /// A name from the file, quoted with anything unprintable escaped.
    static func quoted(_ s: String) -> String {
        var out = "'"
        for scalar in s.prefix(200).unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "'" || scalar == "\\" {
                out += scalar.escaped(asASCII: true)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "'"
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c), DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            let at = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return (at.isEmpty ? "" : "at \(at.hasPrefix(".") ? String(at.dropFirst()) : at): ") + c.debugDescription
        default:
            return "\(error)"
        }
    }
}
