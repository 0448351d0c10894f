import Foundation
@testable import FuzzInvariants
import Testing

/// The committed fuzz corpus replayed through each entry point's invariant checks, without libFuzzer.
@Suite struct FuzzCorpusTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    @Test("every corpus input keeps its target's invariants", arguments: FuzzTarget.allCases)
    func corpus(_ target: FuzzTarget) throws {
        let directory = Self.fuzzDirectory.appendingPathComponent("Corpus").appendingPathComponent(target.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names.count >= 5, "a corpus of \(names.count) inputs for \(target.rawValue)")
        for name in names {
            let input = try Data(contentsOf: directory.appendingPathComponent(name))
            do {
                try target.check(Array(input))
            } catch {
                Issue.record("\(target.rawValue)/\(name): \(error)")
            }
        }
    }

    @Test("every entry point has a fuzz target", arguments: FuzzTarget.allCases)
    func fuzzTargetExists(_ target: FuzzTarget) throws {
        let source = Self.fuzzDirectory.appendingPathComponent("Targets/\(target.rawValue)/main.swift")
        let text = try String(contentsOf: source, encoding: .utf8)
        #expect(text.contains("LLVMFuzzerRunDriver") && text.contains("FuzzTarget.\(target)"))
    }

    /// The checks can fail: what an audit must never type is reported.
    @Test func typedLogRejectsConfirmationsAndDisorder() throws {
        var log = ConversationChecks.TypedLog(conversationLines: ["show version active"], setup: "set cli pagination off", lineEnding: "\n")
        #expect(throws: InvariantViolation.self) { try log.record(Array("y\n".utf8), done: false) }
        #expect(throws: InvariantViolation.self) { try log.record(Array("show version active\n".utf8), done: false) }
        try log.record(Array("set cli pagination off\n".utf8), done: false)
        try log.record(Array("no\n".utf8), done: false)
        try log.record(Array("show version active\n".utf8), done: false)
        try log.record(Array("exit\n".utf8), done: false)
        #expect(throws: InvariantViolation.self) { try log.record([0x20], done: true) }
    }

    @Test func originAnalysisCheckRejectsANonCanonicalEffectiveOrigin() {
        #expect(throws: Never.self) { try TextChecks.originAnalysis("https://finesse.example.com:8445") }
        #expect(throws: InvariantViolation.self) { try require(TextChecks.isOriginScalar("A"), "upper case") }
    }
}
