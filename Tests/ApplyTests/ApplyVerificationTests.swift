import AuditCore
@testable import Collector
import Testing

/// What lets the next node of a cluster start: the verification steps of the node before it show its change.
/// Outputs are as the conversation records them (echo and prompt removed), in the field capture's shape.
struct ApplyVerificationTests {
    static let fp = "https://finessep.uccelab.tac", fs = "https://finesses.uccelab.tac"

    static func list(_ origins: [String]) -> String {
        "\ncors_allowedorigins \n=========================== \n"
            + origins.enumerated().map { "\($0.offset + 1). \($0.element) \n" }.joined() + " \n"
    }

    static func services(_ reporting: String) -> String {
        "Requesting service status, please wait...\nService Manager is running\nCisco Tomcat[STARTED]\n"
            + "Intelligence Center Reporting Service[\(reporting)]\nPrimary Node =true\n"
    }

    static func step(_ action: RemediationAction, _ output: String? = nil, _ status: NodeApplyRecord.StepStatus = .applied) -> NodeApplyRecord.Step {
        .init(step: action, status: status, detail: nil, output: output ?? "")
    }

    static let restart = RemediationAction.restart(service: "Intelligence Center Reporting Service")

    @Test func anAddThatShowsAndAServiceThatStartedPass() {
        let steps = [Self.step(.add(.cuic, origins: [Self.fp + ":8445"])), Self.step(Self.restart),
                     Self.step(.verifyList(.cuic), Self.list([Self.fp, Self.fs, Self.fs + ":8445", Self.fp + ":8445"])),
                     Self.step(.verifyServices, Self.services("STARTED"))]
        #expect(ApplyVerification.problem(in: steps) == nil)
    }

    @Test func anAddTheListDoesNotShowStopsTheNode() {
        let steps = [Self.step(.add(.cuic, origins: [Self.fp + ":8445"])),
                     Self.step(.verifyList(.cuic), Self.list([Self.fp, Self.fs]))]
        let problem = ApplyVerification.problem(in: steps)
        #expect(problem?.index == 1)
        #expect(problem?.why == "`utils cuic cors allowed_origin list` does not show https://finessep.uccelab.tac:8445, which was added")
    }

    @Test func aDeleteCountsAgainstTheMenuItWasTypedAt() {
        let stray = "http://127.0.0.1:5500"
        let menu = Self.list([Self.fp, stray, Self.fs, stray]) + "a: all\nq: quit\nSelect the index of origin to be deleted [1-4 or a,q]4\n"
        // One of two copies deleted: one remains, as it should.
        var steps = [Self.step(.delete(.liveData, index: 4, origin: stray), menu),
                     Self.step(.verifyList(.liveData), Self.list([Self.fp, stray, Self.fs]))]
        #expect(ApplyVerification.problem(in: steps) == nil)
        // Both copies still there: the delete did not show.
        steps[1].output = Self.list([Self.fp, stray, Self.fs, stray])
        #expect(ApplyVerification.problem(in: steps)?.why
                == "`utils live-data cors allowed_origin list` shows http://127.0.0.1:5500 2 times, not 1, after deleting it once")
    }

    @Test func aServiceNotStartedAfterItsRestartStopsTheNode() {
        for state in ["STOPPED", "STARTING"] {
            let steps = [Self.step(.add(.cuic, origins: [Self.fp + ":8445"])), Self.step(Self.restart),
                         Self.step(.verifyList(.cuic), Self.list([Self.fp, Self.fp + ":8445"])),
                         Self.step(.verifyServices, Self.services(state))]
            let problem = ApplyVerification.problem(in: steps)
            #expect(problem?.index == 3)
            #expect(problem?.why == "`utils service list` shows Intelligence Center Reporting Service \(state) after its restart, not STARTED")
        }
        let missing = [Self.step(Self.restart), Self.step(.verifyServices, "Service Manager is running\nCisco Tomcat[STARTED]\n")]
        #expect(ApplyVerification.problem(in: missing)?.why == "`utils service list` does not list Intelligence Center Reporting Service after its restart")
    }

    @Test func anEnableMustReadEnabled() {
        let steps = [Self.step(.enable(.cuic)), Self.step(.verifyList(.cuic), Self.list([Self.fp])),
                     Self.step(.verifyStatus(.cuic), "CORS status: disabled\n")]
        #expect(ApplyVerification.problem(in: steps)?.why == "`utils cuic cors status` says disabled after `utils cuic cors enable`")
    }

    @Test func aChangeWithoutItsVerificationStepIsNotVerified() {
        // A plan read back from an edited report may lack the list check, or the restart's service check.
        var steps = [Self.step(.add(.cuic, origins: [Self.fp + ":8445"]))]
        #expect(ApplyVerification.problem(in: steps)?.why == "no `utils cuic cors allowed_origin list` after it, so the change is not verified")
        steps = [Self.step(Self.restart)]
        #expect(ApplyVerification.problem(in: steps)?.why == "no `utils service list` after it, so the change is not verified")
        // An unreadable list is no verification either.
        steps = [Self.step(.add(.cuic, origins: [Self.fp + ":8445"])), Self.step(.verifyList(.cuic), "Executed command unsuccessfully\n")]
        #expect(ApplyVerification.problem(in: steps)?.why
                == "`utils cuic cors allowed_origin list` printed a list that cannot be read (the node answered \"Executed command unsuccessfully\")")
    }
}
