/// The outcome of auditing one node; the raw value is the JSON `status`.
public enum NodeStatus: String, Sendable, Codable, CaseIterable {
    case audited, unreachable
    case hostKeyRejected = "host_key_rejected"
    case authFailed = "auth_failed"
    case timeout, disconnected
    case commandFailed = "command_failed"
    case unparsed, partial, skipped
    /// `cors-audit probe`: the CLI was not read, only the web endpoints asked.
    case probeOnly = "probe_only"

    /// Audited, skipped and probe-only nodes leave the run complete; every other status makes it incomplete.
    public var isComplete: Bool { self == .audited || self == .skipped || self == .probeOnly }
}

/// The read-only VOS CLI commands the audit runs.
public enum VOSCommand: String, Sendable, CaseIterable, Codable {
    case cuicStatus = "utils cuic cors status"
    case cuicList = "utils cuic cors allowed_origin list"
    case liveDataStatus = "utils live-data cors status"
    case liveDataList = "utils live-data cors allowed_origin list"
    case finesseStatus = "utils finesse cors status"
    case finesseList = "utils finesse cors allowed_origin list"
    case version = "show version active"
    case services = "utils service list"
    /// Finesse's gadget source allow-list (S9, S10): its switch and its entries.
    case gadgetSourceStatus = "utils finesse gadget_source_check status"
    case gadgetSourceList = "utils finesse gadget_source_check allowed_list list"
    /// CUIC 12.6(2) and later (S2); sent only where the node's release profile has it.
    case cuicPrivateNetworkAccess = "utils cuic cors private-network-access status"
    case cuicAllowedHeaders = "utils cuic cors allowed_headers list"
    case cuicExposedHeaders = "utils cuic cors exposed_headers list"
    case liveDataAllowedHeaders = "utils live-data cors allowed_headers list"
    case liveDataExposedHeaders = "utils live-data cors exposed_headers list"
    case finesseAllowedHeaders = "utils finesse cors allowed_headers list"
    case finesseExposedHeaders = "utils finesse cors exposed_headers list"
    /// The node's own view of its VOS cluster's members (every node runs it: nodes may disagree).
    case networkCluster = "show network cluster"

    public static func status(of list: ListKind) -> VOSCommand {
        switch list { case .cuic: .cuicStatus; case .liveData: .liveDataStatus; case .finesse: .finesseStatus }
    }

    public static func list(of list: ListKind) -> VOSCommand {
        switch list { case .cuic: .cuicList; case .liveData: .liveDataList; case .finesse: .finesseList }
    }

    public static func headers(_ headers: HeaderListKind, of list: ListKind) -> VOSCommand {
        switch (headers, list) {
        case (.allowed, .cuic): .cuicAllowedHeaders
        case (.exposed, .cuic): .cuicExposedHeaders
        case (.allowed, .liveData): .liveDataAllowedHeaders
        case (.exposed, .liveData): .liveDataExposedHeaders
        case (.allowed, .finesse): .finesseAllowedHeaders
        case (.exposed, .finesse): .finesseExposedHeaders
        }
    }
}

/// The two header lists each CORS family keeps beside its origins (S2, S6, S9).
public enum HeaderListKind: String, Sendable, CaseIterable, Codable {
    case allowed = "allowed_headers"
    case exposed = "exposed_headers"
}

extension InventoryNode {
    /// Every command a complete audit of this node needs whatever its release, in the order they are run; the
    /// commands that depend on the release follow, chosen by ``commands(afterVersion:)`` once the version is read.
    public var auditCommands: [VOSCommand] {
        lists.flatMap { list in
            [VOSCommand.status(of: list), VOSCommand.list(of: list)] + HeaderListKind.allCases.map { VOSCommand.headers($0, of: list) }
        }
            + (product == .finesse ? [.gadgetSourceStatus, .gadgetSourceList] : [])
            + [.version, .services, .networkCluster]
    }

    /// The commands this node's release has beyond ``auditCommands``: `private-network-access` on a CUIC node
    /// whose release profile has it. Never sent to a release that lacks it or is not known (docs/releases.md).
    public func releaseCommands(_ release: ReleaseFamily) -> [VOSCommand] {
        lists.contains(.cuic) && ReleaseProfiles[release].privateNetworkAccess != nil ? [.cuicPrivateNetworkAccess] : []
    }

    /// The release a node runs as far as a collection can tell: `show version active`'s output when it parses, else
    /// the inventory's `release:`, else unknown.
    public func release(versionOutput: String?) -> ReleaseFamily {
        if let versionOutput, let active = VersionParser.parse(versionOutput).value?.active { return ReleaseFamily(version: active) }
        return release ?? .unknown
    }

    /// What to send once `show version active` printed `versionOutput` (nil: not read).
    public func commands(afterVersion versionOutput: String?) -> [VOSCommand] {
        releaseCommands(release(versionOutput: versionOutput))
    }
}

/// One command's output as collected (live) or split from a pasted transcript.
public struct CommandCapture: Sendable, Equatable {
    public var command: String
    /// Output without the echo and the trailing prompt.
    public var output: String
    /// Why the command did not complete (aborted at a confirmation prompt, truncated, ...); nil when it did.
    public var failure: String?

    public init(command: String, output: String, failure: String? = nil) {
        self.command = command; self.output = output; self.failure = failure
    }
}

/// Why collection from a node stopped before every command completed.
public struct CollectionFailure: Sendable, Equatable {
    public var status: NodeStatus
    /// Phase, cause and the last bytes seen.
    public var detail: String
    /// The node's key was not in known_hosts (strict): the line that would add it, for the run's `known_hosts.new`.
    public var knownHostsLine: String?
    public init(status: NodeStatus, detail: String, knownHostsLine: String? = nil) {
        self.status = status; self.detail = detail; self.knownHostsLine = knownHostsLine
    }
}

/// Everything received from one node, however it was collected.
public struct NodeObservation: Sendable, Equatable {
    public var host: String
    public var captures: [CommandCapture]
    public var failure: CollectionFailure?
    /// Facts about the collection worth reporting (e.g. host key not checked).
    public var notes: [String]

    public init(host: String, captures: [CommandCapture], failure: CollectionFailure? = nil, notes: [String] = []) {
        self.host = host; self.captures = captures; self.failure = failure; self.notes = notes
    }

    /// The last completed capture of a command, matched on its words (spacing and case tolerated).
    public func capture(_ command: VOSCommand) -> CommandCapture? {
        let wanted = VOSCommand.normalize(command.rawValue)
        return captures.last { VOSCommand.normalize($0.command) == wanted }
    }
}

extension VOSCommand {
    static func normalize(_ s: String) -> String {
        // Commands as sent are already in this form (lower-case ASCII, single spaces): a byte check finds that, and
        // the audit looks commands up a few hundred times per node.
        var previous: UInt8 = 0x20
        if s.utf8.last != 0x20, s.utf8.allSatisfy({ byte in
            defer { previous = byte }
            return byte > 0x20 && byte < 0x7F && !(0x41...0x5A).contains(byte) || (byte == 0x20 && previous != 0x20)
        }) { return s }
        return s.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}

import CLIParsers

extension NodeObservation {
    /// What a pasted (or saved) CLI session of `host` shows: each command typed at a prompt and its output.
    public static func fromTranscript(host: String, text: String) -> NodeObservation {
        let captures = TranscriptSplitter.split(text).map { CommandCapture(command: $0.command, output: $0.output) }
        return NodeObservation(host: host, captures: captures)
    }
}
