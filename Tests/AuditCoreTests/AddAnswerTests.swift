import Testing
@testable import AuditCore

/// An `add` the node answers "already configured" changed nothing; the text is assumed, so the match is tolerant
/// but never takes one origin for another.
@Suite struct AddAnswerTests {
    let a = "https://finessep.uccelab.tac", a8445 = "https://finessep.uccelab.tac:8445"

    @Test func theSimulatorsWordingAndOthersAreRecognised() {
        #expect(AddAnswer.alreadyPresent([a8445], output: "Origin \(a8445) is already configured.\n") == [a8445])
        #expect(AddAnswer.alreadyPresent([a8445], output: "Error: '\(a8445)' already exists in the allowed origins list\n") == [a8445])
        #expect(AddAnswer.alreadyPresent([a], output: "The origin \(a)/ is already present.") == [a])
        // Upper case from the node, a one-origin add answered without naming it.
        #expect(AddAnswer.alreadyPresent([a], output: "ORIGIN \(a.uppercased()) ALREADY CONFIGURED") == [a])
        #expect(AddAnswer.alreadyPresent([a], output: "Origin already exists.") == [a])
    }

    @Test func onlyTheOriginsNamedAreUnchangedAndAPrefixIsNotAName() {
        let out = "Origin \(a8445) is already configured.\nAllowed origin(s) added successfully: \(a)\n"
        #expect(AddAnswer.alreadyPresent([a, a8445], output: out) == [a8445])
        // `https://finessep.uccelab.tac` is a prefix of the :8445 origin, not the same word.
        #expect(AddAnswer.alreadyPresent([a], output: "Origin \(a8445) is already configured.") == [])
        // A line naming another origin does not count for a one-origin add.
        #expect(AddAnswer.alreadyPresent([a], output: "Origin https://other.test is already configured.") == [])
    }

    @Test func successAndFailureTextsAreNotAlreadyConfigured() {
        #expect(AddAnswer.alreadyPresent([a], output: "Allowed origin(s) added successfully: \(a)\n") == [])
        #expect(AddAnswer.alreadyPresent([a], output: "Invalid origin '\(a)'.\nExecuted command unsuccessfully\n") == [])
        #expect(AddAnswer.alreadyPresent([a], output: "") == [])
    }
}
