import AuditCore
import Foundation
import NIOConcurrencyHelpers

/// The status of one CORS list, as `utils ... cors status` reports it.
public enum CORSStatus: String, Sendable, Equatable, CaseIterable {
    case enabled
    case disabled
    /// Finesse only: a fresh install's permissive mode (any origin allowed).
    case enableAll = "enable_all"
}

/// One CORS allowed-origin list: its status and its entries, in the order the CLI numbers them.
public struct CORSList: Sendable, Equatable {
    public var status: CORSStatus
    /// Stored entries verbatim: a node may hold entries no browser origin matches.
    public var origins: [String]
    /// `allowed_headers list` / `exposed_headers list` entries (custom headers only: the defaults are not listed).
    public var allowedHeaders: [String]
    public var exposedHeaders: [String]

    public init(status: CORSStatus = .enabled, origins: [String] = [], allowedHeaders: [String] = [], exposedHeaders: [String] = []) {
        self.status = status
        self.origins = origins
        self.allowedHeaders = allowedHeaders
        self.exposedHeaders = exposedHeaders
    }
}

/// A VOS service's state as `utils service list` shows it.
public enum ServiceState: String, Sendable, Equatable {
    case started
    case stopped
    /// `[STOPPED]  Service Not Activated`.
    case notActivated = "not_activated"
}

/// One line of `utils service list`.
public struct ServiceEntry: Sendable, Equatable {
    public var name: String
    public var state: ServiceState
    /// Platform services print a space before the bracket (`System SSH [STARTED]`), as on real nodes.
    public var spaced: Bool

    public init(name: String, state: ServiceState, spaced: Bool = false) {
        self.name = name
        self.state = state
        self.spaced = spaced
    }
}

/// How a node prints the interactive `allowed_origin delete` menu.
public enum DeleteMenuForm: String, Sendable, Equatable {
    /// As Cisco's guides print it, the same for 12.5, 12.6 and 15.0: CUIC and Live Data `1. origin` and
    /// `Select the index of origin to be deleted [1-N or a,q]` with no colon; Finesse `1: origin` and
    /// `Select the index of origin(s) to be deleted [1-N or a,q] `.
    case documented
    /// Every list `1: origin` and `Select the index of origin to be deleted [1-N or a,q]: `, so clients are also
    /// tested against a prompt ending in a colon.
    case colon
}

/// A misbehaviour a node can be told to show, to test how the client copes.
public enum Fault: Sendable, Hashable {
    /// Nothing listens: the TCP connect is refused.
    case refuse
    /// The node presents a host key other than the one written to known_hosts.
    case wrongHostKey
    /// Every authentication attempt fails.
    case rejectAuth
    /// The start-up line, then nothing: the prompt never comes.
    case neverPrompt
    /// The connection is cut in the middle of a list output.
    case dropMidOutput
    /// Read commands print binary junk (invalid UTF-8, control characters) instead of their output.
    case garbageOutput
    /// Status commands print text no parser could understand.
    case unknownOutput
    /// The CLI takes this many seconds to start instead of the node's start-up delay.
    case slowStart(Double)
    /// CORS read commands ask `Continue (y/n)?` first; anything but `y` gives nothing useful.
    case confirmPrompt
    /// Only keyboard-interactive authentication is offered (password auth is refused).
    case keyboardInteractiveOnly
    /// Accepts the TCP connection and never says a word (no SSH identification).
    case silent
    /// Answers like a web server (an HTTP error) instead of with an SSH identification, then closes.
    case garbageBanner
    /// Offers only AES-GCM ciphers, which libssh2 1.10 lacks: the key exchange finds no common cipher.
    case noCommonAlgorithm
    /// The node's key is left out of known_hosts: its host key is unknown to the client.
    case unknownHostKey
    /// Nothing listens and the client inventory gives no address: the host name (under `.invalid`,
    /// which never resolves, RFC 6761) is looked up and fails.
    case unresolvable
    /// Keyboard-interactive only, and it asks for a verification code instead of a password.
    case kbdIntUnexpectedPrompt
    /// CORS list commands page forever, one line per page, whatever the pagination setting.
    case endlessPager
    /// CORS list commands print this many bytes (beyond the client's cap) before the prompt.
    case oversizeOutput(Int)
    /// Every byte the node sends goes out on its own, this many seconds apart.
    case dripOutput(Double)
    /// `utils service restart` stops the service and it does not come back: the restart ends `[STOPPED]` (no
    /// failure marker, as a restart that gives up may print) and `utils service list` shows it stopped.
    case restartStaysStopped

    /// Every fault's state-file name, for error messages and the fleet generator.
    public static let allNames = ["refuse", "wrong_host_key", "reject_auth", "never_prompt", "drop_mid_output", "garbage_output",
                                  "unknown_output", "slow_start", "confirm_prompt", "keyboard_interactive_only", "silent",
                                  "garbage_banner", "no_common_algorithm", "unknown_host_key", "unresolvable",
                                  "kbd_int_unexpected_prompt", "endless_pager", "oversize_output", "drip_output",
                                  "restart_stays_stopped"]

    /// The name used in the state file.
    public var name: String {
        switch self {
        case .refuse: "refuse"
        case .wrongHostKey: "wrong_host_key"
        case .rejectAuth: "reject_auth"
        case .neverPrompt: "never_prompt"
        case .dropMidOutput: "drop_mid_output"
        case .garbageOutput: "garbage_output"
        case .unknownOutput: "unknown_output"
        case .slowStart: "slow_start"
        case .confirmPrompt: "confirm_prompt"
        case .keyboardInteractiveOnly: "keyboard_interactive_only"
        case .silent: "silent"
        case .garbageBanner: "garbage_banner"
        case .noCommonAlgorithm: "no_common_algorithm"
        case .unknownHostKey: "unknown_host_key"
        case .unresolvable: "unresolvable"
        case .kbdIntUnexpectedPrompt: "kbd_int_unexpected_prompt"
        case .endlessPager: "endless_pager"
        case .oversizeOutput: "oversize_output"
        case .dripOutput: "drip_output"
        case .restartStaysStopped: "restart_stays_stopped"
        }
    }
}

/// How a node's CORS filter answers a preflight whose origin it lets in, and what it adds to the call that follows.
/// `field` is the captured CUIC answer (S1); each other one breaks one rule of the Fetch standard's CORS check, so
/// every refusal the client's judge names can be played end to end and shown to a real browser. The state-file name
/// is the raw value.
public enum PreflightBehaviour: String, Sendable, CaseIterable {
    /// The field capture: 200, the origin echoed, `Access-Control-Allow-Credentials: true`, methods and headers.
    case field
    /// `Access-Control-Allow-Origin: *` with credentials `true`, to every origin (the list is not consulted).
    case wildcard
    /// `Access-Control-Allow-Origin: *` without `Access-Control-Allow-Credentials`, to every origin.
    case wildcardNoCredentials = "wildcard_no_credentials"
    /// The origin echoed, no `Access-Control-Allow-Credentials`.
    case noCredentials = "no_credentials"
    /// `Access-Control-Allow-Credentials: TRUE` (only lower-case `true` counts).
    case credentialsUppercase = "credentials_uppercase"
    /// `Access-Control-Allow-Headers` without `authorization`.
    case noAuthorization = "no_authorization"
    /// `Access-Control-Allow-Headers: *`.
    case headersWildcard = "headers_wildcard"
    /// `Access-Control-Allow-Headers: *, authorization`.
    case headersWildcardAuthorization = "headers_wildcard_authorization"
    /// No `Access-Control-Allow-Headers` at all.
    case noAllowHeaders = "no_allow_headers"
    /// `Access-Control-Allow-Headers` that is no list of header names (`content type`).
    case invalidAllowHeaders = "invalid_allow_headers"
    /// `Access-Control-Allow-Methods` that is no list of methods (`GET POST`).
    case invalidAllowMethods = "invalid_allow_methods"
    /// Two `Access-Control-Allow-Origin` headers, both the origin.
    case duplicateOrigin = "duplicate_origin"
    /// `Access-Control-Allow-Origin` is always the list's first entry (a cache that ignores `Vary: Origin`).
    case fixedOrigin = "fixed_origin"
    /// 403 carrying every CORS header, the origin echoed.
    case forbiddenWithHeaders = "forbidden_with_headers"
}

/// One member line of `show network cluster` as the simulator prints it.
public struct SimulatedMember: Sendable, Equatable {
    public var host: String
    public var address: String
    public var publisher: Bool
    /// The application word after the role; what CUIC, Live Data and Finesse print there is not known publicly (assumed).
    public var application: String

    public init(host: String, address: String, publisher: Bool, application: String) {
        self.host = host; self.address = address; self.publisher = publisher; self.application = application
    }
}

/// How a node's `show network cluster` departs from the inventory's cluster (state file `cluster_view`).
public struct ClusterViewDefinition: Sendable, Equatable {
    /// Members the node lists beyond the simulated ones (nodes the inventory lacks).
    public var extra: [SimulatedMember] = []
    /// Simulated hosts the node leaves out of its view.
    public var hide: [String] = []
    /// Simulated hosts whose role this node prints the other way round.
    public var swapRole: [String] = []
    public init(extra: [SimulatedMember] = [], hide: [String] = [], swapRole: [String] = []) {
        self.extra = extra; self.hide = hide; self.swapRole = swapRole
    }
}

/// One preflight as the node received it.
public struct ReceivedPreflight: Sendable, Equatable {
    public var list: ListKind
    /// The request target, query included.
    public var path: String
    public var origin: String
    public var requestMethod: String?
    public var requestHeaders: String?
}

/// A node as the state file describes it, before it runs.
public struct NodeDefinition: Sendable, Equatable {
    public var host: String
    public var product: Product
    public var version: String
    public var services: [ServiceEntry]
    /// The lists this node holds, keyed by CLI family; a family missing here is an invalid command.
    public var lists: [ListKind: CORSList]
    public var faults: [Fault]
    /// Seconds from login to the prompt (real nodes: about 8.6 s).
    public var startupDelay: Double
    /// Seconds each command takes before its output.
    public var commandDelay: Double
    /// Seconds each stop and start of `utils service restart` takes.
    public var restartDelay: Double
    public var deleteMenu: DeleteMenuForm
    /// How its CORS filter answers beyond the list: as the field capture, or one way browsers refuse.
    public var preflight: PreflightBehaviour
    /// Gadget source check (Finesse) and private network access (CUIC) as the node starts.
    public var settings = NodeSettings()
    /// What its `show network cluster` adds to, or leaves out of, the simulated cluster.
    public var clusterView = ClusterViewDefinition()

    public init(host: String, product: Product, version: String, services: [ServiceEntry], lists: [ListKind: CORSList],
                faults: [Fault] = [], startupDelay: Double, commandDelay: Double, restartDelay: Double,
                deleteMenu: DeleteMenuForm = .documented, preflight: PreflightBehaviour = .field) {
        self.host = host
        self.product = product
        self.version = version
        self.services = services
        self.lists = lists
        self.faults = faults
        self.startupDelay = startupDelay
        self.commandDelay = commandDelay
        self.restartDelay = restartDelay
        self.deleteMenu = deleteMenu
        self.preflight = preflight
    }

    public func has(_ fault: Fault) -> Bool { faults.contains(fault) }

    /// Seconds between bytes for a `drip_output` node, nil for any other.
    public var dripInterval: Double? {
        for case .dripOutput(let s) in faults { return s }
        return nil
    }

    /// Bytes a CORS list prints on an `oversize_output` node, nil for any other.
    public var oversizeBytes: Int? {
        for case .oversizeOutput(let n) in faults { return n }
        return nil
    }

    /// Whether anything listens for this node (`refuse` and `unresolvable` nodes have no listener).
    public var listens: Bool { !has(.refuse) && !has(.unresolvable) }

    /// The start-up delay, or the `slow_start` fault's.
    public var effectiveStartupDelay: Double {
        for case .slowStart(let s) in faults { return s }
        return startupDelay
    }

    /// The services whose restart makes a change of `list` effective (domain.md, "Changes take
    /// effect only after a service restart"); all of them must be restarted.
    public func restartServices(for list: ListKind) -> [String] {
        let names = Set(services.map(\.name))
        switch list {
        case .cuic:
            return [ServiceCatalog.cuicReporting]
        case .liveData:
            // 12.x has the NGINX service, 15.0 the web proxy: whichever the node runs.
            let candidates = [ServiceCatalog.liveDataNginx, ServiceCatalog.webProxy]
            return [candidates.first(where: names.contains) ?? ServiceCatalog.liveDataNginx]
        case .finesse:
            return [ServiceCatalog.finesseTomcat, ServiceCatalog.finesseNotification]
        }
    }
}

/// Configured versus effective state of one node, shared by all its sessions.
public struct NodeState: Sendable, Equatable {
    /// What the CLI shows and edits.
    public var configured: [ListKind: CORSList]
    /// What the node serves to browsers: the configured state as of the last matching restart.
    public var effective: [ListKind: CORSList]
    public var services: [ServiceEntry]
    /// Per list, the services still to restart before the configured state takes effect.
    public var pendingRestarts: [ListKind: Set<String>]
    /// Every `utils service restart` this node ran to its end, in the order they ended.
    public var restarts: [RestartWindow] = []
    /// The settings beside the lists, as the CLI shows and edits them.
    public var settings = NodeSettings()
}

/// One `utils service restart` on a node: from the command's start to the line that ends it (`[STARTED]`, or
/// `[STOPPED]` for `restart_stays_stopped`). Wall-clock times, so windows of several processes compare.
public struct RestartWindow: Sendable, Equatable, Codable {
    public var host: String
    public var service: String
    /// Seconds since 1970.
    public var start: Double
    public var end: Double
    /// `STARTED`, or `STOPPED` when the service did not come back.
    public var result: String

    public init(host: String, service: String, start: Double, end: Double, result: String) {
        self.host = host; self.service = service; self.start = start; self.end = end; self.result = result
    }

    /// Whether the two windows share any instant.
    public func overlaps(_ other: RestartWindow) -> Bool { start < other.end && other.start < end }
}

/// A running node: its definition, where it listens, and its live state.
///
/// Thread-safe: sessions on any event loop and API callers on any thread share it.
public final class SimulatedNode: Sendable {
    public let definition: NodeDefinition
    /// Where it listens; for a `refuse` node, where nothing listens.
    public let address: String
    public let port: Int
    /// The ed25519 host key line body written to known_hosts (`ssh-ed25519 AAAA...`): the key the
    /// node presents unless it has the `wrong_host_key` fault.
    public let knownHostKey: String
    /// Browser port (443, 8444) → where this node's HTTPS listener for it is bound on `address`.
    public let httpsPorts: [Int: Int]
    private let box: NIOLockedValueBox<NodeState>
    private let preflights = NIOLockedValueBox<[ReceivedPreflight]>([])
    private let members = NIOLockedValueBox<[SimulatedMember]>([])
    /// Where each finished restart is also appended as a JSON line (`vos-sim --restart-log`).
    let restartLog: RestartLog?

    init(definition: NodeDefinition, address: String, port: Int, knownHostKey: String, httpsPorts: [Int: Int] = [:],
         restartLog: RestartLog? = nil) {
        self.definition = definition
        self.restartLog = restartLog
        self.address = address
        self.port = port
        self.knownHostKey = knownHostKey
        self.httpsPorts = httpsPorts
        var initial = NodeState(configured: definition.lists, effective: definition.lists, services: definition.services, pendingRestarts: [:])
        initial.settings = definition.settings
        box = NIOLockedValueBox(initial)
    }

    public var host: String { definition.host }

    /// The members its `show network cluster` lists, set once every node of the fleet has its address.
    public var membership: [SimulatedMember] { members.withLockedValue { $0 } }

    func setMembership(_ list: [SimulatedMember]) { members.withLockedValue { $0 = list } }

    /// A snapshot of the whole state.
    public var state: NodeState { box.withLockedValue { $0 } }

    /// The list as the CLI shows it (changed by add/delete/enable/disable at once).
    public func configuredList(_ kind: ListKind) -> CORSList? { box.withLockedValue { $0.configured[kind] } }

    /// The preflights this node answered, oldest first (the last 1,000): what a browser or the probe asked for.
    public var preflightsReceived: [ReceivedPreflight] { preflights.withLockedValue { $0 } }

    func record(_ preflight: ReceivedPreflight) {
        preflights.withLockedValue { log in
            if log.count >= 1000 { log.removeFirst() }
            log.append(preflight)
        }
    }

    /// The list as the node serves it: what a CORS preflight would see.
    public func effectiveList(_ kind: ListKind) -> CORSList? { box.withLockedValue { $0.effective[kind] } }

    /// Whether the live node would answer a preflight from `origin` with that origin echoed.
    public func allowsPreflight(from origin: String, list kind: ListKind) -> Bool {
        guard let list = effectiveList(kind) else { return false }
        switch list.status {
        case .disabled: return false
        case .enableAll: return true
        case .enabled: return list.origins.contains(origin)
        }
    }

    /// Changes the configured list; the change waits for the matching restarts to take effect.
    func updateConfigured(_ kind: ListKind, _ change: (inout CORSList) -> Void) {
        let restarts = Set(definition.restartServices(for: kind))
        box.withLockedValue { state in
            guard var list = state.configured[kind] else { return }
            change(&list)
            guard list != state.configured[kind] else { return }
            state.configured[kind] = list
            state.pendingRestarts[kind] = restarts
        }
    }

    /// Records a completed restart of `service` begun at `start` (seconds since 1970): lists waiting only for it
    /// become effective, and a stopped service is started. With `restart_stays_stopped` the service is left stopped
    /// and nothing takes effect. Returns false when the node has no such service.
    @discardableResult
    func restarted(service: String, start: Double? = nil) -> Bool {
        let end = Date().timeIntervalSince1970
        let stays = definition.has(.restartStaysStopped)
        let window: RestartWindow? = box.withLockedValue { state in
            guard let i = state.services.firstIndex(where: { $0.name.caseInsensitiveCompare(service) == .orderedSame }) else {
                return nil
            }
            let name = state.services[i].name
            let window = RestartWindow(host: host, service: name, start: start ?? end, end: end, result: stays ? "STOPPED" : "STARTED")
            state.restarts.append(window)
            if stays {
                state.services[i].state = .stopped
                return window
            }
            state.services[i].state = .started
            for (kind, var pending) in state.pendingRestarts {
                pending.remove(name)
                if pending.isEmpty {
                    state.pendingRestarts[kind] = nil
                    state.effective[kind] = state.configured[kind]
                } else {
                    state.pendingRestarts[kind] = pending
                }
            }
            return window
        }
        guard let window else { return false }
        restartLog?.append(window)
        return true
    }

    func services() -> [ServiceEntry] { box.withLockedValue { $0.services } }

    /// The settings beside the lists as the CLI shows them.
    public var settings: NodeSettings { box.withLockedValue { $0.settings } }

    func updateSettings(_ change: (inout NodeSettings) -> Void) { box.withLockedValue { change(&$0.settings) } }
}
