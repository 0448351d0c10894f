import CLibssh2
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the keyboard-interactive callback needs. libssh2 calls it as a plain C function, so it
/// finds this object through the session's abstract pointer (given to `libssh2_session_init_ex`).
final class AuthContext {
    let password: [UInt8]?
    /// The first prompt that was not a password prompt; its presence fails the login.
    var unexpectedPrompt: String?

    init(password: String?) {
        self.password = password.map { Array($0.utf8) }
    }

    /// Answers password prompts with the password and nothing else: any other question (an OTP,
    /// a confirmation) is recorded and answered empty so the login fails. An expired password's
    /// "New password:" is not a login prompt either: an audit never changes a password.
    func answers(to prompts: [String]) -> [[UInt8]] {
        prompts.map { text in
            let lower = text.lowercased()
            if lower.contains("password"), !lower.contains("new"), let password { return password }
            if unexpectedPrompt == nil { unexpectedPrompt = text }
            return []
        }
    }
}

/// libssh2's keyboard-interactive callback: a C function, so its context comes through the
/// session's abstract pointer.
let keyboardInteractiveResponder: cors_kbdint_callback = { _, _, _, _, count, prompts, responses, abstract in
    guard let abstract, let raw = abstract.pointee, let prompts, let responses else { return }
    let context = Unmanaged<AuthContext>.fromOpaque(raw).takeUnretainedValue()
    let texts = (0..<Int(max(count, 0))).map { index in
        prompts[index].text.map {
            String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(prompts[index].length)), as: UTF8.self)
        } ?? ""
    }
    for (index, answer) in context.answers(to: texts).enumerated() {
        answer.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                cors_kbdint_set_response(responses, Int32(index), $0.baseAddress, UInt32($0.count))
            }
        }
    }
}

/// Shared by all sessions of one run; confined to the runner's thread.
final class RunContext {
    let knownHosts = KnownHostsStore()
    let resolver: Resolver
    /// How long a polite close may take before the socket is just shut.
    var closeBudget: Duration = .seconds(1)
    /// One read buffer for every session: they are read one at a time.
    var readBuffer = [UInt8](repeating: 0, count: 32 * 1024)

    init(resolver: Resolver) {
        self.resolver = resolver
    }
}

/// One node's session from resolution to the last free(), driven step by step by the poll loop.
/// Every call into libssh2 is non-blocking; a step that would block returns and the loop polls
/// the socket in the direction libssh2 asks for.
final class Session<D: ShellDriver> {
    enum State {
        case queued, resolving, connecting, handshaking, hostKey, authList, authenticating
        case openingChannel, requestingPTY, startingShell, interactive
        case probing
        case closing(CloseStep)
        case finished
    }

    enum CloseStep { case flush, channelClose, channelFree, disconnect, sessionFree }

    let index: Int
    let job: SSHJob<D>
    var target: SSHTarget { job.target }
    private(set) var state: State = .queued
    var info = SSHSessionInfo()
    private(set) var error: SSHError?
    private var driver: D?
    private(set) var driverResult: D.Result?

    private var fd: Int32 = -1
    private var session: OpaquePointer?
    private var channel: OpaquePointer?
    private var knownHosts: OpaquePointer?
    private var knownHostsProblem: String?
    private let auth: AuthContext
    private var addresses: [ResolvedAddress] = []
    private var addressIndex = 0
    private var lastConnectErrno: Int32 = 0

    private var phaseStart: ContinuousClock.Instant = .now
    private var connectDeadline: ContinuousClock.Instant?
    private var loginDeadline: ContinuousClock.Instant?
    private var closeDeadline: ContinuousClock.Instant?
    private var driverDeadlineFired = false
    private var driverClosed = false

    private var authOffered: [String] = []
    private var authCandidates: [String] = []
    private var authTried: [String] = []
    private var authFailures: [String] = []

    private var pending: [UInt8] = []
    private var probe: KexProbe?
    private var probeOffer = AlgorithmOffer()
    private var probeFailure: SSHError?

    init(index: Int, job: SSHJob<D>) {
        self.index = index
        self.job = job
        if case .password(let password) = job.target.credential {
            auth = AuthContext(password: password)
        } else {
            auth = AuthContext(password: nil)
        }
    }

    var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    var isClosing: Bool {
        if case .closing = state { return true }
        return false
    }

    var resolvingName: String? {
        if case .resolving = state { return target.address }
        return nil
    }

    // MARK: - Loop interface

    /// Starts the session: resolution (answered at once for IP literals and cached names).
    func start(_ run: RunContext, now: ContinuousClock.Instant) {
        phaseStart = now
        if let answer = run.resolver.lookup(target.address) {
            resolved(answer, run, now: now)
        } else {
            state = .resolving
        }
    }

    func resolved(_ answer: Resolution, _ run: RunContext, now: ContinuousClock.Instant) {
        mark("resolve", now)
        switch answer {
        case .failure(let code, let message):
            fail(SSHError(host: target.host, phase: .connect, kind: .dnsFailure, function: "getaddrinfo", code: code,
                          message: "cannot resolve \(target.address): \(message)"), run, now: now)
        case .addresses(let list):
            addresses = list.map { $0.with(port: target.port) }
            connectDeadline = now + target.connectTimeout
            addressIndex = 0
            do { try beginConnect(run, now: now) } catch { fail(error, run, now: now) }
        }
    }

    /// The socket and events to poll for, or nil when the session waits on nothing but time.
    func pollRequest() -> (fd: Int32, events: Int16)? {
        switch state {
        case .queued, .resolving, .finished:
            return nil
        case .connecting:
            return (fd, Int16(POLLOUT))
        case .probing:
            return probe.map { ($0.fd, $0.events) }
        case .interactive:
            // Always readable: the node may print at any time. Writability only when libssh2
            // says so: a write stalled on the channel window waits for inbound data, and polling
            // for POLLOUT then would spin.
            var events = Int16(POLLIN)
            if blockDirections & CORS_LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
            return (fd, events)
        default:
            guard fd >= 0, session != nil else { return nil }
            let directions = blockDirections
            var events: Int16 = 0
            if directions & CORS_LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
            if directions & CORS_LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
            // libssh2 reports no direction before its first would-block: reading is the safe bet.
            return (fd, events == 0 ? Int16(POLLIN) : events)
        }
    }

    /// The earliest instant at which `tick` has something to do.
    var nextDeadline: ContinuousClock.Instant? {
        switch state {
        case .connecting, .handshaking: return connectDeadline
        case .hostKey, .authList, .authenticating, .openingChannel, .requestingPTY, .startingShell: return loginDeadline
        case .interactive: return driverDeadlineFired ? nil : driver?.deadline
        case .probing: return probe?.deadline
        case .closing: return closeDeadline
        default: return nil
        }
    }

    /// Acts on deadlines that passed; true when it did something, so the loop steps the session
    /// at once rather than at the next socket event.
    @discardableResult
    func tick(_ run: RunContext, now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .connecting:
            guard let deadline = connectDeadline, now >= deadline else { return false }
            fail(SSHError(host: target.host, phase: .connect, kind: .connectTimeout, function: "connect",
                          message: "TCP connect to \(currentAddressDescription) not done within \(target.connectTimeout)"),
                 run, now: now)
        case .handshaking:
            guard let deadline = connectDeadline, now >= deadline else { return false }
            let banner = session.flatMap { libssh2_session_banner_get($0) }.map { String(cString: $0) }
            let detail = banner.map { "server identified as \"\($0)\"" } ?? "no SSH identification received"
            fail(SSHError(host: target.host, phase: .handshake, kind: .handshakeTimeout,
                          function: "libssh2_session_handshake",
                          message: "SSH handshake not done within \(target.connectTimeout) (\(detail))"),
                 run, now: now)
        case .hostKey, .authList, .authenticating, .openingChannel, .requestingPTY, .startingShell:
            guard let deadline = loginDeadline, now >= deadline else { return false }
            fail(SSHError(host: target.host, phase: currentPhase, kind: .loginTimeout,
                          message: "login (host key, authentication, shell) not done within \(target.loginTimeout)"),
                 run, now: now)
        case .interactive:
            guard !driverDeadlineFired, let driver, let deadline = driver.deadline, now >= deadline else { return false }
            driverDeadlineFired = true
            driver.deadlinePassed(now: now)
            beginClose(run, now: now)
        case .probing:
            guard let probe, now >= probe.deadline else { return false }
            finishProbe(run, now: now)
        case .closing:
            guard let deadline = closeDeadline, now >= deadline else { return false }
            teardown(now: now)
        default:
            return false
        }
        return true
    }

    /// The whole run's deadline passed (or the run was cancelled): stop now, keep what we have.
    func abort(_ run: RunContext, now: ContinuousClock.Instant, message: String) {
        switch state {
        case .finished:
            return
        case .closing:
            closeDeadline = min(closeDeadline ?? now, now + run.closeBudget)
        default:
            if error == nil {
                error = SSHError(host: target.host, phase: currentPhase, kind: .runDeadline, message: message)
            }
            if case .probing = state { probe?.close(); probe = nil }
            beginClose(run, now: now)
        }
        advance(run, now: now)
    }

    /// Runs the state machine until it must wait for the socket or a timer.
    func advance(_ run: RunContext, now: ContinuousClock.Instant) {
        do {
            while try step(run, now: now) {}
        } catch {
            fail(error, run, now: now)
        }
    }

    // MARK: - Steps

    private var blockDirections: Int32 {
        session.map { libssh2_session_block_directions($0) } ?? 0
    }

    private var currentPhase: SSHPhase {
        switch state {
        case .queued, .resolving, .connecting: return .connect
        case .handshaking, .probing: return .handshake
        case .hostKey: return .hostKey
        case .authList, .authenticating: return .auth
        case .openingChannel, .requestingPTY, .startingShell: return .shell
        case .interactive, .closing, .finished: return .io
        }
    }

    private var currentAddressDescription: String {
        guard addressIndex < addresses.count else { return target.address }
        let numeric = addresses[addressIndex].numericHost
        let host = numeric == target.address ? numeric : "\(target.address) (\(numeric))"
        return "\(host) port \(target.port)"
    }

    private func mark(_ phase: String, _ now: ContinuousClock.Instant) {
        let elapsed = now - phaseStart
        info.phaseTimings.append((phase, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
        phaseStart = now
    }

    /// One state's work; true when it moved on and the next state should run at once.
    private func step(_ run: RunContext, now: ContinuousClock.Instant) throws(SSHError) -> Bool {
        switch state {
        case .queued, .resolving, .finished:
            return false
        case .connecting:
            return try finishConnect(run, now: now)
        case .handshaking:
            return try handshake(run, now: now)
        case .hostKey:
            try checkHostKey(run, now: now)
            return true
        case .authList:
            return try listAuthMethods(now: now)
        case .authenticating:
            return try authenticate(now: now)
        case .openingChannel:
            guard case .done(let opened) = try libssh2CheckPointer(
                cors_libssh2_channel_open_session(session!), function: "libssh2_channel_open_ex",
                session: session!, host: target.host, phase: .shell,
                classify: { code, _ in code == CORS_LIBSSH2_ERROR_SOCKET_DISCONNECT ? .disconnected : .channelFailure })
            else { return false }
            channel = opened
            state = .requestingPTY
            return true
        case .requestingPTY:
            // VOS needs a terminal: vt100, wide enough that long origin lists do not wrap.
            guard case .done = try libssh2Check(
                Int(cors_libssh2_channel_request_pty(channel!, "vt100", 5, 200, 50)), value: (),
                function: "libssh2_channel_request_pty_ex", session: session, host: target.host, phase: .shell,
                classify: { code, _ in code == CORS_LIBSSH2_ERROR_SOCKET_DISCONNECT ? .disconnected : .channelFailure })
            else { return false }
            state = .startingShell
            return true
        case .startingShell:
            // A shell, not exec: the VOS CLI rejects exec requests.
            guard case .done = try libssh2Check(
                Int(cors_libssh2_channel_shell(channel!)), value: (),
                function: "libssh2_channel_process_startup(shell)", session: session, host: target.host, phase: .shell,
                classify: { code, _ in code == CORS_LIBSSH2_ERROR_SOCKET_DISCONNECT ? .disconnected : .channelFailure })
            else { return false }
            mark("shell", now)
            state = .interactive
            let driver = job.makeDriver()
            self.driver = driver
            apply(driver.shellOpened(now: now), run, now: now)
            return true
        case .interactive:
            return try pump(run, now: now)
        case .probing:
            guard let probe else { finishProbe(run, now: now); return true }
            if probe.step() { finishProbe(run, now: now); return true }
            return false
        case .closing(let step):
            return closeStep(step, run, now: now)
        }
    }

    // MARK: Connect

    private func beginConnect(_ run: RunContext, now: ContinuousClock.Instant) throws(SSHError) {
        while addressIndex < addresses.count {
            let address = addresses[addressIndex]
            fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd < 0 {
                throw SSHError(host: target.host, phase: .connect, kind: .io, function: "socket", code: errno,
                               message: "cannot create a socket: \(String(cString: strerror(errno)))")
            }
            var storage = address.storage
            let rc = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, address.length) }
            }
            if rc == 0 || errno == EINPROGRESS {
                state = .connecting
                return
            }
            lastConnectErrno = errno
            close(fd)
            fd = -1
            addressIndex += 1
        }
        throw connectError(lastConnectErrno)
    }

    private func connectError(_ code: Int32) -> SSHError {
        let kind: SSHErrorKind
        switch code {
        case ECONNREFUSED: kind = .refused
        case EHOSTUNREACH, ENETUNREACH: kind = .noRoute
        case ETIMEDOUT: kind = .connectTimeout
        default: kind = .io
        }
        addressIndex = min(addressIndex, max(addresses.count - 1, 0))
        return SSHError(host: target.host, phase: .connect, kind: kind, function: "connect", code: code,
                        message: "cannot connect to \(currentAddressDescription): \(String(cString: strerror(code)))")
    }

    private func finishConnect(_ run: RunContext, now: ContinuousClock.Instant) throws(SSHError) -> Bool {
        // SO_ERROR is 0 both when connected and while still in progress: ask poll first.
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&pfd, 1, 0) > 0 else { return false }
        var soError: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
        if soError != 0 {
            lastConnectErrno = soError
            close(fd)
            fd = -1
            addressIndex += 1
            if addressIndex < addresses.count {
                try beginConnect(run, now: now)
                return false
            }
            throw connectError(soError)
        }
        mark("connect", now)
        try startHandshake(run)
        return true
    }

    // MARK: Handshake

    private func startHandshake(_ run: RunContext) throws(SSHError) {
        guard let session = cors_libssh2_session_init(Unmanaged.passUnretained(auth).toOpaque()) else {
            throw SSHError(host: target.host, phase: .handshake, kind: .io, function: "libssh2_session_init_ex",
                           message: "libssh2 could not allocate a session")
        }
        self.session = session
        libssh2_session_set_blocking(session, 0)
        prepareKnownHosts(run, session: session)
        preferHostKeyAlgorithms(session)
        state = .handshaking
    }

    /// Reads known_hosts before the handshake: its key types decide which host key to ask for.
    private func prepareKnownHosts(_ run: RunContext, session: OpaquePointer) {
        guard target.hostKeyPolicy != .off else { return }
        let path = KnownHostsStore.resolvedPath(target.knownHostsPath)
        do {
            let entries = try run.knownHosts.entries(path)
            knownHosts = KnownHostsStore.collection(session: session, entries: entries, name: target.knownHostsName)
        } catch {
            knownHostsProblem = error.message
        }
    }

    /// OpenSSH's order (ed25519 first), with the types known_hosts holds for this node moved to
    /// the front, so a node with several host keys presents one we can verify.
    private func preferHostKeyAlgorithms(_ session: OpaquePointer) {
        let supported = LibSSH2.supportedAlgorithms(session, CORS_LIBSSH2_METHOD_HOSTKEY)
        guard !supported.isEmpty else { return }
        var order: [String] = []
        if let knownHosts {
            order += KnownHostsStore.knownAlgorithms(hosts: knownHosts, name: target.knownHostsName)
        }
        order += ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa", "ssh-dss"]
        order += supported
        var seen = Set<String>()
        let preference = order.filter { supported.contains($0) && seen.insert($0).inserted }
        _ = libssh2_session_method_pref(session, CORS_LIBSSH2_METHOD_HOSTKEY, preference.joined(separator: ","))
    }

    private func handshake(_ run: RunContext, now: ContinuousClock.Instant) throws(SSHError) -> Bool {
        let session = session!
        do {
            guard case .done = try libssh2Check(
                Int(libssh2_session_handshake(session, fd)), value: (), function: "libssh2_session_handshake",
                session: session, host: target.host, phase: .handshake,
                classify: { code, message in Self.classifyHandshake(code, message) })
            else { return false }
        } catch {
            if case .noCommonAlgorithm = error.kind {
                startProbe(error, run, now: now)
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
        loginDeadline = now + target.loginTimeout
        state = .hostKey
        return true
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
    private func startProbe(_ error: SSHError, _ run: RunContext, now: ContinuousClock.Instant) {
        probeOffer = session.map(AlgorithmOffer.init(session:)) ?? AlgorithmOffer()
        probeFailure = error
        releaseTransport()
        let address = addresses[min(addressIndex, addresses.count - 1)]
        let remaining = (connectDeadline ?? now) - now
        let budget = min(max(remaining, .milliseconds(500)), .seconds(3))
        probe = KexProbe(address: address, deadline: now + budget)
        state = .probing
    }

    private func finishProbe(_ run: RunContext, now: ContinuousClock.Instant) {
        let theirs = probe?.serverOffer
        defer {
            probe?.close()
            probe = nil
        }
        var failure = probeFailure ?? SSHError(host: target.host, phase: .handshake, kind: .protocolError, message: "")
        failure.kind = .noCommonAlgorithm(ours: probeOffer.description, theirs: theirs?.description)
        if let theirs {
            let gaps = probeOffer.familiesWithoutOverlap(theirs)
            if gaps.isEmpty {
                // Every family overlaps: the exchange failed for another reason.
                failure.kind = .protocolError
                failure.message += "; the algorithm lists overlap (server offers \(theirs))"
            } else {
                failure.message += "; no common " + gaps.joined(separator: ", ")
            }
        } else if let reason = probe?.failureReason {
            failure.message += "; the server's offer could not be read (\(reason))"
        }
        mark("handshake", now)
        error = error ?? failure
        state = .finished
        finalize(now: now)
    }

    // MARK: Host key

    private func checkHostKey(_ run: RunContext, now: ContinuousClock.Instant) throws(SSHError) {
        let session = session!
        defer {
            if let knownHosts { libssh2_knownhost_free(knownHosts) }
            knownHosts = nil
        }
        guard let key = PresentedHostKey(session: session) else {
            throw SSHError(host: target.host, phase: .hostKey, kind: .protocolError, function: "libssh2_session_hostkey",
                           message: "the server's host key could not be read")
        }
        info.hostKeyFingerprint = key.fingerprint
        info.hostKeyType = key.typeName
        let name = target.knownHostsName
        let line = key.knownHostsLine(name: name)
        let path = KnownHostsStore.resolvedPath(target.knownHostsPath)
        switch target.hostKeyPolicy {
        case .off:
            info.hostKeyNote = "host key NOT checked (host_key_policy: off); the server presented \(key.typeName) \(key.fingerprint)"
        case .strict, .acceptNew:
            if let problem = knownHostsProblem {
                throw SSHError(host: target.host, phase: .hostKey, kind: .io, message: problem)
            }
            guard let knownHosts else {
                throw SSHError(host: target.host, phase: .hostKey, kind: .io, function: "libssh2_knownhost_init",
                               message: "libssh2 could not set up known hosts")
            }
            switch KnownHostsStore.check(hosts: knownHosts, name: name, key: key) {
            case .match:
                break
            case .mismatch(let detail):
                throw SSHError(host: target.host, phase: .hostKey,
                               kind: .hostKeyChanged(fingerprint: key.fingerprint, knownHostsLine: line),
                               function: "libssh2_knownhost_checkp",
                               message: "HOST KEY CHANGED: \(detail) in \(path); the server presented \(key.fingerprint)")
            case .notFound where target.hostKeyPolicy == .strict:
                throw SSHError(host: target.host, phase: .hostKey,
                               kind: .hostKeyUnknown(fingerprint: key.fingerprint, knownHostsLine: line),
                               function: "libssh2_knownhost_checkp",
                               message: "no host key for \(name) in \(path); the server presented \(key.typeName) \(key.fingerprint)")
            case .notFound:
                do {
                    try run.knownHosts.append(line, to: path)
                } catch {
                    throw SSHError(host: target.host, phase: .hostKey, kind: .io, message: error.message)
                }
                info.hostKeyNote = "new host key added to known_hosts (accept-new): \(key.typeName) \(key.fingerprint) for \(name) in \(path)"
            }
        }
        mark("host-key", now)
        state = .authList
    }

    // MARK: Authentication

    private func listAuthMethods(now: ContinuousClock.Instant) throws(SSHError) -> Bool {
        let session = session!
        let user = Array(target.username.utf8)
        let list = user.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                libssh2_userauth_list(session, $0.baseAddress, UInt32($0.count))
            }
        }
        if list == nil && libssh2_userauth_authenticated(session) != 0 {
            // The server accepted "none": no credential needed.
            info.authMethod = "none"
            mark("auth", now)
            state = .openingChannel
            return true
        }
        guard case .done(let methods) = try libssh2CheckPointer(list, function: "libssh2_userauth_list",
                                                                  session: session, host: target.host, phase: .auth)
        else { return false }
        authOffered = String(cString: methods).split(separator: ",").map(String.init)
        authCandidates = authOffered.filter { method in
            switch (method, target.credential) {
            case ("password", .password), ("keyboard-interactive", .password), ("publickey", .privateKey): return true
            default: return false
            }
        }
        if authCandidates.isEmpty {
            let have: String
            switch target.credential {
            case .password: have = "a password (password, keyboard-interactive)"
            case .privateKey: have = "a private key (publickey)"
            }
            throw SSHError(host: target.host, phase: .auth, kind: .authUnsupported(offered: authOffered),
                           function: "libssh2_userauth_list",
                           message: "the server offers \(authOffered.joined(separator: ", ")); we have \(have)")
        }
        state = .authenticating
        return true
    }

    private func authenticate(now: ContinuousClock.Instant) throws(SSHError) -> Bool {
        let session = session!
        guard let method = authCandidates.first else {
            throw SSHError(host: target.host, phase: .auth, kind: .authRejected(methodsTried: authTried),
                           message: "authentication as \(target.username) rejected: " + authFailures.joined(separator: "; "))
        }
        let user = Array(target.username.utf8)
        let rc: Int32 = user.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { name in
                switch (method, target.credential) {
                case ("password", .password(let password)):
                    let secret = Array(password.utf8)
                    return secret.withUnsafeBufferPointer { pw in
                        pw.withMemoryRebound(to: CChar.self) {
                            cors_libssh2_userauth_password(session, name.baseAddress, UInt32(name.count),
                                                           $0.baseAddress, UInt32($0.count))
                        }
                    }
                case ("keyboard-interactive", _):
                    return cors_libssh2_userauth_keyboard_interactive(session, name.baseAddress, UInt32(name.count),
                                                                      keyboardInteractiveResponder)
                case ("publickey", .privateKey(let path, let passphrase)):
                    // NULL public key: libssh2 derives it from the private key file.
                    return cors_libssh2_userauth_publickey_fromfile(session, name.baseAddress, UInt32(name.count),
                                                                    nil, path, passphrase)
                default:
                    return CORS_LIBSSH2_ERROR_METHOD_NONE
                }
            }
        }
        if let prompt = auth.unexpectedPrompt {
            throw SSHError(host: target.host, phase: .auth, kind: .unexpectedKeyboardInteractivePrompt(prompt),
                           function: "libssh2_userauth_keyboard_interactive_ex", code: rc,
                           message: "keyboard-interactive asked \"\(prompt)\", which is not a password prompt; not answered")
        }
        if rc == CORS_LIBSSH2_ERROR_EAGAIN { return false }
        if rc == 0 {
            info.authMethod = method
            mark("auth", now)
            state = .openingChannel
            return true
        }
        // Rejected (or unusable, like an unreadable key file): note why and try the next method.
        let message = LibSSH2.lastErrorMessage(session)
        if case .disconnected = Self.transportKind(rc) {
            throw SSHError(host: target.host, phase: .auth, kind: .disconnected, function: Self.authFunction(method),
                           code: rc, message: message)
        }
        authTried.append(method)
        authFailures.append("\(method): \(message.isEmpty ? "error \(rc)" : message)")
        authCandidates.removeFirst()
        if authCandidates.isEmpty {
            throw SSHError(host: target.host, phase: .auth, kind: .authRejected(methodsTried: authTried),
                           function: Self.authFunction(method), code: rc,
                           message: "authentication as \(target.username) rejected: " + authFailures.joined(separator: "; "))
        }
        return true
    }

    private static func authFunction(_ method: String) -> String {
        switch method {
        case "password": return "libssh2_userauth_password_ex"
        case "keyboard-interactive": return "libssh2_userauth_keyboard_interactive_ex"
        default: return "libssh2_userauth_publickey_fromfile_ex"
        }
    }

    private static func transportKind(_ code: Int32) -> SSHErrorKind? {
        switch code {
        case CORS_LIBSSH2_ERROR_SOCKET_DISCONNECT, CORS_LIBSSH2_ERROR_SOCKET_RECV, CORS_LIBSSH2_ERROR_SOCKET_SEND:
            return .disconnected
        default:
            return nil
        }
    }

    // MARK: Interactive

    private func apply(_ action: ShellAction, _ run: RunContext, now: ContinuousClock.Instant) {
        switch action {
        case .send(let bytes): pending += bytes
        case .wait: break
        case .close:
            driverClosed = true
            beginClose(run, now: now)
        }
    }

    /// Moves bytes both ways until libssh2 would block. Writes can make libssh2 read and queue
    /// incoming packets, so after any write the reads run again before polling.
    ///
    /// Bounded for a node that floods: the driver hears every `Self.chunk` bytes (so its output cap
    /// acts while the flood goes on), and after `Self.budget` bytes in one call the loop serves the
    /// other sessions first (it steps this one again within its idle limit).
    private func pump(_ run: RunContext, now: ContinuousClock.Instant) throws(SSHError) -> Bool {
        let channel = channel!
        var readThisCall = 0
        while true {
            var incoming: [UInt8] = []
            var endOfFile = false
            var readFailure: SSHError?
            reading: for stream in [Int32(0), Int32(1)] {
                while incoming.count < Self.chunk {
                    let n = run.readBuffer.withUnsafeMutableBufferPointer { buffer in
                        buffer.withMemoryRebound(to: CChar.self) {
                            stream == 0 ? cors_libssh2_channel_read(channel, $0.baseAddress, $0.count)
                                : cors_libssh2_channel_read_stderr(channel, $0.baseAddress, $0.count)
                        }
                    }
                    if n > 0 {
                        incoming += run.readBuffer[0..<n]
                        continue
                    }
                    if n == 0 {
                        endOfFile = true
                        break
                    }
                    // Fails unless it is EAGAIN: then this stream is drained for now.
                    do {
                        _ = try libssh2Check(n, value: (), function: "libssh2_channel_read_ex", session: session,
                                             host: target.host, phase: .io, classify: { code, _ in Self.transportKind(code) })
                    } catch {
                        readFailure = error
                        break reading
                    }
                    break
                }
            }
            // What arrived before a connection died is the node's last word: the driver gets it first.
            if !incoming.isEmpty, let driver {
                apply(driver.received(incoming, now: now), run, now: now)
                if driverClosed { return true }
            }
            if let readFailure { throw readFailure }
            readThisCall += incoming.count
            // Reading one stream can pull the other stream's packets off the socket into
            // libssh2's queue, where poll() cannot see them: drain until nothing is queued.
            if !endOfFile && readThisCall < Self.budget
                && (libssh2_poll_channel_read(channel, 0) != 0 || libssh2_poll_channel_read(channel, 1) != 0) {
                continue
            }
            if endOfFile || libssh2_channel_eof(channel) != 0 {
                driver?.endOfFile(now: now)
                beginClose(run, now: now)
                return true
            }
            if pending.isEmpty || readThisCall >= Self.budget {
                if !pending.isEmpty { _ = try write(channel) }
                return false
            }
            let written = try write(channel)
            if written == 0 { return false }
        }
    }

    /// Bytes handed to the driver at once, and read in one `pump` call, at most (see `pump`).
    static var chunk: Int { 256 * 1024 }
    static var budget: Int { 1024 * 1024 }

    /// Writes what is pending; returns how many bytes went (0: would block).
    private func write(_ channel: OpaquePointer) throws(SSHError) -> Int {
        let n = pending.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                cors_libssh2_channel_write(channel, $0.baseAddress, $0.count)
            }
        }
        guard case .done(let count) = try libssh2Check(
            n, value: n, function: "libssh2_channel_write_ex", session: session, host: target.host, phase: .io,
            classify: { code, _ in Self.transportKind(code) })
        else { return 0 }
        pending.removeFirst(count)
        return count
    }

    // MARK: Closing

    /// Records the first error and ends the session: politely once SSH is up, at once before.
    func fail(_ failure: SSHError, _ run: RunContext, now: ContinuousClock.Instant) {
        if error == nil { error = failure }
        switch state {
        case .closing, .finished:
            teardown(now: now)
        case .queued, .resolving, .connecting, .handshaking, .probing:
            probe?.close()
            probe = nil
            teardown(now: now)
        default:
            if case .disconnected = failure.kind {
                // Nothing to be polite to. The driver still hears that the shell went away.
                if case .interactive = state { driver?.endOfFile(now: now) }
                teardown(now: now)
            } else {
                beginClose(run, now: now)
                advance(run, now: now)
            }
        }
    }

    private func beginClose(_ run: RunContext, now: ContinuousClock.Instant) {
        if case .closing = state { return }
        if case .interactive = state { mark("io", now) } else if !isFinished { mark(currentPhase.rawValue, now) }
        closeDeadline = now + run.closeBudget
        state = .closing(.flush)
    }

    private func closeStep(_ step: CloseStep, _ run: RunContext, now: ContinuousClock.Instant) -> Bool {
        guard let session else { teardown(now: now); return false }
        // Errors while closing are not the node's result: move on to the next step.
        func attempt(_ rc: Int, next: CloseStep?) -> Bool {
            if rc == Int(CORS_LIBSSH2_ERROR_EAGAIN) { return false }
            if let next { state = .closing(next) } else { teardown(now: now) }
            return true
        }
        switch step {
        case .flush:
            guard let channel, !pending.isEmpty, error == nil else { return attempt(0, next: .channelClose) }
            do {
                let written = try write(channel)
                return written > 0
            } catch {
                return attempt(0, next: .channelClose)
            }
        case .channelClose:
            guard let channel else { return attempt(0, next: .disconnect) }
            return attempt(Int(libssh2_channel_close(channel)), next: .channelFree)
        case .channelFree:
            guard let channel else { return attempt(0, next: .disconnect) }
            let rc = libssh2_channel_free(channel)
            if rc != CORS_LIBSSH2_ERROR_EAGAIN { self.channel = nil }
            return attempt(Int(rc), next: .disconnect)
        case .disconnect:
            return attempt(Int(cors_libssh2_session_disconnect(session, "cors-audit: done")), next: .sessionFree)
        case .sessionFree:
            let rc = libssh2_session_free(session)
            if rc != CORS_LIBSSH2_ERROR_EAGAIN { self.session = nil }
            return attempt(Int(rc), next: nil)
        }
    }

    /// Frees libssh2 and closes the socket without waiting for the server.
    private func releaseTransport() {
        if fd >= 0 {
            // A shut-down socket makes every libssh2 send/recv fail at once instead of blocking.
            shutdown(fd, Int32(SHUT_RDWR))
        }
        if let knownHosts {
            libssh2_knownhost_free(knownHosts)
            self.knownHosts = nil
        }
        if let channel {
            _ = libssh2_channel_free(channel)
            self.channel = nil
        }
        if let session {
            // With the socket shut down libssh2 cannot wait on it; a few tries bound the worst case.
            var attempts = 0
            while libssh2_session_free(session) == CORS_LIBSSH2_ERROR_EAGAIN && attempts < 3 { attempts += 1 }
            self.session = nil
        }
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }

    private func teardown(now: ContinuousClock.Instant) {
        if isFinished { return }
        probe?.close()
        probe = nil
        // The phase that was cut short still gets its time (a slow refusal, a silent listener).
        mark(isClosing ? "close" : currentPhase.rawValue, now)
        releaseTransport()
        state = .finished
        finalize(now: now)
    }

    private func finalize(now: ContinuousClock.Instant) {
        if let driver, driverResult == nil {
            driverResult = driver.finish()
            self.driver = nil
        }
    }
}
