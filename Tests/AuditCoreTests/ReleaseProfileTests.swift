import Foundation
import Testing
import TestSupport
@testable import AuditCore

private let pub = "cuicpub.uccelab.tac"
private let sub = "cuicsub.uccelab.tac"

/// What varies by release comes from the profile table: endpoints, restart services, menus.
@Suite struct ReleaseProfileTests {
    @Test func theFamilyComesFromTheVersionOrTheInventorysRelease() {
        #expect(ReleaseFamily(version: "12.6.2.10000-19") == .r12_6)
        #expect(ReleaseFamily(version: "12.5.1.10000-4") == .r12_5)
        #expect(ReleaseFamily(version: "12.5(1)") == .r12_5)
        #expect(ReleaseFamily(version: "15.0") == .r15_0)
        // A release the table does not describe is unknown, never the nearest one.
        #expect(ReleaseFamily(version: "14.0.1.10000-3") == .unknown)
        #expect(ReleaseFamily(version: "12.0.1") == .unknown)
    }

    @Test func endpointsPerFamilyAsThePortGuidesGiveThem() {
        #expect(ReleaseProfiles[.r12_5].endpoints(for: .cuic).map(\.port) == [8444])
        #expect(ReleaseProfiles[.r12_5].endpoints(for: .liveData).map(\.port) == [12005])
        #expect(ReleaseProfiles[.r12_6].endpoints(for: .cuic).map(\.port) == [8444, 443])
        #expect(ReleaseProfiles[.r12_6].endpoints(for: .liveData).map(\.port) == [443])
        #expect(ReleaseProfiles[.r15_0].endpoints(for: .liveData).map(\.port) == [443])
        // Unknown: every candidate.
        #expect(Set(ReleaseProfiles[.unknown].endpoints(for: .liveData).map(\.port)) == [443, 12005])
        #expect(ReleaseProfiles[.r15_0].endpoints[.cuic]?.source.isAssumed == true)
        #expect(ReleaseProfiles[.r12_5].endpoints[.cuic]?.source.isAssumed == false)
    }

    @Test func restartLinesNameTheServiceAsTheNodeListsIt() throws {
        // 12.5: one of the three names Cisco's documents use, exactly as the node prints it.
        let services = Out.services(["Intelligence Center Reporting Service[STARTED]", "CCE Live Data NGINX Service[STARTED]"])
        let report = try auditLab([cuic(pub, liveData: Array(allFour.dropLast()), version: "12.5.1.10000-4", override: [.services: services]),
                                   cuic(sub, liveData: Array(allFour.dropLast()), version: "12.5.1.10000-4", override: [.services: services])])
        #expect(report.plans[0].steps.contains(.restart(service: "CCE Live Data NGINX Service")))
        #expect(!report.plans[0].steps.cliLines.contains("utils service restart Unified CCE Live Data NGINX Service"))
        // The stopped-service check finds it under that name too.
        let stopped = Out.services(["Intelligence Center Reporting Service[STARTED]", "CCE Live Data NGINX Service[STOPPED]"])
        let down = try auditLab([cuic(pub, version: "12.5.1.10000-4", override: [.services: stopped]), cuic(sub, version: "12.5.1.10000-4")])
        #expect(down.findings.map(\.kind) == [.serviceStopped])
        #expect(down.findings[0].remediation.first == .start(service: "CCE Live Data NGINX Service"))
    }

    @Test func onFifteenTheLiveDataRestartIsTheWebProxyAsListed() throws {
        let services = Out.services(["Intelligence Center Reporting Service[STARTED]", "Cisco Web Proxy Service[STARTED]"])
        let report = try auditLab([cuic(pub, liveData: Array(allFour.dropLast()), version: "15.0.1.10000-41", override: [.services: services]),
                                   cuic(sub, liveData: Array(allFour.dropLast()), version: "15.0.1.10000-41", override: [.services: services])])
        #expect(report.plans[0].steps.cliLines.contains("utils service restart Cisco Web Proxy Service"))
        #expect(!report.plans[0].steps.cliLines.contains { $0.contains("NGINX") })
    }

    @Test func whenTheServiceIsNotSettledTheRunbookSaysWhatToLookForAndTypesNoRestart() throws {
        // No service list read, release unknown: Live Data's service is not settled.
        let report = try auditLab([cuic(pub, liveData: Array(allFour.dropLast()), version: "14.0.1.10000-1", drop: [.services]),
                                   cuic(sub, liveData: Array(allFour.dropLast()), version: "14.0.1.10000-1", drop: [.services])])
        let steps = report.plans[0].steps
        #expect(!steps.contains { if case .restart(let s) = $0 { s.contains("Live Data") || s.contains("Proxy") } else { false } })
        #expect(steps.contains { if case .note(let n) = $0 { n.contains("utils service list") && n.contains("Live Data") } else { false } })
        // A service list that holds neither service: a note, never a guessed name.
        let none = Out.services(["Intelligence Center Reporting Service[STARTED]"])
        let bare = try auditLab([cuic(pub, liveData: Array(allFour.dropLast()), override: [.services: none]),
                                 cuic(sub, liveData: Array(allFour.dropLast()), override: [.services: none])])
        #expect(!bare.plans[0].steps.contains { $0.isRestart && $0.commandLine!.contains("Live Data") })
        #expect(bare.plans[0].steps.contains { if case .note(let n) = $0 { n.hasPrefix("no service in `utils service list` matches") } else { false } })
    }

    @Test func theInventoryCanNameARelease() throws {
        let yaml = """
            version: 1
            clusters:
              - name: c
                release: "12.5"
                finesse: [{host: f.example}]
                cuic:
                  - {host: a.example, role: publisher}
                  - {host: b.example, role: subscriber, release: "15.0"}
            """
        let inventory = try InventoryLoader.parse(yaml: yaml, path: "t.yaml")
        #expect(inventory.clusters[0].cuic.map(\.release) == [.r12_5, .r15_0])
        #expect(inventory.clusters[0].finesse[0].release == .r12_5)
        #expect(throws: InventoryErrors.self) {
            try InventoryLoader.parse(yaml: yaml.replacingOccurrences(of: "\"12.5\"", with: "\"11.6\""), path: "t.yaml")
        }
    }
}
