import CLIParsers

/// One CORS list as observed on a node, beside what it should hold.
public struct ObservedList: Sendable, Equatable {
    public var kind: ListKind
    /// Parsed CORS state; nil when not received or not understood.
    public var state: CorsState?
    /// Entries exactly as the node printed them, in order; nil when not received or not understood.
    public var origins: [String]?
    /// What the list must hold (empty for Finesse lists, which have no required set).
    public var expected: [String]
    /// `allowed_headers list` / `exposed_headers list` entries as printed; nil when not received or not understood.
    public var allowedHeaders: [String]? = nil
    public var exposedHeaders: [String]? = nil

    public func headers(_ kind: HeaderListKind) -> [String]? {
        switch kind { case .allowed: allowedHeaders; case .exposed: exposedHeaders }
    }

    /// `enabled` as the report schema states it: enable_all counts as enabled.
    public var enabled: Bool? { state.map { $0 != .disabled } }
}

/// A command whose output could not be understood, kept verbatim for the reader.
public struct UnparsedOutput: Sendable, Equatable {
    public var command: String
    public var reason: String
    public var raw: String
}

/// Everything the audit learnt about one node.
public struct NodeReport: Sendable, Equatable {
    public var cluster: String
    public var host: String
    public var product: Product
    public var role: CUICRole?
    public var status: NodeStatus
    /// Empty when audited; otherwise what failed: phase, cause, last bytes seen.
    public var detail: String
    public var version: String?
    public var lists: [ObservedList]
    public var services: ServiceList?
    public var unparsed: [UnparsedOutput]
    public var notes: [String]
    /// A key the node presented that known_hosts lacks (strict policy): the known_hosts line, for `known_hosts.new`.
    public var newHostKey: String? = nil
    /// The inventory's `release:` for the node, used when its version was not read.
    public var inventoryRelease: ReleaseFamily? = nil
    /// Finesse: `utils finesse gadget_source_check` as read; nil on other nodes.
    public var gadgetSourceCheck: GadgetSourceCheck? = nil
    /// CUIC: `private-network-access status` (true: enabled); nil when not read (not sent, or not understood).
    public var privateNetworkAccess: Bool? = nil
    /// The node's own `show network cluster`; nil when not read (a transcript without it) or not understood.
    public var membership: ClusterMembership? = nil

    /// The release family the node runs: from `show version active`, else the inventory, else unknown.
    public var release: ReleaseFamily { version.map(ReleaseFamily.init(version:)) ?? inventoryRelease ?? .unknown }
}

/// Finesse's gadget source allow-list as read from one node (S9, S10).
public struct GadgetSourceCheck: Sendable, Equatable {
    /// The switch; nil when not received or not understood.
    public var enabled: Bool?
    /// Entries as printed; nil when not received or not understood.
    public var sources: [String]?
    public init(enabled: Bool? = nil, sources: [String]? = nil) { self.enabled = enabled; self.sources = sources }
}
