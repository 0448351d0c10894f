import AuditCore
import Foundation
import Testing
@testable import VOSSimulator
import TestSupport

let simPassword = "probe-test-pw"
let pub = "cuicpub.uccelab.tac"
let sub = "cuicsub.uccelab.tac"
let missingOnSub = "https://finessep.uccelab.tac:8445"

/// Runs cors-audit from the package root with the simulator's password in its environment (never argv). A probe
/// never reads the repository's own history database unless the test names one.
func corsAudit(_ arguments: [String]) throws -> ProcessResult {
    let arguments = arguments.first == "probe" && !arguments.contains("--history") ? arguments + ["--no-history"] : arguments
    return try runProcess(product("cors-audit"), arguments, environment: ["VOS_SIM_PASSWORD": simPassword])
}

/// Runs `body` against the lab with this target's password, and stops it after; `faults`: extra state-file lines per
/// host, e.g. `[pub: "faults: [refuse]"]`.
func withLab(faults: [String: String] = [:], _ body: (Simulation) async throws -> Void) async throws {
    try await Simulation.lab(password: simPassword, faults: faults).use(body)
}
