import ArgumentParser
import AuditCore
import CFileSync
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
///
/// Nothing half-written is ever visible: every file is written to a temporary name, synced and renamed.
/// A default run folder is built under a hidden staging name and renamed into place whole, then
/// `latest` is swapped to it; in a folder named with `--output`, report.json is removed first and
/// written last, so its presence means the run's files are all there. A process killed at any point
/// leaves at most a hidden staging folder, removed by the next run.
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

    /// Staging folders are `.partial-<pid>-<run>`.
    static let stagingPrefix = ".partial-"

    func write(_ report: AuditReport, formats: [ReportFormat], failOn: Severity, transcripts: [String: [UInt8]]) throws {
        let fm = FileManager.default
        let target: String
        if isDefault {
            try fm.createDirectory(atPath: reportsDir, withIntermediateDirectories: true)
            Self.removeAbandonedStaging(in: reportsDir)
            target = "\(reportsDir)/\(Self.stagingPrefix)\(getpid())-\((directory as NSString).lastPathComponent)"
            try? fm.removeItem(atPath: target)
        } else {
            target = directory
            try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
            // An old report.json must not vouch for files this run has not finished writing.
            if unlink("\(target)/report.json") != 0, errno != ENOENT {
                throw Self.posixError("cannot replace \(target)/report.json", errno)
            }
        }
        try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
        for format in formats {
            let text: String
            switch format {
            case .table, .json: continue
            case .markdown: text = MarkdownRenderer(failOn: failOn).render(report)
            case .html: text = HTMLRenderer(failOn: failOn).render(report)
            case .junit: text = JUnitRenderer(failOn: failOn).render(report)
            case .prometheus: text = PrometheusRenderer().render(report)
            }
            try Self.atomicWrite(Data(text.utf8), to: "\(target)/\(format.fileName!)", durable: false)
        }
        if !report.plans.isEmpty {
            try fm.createDirectory(atPath: "\(target)/remediation", withIntermediateDirectories: true)
            for plan in report.plans {
                try Self.atomicWrite(Data(plan.text.utf8), to: "\(target)/remediation/\(plan.host).txt", durable: false)
                try Self.atomicWrite(Data(RunbookRenderer().markdown(plan, findings: report.findings).utf8),
                                     to: "\(target)/remediation/\(plan.host).md", durable: false)
            }
        }
        if !transcripts.isEmpty {
            try fm.createDirectory(atPath: "\(target)/transcripts", withIntermediateDirectories: true)
            for (host, bytes) in transcripts.sorted(by: { $0.key < $1.key }) {
                try Self.atomicWrite(Data(bytes), to: "\(target)/transcripts/\(host).txt", durable: false)
            }
        }
        // One filesystem sync for all the files above (not one per file: a fleet run writes hundreds),
        // before report.json vouches for them.
        Self.syncFileSystem(containing: target)
        try Self.atomicWrite(report.json(failOn: failOn).serialized(), to: "\(target)/report.json")
        if isDefault {
            guard rename(target, directory) == 0 else { throw Self.posixError("cannot move the run into \(directory)", errno) }
            Self.syncDirectory(reportsDir)
            try pointLatest()
        }
    }

    /// Staging folders of runs that died (their process is gone); a running writer's folder is left alone.
    static func removeAbandonedStaging(in reportsDir: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: reportsDir) else { return }
        for name in names where name.hasPrefix(stagingPrefix) {
            let pid = name.dropFirst(stagingPrefix.count).prefix { $0.isNumber }
            guard let pid = Int32(pid), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(atPath: "\(reportsDir)/\(name)") }
        }
    }

    /// reports/latest → the newest run, replaced atomically (a new link renamed over the old one).
    func pointLatest() throws {
        let link = "\(reportsDir)/latest"
        let temp = "\(reportsDir)/.latest-\(getpid())"
        try? FileManager.default.removeItem(atPath: temp)
        try FileManager.default.createSymbolicLink(atPath: temp, withDestinationPath: (directory as NSString).lastPathComponent)
        guard rename(temp, link) == 0 else { throw Self.posixError("cannot point \(link) at the run", errno) }
        Self.syncDirectory(reportsDir)
    }

    static func atomicWrite(_ text: String, to path: String) throws { try atomicWrite(Data(text.utf8), to: path) }

    /// Writes `data` to a temporary file beside `path` and renames it over `path`: readers see the old
    /// file or the new one, never a part, even after a kill. `durable` also syncs the file and its folder
    /// (a power cut then keeps it too); callers writing many files sync once instead.
    static func atomicWrite(_ data: Data, to path: String, durable: Bool = true) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let temp = (folder.isEmpty ? "." : folder) + "/." + (path as NSString).lastPathComponent + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw posixError("cannot write \(path)", errno) }
        var failure: Int32 = 0
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                offset += n
            }
        }
        if failure == 0, durable, fsync(fd) != 0 { failure = errno }
        close(fd)
        guard failure == 0, rename(temp, path) == 0 else {
            let code = failure != 0 ? failure : errno
            unlink(temp)
            throw posixError("cannot write \(path)", code)
        }
        if durable { syncDirectory(folder.isEmpty ? "." : folder) }
    }

    private static func syncFileSystem(containing path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = cors_audit_syncfs(fd)
        close(fd)
    }

    private static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    static func posixError(_ what: String, _ code: Int32) -> CocoaError {
        CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(what): \(String(cString: strerror(code)))"])
    }
}
