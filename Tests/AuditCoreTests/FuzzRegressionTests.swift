import Foundation
import FuzzInvariants
import Testing
@testable import AuditCore

/// Inputs the inventory fuzz target (Fuzz/, scripts/fuzz.sh) found, replayed through its checks.
@Suite struct FuzzRegressionTests {
    @Test func everyFoundInputKeepsItsInvariants() throws {
        let directory = try #require(Bundle.module.url(forResource: "FuzzRegressions", withExtension: nil))
        let inputs = try FuzzRegressions.inputs(in: directory)
        #expect(inputs.count == 3)
        for found in inputs {
            #expect(throws: Never.self, "\(found.name)") { try found.target.check(found.input) }
        }
    }

    // Found by the inventory target: errors at the top level (a document that is not a mapping, a
    // key that is not a plain name) had an empty key, printed as `file:1:1: : expected …`.
    @Test func topLevelErrorsNameTheDocument() throws {
        for yaml in ["c", "[1, 2]", "? [a]\n: 1\n", "\"\": 1\n"] {
            let errors = try #require(throws: InventoryErrors.self) {
                try InventoryLoader.parse(yaml: yaml, path: "inv.yaml", environment: [:])
            }
            #expect(errors.errors.allSatisfy { !$0.key.isEmpty }, "\(yaml): \(errors)")
            #expect(!errors.description.contains(": : "), "\(yaml): \(errors)")
        }
        let scalar = try #require(throws: InventoryErrors.self) { try InventoryLoader.parse(yaml: "c", path: "inv.yaml", environment: [:]) }
        #expect(scalar.errors.first?.key == "(document)")
    }
}
