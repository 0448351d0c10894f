import AuditCore
import Collector
import Foundation
import Logging

/// What a source saw of an inventory's audited nodes.
public struct Observed: Sendable {
    public var observations: [String: NodeObservation]
    /// Raw shell sessions worth keeping (replayable with a transcript folder); empty when there are none.
    public var transcripts: [String: [UInt8]]

    public init(observations: [String: NodeObservation], transcripts: [String: [UInt8]] = [:]) {
        self.observations = observations; self.transcripts = transcripts
    }
}

/// Where the pipeline's collect stage gets each node's command outputs.
public protocol ObservationSource: Sendable {
    func observe(_ inventory: Inventory) async -> Observed
    /// The same, telling `each` every node's observation as soon as it is known, so it can be parsed while the others
    /// are still being read.
    func observe(_ inventory: Inventory, each: @escaping @Sendable (NodeObservation) -> Void) async -> Observed
}

extension ObservationSource {
    /// A source that has everything at once tells `each` at the end.
    public func observe(_ inventory: Inventory, each: @escaping @Sendable (NodeObservation) -> Void) async -> Observed {
        let observed = await observe(inventory)
        for observation in observed.observations.values { each(observation) }
        return observed
    }
}

/// Every audited node over SSH (libssh2), all at once within the options' concurrency cap.
public struct LiveSSHSource: ObservationSource {
    public var options: SSHCollector.Options
    public var logger: Logger
    public var progress: (@Sendable (SSHCollector.Progress) -> Void)?
    /// Called once every session has ended.
    public var finished: (@Sendable () -> Void)?

    public init(options: SSHCollector.Options, logger: Logger = Logger(label: "cors-audit"),
                progress: (@Sendable (SSHCollector.Progress) -> Void)? = nil, finished: (@Sendable () -> Void)? = nil) {
        self.options = options; self.logger = logger; self.progress = progress; self.finished = finished
    }

    public func observe(_ inventory: Inventory) async -> Observed {
        await observe(inventory, each: { _ in })
    }

    public func observe(_ inventory: Inventory, each: @escaping @Sendable (NodeObservation) -> Void) async -> Observed {
        let results = await SSHCollector(options: options, logger: logger).collect(inventory, progress: progress,
                                                                                    each: { each($0.observation) })
        finished?()
        return Observed(observations: results.mapValues(\.observation), transcripts: results.compactMapValues(\.transcript))
    }
}

/// `DIR/<host>.txt`, one whole pasted (or saved) CLI session per node. A node without its file is partial.
public struct TranscriptFolderSource: ObservationSource {
    public var path: String

    public init(path: String) { self.path = path }

    public func observe(_ inventory: Inventory) async -> Observed {
        var result: [String: NodeObservation] = [:]
        for (_, node) in inventory.nodes where node.audit {
            let file = "\(path)/\(node.host).txt"
            let data: Data
            do {
                data = try BoundedFile.read(file, limit: BoundedFile.transcriptLimit, what: file)
            } catch {
                // Only a regular file of bounded size is read: a FIFO or a device would block or fill the memory.
                let detail = FileManager.default.fileExists(atPath: file) ? "no transcript: \(error)" : "no transcript: \(file) is missing or unreadable"
                result[node.host] = NodeObservation(host: node.host, captures: [], failure: CollectionFailure(status: .partial, detail: detail))
                continue
            }
            result[node.host] = .fromTranscript(host: node.host, text: String(decoding: data, as: UTF8.self))
        }
        return Observed(observations: result)
    }
}
