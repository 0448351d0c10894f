import ArgumentParser
import Foundation
import AuditCore
import Pipeline

/// `--cluster`, `--host`, `--exclude` (each repeatable, or a comma list): the part of the inventory a run reads.
struct ScopeOptions: ParsableArguments {
    @Option(name: .long, help: "Only this cluster (repeatable, or a comma list). The report says the run was scoped.")
    var cluster: [String] = []

    @Option(name: .long, help: "Only this node, in its cluster (repeatable, or a comma list); the cluster's other nodes are not contacted.")
    var host: [String] = []

    @Option(name: .long, help: "Never contact this node (repeatable, or a comma list).")
    var exclude: [String] = []

    var scope: InventoryScope {
        func split(_ values: [String]) -> [String] {
            values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return InventoryScope(clusters: split(cluster), hosts: split(host), excluded: split(exclude))
    }

    /// The inventory narrowed to the scope, or exit 64 naming every unknown cluster and host.
    func applied(to inventory: Inventory) throws -> Inventory {
        do { return try scope.apply(to: inventory) } catch {
            Terminal.error("\(error.description) (\(inventory.path))")
            throw ExitCode(64)
        }
    }

    /// What the report says of the scope; nil for the whole inventory.
    var label: String? { scope.isEmpty ? nil : scope.description }
}
