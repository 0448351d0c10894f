import Foundation

/// Inputs a fuzzer found, kept as regression tests next to the code they broke.
public enum FuzzRegressions {
    /// The inputs in `directory`, each file named `<target>-<what it broke>.bin`, with their target.
    public static func inputs(in directory: URL) throws -> [(name: String, target: FuzzTarget, input: [UInt8])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }.sorted()
        return try names.map { name in
            // The longest target name that prefixes the file name (`origin-list-numbered-…` before `origin-…`).
            guard let target = FuzzTarget.allCases.filter({ name.hasPrefix($0.rawValue + "-") }).max(by: { $0.rawValue.count < $1.rawValue.count })
            else { throw InvariantViolation(description: "\(name): no fuzz target prefixes the name") }
            return (name, target, Array(try Data(contentsOf: directory.appendingPathComponent(name))))
        }
    }
}
