import Foundation
import Testing
import TestSupport
@testable import VOSShell

/// Issue 15 item 8: a node cannot make a conversation work or hold memory without bound.
@Suite struct BoundedTests {
    static func atPrompt<C>(_ c: inout C, _ receive: (inout C, [UInt8]) -> [UInt8]) {
        _ = receive(&c, Array("admin:".utf8))
        _ = receive(&c, Array("set cli pagination off\r\nAutomatic pagination is turned off\r\nadmin:".utf8))
    }

    /// Seconds to feed `total` bytes of `byte`, no line break, in reads of `chunk` bytes.
    static func flood(_ total: Int, chunk: Int, _ byte: UInt8, _ feed: (ArraySlice<UInt8>) -> Void) -> Double {
        let data = [UInt8](repeating: byte, count: total)
        let start = ContinuousClock.now
        var i = 0
        while i < data.count { feed(data[i..<min(i + chunk, data.count)]); i += chunk }
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// The apply's per-read tail check decoded the whole last line: 4 MiB without a line break in 1 KiB
    /// reads took 136 s (release build); it now looks at a bounded prefix and suffix of the line.
    @Test(arguments: [UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "e"), UInt8(ascii: "?")])
    func aNewlineFreeFloodInAStepCostsLinearTime(_ byte: UInt8) {
        let total = 2 << 20
        var apply = ApplyConversation(steps: [.command("utils cuic cors enable")])
        apply.maxOutputBytes = total + 1024
        Self.atPrompt(&apply) { $0.receive($1) }
        #expect(apply.currentStepIndex == 0)
        let applySeconds = Self.flood(total, chunk: 512, byte) { _ = apply.receive($0) }
        #expect(apply.currentStepIndex == 0 && apply.failure == nil)

        var audit = VOSConversation(commands: ["utils cuic cors allowed_origin list"], config: .init(maxOutputBytes: total + 1024))
        Self.atPrompt(&audit) { $0.receive($1) }
        let auditSeconds = Self.flood(total, chunk: 512, byte) { _ = audit.receive($0) }
        print("flood of \(total) bytes of \(UnicodeScalar(byte)) in 512-byte reads: apply \(applySeconds) s, audit \(auditSeconds) s")
        // Linear is about a second in a debug build on shared cores; quadratic was minutes.
        #expect(applySeconds < 20 && auditSeconds < 20)
    }

    @Test func whatArrivesAfterTheEndIsBoundedToo() {
        var audit = VOSConversation(commands: [], config: .init(disablePagination: false))
        _ = audit.receive(Array("admin:".utf8))
        #expect(audit.isDone)
        var apply = ApplyConversation(steps: [])
        _ = apply.receive(Array("admin:".utf8))
        _ = apply.receive(Array("set cli pagination off\r\nadmin:".utf8))
        #expect(apply.isDone)
        let (auditBefore, applyBefore) = (audit.transcript.count, apply.transcript.count)
        for _ in 0..<256 {
            _ = audit.receive([UInt8](repeating: 0x41, count: 4096))
            _ = apply.receive([UInt8](repeating: 0x41, count: 4096))
        }
        #expect(audit.transcript.count == auditBefore + (64 << 10))
        #expect(apply.transcript.count == applyBefore + (64 << 10))
    }

    @Test func theAuditLoginBannerIsCapped() {
        var c = VOSConversation(commands: ["show version active"], config: .init(maxBannerBytes: 64 << 10))
        var fed = 0
        while !c.isDone, fed < 8 << 20 {
            _ = c.receive([UInt8](repeating: UInt8(ascii: "x"), count: 4096) + [0x0D, 0x0A])
            fed += 4098
        }
        #expect(c.failure == .bannerLimit(limit: 64 << 10))
        #expect(c.state == .failed && c.results.allSatisfy { $0.outcome == .notRun })
        #expect(c.transcript.count <= (64 << 10) + 4098)
    }

    @Test func theApplyLoginBannerAndSetupAreCapped() {
        var login = ApplyConversation(steps: [.command("utils cuic cors enable")])
        login.maxBannerBytes = 64 << 10
        while !login.isDone, login.transcript.count < 8 << 20 { _ = login.receive([UInt8](repeating: 0x41, count: 4096)) }
        #expect(login.failure == .phaseLimit(.login, limit: 64 << 10))
        #expect(login.transcript.count <= (64 << 10) + 4096)
        #expect(login.results.allSatisfy { $0.outcome == .notRun })

        var setup = ApplyConversation(steps: [.command("utils cuic cors enable")])
        setup.maxOutputBytes = 64 << 10
        _ = setup.receive(Array("admin:".utf8))
        #expect(setup.phase == .setup)
        while !setup.isDone, setup.transcript.count < 8 << 20 { _ = setup.receive([UInt8](repeating: 0x41, count: 4096)) }
        #expect(setup.failure == .phaseLimit(.setup, limit: 64 << 10))
        #expect(setup.transcript.count <= (64 << 10) + 4096 + 6)
    }
}
