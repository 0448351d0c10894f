import AuditCore
import Foundation
import Pipeline
import Testing
import TestSupport

/// The pipeline's stages against real files: the lab's pasted transcripts and a real SQLite history.
@Suite struct AuditPipelineTests {
    var inventory: Inventory { get throws { try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml") } }

    @Test func transcriptSourceGivesWhatTheAuditorGivesOnTheSameTranscripts() async throws {
        let (inventory, observations) = try labObservations()
        var pipeline = AuditPipeline(source: TranscriptFolderSource(path: repoRoot + "/inventory/transcripts/lab"))
        pipeline.generatedAt = { "2026-11-26T09:00:00Z" }
        let result = await pipeline.run(inventory)
        #expect(result.report == Auditor.audit(inventory: inventory, observations: observations, generatedAt: "2026-11-26T09:00:00Z"))
        #expect(result.warnings.isEmpty)
        #expect(result.report.findings.contains { $0.kind == .missingOrigin && $0.host == "cuicsub.uccelab.tac" })
    }

    @Test func aMissingTranscriptLeavesItsNodePartialNeverClean() async throws {
        let dir = try temporaryDirectory("pipeline-transcripts")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: repoRoot + "/inventory/transcripts/lab/cuicpub.uccelab.tac.txt", toPath: dir + "/cuicpub.uccelab.tac.txt")
        let result = await AuditPipeline(source: TranscriptFolderSource(path: dir)).run(try inventory)
        let sub = try #require(result.report.nodes.first { $0.host == "cuicsub.uccelab.tac" })
        #expect(sub.status == .partial)
        #expect(sub.detail.contains("no transcript: \(dir)/cuicsub.uccelab.tac.txt is missing or unreadable"))
        #expect(result.report.verdict() == .incomplete)
    }

    @Test func theRecordStageWritesTheHistoryAndAFailureIsAWarningNotALostReport() async throws {
        let dir = try temporaryDirectory("pipeline-history")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = TranscriptFolderSource(path: repoRoot + "/inventory/transcripts/lab")
        let recorded = await AuditPipeline(source: source, history: .init(path: dir + "/history.sqlite", recordFailOn: .warning, readFormerEntries: false))
            .run(try inventory)
        #expect(recorded.warnings.isEmpty)
        #expect(FileManager.default.fileExists(atPath: dir + "/history.sqlite"))
        // A database path inside a regular file cannot be created: the run still has its report.
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/file"))
        let failed = await AuditPipeline(source: source, history: .init(path: dir + "/file/history.sqlite", recordFailOn: .warning, readFormerEntries: false))
            .run(try inventory)
        #expect(failed.warnings.count == 1)
        #expect(failed.warnings.first?.hasPrefix("could not record this run in the history \(dir)/file/history.sqlite") == true)
        #expect(failed.report.findings == recorded.report.findings)
    }
}
