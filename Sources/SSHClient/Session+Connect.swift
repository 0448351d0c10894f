import CLibssh2
#if canImport(Glibc)
import Glibc
#endif

/// TCP connect, SSH handshake, and the probe of the server's offer when negotiation fails.
extension Session {
    /// The handshake over a connected socket, with known_hosts already read for this node.
    struct Handshake {
        let transport: Transport
        /// The connect deadline: it covers the TCP connect and the handshake together.
        let deadline: ContinuousClock.Instant
        let knownHosts: KnownHostsLookup
        /// Where the socket connected; a probe of the server's offer goes there too.
        let address: ResolvedAddress
    }

    /// A second, plaintext-only connection reading the server's offer.
    struct OfferProbe {
        let probe: KexProbe
        /// What this libssh2 offers.
        let ours: AlgorithmOffer
        /// The negotiation failure, which the probe's findings complete.
        let failure: SSHError
    }

    // MARK: Connect

    func beginConnect(to addresses: [ResolvedAddress], _ run: RunContext, now: ContinuousClock.Instant) {
        do {
            state = .connecting(try NonBlockingConnect(to: addresses), deadline: now + target.connectTimeout)
        } catch {
            fail(connectError(error), run, now: now)
        }
    }

    func finishConnect(_ connect: NonBlockingConnect, deadline: ContinuousClock.Instant, _ run: RunContext,
                       now: ContinuousClock.Instant) throws(SSHError) -> Bool {
        var connect = connect
        let progress = connect.check()
        // Stored before acting: the state must hold the socket teardown is to close.
        state = .connecting(connect, deadline: deadline)
        switch progress {
        case .waiting:
            return false
        case .failed(let failure):
            throw connectError(failure)
        case .connected(let fd, let address):
            mark("connect", now)
            try startHandshake(fd: fd, address: address, deadline: deadline, run)
            return true
        }
    }

    func connectError(_ failure: ConnectFailure) -> SSHError {
        let code = failure.code
        guard failure.call == .connect else {
            return SSHError(host: target.host, phase: .connect, kind: .io, function: "socket", code: code,
                            message: "cannot create a socket: \(String(cString: strerror(code)))")
        }
        let kind: SSHErrorKind
        switch code {
        case ECONNREFUSED: kind = .refused
        case EHOSTUNREACH, ENETUNREACH: kind = .noRoute
        case ETIMEDOUT: kind = .connectTimeout
        default: kind = .io
        }
        return SSHError(host: target.host, phase: .connect, kind: kind, function: "connect", code: code,
                        message: "cannot connect to \(describe(failure.address)): \(String(cString: strerror(code)))")
    }

    /// The address as errors show it: the name, with the numeric address when it differs.
    func describe(_ address: ResolvedAddress?) -> String {
        guard let address else { return target.address }
        let numeric = address.numericHost
        let host = numeric == target.address ? numeric : "\(target.address) (\(numeric))"
        return "\(host) port \(target.port)"
    }

    // MARK: Handshake

    /// On failure the state still holds the connected socket, so teardown closes it.
    private func startHandshake(fd: Int32, address: ResolvedAddress, deadline: ContinuousClock.Instant,
                                _ run: RunContext) throws(SSHError) {
        guard let session = cors_libssh2_session_init(Unmanaged.passUnretained(auth).toOpaque()) else {
            throw SSHError(host: target.host, phase: .handshake, kind: .io, function: "libssh2_session_init_ex",
                           message: "libssh2 could not allocate a session")
        }
        libssh2_session_set_blocking(session, 0)
        let knownHosts = readKnownHosts(run)
        preferHostKeyAlgorithms(session, knownHosts: knownHosts)
        state = .handshaking(Handshake(transport: Transport(fd: fd, session: session), deadline: deadline,
                                       knownHosts: knownHosts, address: address))
    }

    func stepHandshake(_ handshake: Handshake, _ run: RunContext, now: ContinuousClock.Instant) throws(SSHError) -> Bool {
        let session = handshake.transport.session
        do {
            guard case .done = try libssh2Check(
                Int(libssh2_session_handshake(session, handshake.transport.fd)), value: (),
                function: "libssh2_session_handshake", session: session, host: target.host, phase: .handshake,
                classify: { code, message in Self.classifyHandshake(code, message) })
            else { return false }
        } catch {
            if case .noCommonAlgorithm = error.kind {
                startProbe(error, handshake, now: now)
                return true
            }
            var failure = error
            // libssh2 skips lines before the "SSH-" identification (RFC 4253 allows them) and
            // keeps the last one: showing it makes the error readable (an HTTP header on a web
            // port) and marks it a protocol error even when the server then hung up.
            if let banner = libssh2_session_banner_get(session).map({ String(cString: $0) }), !banner.hasPrefix("SSH-") {
                failure.kind = .protocolError
                failure.message += "; no SSH identification, the last line the server sent was \"\(banner.prefix(80))\""
            }
            throw failure
        }
        info.kex = LibSSH2.method(session, CORS_LIBSSH2_METHOD_KEX)
        info.hostKeyType = LibSSH2.method(session, CORS_LIBSSH2_METHOD_HOSTKEY)
        info.cipherClientToServer = LibSSH2.method(session, CORS_LIBSSH2_METHOD_CRYPT_CS)
        info.cipherServerToClient = LibSSH2.method(session, CORS_LIBSSH2_METHOD_CRYPT_SC)
        info.macClientToServer = LibSSH2.method(session, CORS_LIBSSH2_METHOD_MAC_CS)
        info.macServerToClient = LibSSH2.method(session, CORS_LIBSSH2_METHOD_MAC_SC)
        mark("handshake", now)
        let login = Login(transport: handshake.transport, deadline: now + target.loginTimeout)
        state = .hostKey(login)
        try checkHostKey(login, knownHosts: handshake.knownHosts, run, now: now)
        return true
    }

    func handshakeTimeout(_ handshake: Handshake) -> SSHError {
        let banner = libssh2_session_banner_get(handshake.transport.session).map { String(cString: $0) }
        let detail = banner.map { "server identified as \"\($0)\"" } ?? "no SSH identification received"
        return SSHError(host: target.host, phase: .handshake, kind: .handshakeTimeout,
                        function: "libssh2_session_handshake",
                        message: "SSH handshake not done within \(target.connectTimeout) (\(detail))")
    }

    /// libssh2 1.10 reports a failed algorithm negotiation only as "Unable to exchange encryption
    /// keys" (LIBSSH2_ERROR_KEX_FAILURE), the same as other key-exchange failures: treat it as a
    /// candidate, and let the probe of the server's offer decide (`finishProbe`).
    ///
    /// A server that hangs up as soon as it sees no overlap (swift-nio-ssh does) makes libssh2 fail
    /// the same exchange with LIBSSH2_ERROR_SOCKET_NONE and the same text, so the text counts too.
    static func classifyHandshake(_ code: Int32, _ message: String) -> SSHErrorKind? {
        if message.hasPrefix("Unable to exchange encryption keys") { return .noCommonAlgorithm(ours: "", theirs: nil) }
        switch code {
        case CORS_LIBSSH2_ERROR_KEX_FAILURE, CORS_LIBSSH2_ERROR_METHOD_NOT_SUPPORTED:
            return .noCommonAlgorithm(ours: "", theirs: nil)
        case CORS_LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE, CORS_LIBSSH2_ERROR_HOSTKEY_INIT:
            return .protocolError
        default:
            return nil
        }
    }

    // MARK: Server offer probe

    /// After a negotiation failure, read the server's offer over a second, plaintext-only
    /// connection: it tells the user exactly which algorithm family has no overlap.
    private func startProbe(_ error: SSHError, _ handshake: Handshake, now: ContinuousClock.Instant) {
        let ours = AlgorithmOffer(session: handshake.transport.session)
        release(remains)
        let budget = min(max(handshake.deadline - now, .milliseconds(500)), .seconds(3))
        state = .probing(OfferProbe(probe: KexProbe(address: handshake.address, deadline: now + budget),
                                    ours: ours, failure: error))
    }

    func finishProbe(_ probing: OfferProbe, now: ContinuousClock.Instant) {
        let theirs = probing.probe.serverOffer
        var failure = probing.failure
        failure.kind = .noCommonAlgorithm(ours: probing.ours.description, theirs: theirs?.description)
        if let theirs {
            let gaps = probing.ours.familiesWithoutOverlap(theirs)
            if gaps.isEmpty {
                // Every family overlaps: the exchange failed for another reason.
                failure.kind = .protocolError
                failure.message += "; the algorithm lists overlap (server offers \(theirs))"
            } else {
                failure.message += "; no common " + gaps.joined(separator: ", ")
            }
        } else if let reason = probing.probe.failureReason {
            failure.message += "; the server's offer could not be read (\(reason))"
        }
        probing.probe.close()
        mark("handshake", now)
        if error == nil { error = failure }
        finish(driver: nil)
    }
}
