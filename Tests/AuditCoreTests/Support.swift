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
    /// An empty header list as CUIC and Live Data print their lists (the form is assumed: docs/releases.md).
    static let noHeaders = "\ncors_allowedheaders \n=========================== \n \n"
    static let finesseNoHeaders = "Currently no headers are configured in allowed headers.\n"
    static let gadgetDisabled = "Gadget source allowed list status: disabled\n"
    static let noGadgetSources = "No sources are configured in the allowed list.\n"
    static let pnaDisabled = "Private network access is disabled\n"
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
        .cuicAllowedHeaders: Out.noHeaders, .cuicExposedHeaders: Out.noHeaders,
        .liveDataAllowedHeaders: Out.noHeaders, .liveDataExposedHeaders: Out.noHeaders,
        .version: Out.version(version), .services: Out.cuicServices, .cuicPrivateNetworkAccess: Out.pnaDisabled,
    ]
    outputs.merge(override) { $1 }
    var order: [VOSCommand] = [.cuicStatus, .cuicList, .cuicAllowedHeaders, .cuicExposedHeaders,
                               .liveDataStatus, .liveDataList, .liveDataAllowedHeaders, .liveDataExposedHeaders, .version, .services]
    // Sent only where the release has it, as the collector does.
    if ReleaseProfiles[ReleaseFamily(version: version)].privateNetworkAccess != nil { order.append(.cuicPrivateNetworkAccess) }
    return NodeObservation(host: host, captures: order.filter { !drop.contains($0) }.map { CommandCapture(command: $0.rawValue, output: outputs[$0]!) })
}

func finesse(_ host: String, status: String = "enabled\n", list: String = "Currently no origins are configured in allowed origins.\n",
             version: String = "12.6.2.10000-24", gadgetStatus: String = Out.gadgetDisabled, gadgetList: String = Out.noGadgetSources,
             allowedHeaders: String = Out.finesseNoHeaders) -> NodeObservation {
    NodeObservation(host: host, captures: [
        CommandCapture(command: VOSCommand.finesseStatus.rawValue, output: status),
        CommandCapture(command: VOSCommand.finesseList.rawValue, output: list),
        CommandCapture(command: VOSCommand.finesseAllowedHeaders.rawValue, output: allowedHeaders),
        CommandCapture(command: VOSCommand.finesseExposedHeaders.rawValue, output: Out.finesseNoHeaders),
        CommandCapture(command: VOSCommand.gadgetSourceStatus.rawValue, output: gadgetStatus),
        CommandCapture(command: VOSCommand.gadgetSourceList.rawValue, output: gadgetList),
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
