import CFileSync
import AuditCore
import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSH
#if canImport(Glibc)
import Glibc
#endif

/// How the simulator places its nodes on loopback.
public struct SimulatorOptions: Sendable {
    public enum Layout: String, Sendable, CaseIterable {
        /// All nodes on `baseAddress`, each on its own port (`port`, `port+1`, ...; 0: any free port).
        case ports
        /// Each node on its own address (`baseAddress`, then the next ones) and the same `port`.
        case addresses
    }

    public var layout: Layout
    public var baseAddress: String
    public var port: Int
    /// The password every node accepts (from `VOS_SIM_PASSWORD`; never from the command line).
    public var password: String
    /// Event-loop threads shared by all nodes.
    public var threads: Int
    /// A file to append every finished service restart to (JSON lines, ``RestartWindow``); nil: none.
    public var restartLog: String?

    public init(layout: Layout = .ports, baseAddress: String = "127.0.0.1", port: Int = 0, password: String,
                threads: Int = System.coreCount, restartLog: String? = nil) {
        self.layout = layout
        self.baseAddress = baseAddress
        self.port = port
        self.password = password
        self.threads = threads
        self.restartLog = restartLog
    }

    /// The environment variable holding the password, and its default when unset.
    public static let passwordEnvironmentVariable = "VOS_SIM_PASSWORD"
    public static let defaultPassword = "vos-sim"
}

/// A failure to start the simulator.
public struct SimulatorError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A fleet of simulated VOS nodes, each an SSH server on loopback, all on one event-loop group.
///
/// ```swift
/// let inventory = try InventoryLoader.load(path: "inventory/lab.yaml")
/// let nodes = try StateFile.load(path: "inventory/lab.sim.yaml", inventory: inventory)
/// let sim = try await SimulatedFleet.start(inventory: inventory, nodes: nodes, options: .init(password: "pw"))
/// try sim.writeFiles(to: "/tmp/sim")          // inventory.yaml + known_hosts for the client
/// sim.node("cuicsub.uccelab.tac")?.effectiveList(.cuic)   // what a preflight would see
/// try await sim.shutdown()
/// ```
public final class SimulatedFleet: Sendable {
    /// Every node, in inventory order (refusing nodes included: nothing listens for them).
    public let nodes: [SimulatedNode]
    public let inventory: Inventory
    /// The CA that signed every node's HTTPS certificate (PEM), written as `ca.pem`.
    public let caPEM: String
    private let group: MultiThreadedEventLoopGroup
    private let listeners: [Channel]
    private let reservations: [ReservedPort]

    private init(nodes: [SimulatedNode], inventory: Inventory, caPEM: String, group: MultiThreadedEventLoopGroup, listeners: [Channel],
                 reservations: [ReservedPort]) {
        self.nodes = nodes
        self.inventory = inventory
        self.caPEM = caPEM
        self.group = group
        self.listeners = listeners
        self.reservations = reservations
    }

    /// The node with this inventory host name.
    public func node(_ host: String) -> SimulatedNode? {
        nodes.first { $0.host == host.lowercased() }
    }

    /// Starts one listener per node (none for `refuse` nodes) and returns once all are bound.
    public static func start(inventory: Inventory, nodes definitions: [NodeDefinition],
                             options: SimulatorOptions) async throws -> SimulatedFleet {
        raiseOpenFileLimit()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.threads))
        var nodes: [SimulatedNode] = []
        var listeners: [Channel] = []
        var reservations: [ReservedPort] = []
        let ca: SimulatorCA
        do { ca = try SimulatorCA() } catch { throw SimulatorError("cannot make the test CA: \(error)") }
        let restartLog = try options.restartLog.map(RestartLog.init(path:))
        // The addresses layout gives each node its own address, so its web ports can be the real 443 and 8444.
        let standardWebPorts = options.layout == .addresses
        do {
            var nextAddress = try IPv4(options.baseAddress)
            var nextPort = options.port
            for def in definitions {
                let address: String
                var port: Int
                switch options.layout {
                case .ports:
                    address = options.baseAddress
                    port = nextPort
                    if nextPort != 0 { nextPort += 1 }
                case .addresses:
                    address = nextAddress.description
                    nextAddress = nextAddress.next()
                    port = options.port
                    if port == 0 { throw SimulatorError("--layout addresses needs a fixed --port") }
                }
                // The key known_hosts gets; a `wrong_host_key` node serves another one.
                let known = NIOSSHPrivateKey(ed25519Key: .init())
                let served = def.has(.wrongHostKey) ? NIOSSHPrivateKey(ed25519Key: .init()) : known
                let knownLine = String(openSSHPublicKey: known.publicKey)
                if def.has(.unresolvable) {
                    // Nothing to listen for: the client never gets past the name lookup.
                    nodes.append(SimulatedNode(definition: def, address: def.host, port: 22, knownHostKey: knownLine))
                    continue
                }
                if def.has(.refuse) {
                    let reserved = try ReservedPort(address: address, port: port)
                    reservations.append(reserved)
                    var web: [Int: Int] = [:]
                    for (webPort, _) in WebPorts.lists(for: def) {
                        let r = try ReservedPort(address: address, port: standardWebPorts ? webPort : 0)
                        reservations.append(r)
                        web[webPort] = r.port
                    }
                    nodes.append(SimulatedNode(definition: def, address: address, port: reserved.port, knownHostKey: knownLine, httpsPorts: web))
                    continue
                }
                let pending = PendingNode(definition: def)
                let server: ServerBootstrap
                if def.has(.silent) || def.has(.garbageBanner) {
                    server = rawBootstrap(group: group, garbage: def.has(.garbageBanner), reuseAddress: port != 0)
                } else {
                    server = bootstrap(group: group, hostKey: served, password: options.password, node: pending,
                                       reuseAddress: port != 0)
                }
                let channel = try await server.bind(host: address, port: port).get()
                guard let bound = channel.localAddress?.port else { throw SimulatorError("\(def.host): no local port after bind") }
                listeners.append(channel)
                let web = try await bindHTTPS(group: group, ca: ca, definition: def, node: pending, address: address,
                                              standardPorts: standardWebPorts)
                listeners += web.channels
                let node = SimulatedNode(definition: def, address: address, port: bound, knownHostKey: knownLine, httpsPorts: web.ports,
                                         restartLog: restartLog)
                pending.node.withLockedValue { $0 = node }
                nodes.append(node)
            }
        } catch {
            for l in listeners { try? await l.close() }
            for r in reservations { r.close() }
            try? await group.shutdownGracefully()
            if let e = error as? SimulatorError { throw e }
            throw SimulatorError("cannot start the simulator: \(error)")
        }
        Membership.assign(nodes: nodes, inventory: inventory)
        return SimulatedFleet(nodes: nodes, inventory: inventory, caPEM: ca.pem, group: group, listeners: listeners, reservations: reservations)
    }

    /// Closes every listener and connection.
    public func shutdown() async throws {
        // All at once: closing a thousand listeners one by one takes seconds.
        let closes = listeners.map { $0.close() }
        try? await EventLoopFuture.andAllComplete(closes, on: group.any()).get()
        for r in reservations { r.close() }
        try await group.shutdownGracefully()
    }

    private static func bootstrap(group: EventLoopGroup, hostKey: NIOSSHPrivateKey, password: String,
                                  node: PendingNode, reuseAddress: Bool) -> ServerBootstrap {
        // SO_REUSEADDR only for fixed ports (quick restarts); with port 0 it would let the kernel
        // hand out a port another simulator's socket is still using.
        ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: reuseAddress ? 1 : 0)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let simulated = node.node.withLockedValue({ $0 }) else {
                        throw SimulatorError("connection before the node was ready")
                    }
                    var config = SSHServerConfiguration(
                        hostKeys: [hostKey],
                        userAuthDelegate: SimulatorAuthDelegate(password: password, definition: simulated.definition),
                        globalRequestDelegate: nil, banner: nil,
                        // VOS-like: CTR ciphers only (libssh2 1.10 has no GCM), which also keeps
                        // every message inside our transport, where keyboard-interactive is grafted on.
                        transportProtectionSchemes: transportSchemes(simulated.definition))
                    config.maxAuthAttempts = 10
                    let ssh = NIOSSHHandler(role: .server(config), allocator: channel.allocator,
                                            inboundChildChannelInitializer: { child, type in
                                                guard case .session = type else {
                                                    return child.eventLoop.makeFailedFuture(SimulatorError("only session channels"))
                                                }
                                                return child.eventLoop.makeCompletedFuture {
                                                    try child.pipeline.syncOperations.addHandler(VOSSessionHandler(node: simulated))
                                                }
                                            })
                    try channel.pipeline.syncOperations.addHandlers([ssh, CloseOnErrorHandler()])
                }
            }
    }

    /// The ciphers a node offers: CTR (with the keyboard-interactive shim asking for a password, or
    /// for a verification code), or for `no_common_algorithm` only swift-nio-ssh's own AES-GCM.
    private static func transportSchemes(_ def: NodeDefinition) -> [NIOSSHTransportProtection.Type] {
        if def.has(.noCommonAlgorithm) { return Constants.bundledTransportProtectionSchemes }
        if def.has(.kbdIntUnexpectedPrompt) {
            return [AES128CTRCodePromptTransportProtection.self, AES256CTRCodePromptTransportProtection.self]
        }
        return [AES128CTRTransportProtection.self, AES256CTRTransportProtection.self]
    }

    /// A listener that is no SSH server: `silent` accepts and never writes; `garbage_banner` answers
    /// like a web server on the wrong port and closes.
    private static func rawBootstrap(group: EventLoopGroup, garbage: Bool, reuseAddress: Bool) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: reuseAddress ? 1 : 0)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(garbage ? RawListenerHandler.garbage : RawListenerHandler.silent)
                }
            }
    }

    /// Hundreds of nodes need a descriptor each plus their connections: lift the soft limit to the hard one.
    static func raiseOpenFileLimit() {
        _ = cors_audit_raise_open_file_limit()
    }
}

/// A connection to a `silent` or `garbage_banner` node: reads and drops what the client sends.
final class RawListenerHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    static let garbageText = "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

    private let garbage: Bool
    private init(garbage: Bool) { self.garbage = garbage }
    static var silent: RawListenerHandler { RawListenerHandler(garbage: false) }
    static var garbage: RawListenerHandler { RawListenerHandler(garbage: true) }

    func channelActive(context: ChannelHandlerContext) {
        guard garbage else { return }
        var buffer = context.channel.allocator.buffer(capacity: Self.garbageText.utf8.count)
        buffer.writeString(Self.garbageText)
        let channel = context.channel
        context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}

/// Filled once the listener is bound (the node's port is known only then).
final class PendingNode: Sendable {
    let node = NIOLockedValueBox<SimulatedNode?>(nil)
    init(definition: NodeDefinition) {}
}

/// A dotted IPv4 address that can be stepped to the next one.
struct IPv4: CustomStringConvertible {
    var value: UInt32

    init(_ text: String) throws {
        let parts = text.split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 < 256 }) else { throw SimulatorError("'\(text)' is not an IPv4 address") }
        value = parts.reduce(0) { $0 << 8 | $1 }
    }

    private init(value: UInt32) { self.value = value }
    func next() -> IPv4 { IPv4(value: value &+ 1) }
    var description: String { "\(value >> 24).\(value >> 16 & 255).\(value >> 8 & 255).\(value & 255)" }
}

/// A `refuse` node's port: bound but never listening, so connects are refused (RST) and no other
/// listener of this machine can take the port while the simulator runs.
final class ReservedPort: Sendable {
    let port: Int
    private let descriptor: Int32

    init(address: String, port: Int) throws {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SimulatorError("socket() failed: errno \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else {
            Glibc.close(fd)
            throw SimulatorError("'\(address)' is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SimulatorError("cannot reserve \(address):\(port) for a refusing node: errno \(code)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        #else
        throw SimulatorError("refusing nodes need Linux")
        #endif
    }

    func close() {
        #if canImport(Glibc)
        _ = Glibc.close(descriptor)
        #endif
    }
}
