import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport

/// One node of the matrix: its cluster, host, vos-sim faults and what the audit must say of it.
private struct MatrixNode {
    var cluster: String
    var host: String
    var faults: String = ""
    /// Inventory lines of its own (policy, timeouts).
    var extra: [String] = []
    var status: String
    /// Every one must be in the node's `detail` (or, for audited nodes, its notes).
    var detail: [String] = []
    var origins: [String]? = nil
}

private let password = "fault-matrix-pw"

private func expected(_ domain: String) -> [String] {
    ["https://finessep.\(domain)", "https://finessep.\(domain):8445", "https://finesses.\(domain)", "https://finesses.\(domain):8445"]
}

/// 1000 entries: the four required origins, then made-up application origins.
private let bigList = expected("north.lab.test") + (1...996).map { "https://app\($0).north.lab.test" }

/// Every fault of the matrix, one node each, beside healthy nodes, in four clusters.
private let matrix: [MatrixNode] = [
    // Healthy, a planted gap, a dripping node and a 1000-origin list: all audited, lists exact.
    MatrixNode(cluster: "north", host: "cuicpub.north.lab.test", status: "audited", origins: expected("north.lab.test")),
    MatrixNode(cluster: "north", host: "cuicsub.north.lab.test", status: "audited",
               origins: expected("north.lab.test").filter { $0 != "https://finessep.north.lab.test:8445" }),
    // A byte per packet, 1 ms apart (a 1.5 kB service list takes seconds): a longer command limit.
    MatrixNode(cluster: "north", host: "cuicdrip.north.lab.test", faults: "[drip_output]",
               extra: ["timeouts: {connect: 2, login: 20, command: 20}"], status: "audited",
               origins: expected("north.lab.test")),
    MatrixNode(cluster: "north", host: "cuicbig.north.lab.test", status: "audited", origins: bigList),
    // Before SSH: nothing to talk to, or nothing that speaks SSH.
    MatrixNode(cluster: "east", host: "cuicpub.east.lab.test", status: "audited", origins: expected("east.lab.test")),
    MatrixNode(cluster: "east", host: "cuicrefused.east.lab.test", faults: "[refuse]", status: "unreachable",
               detail: ["phase connect: ", "Connection refused", "(connect returned 111)", "no bytes received"]),
    MatrixNode(cluster: "east", host: "cuicgone.east.invalid", faults: "[unresolvable]", status: "unreachable",
               detail: ["phase connect: ", "cannot resolve cuicgone.east.invalid", "getaddrinfo returned"]),
    MatrixNode(cluster: "east", host: "cuicsilent.east.lab.test", faults: "[silent]", status: "unreachable",
               detail: ["phase handshake: ", "SSH handshake not done within 2", "no SSH identification received"]),
    MatrixNode(cluster: "east", host: "cuicweb.east.lab.test", faults: "[garbage_banner]", status: "unreachable",
               detail: ["phase handshake: ", "no SSH identification, the last line the server sent was \"Connection: close\""]),
    MatrixNode(cluster: "east", host: "cuicgcm.east.lab.test", faults: "[no_common_algorithm]", status: "unreachable",
               detail: ["phase handshake: ", "no common algorithm: we offer ", "aes256-ctr", "the server offers ",
                        "aes256-gcm@openssh.com", "no common cipher"]),
    // Host keys under each policy, and authentication.
    MatrixNode(cluster: "south", host: "cuicpub.south.lab.test", status: "audited", origins: expected("south.lab.test")),
    MatrixNode(cluster: "south", host: "cuicchanged.south.lab.test", faults: "[wrong_host_key]", status: "host_key_rejected",
               detail: ["phase host-key: ", "HOST KEY CHANGED for cuicchanged.south.lab.test", "SHA256:", "replace the entry with: [cuicchanged.south.lab.test]:"]),
    MatrixNode(cluster: "south", host: "cuicchangednew.south.lab.test", faults: "[wrong_host_key]", extra: ["host_key_policy: accept-new"],
               status: "host_key_rejected", detail: ["phase host-key: ", "HOST KEY CHANGED for cuicchangednew.south.lab.test"]),
    // Policy off without --insecure-host-keys: the password is never sent to the unverified host.
    MatrixNode(cluster: "south", host: "cuicchangedoff.south.lab.test", faults: "[wrong_host_key]", extra: ["host_key_policy: off"],
               status: "auth_failed", detail: ["phase auth: ", "host_key_policy is off", "the password was not sent", "--insecure-host-keys"]),
    MatrixNode(cluster: "south", host: "cuicunknown.south.lab.test", faults: "[unknown_host_key]", status: "host_key_rejected",
               detail: ["phase host-key: ", "unknown host key SHA256:", "(host_key_policy strict)",
                        "add to known_hosts: [cuicunknown.south.lab.test]:", " ssh-ed25519 AAAA"]),
    MatrixNode(cluster: "south", host: "cuicunknownnew.south.lab.test", faults: "[unknown_host_key]", extra: ["host_key_policy: accept-new"],
               status: "audited", detail: ["new host key added to known_hosts (accept-new): ssh-ed25519 SHA256:"],
               origins: expected("south.lab.test")),
    MatrixNode(cluster: "south", host: "cuicunknownoff.south.lab.test", faults: "[unknown_host_key]", extra: ["host_key_policy: off"],
               status: "auth_failed", detail: ["phase auth: ", "host_key_policy is off", "--insecure-host-keys"]),
    MatrixNode(cluster: "south", host: "cuicrejected.south.lab.test", faults: "[reject_auth]", status: "auth_failed",
               detail: ["phase auth: ", "authentication rejected (tried password, keyboard-interactive)", "no bytes received"]),
    MatrixNode(cluster: "south", host: "cuicotp.south.lab.test", faults: "[kbd_int_unexpected_prompt]", status: "auth_failed",
               detail: ["phase auth: ", "keyboard-interactive asked \"Verification code: \", which is not a password prompt"]),
    // In the VOS CLI.
    MatrixNode(cluster: "west", host: "cuicpub.west.lab.test", status: "audited", origins: expected("west.lab.test")),
    MatrixNode(cluster: "west", host: "cuicmute.west.lab.test", faults: "[never_prompt]", status: "timeout",
               detail: ["phase login: no admin: prompt within the 3 s limit",
                        "last bytes: \"Command Line Interface is starting up, please wait ...\\r\\n\""]),
    // 10 000 pager answers (the client's cap), a round trip each: a longer command limit.
    MatrixNode(cluster: "west", host: "cuicpager.west.lab.test", faults: "[endless_pager]", extra: ["timeouts: {connect: 2, login: 3, command: 60}"],
               status: "command_failed",
               detail: ["phase command: `utils cuic cors allowed_origin list` kept paging past the limit; stopped",
                        "last bytes: \"", "https://page10000.lab.test"]),
    MatrixNode(cluster: "west", host: "cuicask.west.lab.test", faults: "[confirm_prompt]", status: "command_failed",
               detail: ["`utils cuic cors status` did not complete: it asked \"Continue (y/n)?\", which an audit never confirms; the command was aborted",
                        "`utils cuic cors allowed_origin list` did not complete: it asked \"Continue (y/n)?\""]),
    MatrixNode(cluster: "west", host: "cuicdrop.west.lab.test", faults: "[drop_mid_output]", status: "disconnected",
               // A clean end of the session or a reset connection (whose unread bytes the kernel drops):
               // either way the command it cut short, and the bytes up to the prompt before it at least.
               detail: ["phase command (`utils cuic cors allowed_origin list`): the node closed the ",
                        "last bytes: \"", "CORS status: enabled\\r\\nadmin:"]),
    MatrixNode(cluster: "west", host: "cuicflood.west.lab.test", faults: "[oversize_output]", status: "command_failed",
               detail: ["phase command: `utils cuic cors allowed_origin list` printed more than 4194304 bytes; stopped",
                        "last bytes: \"", "https://filler"]),
    MatrixNode(cluster: "west", host: "cuicjunk.west.lab.test", faults: "[garbage_output]", status: "unparsed",
               detail: ["`utils cuic cors status` output not understood", "`show version active` output not understood"]),
    MatrixNode(cluster: "west", host: "cuicodd.west.lab.test", faults: "[unknown_output]", status: "unparsed",
               detail: ["`utils cuic cors status` output not understood",
                        "CORS filter mode: 3 (pending reconciliation, see /var/log/active/cors.trc)"]),
]

private func inventoryYAML() -> String {
    var yaml = """
        version: 1
        defaults:
          username: admin
          password_env: VOS_SIM_PASSWORD
          host_key_policy: strict
          timeouts: {connect: 2, login: 3, command: 3}
        clusters:

        """
    for cluster in ["north", "east", "south", "west"] {
        let domain = "\(cluster).lab.test"
        yaml += "  - name: \(cluster)\n    finesse:\n"
        yaml += "      - {host: finessep.\(domain), audit: false}\n      - {host: finesses.\(domain), audit: false}\n    cuic:\n"
        for (i, n) in matrix.filter({ $0.cluster == cluster }).enumerated() {
            yaml += "      - host: \(n.host)\n        role: \(i == 0 ? "publisher" : "subscriber")\n        live_data: none\n"
            for line in n.extra { yaml += "        \(line)\n" }
        }
        yaml += "    live_data: []\n    expected: {finesse_ports: [443, 8445]}\n"
    }
    return yaml
}

private func stateYAML() -> String {
    var yaml = "defaults: {startup_delay: 0.05, command_delay: 0.01}\nnodes:\n"
    for n in matrix {
        let origins = n.origins ?? expected(String(n.host.split(separator: ".", maxSplits: 1)[1]))
        yaml += "  \(n.host):\n"
        if !n.faults.isEmpty { yaml += "    faults: \(n.faults)\n" }
        yaml += "    lists:\n      cuic:\n        status: enabled\n        origins:\n"
        for o in origins { yaml += "          - \"\(o)\"\n" }
    }
    return yaml
}

@Suite(.serialized) struct FaultMatrixTests {
    /// One run of the real binary against a vos-sim with a node per fault: every node gets its
    /// status and a precise detail, healthy nodes are audited right, every report is written, exit 2.
    @Test func everyFaultGetsItsStatusAndDetailInOneRun() async throws {
        let corsAudit = try #require(builtBinary("cors-audit"), "cors-audit not built next to the test bundle")
        let dir = try temporaryDirectory("fault-matrix")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try inventoryYAML().write(toFile: dir + "/matrix.yaml", atomically: true, encoding: .utf8)
        try stateYAML().write(toFile: dir + "/matrix.sim.yaml", atomically: true, encoding: .utf8)
        try await Simulation.launch(["--inventory", dir + "/matrix.yaml", "--state", dir + "/matrix.sim.yaml", "--threads", "1"],
                                    password: password).use { sim in

            let out = dir + "/run"
            // The run's own limit is 90 s; the test kills it at 150 s, so a hang fails here instead of stalling.
            let run = try runProcess(corsAudit, ["audit", "--inventory", sim.inventoryPath, "--output", out, "--no-history",
                                                 "--format", "table,json,markdown,html,junit,prometheus", "--timeout", "90"],
                                     environment: ["VOS_SIM_PASSWORD": password], timeout: .seconds(150))
            print("fault matrix: \(matrix.count) nodes audited in \(String(format: "%.1f", run.seconds)) s, exit \(run.status)")
            #expect(run.status == 2, "stderr: \(run.stderr)")
            // Bounded by the slowest fault, not by their sum: the endless pager's 10 000 pages, then the 3 s phases.
            #expect(run.seconds < 90, "took \(run.seconds) s")

            // FAULT_MATRIX_REPORT=PATH keeps a copy of report.json (docs/fault-matrix.md quotes it).
            if let keep = ProcessInfo.processInfo.environment["FAULT_MATRIX_REPORT"] {
                try? FileManager.default.removeItem(atPath: keep)
                try FileManager.default.copyItem(atPath: out + "/report.json", toPath: keep)
            }
            let json = try readJSON(out + "/report.json")
            #expect(json["complete"] as? Bool == false)
            let nodes = try #require(json["nodes"] as? [[String: Any]])
            let byHost = Dictionary(uniqueKeysWithValues: nodes.map { ($0["host"] as! String, $0) })
            // Every audited node of the inventory is in the report, the Finesse nodes as skipped.
            #expect(nodes.count == matrix.count + 8)
            #expect(nodes.filter { $0["status"] as? String == "skipped" }.count == 8)
            for n in matrix {
                guard let node = byHost[n.host] else { Issue.record("\(n.host) missing from the report"); continue }
                let status = node["status"] as? String
                let detail = node["detail"] as? String ?? ""
                let notes = (node["notes"] as? [String] ?? []).joined(separator: " | ")
                #expect(status == n.status, "\(n.host): \(status ?? "-"): \(detail)")
                for part in n.detail {
                    #expect((n.status == "audited" ? notes : detail).contains(part), "\(n.host): '\(part)' not in: \(detail) \(notes)")
                }
                if n.status != "audited" { #expect(!detail.isEmpty, "\(n.host)") }
                if let origins = n.origins {
                    let got = ((node["lists"] as? [String: Any])?["cuic"] as? [String: Any])?["origins"] as? [String]
                    // Counts and the first difference only: a 1000-entry list is no message to read.
                    let firstDifference = zip(got ?? [], origins).enumerated().first { $0.element.0 != $0.element.1 }
                    #expect(got == origins, "\(n.host): \(got?.count ?? -1) origins, expected \(origins.count); first difference \(String(describing: firstDifference))")
                }
            }
            // The unknown outputs are kept verbatim for the reader.
            let odd = byHost["cuicodd.west.lab.test"]?["unparsed"] as? [[String: Any]] ?? []
            #expect(odd.contains { ($0["raw"] as? String ?? "").contains("CORS filter mode: 3") })
            // Findings come only from nodes that returned their lists: the planted gap, the 996 extras.
            let findings = try #require(json["findings"] as? [[String: Any]])
            let nodeFindings = findings.filter { $0["host"] is String }
            let missing = nodeFindings.filter { $0["kind"] as? String == "missing-origin" }.map { "\($0["host"]!) \($0["origin"]!)" }
            #expect(missing == ["cuicsub.north.lab.test https://finessep.north.lab.test:8445"])
            let extras = nodeFindings.filter { $0["kind"] as? String == "unexpected-origin" }
            #expect(extras.count == 996 && extras.allSatisfy { $0["host"] as? String == "cuicbig.north.lab.test" })
            let failedHosts = Set(matrix.filter { $0.status != "audited" }.map(\.host))
            #expect(!nodeFindings.contains { failedHosts.contains($0["host"] as! String) },
                    "\(nodeFindings.filter { failedHosts.contains($0["host"] as! String) })")

            // Every format written and readable.
            for file in ["report.md", "report.html", "junit.xml", "cors_audit.prom"] {
                let text = try String(contentsOfFile: out + "/" + file, encoding: .utf8)
                #expect(text.contains("cuicflood.west.lab.test"), "\(file)")
            }
            let junit = try XMLDocument(contentsOf: URL(fileURLWithPath: out + "/junit.xml"))
            #expect(try junit.nodes(forXPath: "//testcase").count >= matrix.count)
            let prom = try String(contentsOfFile: out + "/cors_audit.prom", encoding: .utf8)
            let down = prom.split(separator: "\n").filter { $0.hasPrefix("cors_audit_node_up{") && $0.hasSuffix("} 0") }
            #expect(down.count == matrix.filter { $0.status != "audited" }.count, "\(down)")
            #expect(run.stdout.contains("cuicpager.west.lab.test"))
            // Session transcripts of the nodes that opened a shell; never the password.
            let transcripts = try FileManager.default.contentsOfDirectory(atPath: out + "/transcripts")
            #expect(transcripts.contains("cuicjunk.west.lab.test.txt"))
            for file in transcripts {
                let bytes = FileManager.default.contents(atPath: out + "/transcripts/" + file) ?? Data()
                #expect(bytes.range(of: Data(password.utf8)) == nil, "\(file)")
            }
            for file in try FileManager.default.contentsOfDirectory(atPath: out) where !file.hasPrefix("transcripts") && !file.hasPrefix("remediation") {
                let bytes = FileManager.default.contents(atPath: out + "/" + file) ?? Data()
                #expect(bytes.range(of: Data(password.utf8)) == nil, "\(file)")
            }
        }
    }
}
