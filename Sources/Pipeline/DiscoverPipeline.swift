import AuditCore
import Collector
import Foundation
import Logging

/// `cors-audit discover`: logs in to each publisher given (as `audit` logs in to a node: the same credential sources,
/// host-key policies and collector), reads its version, services and cluster members, and writes a starter inventory.
public struct DiscoverPipeline: Sendable {
    public var targets: [Discovery.Target]
    public var defaults: Discovery.Defaults
    /// The inventory cluster's name; nil: from the publishers' domain.
    public var clusterName: String?
    public var options: SSHCollector.Options
    public var logger: Logger

    public init(targets: [Discovery.Target], defaults: Discovery.Defaults, clusterName: String? = nil,
                options: SSHCollector.Options = .init(), logger: Logger = Logger(label: "cors-audit.discover")) {
        self.targets = targets; self.defaults = defaults; self.clusterName = clusterName; self.options = options; self.logger = logger
    }

    public struct Result: Sendable {
        public var inventoryYAML: String
        public var publishers: [Discovery.Publisher]
        /// Every publisher and its cluster's members were read.
        public var complete: Bool { publishers.allSatisfy { $0.problem == nil } }
        /// 0 complete, 2 a publisher or its members not read (the inventory is still written with the rest).
        public var exitCode: Int32 { complete ? 0 : 2 }
    }

    /// The inventory the collector logs in with, for the caller's password prompts.
    public var loginInventory: Inventory { Discovery.loginInventory(targets: targets, defaults: defaults) }

    public func run(generatedAt: String = ISO8601DateFormatter().string(from: Date())) async -> Result {
        var options = options
        options.commands = Discovery.commands.map(\.rawValue)
        let results = await SSHCollector(options: options, logger: logger).collect(loginInventory)
        let publishers = targets.map { Discovery.interpret($0, observation: results[$0.name]?.observation) }
        let name = clusterName ?? Discovery.defaultClusterName(publishers.filter { $0.problem == nil || $0.membership != nil })
        return Result(inventoryYAML: Discovery.inventoryYAML(clusterName: name, defaults: defaults, publishers: publishers, generatedAt: generatedAt),
                      publishers: publishers)
    }
}
