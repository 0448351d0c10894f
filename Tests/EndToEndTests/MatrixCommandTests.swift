import Foundation
import Testing
import TestSupport

/// `--matrix` through the binary: the grid before the table, only with the table, never coloured off a terminal.
@Suite struct MatrixCommandTests {
    @Test func gridBeforeTheTable() throws {
        let out = try temporaryDirectory("cors-audit-e2e")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", "inventory/transcripts/lab", "--output", out, "--matrix"])
        #expect(r.status == 1, "\(r.stderr)")
        let grid = try #require(r.stdout.range(of: "cluster uccelab · CUIC list: origin × node\n     cuicpub  cuicsub\n  a  ✓        ✓\n  b  ✓        ✗        ≠\n"))
        let table = try #require(r.stdout.range(of: "cluster uccelab — "))
        #expect(grid.upperBound < table.lowerBound)
        // The last line: the result, then its counts.
        #expect(r.stdout.split(separator: "\n").last?.hasPrefix("Result: DRIFT (exit 1)") == true, "\(r.stdout.suffix(200))")
        #expect(!r.stdout.contains("\u{1B}["))
        for line in r.stdout.split(separator: "\n") where r.stdout.range(of: String(line))!.lowerBound < table.lowerBound {
            #expect(line.count <= 80, "\(line)")
        }
    }

    @Test func onlyWithTheTable() throws {
        let r = try run(["audit", "--inventory", "inventory/lab.yaml", "--transcripts", "inventory/transcripts/lab", "--format", "json", "--matrix"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--matrix prints with the table"))
    }
}
