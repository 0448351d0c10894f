import Foundation
import NIOConcurrencyHelpers

/// Appends each finished `utils service restart` as one JSON line (`RestartWindow`'s fields), so a test or a
/// person can see from outside the simulator when each node's services were down.
public final class RestartLog: Sendable {
    public let path: String
    private let handle: NIOLockedValueBox<FileHandle>

    /// Creates (or truncates) the file.
    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw SimulatorError("cannot create the restart log \(path)")
        }
        self.path = path
        self.handle = NIOLockedValueBox(handle)
    }

    func append(_ window: RestartWindow) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let line = try? encoder.encode(window) else { return }
        handle.withLockedValue { $0.write(line + Data("\n".utf8)) }
    }

    /// Every window in a restart log, in the order they ended.
    public static func read(path: String) throws -> [RestartWindow] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(RestartWindow.self, from: Data($0.utf8)) }
    }
}
