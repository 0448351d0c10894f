import Foundation
import Testing

/// Compares `actual` with the golden file `folder/name` (relative to the package root), or rewrites it when
/// RECORD_GOLDEN=1; a difference is reported at its first differing line.
public func expectGolden(_ actual: String, _ name: String, in folder: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let path = "\(repoRoot)/\(folder)/\(name)"
    if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
        try! actual.write(toFile: path, atomically: true, encoding: .utf8)
        // A recording run compares nothing: it must never read as a pass.
        Issue.record("recorded golden file \(name) (RECORD_GOLDEN=1): review the diff and run again without it", sourceLocation: sourceLocation)
        return
    }
    guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
        Issue.record("golden file \(name) missing: run with RECORD_GOLDEN=1", sourceLocation: sourceLocation)
        return
    }
    if expected != actual {
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let first = Array(zip(a, e)).firstIndex { $0 != $1 } ?? min(a.count, e.count)
        Issue.record("""
            \(name) differs from its golden file at line \(first + 1):
              expected: \(first < e.count ? String(e[first]) : "<end>")
              actual:   \(first < a.count ? String(a[first]) : "<end>")
            (RECORD_GOLDEN=1 rewrites it)
            """, sourceLocation: sourceLocation)
    }
}
