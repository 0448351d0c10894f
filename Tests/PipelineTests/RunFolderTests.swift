import AuditCore
import Foundation
@testable import Pipeline
import Testing
import TestSupport

/// The run folder's promise: nothing half-written is ever visible, and report.json vouches for the rest.
@Suite struct RunFolderTests {
    struct Stop: Error {}

    func labReport() throws -> AuditReport {
        let (inventory, observations) = try labObservations()
        return Auditor.audit(inventory: inventory, observations: observations, generatedAt: "2026-11-26T09:00:00Z")
    }

    @Test func aDefaultRunIsStagedThenMovedIntoPlaceWhole() throws {
        let reports = try temporaryDirectory("runfolder")
        defer { try? FileManager.default.removeItem(atPath: reports) }
        let report = try labReport()
        var folder = RunFolder(path: nil, reportsDir: reports, generatedAt: report.generatedAt)
        var staged: String?
        folder.beforeReportJSON = { target in
            staged = target
            // Every other file is in the staging folder, and nothing is at the run's name yet.
            #expect(FileManager.default.fileExists(atPath: target + "/report.html"))
            #expect(FileManager.default.fileExists(atPath: target + "/remediation/cuicsub.uccelab.tac.txt"))
            #expect(!FileManager.default.fileExists(atPath: target + "/report.json"))
            #expect(!FileManager.default.fileExists(atPath: folder.directory))
            throw Stop()
        }
        #expect(throws: Stop.self) { try folder.write(report, formats: [.table, .html], failOn: .warning, transcripts: [:]) }
        let staging = try #require(staged)
        #expect((staging as NSString).lastPathComponent.hasPrefix(RunFolder.stagingPrefix + "\(getpid())-"))
        // A stopped run leaves only its staging folder: no run folder, no `latest`.
        #expect(!FileManager.default.fileExists(atPath: folder.directory))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: reports + "/latest")) == nil)

        // The next, finished run: its folder whole, report.json in it, `latest` pointing at it.
        folder.beforeReportJSON = nil
        try folder.write(report, formats: [.table, .html], failOn: .warning, transcripts: [:])
        #expect(FileManager.default.fileExists(atPath: folder.directory + "/report.json"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: reports + "/latest") == (folder.directory as NSString).lastPathComponent)
        #expect(try FileManager.default.contentsOfDirectory(atPath: reports).filter { $0.hasPrefix(".") && !$0.hasPrefix(RunFolder.stagingPrefix) } == [])
    }

    @Test func anExplicitFolderKeepsTheWholeOldRunUntilTheNewOneReplacesIt() throws {
        let parent = try temporaryDirectory("runfolder-explicit")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let out = parent + "/out"
        let report = try labReport()
        // An earlier run with runbooks, transcripts and a Markdown report.
        try RunFolder(path: out, reportsDir: out, generatedAt: report.generatedAt)
            .write(report, formats: [.markdown], failOn: .warning, transcripts: ["cuicpub.uccelab.tac": Array("old".utf8)])
        #expect(FileManager.default.fileExists(atPath: out + "/remediation/cuicsub.uccelab.tac.txt"))
        var folder = RunFolder(path: out, reportsDir: out, generatedAt: report.generatedAt)
        folder.beforeReportJSON = { target in
            // Staged beside the folder, which still holds the old run whole.
            #expect((target as NSString).deletingLastPathComponent == parent)
            #expect((target as NSString).lastPathComponent.hasPrefix(".out.partial-\(getpid())-"))
            #expect(FileManager.default.fileExists(atPath: target + "/report.html"))
            #expect(FileManager.default.fileExists(atPath: out + "/report.json"))
            #expect(FileManager.default.fileExists(atPath: out + "/report.md"))
            throw Stop()
        }
        #expect(throws: Stop.self) { try folder.write(report, formats: [.html], failOn: .warning, transcripts: [:]) }
        #expect(try String(contentsOfFile: out + "/transcripts/cuicpub.uccelab.tac.txt", encoding: .utf8) == "old")

        // Finished: exactly the new run's files, nothing of the old one beside them (before: report.md and the
        // transcripts of the earlier run stayed next to the new report.json).
        folder.beforeReportJSON = nil
        var clean = report
        clean.plans = []
        try folder.write(clean, formats: [.html], failOn: .warning, transcripts: [:])
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["report.html", "report.json"])
        #expect(try readJSON(out + "/report.json")["schema"] as? String == AuditReport.schema)
    }

    @Test func anExplicitFolderHoldingFilesCorsAuditDoesNotWriteIsRefusedAndLeftAlone() throws {
        let parent = try temporaryDirectory("runfolder-foreign")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let report = try labReport()
        for (name, setup) in [("notes", { (out: String) in try "mine".write(toFile: out + "/notes.txt", atomically: true, encoding: .utf8) }),
                              ("nested", { (out: String) in
                                  try FileManager.default.createDirectory(atPath: out + "/transcripts/sub", withIntermediateDirectories: true) }),
                              ("link", { (out: String) in
                                  try FileManager.default.createSymbolicLink(atPath: out + "/report.md", withDestinationPath: "/etc/hostname") })] {
            let out = parent + "/" + name
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try setup(out)
            let before = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
            #expect(throws: (any Error).self) {
                try RunFolder(path: out, reportsDir: out, generatedAt: report.generatedAt).write(report, formats: [.markdown], failOn: .warning, transcripts: [:])
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == before, "\(name)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).sorted() == ["link", "nested", "notes"], "no staging left")
        // A symbolic link named as the folder is refused too: the swap would replace the link, not write where it points.
        try FileManager.default.createSymbolicLink(atPath: parent + "/alias", withDestinationPath: parent + "/notes")
        #expect(RunFolder.foreignEntry(in: parent + "/alias")?.contains("symbolic link") == true)
    }

    @Test func filesAre0640AndFolders0750() throws {
        let reports = try temporaryDirectory("runfolder-modes")
        defer { try? FileManager.default.removeItem(atPath: reports) }
        let report = try labReport()
        let folder = RunFolder(path: nil, reportsDir: reports + "/reports", generatedAt: report.generatedAt)
        try folder.write(report, formats: [.html, .prometheus], failOn: .warning, transcripts: ["cuicpub.uccelab.tac": Array("admin:".utf8)])
        func mode(_ path: String) -> mode_t { var info = stat(); _ = lstat(path, &info); return info.st_mode & 0o777 }
        for dir in [reports + "/reports", folder.directory, folder.directory + "/remediation", folder.directory + "/transcripts"] {
            #expect(mode(dir) == 0o750, "\(dir): \(String(mode(dir), radix: 8))")
        }
        for file in ["report.json", "report.html", "cors_audit.prom", "remediation/cuicsub.uccelab.tac.md", "transcripts/cuicpub.uccelab.tac.txt"] {
            // 0640 under the usual umask; never readable by others, never writable by the group.
            #expect(mode(folder.directory + "/" + file) & 0o027 == 0, "\(file): \(String(mode(folder.directory + "/" + file), radix: 8))")
            #expect(mode(folder.directory + "/" + file) & 0o600 == 0o600)
        }
    }

    @Test func aReplacedFileKeepsItsReadBitsAndNeverGainsWriteOrExecuteBits() throws {
        let dir = try temporaryDirectory("runfolder-keep")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func mode(_ path: String) -> mode_t { var info = stat(); _ = lstat(path, &info); return info.st_mode & 0o777 }
        // node_exporter reads the textfile as another user: a file it could read stays readable.
        try RunFolder.atomicWrite("a\n", to: dir + "/cors_audit.prom")
        #expect(chmod(dir + "/cors_audit.prom", 0o644) == 0)
        try RunFolder.atomicWrite("b\n", to: dir + "/cors_audit.prom")
        #expect(mode(dir + "/cors_audit.prom") == 0o644)
        #expect(chmod(dir + "/cors_audit.prom", 0o777) == 0)
        try RunFolder.atomicWrite("c\n", to: dir + "/cors_audit.prom")
        #expect(mode(dir + "/cors_audit.prom") == 0o644)
    }

    @Test func atomicWriteNeverFollowsALinkPlantedAtTheTemporaryName() throws {
        let dir = try temporaryDirectory("runfolder-planted")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The file a root cron job must never overwrite, and links to it at the names the old writer used
        // (`.<name>.tmp-<pid>`, opened with O_TRUNC) for every pid nearby.
        let victim = dir + "/victim"
        try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
        let me = Int(getpid())
        for pid in [me] + Array(max(1, me - 50)...(me + 50)) where !FileManager.default.fileExists(atPath: dir + "/.cors_audit.prom.tmp-\(pid)") {
            try FileManager.default.createSymbolicLink(atPath: dir + "/.cors_audit.prom.tmp-\(pid)", withDestinationPath: victim)
        }
        try RunFolder.atomicWrite("metrics 1\n", to: dir + "/cors_audit.prom")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(try String(contentsOfFile: dir + "/cors_audit.prom", encoding: .utf8) == "metrics 1\n")
        var info = stat()
        #expect(lstat(dir + "/cors_audit.prom", &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
        // A link planted at the target name itself is replaced, never written through.
        try FileManager.default.removeItem(atPath: dir + "/cors_audit.prom")
        try FileManager.default.createSymbolicLink(atPath: dir + "/cors_audit.prom", withDestinationPath: victim)
        try RunFolder.atomicWrite("metrics 2\n", to: dir + "/cors_audit.prom")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(lstat(dir + "/cors_audit.prom", &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
        // Temporary names are random and new each time: no two writes use the same one.
        #expect(RunFolder.randomSuffix() != RunFolder.randomSuffix())
    }

    @Test func abandonedStagingOfADeadProcessIsRemovedALiveOneIsKept() throws {
        let reports = try temporaryDirectory("runfolder-staging")
        defer { try? FileManager.default.removeItem(atPath: reports) }
        // A pid that cannot be running: above the kernel's pid_max.
        let dead = reports + "/\(RunFolder.stagingPrefix)99999999-2026-11-26T09-00-00Z"
        let alive = reports + "/\(RunFolder.stagingPrefix)\(getppid())-2026-11-26T09-00-00Z"
        for folder in [dead, alive] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        RunFolder.removeAbandonedStaging(in: reports)
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: alive))
    }

    @Test func atomicWriteReplacesWholeAndLeavesNoTemporaryFile() throws {
        let dir = try temporaryDirectory("runfolder-atomic")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try RunFolder.atomicWrite("first\n", to: dir + "/file.txt")
        try RunFolder.atomicWrite("second\n", to: dir + "/file.txt")
        #expect(try String(contentsOfFile: dir + "/file.txt", encoding: .utf8) == "second\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["file.txt"])
        // A folder that does not exist: an error naming the file, nothing left behind.
        #expect(throws: (any Error).self) { try RunFolder.atomicWrite("x", to: dir + "/missing/file.txt") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["file.txt"])
    }
}
