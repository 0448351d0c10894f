import ArgumentParser
import AuditCore
import Foundation
import Reports

/// The report formats; several may be asked for at once (`--format table,json,html`).
enum ReportFormat: String, CaseIterable {
    case table, json, markdown, html, junit, prometheus

    var fileName: String? {
        switch self {
        case .table: nil
        case .json: "report.json"
        case .markdown: "report.md"
        case .html: "report.html"
        case .junit: "junit.xml"
        case .prometheus: "cors_audit.prom"
        }
    }
}

struct FormatList: ExpressibleByArgument {
    var formats: [ReportFormat]
    init?(argument: String) {
        var result: [ReportFormat] = []
        for word in argument.split(separator: ",") {
            let w = word.trimmingCharacters(in: .whitespaces).lowercased()
            guard let f = ReportFormat(rawValue: w == "md" ? "markdown" : w == "prom" ? "prometheus" : w) else { return nil }
            if !result.contains(f) { result.append(f) }
        }
        guard !result.isEmpty else { return nil }
        formats = result
    }
    init(_ formats: [ReportFormat]) { self.formats = formats }
    static var allValueStrings: [String] { ReportFormat.allCases.map(\.rawValue) }
    var defaultValueDescription: String { formats.map(\.rawValue).joined(separator: ",") }
}

/// How a run reports: what goes to stdout, which files land where, and the exit-code threshold.
struct ReportingOptions: ParsableArguments {
    @Option(name: .long, help: "Comma-separated: table, json, markdown, html, junit, prometheus. stdout shows the table (or the JSON when json is the only terminal format); every format is also written to the run folder.")
    var format: FormatList = FormatList([.table])

    @Option(name: .long, help: "Write the run's files into DIR (default: reports/<UTC time>/, with reports/latest pointing at it).")
    var output: String?

    @Option(name: .long, help: "Also write the Prometheus metrics to this file (atomically), e.g. in node_exporter's textfile directory.")
    var prometheusFile: String?

    @Option(name: .customLong("fail-on"), help: "Lowest finding severity that makes the exit code 1: error, warning or info.")
    var failOn: Severity = .warning

    @Flag(name: .long, help: "Print nothing unless there are findings or failures.")
    var quiet = false

    @Option(name: .long, help: "Folder that holds the timestamped run folders.")
    var reportsDir: String = "reports"

    /// Writes every file, prints what stdout should show, and returns the exit code.
    func emit(_ report: AuditReport, transcripts: [String: [UInt8]] = [:]) throws -> Int32 {
        let verdict = report.verdict(failOn: failOn)
        let files = RunFolder(path: output, reportsDir: reportsDir, generatedAt: report.generatedAt)
        var runbooks = "\(files.displayPath)/remediation/"
        do {
            try files.write(report, formats: format.formats, failOn: failOn, transcripts: transcripts)
            if let prometheusFile { try RunFolder.atomicWrite(PrometheusRenderer().render(report), to: prometheusFile) }
        } catch {
            FileHandle.standardError.write(Data("cors-audit: could not write the reports: \(error)\n".utf8))
            runbooks = ""
            // The verdict still stands; a lost report is worth a non-zero exit of its own when the run was clean.
            if verdict == .clean { return 2 }
        }
        let silent = quiet && verdict == .clean && report.findings.isEmpty
        if !silent {
            if format.formats.contains(.table) {
                let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
                var text = TableRenderer(failOn: failOn, runbookLocation: runbooks.isEmpty ? nil : runbooks, color: color).render(report)
                if format.formats.contains(.html) { text = text.dropLast() + " · report: \(files.displayPath)/report.html\n" }
                print(text, terminator: "")
            } else if format.formats.contains(.json) {
                print(report.json(failOn: failOn).serialized(), terminator: "")
            }
        }
        return verdict.exitCode
    }
}

/// One run's folder: report.json, the asked-for formats, remediation runbooks and session transcripts.
struct RunFolder {
    let directory: String
    let isDefault: Bool
    let reportsDir: String

    init(path: String?, reportsDir: String, generatedAt: String) {
        self.reportsDir = reportsDir
        if let path {
            directory = path
            isDefault = false
        } else {
            var name = generatedAt.replacingOccurrences(of: ":", with: "-")
            var n = 2
            while FileManager.default.fileExists(atPath: "\(reportsDir)/\(name)") {
                name = generatedAt.replacingOccurrences(of: ":", with: "-") + "-\(n)"
                n += 1
            }
            directory = "\(reportsDir)/\(name)"
            isDefault = true
        }
    }

    var displayPath: String { directory }

    func write(_ report: AuditReport, formats: [ReportFormat], failOn: Severity, transcripts: [String: [UInt8]]) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.atomicWrite(report.json(failOn: failOn).serialized(), to: "\(directory)/report.json")
        for format in formats {
            let text: String
            switch format {
            case .table, .json: continue
            case .markdown: text = MarkdownRenderer(failOn: failOn).render(report)
            case .html: text = HTMLRenderer(failOn: failOn).render(report)
            case .junit: text = JUnitRenderer(failOn: failOn).render(report)
            case .prometheus: text = PrometheusRenderer().render(report)
            }
            try Self.atomicWrite(text, to: "\(directory)/\(format.fileName!)")
        }
        if !report.plans.isEmpty {
            try fm.createDirectory(atPath: "\(directory)/remediation", withIntermediateDirectories: true)
            for plan in report.plans {
                try Self.atomicWrite(plan.text, to: "\(directory)/remediation/\(plan.host).txt")
                try Self.atomicWrite(RunbookRenderer().markdown(plan, findings: report.findings), to: "\(directory)/remediation/\(plan.host).md")
            }
        }
        if !transcripts.isEmpty {
            try fm.createDirectory(atPath: "\(directory)/transcripts", withIntermediateDirectories: true)
            for (host, bytes) in transcripts.sorted(by: { $0.key < $1.key }) {
                try Self.atomicWrite(Data(bytes), to: "\(directory)/transcripts/\(host).txt")
            }
        }
        if isDefault { try pointLatest() }
    }

    /// reports/latest → the newest run, replaced atomically (a new link renamed over the old one).
    func pointLatest() throws {
        let link = "\(reportsDir)/latest"
        let temp = "\(reportsDir)/.latest-\(getpid())"
        try? FileManager.default.removeItem(atPath: temp)
        try FileManager.default.createSymbolicLink(atPath: temp, withDestinationPath: (directory as NSString).lastPathComponent)
        guard rename(temp, link) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot point \(link) at the run: \(String(cString: strerror(errno)))"])
        }
    }

    static func atomicWrite(_ text: String, to path: String) throws { try atomicWrite(Data(text.utf8), to: path) }

    static func atomicWrite(_ data: Data, to path: String) throws {
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
