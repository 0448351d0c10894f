import Testing
import TestSupport
@testable import AuditCore

/// Parses inventory text, expecting failure; returns the error lines.
private func errors(_ yaml: String) -> [String] {
    do {
        _ = try InventoryLoader.parse(yaml: yaml, path: "inv.yaml", baseDirectory: "/base", environment: ["HOME": "/home/u"])
        Issue.record("expected the inventory to be rejected")
        return []
    } catch let e as InventoryErrors {
        return e.errors.map(\.description)
    } catch {
        Issue.record("unexpected error \(error)")
        return []
    }
}

private let minimal = """
version: 1
clusters:
  - name: lab
    finesse:
      - host: finessep.lab.tac
    cuic:
      - host: cuicpub.lab.tac
        role: publisher

"""

@Suite struct InventoryLoaderTests {
    @Test func loadsTheLabInventory() throws {
        let inv = try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml")
        #expect(inv.clusters.count == 1)
        let c = inv.clusters[0]
        #expect(c.name == "uccelab")
        #expect(c.finesse.map(\.host) == ["finessep.uccelab.tac", "finesses.uccelab.tac"])
        #expect(c.cuic.map(\.host) == ["cuicpub.uccelab.tac", "cuicsub.uccelab.tac"])
        #expect(c.cuic.map(\.role) == [.publisher, .subscriber])
        #expect(c.cuic.allSatisfy { $0.coresidentLiveData })
        #expect(c.cuic[0].lists == [.cuic, .liveData])
        #expect(c.cuic[0].connection.credential == .passwordEnv("VOS_PASSWORD"))
        #expect(c.cuic[0].connection.timeouts == Timeouts(connect: 10, login: 90, command: 60))
        #expect(c.cuic[0].connection.hostKeyPolicy == .strict)
    }

    @Test func nodeKeysOverrideDefaultsAndPathsResolve() throws {
        let inv = try InventoryLoader.parse(yaml: """
            version: 1
            defaults:
              username: ccmadmin
              password_env: VOS_PASSWORD
              port: 2222
              known_hosts: ~/.ssh/known_hosts
              timeouts: {login: 30}
            clusters:
              - name: lab
                finesse:
                  - host: FinesseP.lab.tac
                    audit: false
                    aliases: [finesse.example.com]
                cuic:
                  - host: cuicpub.lab.tac
                    address: 127.0.0.2
                    role: publisher
                    port: 22
                    password_file: secrets/pw
                    host_key_policy: accept-new
                    timeouts: {command: 5}
                live_data:
                  - host: ld1.lab.tac
                    key_file: /keys/id_ed25519
                    passphrase_env: KEY_PASS
            """, path: "inv.yaml", baseDirectory: "/base", environment: ["HOME": "/home/u"])
        let c = inv.clusters[0]
        #expect(c.finesse[0].host == "finessep.lab.tac")
        #expect(c.finesse[0].audit == false)
        #expect(c.finesse[0].aliases == ["finesse.example.com"])
        let pub = c.cuic[0].connection
        #expect(pub.address == "127.0.0.2")
        #expect(pub.port == 22)
        #expect(pub.username == "ccmadmin")
        #expect(pub.credential == .passwordFile("/base/secrets/pw"))
        #expect(pub.knownHosts == "/home/u/.ssh/known_hosts")
        #expect(pub.hostKeyPolicy == .acceptNew)
        #expect(pub.timeouts == Timeouts(connect: 10, login: 30, command: 5))
        let ld = c.liveData[0]
        #expect(ld.product == .livedata)
        #expect(ld.lists == [.liveData])
        #expect(ld.connection.port == 2222)
        #expect(ld.connection.credential == .keyFile(path: "/keys/id_ed25519", passphraseEnv: "KEY_PASS"))
    }

    @Test func unknownKeyIsRejectedWithItsPositionAndASuggestion() {
        let e = errors(minimal.replacingOccurrences(of: "role: publisher", with: "rol: publisher"))
        #expect(e.contains { $0.hasPrefix("inv.yaml:8:9: clusters[0].cuic[0].rol: unknown key 'rol' (did you mean 'role'?)") })
        // The missing role is reported too, at the node.
        #expect(e.contains { $0.contains("clusters[0].cuic[0].role: missing 'role'") })
    }

    @Test func topLevelTypoIsRejected() {
        let e = errors("version: 1\ncluster: []\n")
        #expect(e.contains { $0.hasPrefix("inv.yaml:2:1: cluster: unknown key 'cluster' (did you mean 'clusters'?)") })
    }

    @Test func inlinePasswordIsRefused() {
        let e = errors("version: 1\ndefaults:\n  password: hunter2\n" + minimal.dropFirst("version: 1\n".count))
        #expect(e.count == 1)
        #expect(e[0].hasPrefix("inv.yaml:3:3: defaults.password: secrets are never written in the inventory: use password_env"))
        #expect(!e[0].contains("hunter2"))
    }

    @Test func passwordPromptIsScopedWhereItIsWritten() throws {
        let inv = try InventoryLoader.parse(yaml: """
            version: 1
            defaults:
              password_prompt: true
            clusters:
              - name: lab
                finesse:
                  - host: finessep.lab.tac
                cuic:
                  - host: cuicpub.lab.tac
                    role: publisher
                  - host: cuicsub.lab.tac
                    role: subscriber
                    username: ccmadmin
                    password_prompt: true
                live_data:
                  - host: ld1.lab.tac
                    password_env: LD_PW
                    password_prompt: false
            """, path: "inv.yaml", baseDirectory: "/base", environment: ["HOME": "/home/u"])
        let c = inv.clusters[0]
        #expect(c.cuic[0].connection.credential == .passwordPrompt(scope: "defaults"))
        #expect(c.cuic[1].connection.credential == .passwordPrompt(scope: "cuicsub.lab.tac"))
        #expect(c.liveData[0].connection.credential == .passwordEnv("LD_PW"))
    }

    @Test func passwordPromptConflictsAndBadValuesAreRejected() {
        var e = errors(minimal.replacingOccurrences(of: "role: publisher", with: "role: publisher\n        password_env: PW\n        password_prompt: true"))
        #expect(e == ["inv.yaml:10:9: clusters[0].cuic[0].password_prompt: give only one of password_env, password_file, password_prompt, key_file (found password_env and password_prompt)"])
        e = errors(minimal.replacingOccurrences(of: "role: publisher", with: "role: publisher\n        password_prompt: yes please"))
        #expect(e == ["inv.yaml:9:26: clusters[0].cuic[0].password_prompt: expected true or false"])
    }

    @Test func duplicateHostIsRejected() {
        let e = errors(minimal + "      - host: CUICPUB.lab.tac\n        role: subscriber\n")
        #expect(e == ["inv.yaml:9:15: clusters[0].cuic[1].host: host 'cuicpub.lab.tac' is already listed at inv.yaml:7"])
    }

    @Test func clusterWithoutFinesseIsRejected() {
        let e = errors("""
            version: 1
            clusters:
              - name: lab
                cuic:
                  - host: cuicpub.lab.tac
                    role: publisher
            """)
        #expect(e.count == 1)
        #expect(e[0].hasPrefix("inv.yaml:3:5: clusters[0].finesse: cluster 'lab' lists no Finesse nodes"))
    }

    @Test func badExtraOriginIsRejectedWithTheMeantForm() {
        let e = errors(minimal + """
                expected:
                  extra_origins: ["https://proxy.example.com/", "ftp://x"]
                  tolerated_origins: ["HTTPS://Dev.Example.com:443"]

            """)
        #expect(e.count == 3)
        #expect(e[0].contains("extra_origins[0]: 'https://proxy.example.com/' is not a valid browser origin"))
        #expect(e[0].hasSuffix("write 'https://proxy.example.com'"))
        #expect(e[1].contains("extra_origins[1]: 'ftp://x' is not a valid browser origin"))
        #expect(e[2].contains("tolerated_origins[0]"))
        #expect(e[2].hasSuffix("write 'https://dev.example.com'"))
    }

    @Test func badValuesAreRejected() {
        let e = errors("""
            version: 1
            defaults:
              host_key_policy: yolo
              port: 70000
              timeouts: {connect: -1, lgoin: 3}
              password_env: "my password"
            clusters:
              - name: lab
                finesse:
                  - host: "not a host"
                    role: publisher
                cuic:
                  - host: cuicpub.lab.tac
                    role: primary
                    live_data: yes
                    audit: maybe
                expected:
                  finesse_ports: [443, 443, 0]
            """)
        let joined = e.joined(separator: "\n")
        #expect(joined.contains("defaults.host_key_policy: 'yolo' is not a host key policy"))
        #expect(joined.contains("defaults.port: expected a whole number in 1...65535"))
        #expect(joined.contains("defaults.timeouts.connect: expected a positive number of seconds"))
        #expect(joined.contains("defaults.timeouts.lgoin: unknown key 'lgoin' (did you mean 'login'?)"))
        #expect(joined.contains("defaults.password_env: 'my password' is not an environment variable name"))
        #expect(joined.contains("clusters[0].finesse[0].host: 'not a host' is not a host name"))
        #expect(joined.contains("clusters[0].finesse[0].role: key 'role' applies only to cuic nodes"))
        #expect(joined.contains("clusters[0].cuic[0].role: 'primary' is not a role"))
        #expect(joined.contains("clusters[0].cuic[0].live_data: 'yes' is not valid"))
        #expect(joined.contains("clusters[0].cuic[0].audit: expected true or false"))
        #expect(joined.contains("finesse_ports[1]: port 443 is listed twice"))
        #expect(joined.contains("finesse_ports[2]: expected a whole number in 1...65535"))
        // Sorted by position in the file.
        let lines = e.compactMap { Int($0.split(separator: ":")[1]) }
        #expect(lines == lines.sorted())
    }

    @Test func twoCredentialsAreRejected() {
        let e = errors("version: 1\ndefaults:\n  password_env: A\n  key_file: k\n" + minimal.dropFirst("version: 1\n".count))
        #expect(e.count == 1)
        #expect(e[0].contains("give only one of password_env, password_file, password_prompt, key_file"))
    }

    @Test func unsupportedVersionAndSyntaxErrors() {
        #expect(errors(minimal.replacingOccurrences(of: "version: 1", with: "version: 2")).first?.contains("unsupported inventory version 2") == true)
        let syntax = errors("version: 1\nclusters: [\n")
        #expect(syntax.count == 1)
        #expect(syntax[0].hasPrefix("inv.yaml:3:1: (syntax): invalid YAML"))
        #expect(errors("").first?.contains("the inventory is empty") == true)
    }

    @Test func unreadableFileIsAnError() {
        #expect(throws: InventoryErrors.self) { try InventoryLoader.load(path: "/nonexistent/inv.yaml") }
    }
}

