import AuditCore
import Foundation

/// The lab's inventory (inventory/lab.yaml, its path as written in the repository so outputs do not depend on the
/// checkout's place) and its nodes observed from the field-shaped transcripts in inventory/transcripts/lab.
public func labObservations() throws -> (Inventory, [String: NodeObservation]) {
    var inventory = try InventoryLoader.load(path: repoRoot + "/inventory/lab.yaml")
    inventory.path = "inventory/lab.yaml"
    var observations: [String: NodeObservation] = [:]
    for (_, node) in inventory.nodes where node.audit {
        let text = try String(contentsOfFile: "\(repoRoot)/inventory/transcripts/lab/\(node.host).txt", encoding: .utf8)
        observations[node.host] = .fromTranscript(host: node.host, text: text)
    }
    return (inventory, observations)
}
