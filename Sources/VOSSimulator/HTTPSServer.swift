import AuditCore
import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import X509

/// The simulator's own certificate authority: made in memory at start, written as `ca.pem` for the client's
/// `--ca-file`, and signing one leaf per node for its inventory host name.
public struct SimulatorCA: Sendable {
    let key: P256.Signing.PrivateKey
    let certificate: Certificate
    public let pem: String

    public init() throws {
        key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("vos-sim test CA (not for production)") }
        let now = Date()
        certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(30 * 86400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
        pem = try certificate.serializeAsPEM().pemString
    }

    /// A server context whose leaf names `host` (the name the browser and the probe verify).
    public func serverContext(host: String) throws -> NIOSSLContext {
        let leafKey = P256.Signing.PrivateKey()
        let now = Date()
        let leaf = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(leafKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(30 * 86400),
            issuer: certificate.subject, subject: try DistinguishedName { CommonName(host) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName(host)])
            },
            issuerPrivateKey: .init(key))
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(try leaf.serializeAsPEM().pemString.utf8))
        let privateKey = try NIOSSLPrivateKey(bytes: Array(leafKey.pemRepresentation.utf8), format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        tls.applicationProtocols = ["http/1.1"]
        return try NIOSSLContext(configuration: tls)
    }
}

/// The web side of a node: which CORS list each browser port serves, as the port utilization guides lay it out.
/// 12.5(1): CUIC on 8444 only (443 is the OAMP administration UI: 404 for /cuic/), Live Data on 12005.
/// 12.6(2) and later: CUIC on 8444 and 443, Live Data on 443. The simulator keeps its own table (it shares no logic
/// with the client).
enum WebPorts {
    static func lists(for definition: NodeDefinition) -> [(port: Int, lists: [ListKind])] {
        let held = Set(definition.lists.keys)
        let is12_5 = definition.version.hasPrefix("12.5.")
        switch definition.product {
        case .cuic:
            if is12_5 {
                return [(8444, [.cuic]), (443, [])] + (held.contains(.liveData) ? [(12005, [.liveData])] : [])
            }
            return [(8444, [.cuic]), (443, [.cuic] + (held.contains(.liveData) ? [.liveData] : []))]
        case .livedata:
            return is12_5 ? [(12005, [.liveData])] : [(443, [.liveData])]
        case .finesse:
            return []
        }
    }
}

/// Answers preflights from the node's EFFECTIVE state, as the field captures show: 200 echoing the origin with
/// the CORS headers when the served list holds it, 403 without CORS headers when not. A list whose CORS is
/// disabled answers 200 without any CORS header (the filter is off).
final class PreflightHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let node: PendingNode
    private let lists: [ListKind]
    private var head: HTTPRequestHead?

    init(node: PendingNode, lists: [ListKind]) {
        self.node = node
        self.lists = lists
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(context: context, to: head)
        }
    }

    private func respond(context: ChannelHandlerContext, to request: HTTPRequestHead) {
        var headers = HTTPHeaders([("server", "nginx"), ("content-length", "0")])
        var status = HTTPResponseStatus.ok
        var body = ""
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        let list: ListKind? = path.hasPrefix("/cuic") ? .cuic : path.hasPrefix("/livedata") ? .liveData : nil
        if let list, lists.contains(list), let simulated = node.node.withLockedValue({ $0 }) {
            let origin = request.headers.first(name: "origin")
            let behaviour = simulated.definition.preflight
            let served = simulated.effectiveList(list)
            let anyOrigin = [.wildcard, .wildcardNoCredentials].contains(behaviour) && served.map { $0.status != .disabled } == true
            let letIn = origin.map { anyOrigin || simulated.allowsPreflight(from: $0, list: list) } ?? false
            if request.method == .OPTIONS, let origin {
                simulated.record(ReceivedPreflight(list: list, path: request.uri, origin: origin,
                                                   requestMethod: request.headers.first(name: "access-control-request-method"),
                                                   requestHeaders: request.headers.first(name: "access-control-request-headers")))
                if letIn {
                    headers.add(contentsOf: Self.corsHeaders(behaviour, origin: origin, first: served?.origins.first, preflight: true))
                    headers.add(name: "allow", value: "GET,POST,OPTIONS,PUT,DELETE")
                    if behaviour == .forbiddenWithHeaders {
                        status = .forbidden
                        body = Self.forbidden
                    }
                } else if served?.status == .disabled {
                    headers.add(name: "allow", value: "GET,POST,OPTIONS,PUT,DELETE")
                } else {
                    status = .forbidden
                    body = Self.forbidden
                }
            } else {
                body = "<html><body>\(list.displayName) on \(simulated.host)</body></html>\n"
                // The call after a passed preflight carries the same origin headers, as a CORS filter adds them to every answer.
                if let origin, letIn {
                    headers.add(contentsOf: Self.corsHeaders(behaviour, origin: origin, first: served?.origins.first, preflight: false))
                    if behaviour == .forbiddenWithHeaders { status = .forbidden }
                }
            }
        } else {
            status = .notFound
            body = "<html><body>404 Not Found</body></html>\n"
        }
        if !body.isEmpty {
            headers.replaceOrAdd(name: "content-length", value: String(body.utf8.count))
            headers.add(name: "content-type", value: "text/html;charset=utf-8")
        }
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    static let forbidden = "<html><head><title>403 Forbidden</title></head><body><h1>HTTP Status 403 – Forbidden</h1></body></html>\n"

    /// The CORS headers of an answer that lets `origin` in, as `behaviour` writes them: the field capture's for `field`.
    static func corsHeaders(_ behaviour: PreflightBehaviour, origin: String, first: String?, preflight: Bool) -> [(String, String)] {
        let acao = "access-control-allow-origin"
        var h = [("vary", "origin,access-control-request-method,Access-Control-Request-Headers")]
        switch behaviour {
        case .wildcard, .wildcardNoCredentials: h.append((acao, "*"))
        case .duplicateOrigin: h += [(acao, origin), (acao, origin)]
        case .fixedOrigin: h.append((acao, first ?? origin))
        default: h.append((acao, origin))
        }
        switch behaviour {
        case .wildcardNoCredentials, .noCredentials: break
        case .credentialsUppercase: h.append(("access-control-allow-credentials", "TRUE"))
        default: h.append(("access-control-allow-credentials", "true"))
        }
        guard preflight else { return h }
        h.append(("access-control-max-age", "600"))
        h.append(("access-control-allow-methods", behaviour == .invalidAllowMethods ? "GET POST" : "DELETE,POST,GET,OPTIONS,PUT"))
        let captured = "referer,peripheralid,origin,access-control-request-method,locale,accept,authorization,domain,x-requested-with,access-control-request-headers,content-type,user-agent"
        switch behaviour {
        case .noAuthorization: h.append(("access-control-allow-headers", captured.replacingOccurrences(of: "authorization,", with: "")))
        case .headersWildcard: h.append(("access-control-allow-headers", "*"))
        case .headersWildcardAuthorization: h.append(("access-control-allow-headers", "*, authorization"))
        case .noAllowHeaders: break
        case .invalidAllowHeaders: h.append(("access-control-allow-headers", "content type"))
        default: h.append(("access-control-allow-headers", captured))
        }
        return h
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A client that drops the TLS handshake (e.g. one that does not trust the CA) ends only its own connection.
        context.close(promise: nil)
    }
}

extension SimulatedFleet {
    /// Binds one HTTPS listener per browser port of the node; returns browser port → bound port, and the channels.
    static func bindHTTPS(group: EventLoopGroup, ca: SimulatorCA, definition: NodeDefinition, node: PendingNode,
                          address: String, standardPorts: Bool) async throws -> (ports: [Int: Int], channels: [Channel]) {
        var ports: [Int: Int] = [:]
        var channels: [Channel] = []
        let web = WebPorts.lists(for: definition)
        guard !web.isEmpty else { return ([:], []) }
        let context = try ca.serverContext(host: definition.host)
        for (port, lists) in web {
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: standardPorts ? 1 : 0)
                .serverChannelOption(ChannelOptions.backlog, value: 256)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(PreflightHandler(node: node, lists: lists))
                    }
                }
            do {
                let channel = try await bootstrap.bind(host: address, port: standardPorts ? port : 0).get()
                guard let bound = channel.localAddress?.port else { throw SimulatorError("\(definition.host): no local port after the HTTPS bind") }
                ports[port] = bound
                channels.append(channel)
            } catch let error as SimulatorError {
                throw error
            } catch {
                for c in channels { try? await c.close() }
                throw SimulatorError("\(definition.host): cannot serve HTTPS on \(address):\(standardPorts ? port : 0): \(error)")
            }
        }
        return (ports, channels)
    }
}
