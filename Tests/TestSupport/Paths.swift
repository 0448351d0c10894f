import Foundation

/// The package root, found from this file's location (Tests/TestSupport/Paths.swift).
public let repoRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// A capture from the field (Tests/Fixtures/field, verbatim), by file name.
public func fieldCapture(_ name: String) -> String { "\(repoRoot)/Tests/Fixtures/field/\(name)" }

/// A product built beside the running test bundle (`cors-audit`, `vos-sim`, `history-test-writer`), nil when absent.
public func builtBinary(_ name: String) -> String? {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    while dir.path != "/" {
        let candidate = dir.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir.deleteLastPathComponent()
    }
    return nil
}

/// The built product's path; when it is missing, a path that names it, so running it fails saying what is absent.
public func product(_ name: String) -> String { builtBinary(name) ?? "/nonexistent/\(name) (not built beside the test bundle)" }

/// A fresh, empty directory under the system's temporary folder; the caller removes it.
public func temporaryDirectory(_ prefix: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A JSON object read from a file (reports, apply records).
public func readJSON(_ path: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] else {
        throw HarnessError("\(path): not a JSON object")
    }
    return object
}
