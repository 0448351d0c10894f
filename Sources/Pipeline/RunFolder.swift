import AuditCore
import CFileSync
import Foundation
import Reports

/// The report formats; several may be asked for at once (`--format table,json,html`).
public enum ReportFormat: String, CaseIterable, Sendable {
    case table, json, markdown, html, junit, prometheus

    public var fileName: String? {
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

/// One run's folder: report.json, the asked-for formats, remediation runbooks and session transcripts.
///
/// Nothing half-written is ever visible: every file is written to a temporary name, synced and renamed.
/// A default run folder is built under a hidden staging name and renamed into place whole, then
/// `latest` is swapped to it; in a folder named with `--output`, report.json is removed first and
/// written last, so its presence means the run's files are all there. A process killed at any point
/// leaves at most a hidden staging folder, removed by the next run.
public struct RunFolder {
    public let directory: String
    public let isDefault: Bool
    public let reportsDir: String
    /// Called with the staging (or explicit) folder once every file but report.json is written: tests stop a
    /// write here to see what a killed run leaves behind.
    var beforeReportJSON: ((String) throws -> Void)?

    public init(path: String?, reportsDir: String, generatedAt: String) {
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

    public var displayPath: String { directory }

    /// Staging folders are `.partial-<pid>-<run>`.
    public static let stagingPrefix = ".partial-"

    public func write(_ report: AuditReport, formats: [ReportFormat], failOn: Severity, transcripts: [String: [UInt8]]) throws {
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
                try Self.atomicWrite(Data(RunbookRenderer().text(plan).utf8), to: "\(target)/remediation/\(plan.host).txt", durable: false)
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
        try beforeReportJSON?(target)
        try Self.atomicWrite(report.json(failOn: failOn).serialized(), to: "\(target)/report.json")
        if isDefault {
            guard rename(target, directory) == 0 else { throw Self.posixError("cannot move the run into \(directory)", errno) }
            Self.syncDirectory(reportsDir)
            try pointLatest()
        }
    }

    /// Staging folders of runs that died (their process is gone); a running writer's folder is left alone.
    public static func removeAbandonedStaging(in reportsDir: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: reportsDir) else { return }
        for name in names where name.hasPrefix(stagingPrefix) {
            let pid = name.dropFirst(stagingPrefix.count).prefix { $0.isNumber }
            guard let pid = Int32(pid), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(atPath: "\(reportsDir)/\(name)") }
        }
    }

    /// reports/latest → the newest run, replaced atomically (a new link renamed over the old one).
    public func pointLatest() throws {
        let link = "\(reportsDir)/latest"
        let temp = "\(reportsDir)/.latest-\(getpid())"
        try? FileManager.default.removeItem(atPath: temp)
        try FileManager.default.createSymbolicLink(atPath: temp, withDestinationPath: (directory as NSString).lastPathComponent)
        guard rename(temp, link) == 0 else { throw Self.posixError("cannot point \(link) at the run", errno) }
        Self.syncDirectory(reportsDir)
    }

    public static func atomicWrite(_ text: String, to path: String) throws { try atomicWrite(Data(text.utf8), to: path) }

    /// Writes `data` to a temporary file beside `path` and renames it over `path`: readers see the old
    /// file or the new one, never a part, even after a kill. `durable` also syncs the file and its folder
    /// (a power cut then keeps it too); callers writing many files sync once instead.
    public static func atomicWrite(_ data: Data, to path: String, durable: Bool = true) throws {
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

    public static func posixError(_ what: String, _ code: Int32) -> CocoaError {
        CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(what): \(String(cString: strerror(code)))"])
    }
}
