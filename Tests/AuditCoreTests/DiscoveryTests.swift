import Foundation
import Testing
import TestSupport
@testable import AuditCore

@Suite("discover: from publishers' outputs to an inventory")
struct DiscoveryTests {
    func observation(_ host: String, services: [String], members: String) -> NodeObservation {
        NodeObservation(host: host, captures: [
            CommandCapture(command: "show version active", output: Out.version("12.6.2.10000-19")),
            CommandCapture(command: "utils service list", output: Out.services(services)),
            CommandCapture(command: "show network cluster", output: members),
        ])
    }

    @Test func productsFromServicesAndTheWrittenInventoryLoads() throws {
        let cuic = Discovery.interpret(.init(name: "cuicpub.site.example", address: "10.0.0.1"), observation: observation(
            "cuicpub.site.example", services: ["Intelligence Center Reporting Service[STARTED]", "CCE Live Data Web Service[STARTED]"],
            members: "10.0.0.1 cuicpub.site.example cuicpub Publisher cuic DBPub authenticated\n10.0.0.2 cuicsub.site.example cuicsub Subscriber cuic DBSub authenticated\n"))
        let ld = Discovery.interpret(.init(name: "ldpub.site.example", address: "10.0.0.5"), observation: observation(
            "ldpub.site.example", services: ["CCE Live Data Web Service[STARTED]", "Cisco Web Proxy Service[STARTED]"],
            members: "10.0.0.5 ldpub.site.example ldpub Publisher x DBPub authenticated\n"))
        let fin = Discovery.interpret(.init(name: "fin-a.site.example", address: "fin-a.site.example"), observation: observation(
            "fin-a.site.example", services: ["Cisco Finesse Tomcat[STARTED]", "Cisco Finesse Notification Service[STARTED]"],
            members: "10.0.0.9 fin-a.site.example fin-a Publisher x DBPub authenticated\n10.0.0.10 fin-b.site.example fin-b Subscriber x DBSub authenticated\n"))
        #expect([cuic.product, ld.product, fin.product] == [.cuic, .livedata, .finesse])
        #expect(cuic.coresidentLiveData && cuic.problem == nil)
        var defaults = Discovery.Defaults(home: "/home/u")
        defaults.credential = .passwordEnv("VOS_PASSWORD")
        let yaml = Discovery.inventoryYAML(clusterName: Discovery.defaultClusterName([cuic, ld, fin]), defaults: defaults,
                                           publishers: [cuic, ld, fin], generatedAt: "2026-12-04T00:00:00Z")
        expectGolden(yaml, "discovered-inventory.yaml")
        let inventory = try InventoryLoader.parse(yaml: yaml, path: "discovered.yaml", environment: ["HOME": "/home/u"])
        let c = try #require(inventory.clusters.first)
        #expect(c.name == "site")
        #expect(c.cuic.map(\.host) == ["cuicpub.site.example", "cuicsub.site.example"] && c.cuic.allSatisfy { $0.coresidentLiveData })
        #expect(c.liveData.map(\.host) == ["ldpub.site.example"])
        #expect(c.finesse.map(\.connection.address) == ["10.0.0.9", "10.0.0.10"])
        #expect(c.nodes.allSatisfy { $0.connection.credential == .passwordEnv("VOS_PASSWORD") && $0.connection.knownHosts == "/home/u/.ssh/known_hosts" })
    }

    @Test func whatCannotBeReadIsNamedNeverGuessed() {
        let unknown = Discovery.interpret(.init(name: "cucm.site.example", address: "10.0.0.3"), observation: observation(
            "cucm.site.example", services: ["Cisco CallManager[STARTED]"], members: "10.0.0.3 cucm.site.example cucm Publisher callmanager\n"))
        #expect(unknown.product == nil && unknown.problem?.contains("not a CUIC, Live Data or Finesse publisher") == true)
        let unparsed = Discovery.interpret(.init(name: "cuicpub.site.example", address: "10.0.0.1"), observation: observation(
            "cuicpub.site.example", services: ["Intelligence Center Reporting Service[STARTED]"], members: "Cluster: 2 nodes\n"))
        #expect(unparsed.product == .cuic && unparsed.membership == nil)
        #expect(unparsed.problem?.contains("only the publisher itself is written") == true)
        let down = Discovery.interpret(.init(name: "x.site.example", address: "10.0.0.4"), observation: NodeObservation(
            host: "x.site.example", captures: [], failure: CollectionFailure(status: .unreachable, detail: "phase connect: refused")))
        #expect(down.problem == "unreachable: phase connect: refused")
        let yaml = Discovery.inventoryYAML(clusterName: "site", defaults: Discovery.Defaults(home: "/h"), publishers: [unparsed, down], generatedAt: "t")
        #expect(yaml.contains("# NOT COMPLETE: x.site.example: unreachable: phase connect: refused"))
        #expect(yaml.contains("      - host: cuicpub.site.example\n        address: 10.0.0.1\n        role: publisher\n        live_data: none\n"))
        #expect(yaml.contains("    finesse: []"))
    }

    @Test func hostArguments() throws {
        #expect(try Discovery.Target.parse("CUICpub.Site.example=10.1.2.3").get() == .init(name: "cuicpub.site.example", address: "10.1.2.3"))
        #expect(try Discovery.Target.parse("cuicpub.site.example").get().address == "cuicpub.site.example")
        #expect((try? Discovery.Target.parse("cuic pub").get()) == nil)
        #expect((try? Discovery.Target.parse("a.example=10.0.0.1:22").get()) == nil)
    }
}
