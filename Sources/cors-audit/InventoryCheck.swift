import ArgumentParser
import AuditCore
import Foundation

/// `cors-audit inventory check FILE`: the inventory validated as every run reads it, without connecting or recording.
struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Work with an inventory file without touching any node.",
        subcommands: [InventoryCheck.self])
}

struct InventoryCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate an inventory without connecting or recording: every problem as file:line:column, or a one-line summary.",
        discussion: "Exit codes: 0 valid (warnings, such as an unset password_env or an expired waiver, do not change it); 64 any error.")

    @Argument(help: "The inventory file (YAML, version 1).")
    var inventory: String

    func run() throws {
        // Every error with file:line:column, exit 64 (as every command that reads an inventory).
        let inv = try loadInventory(inventory)
        let t = Escaping.terminal
        // What a run would say before connecting, said here as warnings.
        for (name, hosts) in unsetPasswordEnv(inv, environment: ProcessInfo.processInfo.environment) {
            Terminal.error("warning: password_env \(name) is not set in this environment (\(hosts.count) node\(hosts.count == 1 ? "" : "s"): \(hosts.prefix(3).joined(separator: ", "))\(hosts.count > 3 ? " and \(hosts.count - 3) more" : ""))")
        }
        let today = Waiver.today()
        let expired = inv.waivers.filter { $0.isExpired(today: today) }
        for w in expired {
            Terminal.error("warning: waiver at \(inventory):\(w.line) (\(w.scopeText)) expired on \(w.expires): its findings count again")
        }
        let nodes = inv.nodes
        let audited = nodes.filter(\.node.audit).count
        var line = "\(t(inventory)): valid — \(inv.clusters.count) cluster\(inv.clusters.count == 1 ? "" : "s"), \(nodes.count) node\(nodes.count == 1 ? "" : "s") (\(audited) audited, \(nodes.count - audited) topology only)"
        if !inv.waivers.isEmpty {
            line += ", \(inv.waivers.count) waiver\(inv.waivers.count == 1 ? "" : "s")" + (expired.isEmpty ? "" : " (\(expired.count) expired)")
        }
        print(line)
    }
}
