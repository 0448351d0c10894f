import CLIParsers
import Foundation
import Testing

/// Golden files: inputs and expected JSON under `Golden/`, read from the test bundle; with
/// `RECORD_GOLDEN=1` the expected files are written into the source tree instead of compared.
enum Golden {
    struct Missing: Error, CustomStringConvertible {
        let name: String
        var description: String { "golden input \(name) is not in the test bundle" }
    }

    static var recording: Bool { ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" }

    // The bundle holds a copy made at build time; recording must reach the files under version control.
    static let sourceFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func url(_ name: String) throws -> URL {
        guard let base = Bundle.module.resourceURL else { throw Missing(name: name) }
        let url = base.appendingPathComponent("Golden").appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Missing(name: name) }
        return url
    }

    /// The input file decoded as a node's bytes would be: invalid UTF-8 replaced, nothing else touched.
    static func input(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: url(name)), as: UTF8.self)
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }

    /// Compares `value` as JSON with `Golden/<name>.json`, or records it when `RECORD_GOLDEN=1`.
    static func check<T: Encodable>(_ value: T, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let actual = try json(value)
        let file = name + ".json"
        if recording {
            try Data(actual.utf8).write(to: sourceFolder.appendingPathComponent(file))
            // A recording run compares nothing: it must never read as a pass.
            Issue.record("recorded golden \(file) (RECORD_GOLDEN=1): review the diff, rebuild, run again without it", sourceLocation: sourceLocation)
            return
        }
        guard let expected = try? String(decoding: Data(contentsOf: url(file)), as: UTF8.self) else {
            Issue.record("golden \(file) is missing; record it with RECORD_GOLDEN=1. Actual:\n\(actual)", sourceLocation: sourceLocation)
            return
        }
        if expected != actual, !sameJSON(expected, actual) {
            Issue.record("golden \(file) differs (- expected, + actual; RECORD_GOLDEN=1 re-records):\n\(diff(expected, actual))",
                         sourceLocation: sourceLocation)
        }
    }

    /// Equal as JSON values: pretty-printers differ in layout (empty arrays, spacing) between platforms.
    static func sameJSON(_ a: String, _ b: String) -> Bool {
        guard let x = try? JSONSerialization.jsonObject(with: Data(a.utf8), options: [.fragmentsAllowed]) as? NSObject,
              let y = try? JSONSerialization.jsonObject(with: Data(b.utf8), options: [.fragmentsAllowed]) as? NSObject
        else { return false }
        return x.isEqual(y)
    }

    /// A line diff with a little context, small enough to read in a test log.
    static func diff(_ expected: String, _ actual: String) -> String {
        let a = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = actual.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Longest common subsequence table, from the end, so the walk below goes forwards.
        var lcs = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var ops: [(Character, String)] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                ops.append((" ", a[i])); i += 1; j += 1
            } else if i < a.count, j == b.count || lcs[i + 1][j] >= lcs[i][j + 1] {
                ops.append(("-", a[i])); i += 1
            } else {
                ops.append(("+", b[j])); j += 1
            }
        }
        let changed = ops.indices.filter { ops[$0].0 != " " }
        let shown = Set(changed.flatMap { max(0, $0 - 2)...min(ops.count - 1, $0 + 2) })
        var out: [String] = []
        var last = -1
        for k in shown.sorted() {
            if last >= 0, k != last + 1 { out.append("   ...") }
            out.append("\(ops[k].0) \(ops[k].1)")
            last = k
        }
        return out.joined(separator: "\n")
    }
}

/// Variants of a capture as other paths would deliver it.
enum Variant {
    static let esc = "\u{1B}"

    static func crlf(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
    }

    static func loneCR(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r")
    }

    /// Without its first line (the echo).
    static func withoutFirstLine(_ text: String) -> String {
        text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).dropFirst().joined()
    }

    static let banner = """
        Command Line Interface is starting up, please wait ...

           Welcome to the Platform Command Line Interface

        VMware Installation:
        \t2 vCPU: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz
        \tDisk 1: 146GB, Partitions aligned
        \t8192 Mbytes RAM

        """

    /// Banner and an empty prompt before, prompts after.
    static func surrounded(_ text: String) -> String {
        banner + "admin:\n" + text + "admin:\nadmin[7]: \n"
    }

    /// As raw SSH bytes: CRLF, `ESC[K` before the echo and the trailing prompt, the first non-blank
    /// line after the echo in bold.
    static func ansiWrapped(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let echo = lines.firstIndex { $0.hasPrefix("admin") }
        if let echo { lines[echo] = esc + "[K" + lines[echo] }
        let from = (echo ?? -1) + 1
        if let first = lines.indices.first(where: { $0 >= from && !lines[$0].allSatisfy(\.isWhitespace) }) {
            lines[first] = esc + "[1m" + lines[first] + esc + "[0m"
        }
        return lines.joined(separator: "\r\n") + esc + "[Kadmin:"
    }
}

/// The kind and detail of an outcome, for tables that mix parsers.
struct OutcomeSummary: Codable, Equatable {
    var outcome: String
    var detail: String

    init<T>(_ o: ParseOutcome<T>) {
        switch o {
        case .parsed(let value): (outcome, detail) = ("parsed", String(describing: value))
        case .failed(let marker): (outcome, detail) = ("failed", marker)
        case .unparsed(let reason): (outcome, detail) = ("unparsed", reason)
        }
    }
}
