import Foundation
import Testing
import TestSupport

@Suite struct DiscoverCommandTests {
    /// The refusals come before any connection: nothing is overwritten, no secret is taken from argv.
    @Test func refusalsExit64AndTouchNothing() throws {
        let dir = try temporaryDirectory("discover-cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let existing = dir + "/inventory.yaml"
        try "keep me\n".write(toFile: existing, atomically: true, encoding: .utf8)
        let kept = try run(["discover", "--host", "cuicpub.example.invalid", "--password-env", "M16_PW", "--output", existing],
                           environment: ["M16_PW": "x"])
        #expect(kept.status == 64)
        #expect(kept.stderr.contains("exists: not overwritten (--force overwrites it)"))
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "keep me\n")
        let noCredential = try run(["discover", "--host", "cuicpub.example.invalid"])
        #expect(noCredential.status == 64)
        let unset = try run(["discover", "--host", "cuicpub.example.invalid", "--password-env", "M16_UNSET_VARIABLE"])
        #expect(unset.status == 64 && unset.stderr.contains("M16_UNSET_VARIABLE is not set"))
        let badHost = try run(["discover", "--host", "cuic pub", "--password-env", "M16_PW"], environment: ["M16_PW": "x"])
        #expect(badHost.status == 64)
    }
}
