import Foundation
import Testing
import TestSupport
@testable import AuditCore

private func inventoryErrors(_ yaml: String) -> [String] {
    do {
        _ = try InventoryLoader.parse(yaml: yaml, path: "inv.yaml", baseDirectory: "/base", environment: ["HOME": "/home/u"])
        Issue.record("expected the inventory to be rejected")
        return []
    } catch {
        return (error as? InventoryErrors)?.errors.map(\.description) ?? ["\(error)"]
    }
}

private func node(_ extra: String, cluster: String = "lab") -> String {
    """
    version: 1
    clusters:
      - name: \(cluster)
        finesse:
          - host: finessep.lab.tac
        cuic:
          - host: cuicpub.lab.tac
            role: publisher\(extra)

    """
}

/// Inventories and reports written to hurt: aliases, names that are paths, addresses that are not addresses.
@Suite struct HostileInventoryTests {
    @Test func anchorsAndAliasesAreRefusedNamingTheirPlace() {
        #expect(inventoryErrors("version: 1\nd: &defaults {port: 22}\nclusters: []\n")
            == ["inv.yaml:2:4: (yaml): YAML anchor '&defaults' is not accepted: anchors and aliases are refused (a few lines of them can expand into billions of values); write each value out (a '&' or '*' right before a name is refused wherever it stands, quotes included)"])
        #expect(inventoryErrors("version: 1\nclusters:\n  - *c\n").first?.hasPrefix("inv.yaml:3:5: (yaml): YAML alias '*c' is not accepted") == true)
        // Flow context, a JSON-like key, CR LF and NEL line ends, a tab before the alias.
        #expect(inventoryErrors("version: 1\r\nclusters: [{\"name\":*n}]\r\n").first?.hasPrefix("inv.yaml:2:20: (yaml): YAML alias '*n'") == true)
        #expect(inventoryErrors("version: 1\u{85}x:\t*y\n").first?.hasPrefix("inv.yaml:2:4: (yaml): YAML alias '*y'") == true)
        // After a quoted scalar on the same line (a comment there is not skipped).
        #expect(inventoryErrors("version: 1\nx: [\"a #\", *b]\n").first?.hasPrefix("inv.yaml:2:12: (yaml): YAML alias '*b'") == true)
    }

    @Test func textThatOnlyLooksLikeAnAliasIsNotRefused() throws {
        // Inside a word, a wildcard host, a comment on a line without quotes, a name not ended as libyaml requires.
        let yaml = node("""

                    timeouts: {connect: 5}
            # &anchor and *alias in a comment
                    port: 22  # see *this
            """)
        _ = try InventoryLoader.parse(yaml: yaml, path: "inv.yaml", baseDirectory: "/base", environment: ["HOME": "/home/u"])
        #expect(YAMLAliasScan.first(in: "x: https://*.lab.tac\ny: **bold**\nz: &\nw: a*b c&d\nv: *x.y\n") == nil)
        _ = try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml")
    }

    @Test func clusterNamesAreLimitedToASafeSet() throws {
        for bad in ["../etc", "East DC", "a/b", "-x", "\"x\\u0007\"", String(repeating: "a", count: 65)] {
            let errors = inventoryErrors(node("", cluster: bad))
            #expect(errors.contains { $0.contains("clusters[0].name: ") && $0.contains("is not a cluster name: use 1 to 64 ASCII letters, digits, '.', '_' and '-', starting with a letter or a digit") },
                    "\(bad): \(errors)")
        }
        for good in ["uccelab", "east-1", "dc_2.prod", String(repeating: "a", count: 64)] {
            _ = try InventoryLoader.parse(yaml: node("", cluster: good), path: "inv.yaml", baseDirectory: "/base", environment: ["HOME": "/home/u"])
        }
    }

    @Test func anAddressMustBeAHostNameOrAnIPLiteral() throws {
        for bad in ["10.0.0.1;reboot", "[::1]", "host name", "cuic.lab.tac:22", "-oProxyCommand=x", "1.2.3.4/24", "fe80::1%"] {
            let errors = inventoryErrors(node("\n        address: \"\(bad)\""))
            #expect(errors.contains { $0.contains("clusters[0].cuic[0].address: '\(bad)' is not a host name or an IP address") }, "\(bad): \(errors)")
        }
        for good in ["10.1.2.3", "cuicpub-nat.example.com", "fd00::12", "::1", "fe80::1%eth0", "::ffff:10.0.0.1"] {
            let inv = try InventoryLoader.parse(yaml: node("\n        address: \"\(good)\""), path: "inv.yaml", baseDirectory: "/base",
                                                environment: ["HOME": "/home/u"])
            #expect(inv.clusters[0].cuic[0].connection.address == good)
        }
    }

    @Test func aReportWhoseNamesAreNotNamesIsRejectedNamingTheJSONPath() throws {
        let (inventory, observations) = try labObservations()
        let report = Auditor.audit(inventory: inventory, observations: observations, generatedAt: "2026-11-26T09:00:00Z")
        let original = try #require(try JSONSerialization.jsonObject(with: Data(report.json().serialized().utf8)) as? [String: Any])
        let cases: [(String, String, String, String)] = [
            ("remediation", "host", "../../x", "r.json: remediation[0].host: '../../x' is not a host name"),
            ("remediation", "cluster", "a/b", "r.json: remediation[0].cluster: 'a/b' is not a cluster name"),
            ("findings", "host", "x\r\ny", "r.json: findings[0].host: 'x\\r\\ny' is not a host name"),
        ]
        for (array, key, value, message) in cases {
            var json = original
            var entries = try #require(json[array] as? [[String: Any]])
            entries[0][key] = value
            json[array] = entries
            let data = try JSONSerialization.data(withJSONObject: json)
            #expect {
                try ReportReader.read(data, name: "r.json")
            } throws: { error in
                "\(error)".hasPrefix(message)
            }
        }
    }
}
