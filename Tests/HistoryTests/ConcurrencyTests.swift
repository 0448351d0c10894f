import Foundation
import GRDB
import Testing
import TestSupport
@testable import AuditCore
import History

/// Errors collected from several threads.
final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [String] = []
    func add(_ error: Error) { lock.lock(); errors.append("\(error)"); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return errors }
}

/// The database's own view of its health: integrity, foreign keys, and no row outside a recorded run.
func expectConsistent(_ path: String, runs: Int, nodesPerRun: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let db = try DatabaseQueue(path: path)
    try db.read { db in
        #expect(try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"], sourceLocation: sourceLocation)
        #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty, sourceLocation: sourceLocation)
        #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run") == runs, sourceLocation: sourceLocation)
        // Every run whole: all its nodes, each CUIC node with both lists and their origins.
        let perRun = try Int.fetchAll(db, sql: "SELECT (SELECT COUNT(*) FROM node WHERE run_id = run.id) FROM run")
        #expect(perRun.allSatisfy { $0 == nodesPerRun }, "nodes per run: \(perRun)", sourceLocation: sourceLocation)
        let nodeCounts = try Int.fetchAll(db, sql: "SELECT node_count FROM run")
        #expect(nodeCounts.allSatisfy { $0 == nodesPerRun }, sourceLocation: sourceLocation)
        let listsWithoutOrigins = try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM node_list l JOIN node n ON n.id = l.node_id
            WHERE n.product = 'cuic' AND NOT EXISTS (SELECT 1 FROM list_origin o WHERE o.list_id = l.id)
            """)
        #expect(listsWithoutOrigins == 0, sourceLocation: sourceLocation)
        let findingsPerRun = try Int.fetchAll(db, sql: """
            SELECT (SELECT COUNT(*) FROM finding WHERE run_id = run.id) - error_count - warning_count - info_count FROM run
            """)
        #expect(findingsPerRun.allSatisfy { $0 == 0 }, sourceLocation: sourceLocation)
    }
}

@Suite struct ConcurrencyTests {
    @Test func twoConnectionsWritingAtOnceBothLand() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/history.sqlite"
        let audit = try labAudit()
        let errors = ErrorBox()
        // Two stores (two connection pools, as two processes would have), opened at once on a fresh file.
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            do {
                let store = try HistoryStore(path: path)
                for _ in 0..<25 { try store.record(audit) }
            } catch {
                errors.add(error)
            }
        }
        #expect(errors.all.isEmpty, "\(errors.all)")
        try expectConsistent(path, runs: 50, nodesPerRun: 4)
    }

    @Test func twoProcessesWritingAtOnceBothLand() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/history.sqlite"
        let writer = product("history-test-writer")
        // Both start on a file that does not exist yet: creating it, WAL and the migration race too.
        let a = try StartedProcess(writer, [path, labInventoryPath, labTranscripts, "30"])
        let b = try StartedProcess(writer, [path, labInventoryPath, labTranscripts, "30"])
        let ra = try a.finish(), rb = try b.finish()
        #expect(ra.status == 0, "\(ra.stderr)")
        #expect(rb.status == 0, "\(rb.stderr)")
        try expectConsistent(path, runs: 60, nodesPerRun: 4)
    }

    @Test func aWriterWaitsForAnotherWritersTransactionUpToTheBusyTimeout() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/history.sqlite"
        try HistoryStore(path: path).record(report(labNodes()))

        // Another connection holds the write lock for a second.
        let holder = try DatabaseQueue(path: path)
        let locked = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? holder.write { db in
                try db.execute(sql: "INSERT INTO baseline (run_id, approved_at) VALUES (1, 'held')")
                locked.signal()
                Thread.sleep(forTimeInterval: 1.0)
            }
            done.signal()
        }
        // Bounded: a holder that never takes the lock fails the test instead of hanging the suite.
        try #require(locked.wait(timeout: .now() + 30) == .success, "the other connection never took the write lock")
        // Without waiting, the write fails at once ...
        #expect(throws: DatabaseError.self) { try HistoryStore(path: path, busyTimeout: 0).record(report(labNodes())) }
        // ... with the busy timeout it waits for the other transaction and lands.
        let start = Date()
        let id = try HistoryStore(path: path).record(report(labNodes()))
        #expect(Date().timeIntervalSince(start) > 0.3)
        #expect(done.wait(timeout: .now() + 30) == .success, "the other connection never finished")
        #expect(id == 2)
        try expectConsistent(path, runs: 2, nodesPerRun: 4)
    }

    @Test func aWriterKilledMidTransactionLeavesTheDatabaseConsistent() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/history.sqlite"
        let store = try HistoryStore(path: path)
        try store.record(try labAudit(generatedAt: "2026-11-24T02:15:00Z"))
        try store.record(try labAudit(generatedAt: "2026-11-25T02:15:00Z"))
        let before = try store.runs()

        // A child writes every row of a third run inside its transaction, says so, and is killed before committing.
        let marker = "\(dir)/in-transaction"
        let child = try StartedProcess(product("history-test-writer"), [path, labInventoryPath, labTranscripts, "hang", marker])
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: marker), child.isRunning, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(FileManager.default.fileExists(atPath: marker), "the writer never reached its transaction")
        // The run's rows reached the WAL file, uncommitted, before the kill: the kill hits data on disk.
        let wal = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(wal > 500_000, "WAL holds \(wal) bytes")
        kill(child.pid, SIGKILL)
        let result = try child.finish()
        #expect(result.status == SIGKILL, "\(result.stderr)")
        #expect(result.signaled)

        // The two earlier runs are intact, the killed one left nothing, and writing goes on.
        try expectConsistent(path, runs: 2, nodesPerRun: 4)
        let reopened = try HistoryStore(path: path)
        #expect(try reopened.runs() == before)
        #expect(try reopened.snapshot(run: 2)?.nodes.count == 4)
        let next = try reopened.record(try labAudit(generatedAt: "2026-11-26T02:15:00Z"))
        #expect(next == 3)
        #expect(try reopened.drift(against: .previous).changes.isEmpty)
        try expectConsistent(path, runs: 3, nodesPerRun: 4)
    }
}
