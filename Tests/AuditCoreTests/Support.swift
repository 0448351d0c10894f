import Foundation
import Testing
import TestSupport
@testable import AuditCore

func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    TestSupport.expectGolden(actual, name, in: "Tests/AuditCoreTests/Golden", sourceLocation: sourceLocation)
}

/// Realistic outputs of the audit commands, for building observations in tests.
enum Out {
    static func numbered(_ origins: [String]) -> String {
        "\ncors_allowedorigins \n=========================== \n" + origins.enumerated().map { "\($0 + 1). \($1) \n" }.joined() + " \n"
    }
    static let enabled = "CORS status: enabled\n"
    static let disabled = "CORS status: disabled\n"
    static func version(_ v: String) -> String {
        "Active Master Version: \(v)\nActive Version Installed Software Options:\nNo Installed Software Options Found.\n"
    }
    static func services(_ lines: [String]) -> String {
        "Requesting service status, please wait...\nSystem SSH [STARTED]\n" + lines.map { $0 + "\n" }.joined() + "\n"
    }
    static let cuicServices = services(["Intelligence Center Reporting Service[STARTED]", "Unified CCE Live Data NGINX Service[STARTED]"])
    static let finesseServices = services(["Cisco Finesse Tomcat[STARTED]", "Cisco Finesse Notification Service[STARTED]"])
}

let allFour = ["https://finessep.uccelab.tac", "https://finessep.uccelab.tac:8445",
               "https://finesses.uccelab.tac", "https://finesses.uccelab.tac:8445"]

func labInventory() throws -> Inventory { try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml") }

/// A complete CUIC observation with the given lists (co-resident Live Data), overridable per command.
func cuic(_ host: String, cuic: [String] = allFour, liveData: [String] = allFour, version: String = "12.6.2.10000-19",
          override: [VOSCommand: String] = [:], drop: [VOSCommand] = []) -> NodeObservation {
    var outputs: [VOSCommand: String] = [
        .cuicStatus: Out.enabled, .cuicList: Out.numbered(cuic),
        .liveDataStatus: Out.enabled, .liveDataList: Out.numbered(liveData),
        .version: Out.version(version), .services: Out.cuicServices,
    ]
    outputs.merge(override) { $1 }
    let order: [VOSCommand] = [.cuicStatus, .cuicList, .liveDataStatus, .liveDataList, .version, .services]
    return NodeObservation(host: host, captures: order.filter { !drop.contains($0) }.map { CommandCapture(command: $0.rawValue, output: outputs[$0]!) })
}

func finesse(_ host: String, status: String = "enabled\n", list: String = "Currently no origins are configured in allowed origins.\n",
             version: String = "12.6.2.10000-24") -> NodeObservation {
    NodeObservation(host: host, captures: [
        CommandCapture(command: VOSCommand.finesseStatus.rawValue, output: status),
        CommandCapture(command: VOSCommand.finesseList.rawValue, output: list),
        CommandCapture(command: VOSCommand.version.rawValue, output: Out.version(version)),
        CommandCapture(command: VOSCommand.services.rawValue, output: Out.finesseServices),
    ])
}

/// Audits the lab inventory with these observations (Finesse nodes clean unless given).
func auditLab(_ observations: [NodeObservation]) throws -> AuditReport {
    var byHost = Dictionary(uniqueKeysWithValues: observations.map { ($0.host, $0) })
    for f in ["finessep.uccelab.tac", "finesses.uccelab.tac"] where byHost[f] == nil { byHost[f] = finesse(f) }
    return Auditor.audit(inventory: try labInventory(), observations: byHost, generatedAt: "2026-11-26T09:00:00Z")
}
