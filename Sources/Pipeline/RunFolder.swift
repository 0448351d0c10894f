import AuditCore
import CFileSync
import Foundation
import Reports

/// The report formats; several may be asked for at once (`--format table,json,html`).
public enum ReportFormat: String, CaseIterable, Sendable {
    case table, json, markdown, html, junit, prometheus, csv, mail

    public var fileName: String? {
        switch self {
        case .table: nil
        case .json: "report.json"
        case .markdown: "report.md"
        case .html: "report.html"
        case .junit: "junit.xml"
        case .prometheus: "cors_audit.prom"
        case .csv: "findings.csv"
        case .mail: "mail.txt"
        }
    }
}

/// One run's folder: report.json, the asked-for formats, remediation runbooks and session transcripts.
///
/// Nothing half-written is ever visible: every file is written to a temporary name, synced and renamed.
/// A run folder is built under a hidden staging name beside it and moved into place whole: a default one is
/// renamed, then `latest` is swapped to it; a folder named with `--output` that already exists is exchanged with
/// the staging folder in one step, so no file of an earlier run survives beside the new report.json. An existing
/// folder holding anything cors-audit does not write is refused, never emptied. A process killed at any point
/// leaves at most a hidden staging folder, removed by the next run.
public struct RunFolder {
    public let directory: String
    public let isDefault: Bool
    public let reportsDir: String
    /// Called with the staging (or explicit) folder once every file but report.json is written: tests stop a
    /// write here to see what a killed run leaves behind.
    public var beforeReportJSON: ((String) throws -> Void)?

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

    /// - Parameter json: the report's JSON when the caller already built it (`report.json(failOn:)`).
    public func write(_ report: AuditReport, formats: [ReportFormat], failOn: Severity, transcripts: [String: [UInt8]],
                      json: JSONValue? = nil) throws {
        let target: String
        if isDefault {
            try Self.makeDirectory(reportsDir)
            Self.removeAbandonedStaging(in: reportsDir)
            target = "\(reportsDir)/\(Self.stagingPrefix)\(getpid())-\((directory as NSString).lastPathComponent)"
            try? FileManager.default.removeItem(atPath: target)
        } else {
            // Checked before any work and again just before the swap: a folder of someone else's files is never replaced.
            if let foreign = Self.foreignEntry(in: directory) { throw Self.refusal(directory, foreign) }
            let (parent, name) = Self.split(directory)
            try Self.makeDirectory(parent)
            Self.removeAbandonedStaging(in: parent, prefix: Self.outputStagingPrefix(name))
            target = "\(parent)/\(Self.outputStagingPrefix(name))\(getpid())-\(Self.randomSuffix())"
        }
        try Self.makeDirectory(target, intermediate: false)
        for format in formats {
            let text: String
            switch format {
            case .table, .json: continue
            case .markdown: text = MarkdownRenderer(failOn: failOn).render(report)
            case .html: text = HTMLRenderer(failOn: failOn).render(report)
            case .junit: text = JUnitRenderer(failOn: failOn).render(report)
            case .prometheus: text = PrometheusRenderer().render(report)
            case .csv: text = CSVRenderer().render(report)
            case .mail: text = MailRenderer(failOn: failOn).render(report)
            }
            try Self.atomicWrite(Data(text.utf8), to: "\(target)/\(format.fileName!)", durable: false)
        }
        if !report.plans.isEmpty {
            try Self.makeDirectory("\(target)/remediation", intermediate: false)
            for plan in report.plans {
                try Self.atomicWrite(Data(RunbookRenderer().text(plan).utf8), to: "\(target)/remediation/\(plan.host).txt", durable: false)
                try Self.atomicWrite(Data(RunbookRenderer().markdown(plan, findings: report.findings).utf8),
                                     to: "\(target)/remediation/\(plan.host).md", durable: false)
            }
        }
        if let keys = Self.newHostKeys(report) {
            try Self.atomicWrite(Data(keys.utf8), to: "\(target)/\(Self.newHostKeysName)", durable: false)
        }
        if !transcripts.isEmpty {
            try Self.makeDirectory("\(target)/transcripts", intermediate: false)
            for (host, bytes) in transcripts.sorted(by: { $0.key < $1.key }) {
                try Self.atomicWrite(Data(bytes), to: "\(target)/transcripts/\(host).txt", durable: false)
            }
        }
        // One filesystem sync for all the files above (not one per file: a fleet run writes hundreds),
        // before report.json vouches for them.
        Self.syncFileSystem(containing: target)
        try beforeReportJSON?(target)
        // In pieces: a fleet's report.json runs to megabytes, and the whole text beside its tree was the run's peak memory.
        let json = json ?? report.json(failOn: failOn)
        try Self.atomicWrite(to: "\(target)/report.json") { write in
            json.serialize { piece in piece.withUTF8 { write(UnsafeRawBufferPointer($0)) } }
        }
        if isDefault {
            guard rename(target, directory) == 0 else { throw Self.posixError("cannot move the run into \(directory)", errno) }
            Self.syncDirectory(reportsDir)
            try pointLatest()
        } else {
            try Self.moveIntoPlace(target, directory)
        }
    }

    // MARK: - An explicit folder (--output), replaced whole

    /// Staging folders of an `--output DIR` sit beside it: `.DIR.partial-<pid>-<random>`.
    static func outputStagingPrefix(_ name: String) -> String { ".\(name)\(stagingPrefix.dropLast())-" }

    /// The folder's parent (never empty) and its own name.
    static func split(_ path: String) -> (parent: String, name: String) {
        let standard = URL(fileURLWithPath: path).standardizedFileURL.path
        let parent = (standard as NSString).deletingLastPathComponent
        return (parent.isEmpty ? "/" : parent, (standard as NSString).lastPathComponent)
    }

    /// Puts the finished staging folder at `directory`: a rename when nothing is there, else an atomic exchange (readers
    /// see the whole old run or the whole new one), after which the old run, now under the staging name, is removed.
    static func moveIntoPlace(_ staging: String, _ directory: String) throws {
        let (parent, _) = split(directory)
        var old = stat()
        if lstat(directory, &old) != 0 {
            guard errno == ENOENT else { throw posixError("cannot replace \(directory)", errno) }
            if rename(staging, directory) == 0 { syncDirectory(parent); return }
            // Created meanwhile: checked and exchanged below like any existing folder.
            guard errno == ENOTEMPTY || errno == EEXIST, lstat(directory, &old) == 0 else {
                let code = errno
                try? FileManager.default.removeItem(atPath: staging)
                throw posixError("cannot move the run into \(directory)", code)
            }
        }
        if let foreign = foreignEntry(in: directory) {
            try? FileManager.default.removeItem(atPath: staging)
            throw refusal(directory, foreign)
        }
        // The folder keeps its owner, group and mode (a web server's group may read it).
        _ = chown(staging, old.st_uid, old.st_gid)
        _ = chmod(staging, old.st_mode & 0o7777)
        if cors_audit_exchange(staging, directory) != 0 {
            // No atomic exchange on this system or filesystem: move the old run aside, then the new one in.
            let aside = "\(staging).old"
            guard rename(directory, aside) == 0 else {
                let code = errno
                try? FileManager.default.removeItem(atPath: staging)
                throw posixError("cannot replace \(directory)", code)
            }
            guard rename(staging, directory) == 0 else {
                let code = errno
                _ = rename(aside, directory)
                throw posixError("cannot move the run into \(directory)", code)
            }
            syncDirectory(parent)
            try? FileManager.default.removeItem(atPath: aside)
            return
        }
        syncDirectory(parent)
        try? FileManager.default.removeItem(atPath: staging)
    }

    static func refusal(_ directory: String, _ problem: String) -> WriteError {
        WriteError(description: "--output \(directory) \(problem); the folder is replaced whole by each run, so name a new or empty folder, or one only cors-audit writes")
    }

    /// A file or folder that could not be written, in words.
    public struct WriteError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Why `directory` may not be replaced, in words ("holds DIR/notes.txt, which cors-audit does not write"): the first
    /// entry a run, a runbook or an apply of cors-audit would not have written; nil when there is none, or no folder.
    /// Unknown host keys of the run (strict policy), as known_hosts lines to check and append: one file, not one
    /// long line per node on the terminal.
    public static let newHostKeysName = "known_hosts.new"

    /// The `known_hosts.new` text of `report`, nil when no node presented an unknown key.
    public static func newHostKeys(_ report: AuditReport) -> String? {
        let nodes = report.nodes.filter { $0.newHostKey != nil }
        guard !nodes.isEmpty else { return nil }
        var text = "# Host keys presented by \(nodes.count) node\(nodes.count == 1 ? "" : "s") that known_hosts does not hold (cors-audit run \(report.generatedAt)).\n"
            + "# Check each fingerprint against the node itself before appending these lines to known_hosts, or audit once with --accept-new-host-keys.\n"
        for node in nodes { text += node.newHostKey! + "\n" }
        return text
    }

    static func foreignEntry(in directory: String) -> String? {
        var info = stat()
        guard lstat(directory, &info) == 0 else { return errno == ENOENT ? nil : "cannot be examined: \(String(cString: strerror(errno)))" }
        if info.st_mode & S_IFMT == S_IFLNK { return "is a symbolic link (name the folder it points to)" }
        guard info.st_mode & S_IFMT == S_IFDIR else { return "is not a folder" }
        return foreign(in: directory, level: .run).map { "holds \($0), which cors-audit does not write" }
    }

    private enum Level { case run, remediation, transcripts }

    private static func foreign(in directory: String, level: Level) -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return directory }
        for name in names.sorted() {
            let path = "\(directory)/\(name)"
            var info = stat()
            guard lstat(path, &info) == 0 else { return path }
            let isFile = info.st_mode & S_IFMT == S_IFREG, isFolder = info.st_mode & S_IFMT == S_IFDIR
            // A temporary file or a staging folder (after/) of a killed write.
            if isFile, name.hasPrefix("."), name.contains(temporaryInfix) { continue }
            if isFolder, name.hasPrefix("."), name.contains(stagingPrefix.dropFirst()) { continue }
            switch level {
            case .run:
                if isFile, ReportFormat.allCases.contains(where: { $0.fileName == name }) || name == Self.newHostKeysName { continue }
                if isFolder, name == "remediation", foreign(in: path, level: .remediation) == nil { continue }
                if isFolder, name == "transcripts", foreign(in: path, level: .transcripts) == nil { continue }
            case .remediation:
                // Runbooks (<host>.txt, .md), apply records (apply-<host>.json, apply.md), their sessions, the after-state run.
                if isFile, name.hasSuffix(".txt") || name.hasSuffix(".md") || (name.hasPrefix("apply-") && name.hasSuffix(".json")) { continue }
                if isFolder, name == "apply-transcripts", foreign(in: path, level: .transcripts) == nil { continue }
                if isFolder, name == "after", foreign(in: path, level: .run) == nil { continue }
            case .transcripts:
                if isFile, name.hasSuffix(".txt") { continue }
            }
            return path
        }
        return nil
    }

    /// A folder (and its missing parents) made 0750: reports name nodes, lists and the organisation's origins.
    public static func makeDirectory(_ path: String, intermediate: Bool = true) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: intermediate,
                                                attributes: [.posixPermissions: 0o750])
    }

    /// Staging folders of runs that died (their process is gone); a running writer's folder is left alone.
    public static func removeAbandonedStaging(in reportsDir: String, prefix: String = stagingPrefix) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: reportsDir) else { return }
        for name in names where name.hasPrefix(prefix) {
            let pid = name.dropFirst(prefix.count).prefix { $0.isNumber }
            guard let pid = Int32(pid), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(atPath: "\(reportsDir)/\(name)") }
        }
    }

    /// reports/latest → the newest run, replaced atomically (a new link renamed over the old one).
    public func pointLatest() throws {
        let link = "\(reportsDir)/latest"
        let temp = "\(reportsDir)/.latest-\(Self.randomSuffix())"
        try? FileManager.default.removeItem(atPath: temp)
        try FileManager.default.createSymbolicLink(atPath: temp, withDestinationPath: (directory as NSString).lastPathComponent)
        guard rename(temp, link) == 0 else { throw Self.posixError("cannot point \(link) at the run", errno) }
        Self.syncDirectory(reportsDir)
    }

    public static func atomicWrite(_ text: String, to path: String) throws { try atomicWrite(Data(text.utf8), to: path) }

    public static func atomicWrite(_ data: Data, to path: String, durable: Bool = true) throws {
        try atomicWrite(to: path, durable: durable) { write in data.withUnsafeBytes { write($0) } }
    }

    /// Writes what `produce` hands its `write` (in as many pieces as it likes, so a large file is never whole in memory)
    /// to a temporary file beside `path` and renames it over `path`: readers see the old file or the new one, never a
    /// part, even after a kill. `durable` also syncs the file and its folder
    /// (a power cut then keeps it too); callers writing many files sync once instead.
    ///
    /// The temporary file is created new (`O_EXCL`, never through a symbolic link) under a random name: in a folder
    /// others can write (node_exporter's textfile folder), a link planted at a guessable name cannot turn the write
    /// into an overwrite of another file. New files are made 0640 with the folder's group; a file replaced keeps its
    /// group and read bits.
    public static func atomicWrite(to path: String, durable: Bool = true,
                                   _ produce: (_ write: (UnsafeRawBufferPointer) -> Void) -> Void) throws {
        let folder = (path as NSString).deletingLastPathComponent
        var temp = ""
        var fd: Int32 = -1
        for _ in 0..<8 {
            temp = (folder.isEmpty ? "." : folder) + "/." + (path as NSString).lastPathComponent + temporaryInfix + randomSuffix()
            fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o640)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw posixError("cannot write \(path)", errno) }
        // A file replaced keeps its group and its read bits (node_exporter must still read a textfile it could read);
        // a new one gets the folder's group. Never group- or world-writable, never executable.
        var existing = stat(), parent = stat()
        if lstat(path, &existing) == 0, existing.st_mode & S_IFMT == S_IFREG {
            _ = fchown(fd, uid_t.max, existing.st_gid)
            _ = fchmod(fd, (existing.st_mode & 0o644) | 0o600)
        } else if stat(folder.isEmpty ? "." : folder, &parent) == 0 {
            _ = fchown(fd, uid_t.max, parent.st_gid)
        }
        var failure: Int32 = 0
        produce { buffer in
            var offset = 0
            while failure == 0, offset < buffer.count {
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

    /// Temporary files are `.<name>.tmp-<random>`.
    static let temporaryInfix = ".tmp-"

    /// 64 random bits in hex, from the system's generator: a name nobody can guess ahead.
    static func randomSuffix() -> String {
        let n = UInt64.random(in: .min ... .max)
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
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

    public static func posixError(_ what: String, _ code: Int32) -> WriteError {
        WriteError(description: "\(what): \(String(cString: strerror(code)))")
    }
}
