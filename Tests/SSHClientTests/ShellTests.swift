import Foundation
import SSHClient
import TestSupport
import Testing

extension SSHClientTests.SessionTests {
    @Test func nodeThatNeverPromptsHitsTheDriversDeadlineAndIsClosed() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(neverPrompt: true)])
        defer { fleet.stop() }
        let (results, seconds) = await runJobs([fleet.instances[0].target(knownHosts: nil, policy: .off)]) {
            PromptDriver(promptTimeout: .milliseconds(800))
        }
        let result = results[0]
        #expect(result.error == nil, "the driver's own timeout is its result, not a transport error")
        let shell = try #require(result.driverResult)
        #expect(shell.deadlineFired)
        #expect(!shell.sawPrompt)
        #expect(shell.text.contains("starting up, please wait"))
        #expect(shell.finishCount == 1)
        #expect(seconds > 0.7 && seconds < 4, "took \(seconds) s")
        #expect(result.info.phaseTimings.map(\.phase).suffix(2) == ["io", "close"])
    }

    @Test func disconnectMidOutputIsReportedAsEndOfFile() async throws {
        // The emulator exits after 300 bytes: inside the service list of the second command.
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(dropAfterBytes: 300)])
        defer { fleet.stop() }
        let (results, _) = await runJobs([fleet.instances[0].target(knownHosts: nil, policy: .off)]) {
            PromptDriver(commands: ["utils service list"])
        }
        let shell = try #require(results[0].driverResult)
        #expect(results[0].error == nil)
        #expect(shell.sawEndOfFile)
        #expect(!shell.deadlineFired)
        #expect(shell.outputs.isEmpty, "the command never completed")
        #expect(shell.text.contains("Requesting service status"))
    }

    @Test func pagerPromptIsAnsweredAndTheWholeOutputArrives() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(pager: true)])
        defer { fleet.stop() }
        let (results, _) = await runJobs([fleet.instances[0].target(knownHosts: nil, policy: .off)]) {
            PromptDriver(commands: ["set cli pagination off", "utils service list"])
        }
        let shell = try #require(results[0].driverResult)
        #expect(results[0].error == nil)
        #expect(shell.pagerAnswers == 1, "40 lines, 20 per page")
        #expect(shell.outputs.count == 2)
        #expect(shell.outputs.last?.contains("Commanded Out of Service Services:") == true)
    }

    @Test func driverThatClosesEndsTheSessionPolitely() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(failCommands: ["utils cuic cors status"])])
        defer { fleet.stop() }
        let (results, seconds) = await runJobs([fleet.instances[0].target(knownHosts: nil, policy: .off)]) {
            PromptDriver(commands: ["utils cuic cors allowed_origin list", "utils cuic cors status"], ending: .close)
        }
        let shell = try #require(results[0].driverResult)
        #expect(results[0].error == nil)
        #expect(!shell.sawEndOfFile, "we closed, the server did not")
        #expect(shell.outputs.first?.contains("1. https://finessep.uccelab.tac \r\n") == true)
        #expect(shell.outputs.last?.contains("Executed command unsuccessfully") == true)
        #expect(seconds < 3)
    }

    @Test func loginThatTakesTooLongIsALoginTimeout() async throws {
        // PAM answers a wrong password only after a deliberate delay of about two seconds.
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(auth: [.keyboardInteractive])])
        defer { fleet.stop() }
        let target = fleet.instances[0].target(credential: .password("wrong"), knownHosts: nil, policy: .off,
                                               loginTimeout: .milliseconds(500))
        let (results, seconds) = await runJobs([target])
        #expect(results[0].error?.kind == .loginTimeout)
        #expect(results[0].error?.phase == .auth)
        #expect(seconds < 2, "took \(seconds) s")
    }

    @Test func wholeRunDeadlineStopsUnfinishedJobsAndStillFinishesTheirDrivers() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(neverPrompt: true), SSHDInstanceConfig()])
        defer { fleet.stop() }
        let stuck = fleet.instances[0].target(name: "stuck.test", knownHosts: nil, policy: .off)
        let fine = fleet.instances[1].target(name: "fine.test", knownHosts: nil, policy: .off)
        // With a concurrency of 2 the third job starts when the fine one is done; the fourth never starts.
        let (results, seconds) = await runJobs([stuck, fine, stuck, stuck], concurrency: 2,
                                               deadline: .milliseconds(1500)) {
            PromptDriver(promptTimeout: .seconds(30))
        }
        #expect(results.map(\.host) == ["stuck.test", "fine.test", "stuck.test", "stuck.test"])
        for index in [0, 2] {
            #expect(results[index].error?.kind == .runDeadline)
            #expect(results[index].error?.phase == .io)
            #expect(results[index].driverResult?.finishCount == 1, "finish() is called even at the deadline")
            #expect(results[index].driverResult?.deadlineFired == false)
        }
        #expect(results[1].error == nil, "\(String(describing: results[1].error))")
        #expect(results[3].error?.kind == .runDeadline)
        #expect(results[3].error?.phase == .connect)
        #expect(results[3].driverResult == nil)
        #expect(seconds >= 1.4 && seconds < 3, "took \(seconds) s")
    }

    @Test func cancellingTheTaskEndsTheRunLikeItsDeadline() async throws {
        let fleet = try SSHDFleet.start(instances: [SSHDInstanceConfig(neverPrompt: true)])
        defer { fleet.stop() }
        let target = fleet.instances[0].target(knownHosts: nil, policy: .off)
        let start = ContinuousClock.now
        let task = Task {
            await SSHRunner().run([SSHJob(target: target, makeDriver: { PromptDriver(promptTimeout: .seconds(30)) })])
        }
        try await Task.sleep(for: .milliseconds(800))
        task.cancel()
        let results = await task.value
        #expect(results[0].error?.kind == .runDeadline)
        #expect(results[0].error?.message.contains("cancelled") == true)
        #expect(results[0].driverResult?.finishCount == 1)
        #expect(ContinuousClock.now - start < .seconds(3))
    }
}
