import AuditCore
@testable import Collector
import Testing
import VOSShell

/// Issue 15 item 8: pager answers do not extend a step's deadline; a step has one total time limit.
@Suite struct StepDeadlineTests {
    @Test func aNodeThatPagesForeverCannotStretchAStep() throws {
        let driver = ApplyDriver(steps: [.command("utils cuic cors enable")], restartSteps: [],
                                 timeouts: Timeouts(connect: 5, login: 10, command: 3), restartTimeout: 900)
        let t0 = ContinuousClock.now
        _ = driver.shellOpened(now: t0)
        _ = driver.received(Array("admin:".utf8), now: t0)
        _ = driver.received(Array("set cli pagination off\r\nAutomatic pagination is turned off\r\nadmin:".utf8), now: t0 + .seconds(1))
        // The step's line is typed at t0 + 1 s: its limit is 3 s from then, whatever the node does.
        let stepDeadline = try #require(driver.deadline)
        #expect(stepDeadline == t0 + .seconds(4))
        var answered = 0
        for k in 1...50 {
            let now = t0 + .seconds(1) + .milliseconds(100 * k)
            let pager = "\r\nline \(k)\r\nPress <enter> for 1 line, <space> for one page, or <q> to quit"
            if case .send(let reply) = driver.received(Array(pager.utf8), now: now), reply == [0x20] { answered += 1 }
            #expect(driver.deadline == stepDeadline, "answer \(k) moved the deadline")
        }
        #expect(answered == 50)
    }

    @Test func eachStepStillGetsItsOwnLimit() throws {
        let driver = ApplyDriver(steps: [.command("utils cuic cors enable"), .command("utils cuic cors status")], restartSteps: [],
                                 timeouts: Timeouts(connect: 5, login: 10, command: 3), restartTimeout: 900)
        let t0 = ContinuousClock.now
        _ = driver.shellOpened(now: t0)
        #expect(driver.deadline == t0 + .seconds(10))
        _ = driver.received(Array("admin:".utf8), now: t0)
        _ = driver.received(Array("set cli pagination off\r\nadmin:".utf8), now: t0 + .seconds(1))
        #expect(driver.deadline == t0 + .seconds(4))
        _ = driver.received(Array("utils cuic cors enable\r\nCORS is enabled\r\nadmin:".utf8), now: t0 + .seconds(2))
        #expect(driver.deadline == t0 + .seconds(5))
    }

    @Test func absurdLimitsNeverTrap() {
        #expect(Timeouts.duration(.infinity) == .seconds(86_400))
        #expect(Timeouts.duration(1e300) == .seconds(86_400))
        #expect(Timeouts.duration(.nan) == .seconds(86_400))
        #expect(Timeouts.duration(-1) == .milliseconds(1))
        #expect(!Timeouts.isValid(.infinity) && !Timeouts.isValid(.nan) && !Timeouts.isValid(86_401) && !Timeouts.isValid(0))
        #expect(Timeouts.isValid(0.5) && Timeouts.isValid(86_400))
    }
}
