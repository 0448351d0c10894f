import Foundation

/// Entries of a /proc directory of this process (`fd`, `task`).
func procEntries(_ name: String) -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/\(name)")) ?? []).count
}

/// The entry count of /proc/self/NAME once it has not changed for 250 ms (threads that are
/// ending, descriptors being closed), bounded to 3 s.
func settledCount(_ name: String) async -> Int {
    var last = procEntries(name), steady = 0
    for _ in 0..<60 where steady < 5 {
        try? await Task.sleep(for: .milliseconds(50))
        let now = procEntries(name)
        steady = now == last ? steady + 1 : 0
        last = now
    }
    return last
}

/// What each descriptor of this process points at (for a leak's message).
func descriptorTargets() -> [String: String] {
    var result: [String: String] = [:]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
        result[entry] = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + entry)) ?? "?"
    }
    return result
}
