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

    @Test func anExplicitFolderLosesItsOldReportJSONUntilTheNewOneIsComplete() throws {
        let out = try temporaryDirectory("runfolder-explicit")
        defer { try? FileManager.default.removeItem(atPath: out) }
        try Data("{\"old\": true}".utf8).write(to: URL(fileURLWithPath: out + "/report.json"))
        let report = try labReport()
        var folder = RunFolder(path: out, reportsDir: out, generatedAt: report.generatedAt)
        folder.beforeReportJSON = { target in
            #expect(target == out)
            #expect(FileManager.default.fileExists(atPath: out + "/report.md"))
            throw Stop()
        }
        #expect(throws: Stop.self) { try folder.write(report, formats: [.markdown], failOn: .warning, transcripts: [:]) }
        // The old report.json must not vouch for files this run did not finish.
        #expect(!FileManager.default.fileExists(atPath: out + "/report.json"))
        folder.beforeReportJSON = nil
        try folder.write(report, formats: [.markdown], failOn: .warning, transcripts: ["cuicpub.uccelab.tac": Array("admin:".utf8)])
        let json = try readJSON(out + "/report.json")
        #expect(json["schema"] as? String == AuditReport.schema)
        #expect(try String(contentsOfFile: out + "/transcripts/cuicpub.uccelab.tac.txt", encoding: .utf8) == "admin:")
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
