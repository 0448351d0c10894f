import CLibssh2

/// How far a session got when it failed.
public enum SSHPhase: String, Sendable {
    case connect, handshake, hostKey = "host-key", auth, shell, io
}

/// What went wrong, typed so callers can map it to a node status without parsing messages.
public enum SSHErrorKind: Sendable, Equatable {
    /// The TCP connect was refused (nothing listens there).
    case refused
    /// The address did not resolve.
    case dnsFailure
    /// No route to the host or network.
    case noRoute
    /// The TCP connect did not finish within `connectTimeout`.
    case connectTimeout
    /// The SSH handshake did not finish within `connectTimeout` (e.g. a listener that never speaks).
    case handshakeTimeout
    /// Client and server share no key exchange, host key, cipher or MAC algorithm.
    /// `ours`: what we offer; `theirs`: what the server offered, when it could be read.
    case noCommonAlgorithm(ours: String, theirs: String?)
    /// The server does not speak SSH as libssh2 understands it (garbage banner, bad packets).
    case protocolError
    /// known_hosts has no key for the node (policy strict); the line to add if the key is right.
    case hostKeyUnknown(fingerprint: String, knownHostsLine: String)
    /// known_hosts has another key for the node; the line to replace it with if the change is legitimate.
    case hostKeyChanged(fingerprint: String, knownHostsLine: String)
    /// known_hosts marks the presented key `@revoked` for the node (rejected under strict and accept-new).
    case hostKeyRevoked(fingerprint: String)
    /// Only `@cert-authority` lines vouch for the node: host certificates are not supported, so it
    /// is rejected (and never appended under accept-new).
    case hostKeyCertificateAuthority(fingerprint: String)
    /// Every applicable method was tried and rejected.
    case authRejected(methodsTried: [String])
    /// The server offers no method our credential can use.
    case authUnsupported(offered: [String])
    /// host_key_policy off without `--insecure-host-keys`: the host is not verified, so no password
    /// (nor keyboard-interactive answer) is sent to it.
    case passwordWithheld
    /// Keyboard-interactive asked something other than a password; never answered blindly.
    case unexpectedKeyboardInteractivePrompt(String)
    /// Host-key check, authentication and shell opening took longer than `loginTimeout`.
    case loginTimeout
    /// The server refused the session channel, the PTY or the shell.
    case channelFailure
    /// The connection dropped.
    case disconnected
    /// The whole run's deadline passed before this node finished.
    case runDeadline
    /// Any other I/O failure.
    case io
}

/// A failed session, with what is needed to diagnose it without a debugger.
public struct SSHError: Error, Sendable, CustomStringConvertible {
    /// The target's inventory name.
    public var host: String
    public var phase: SSHPhase
    public var kind: SSHErrorKind
    /// The failing C function (`libssh2_session_handshake`, `connect`, `getaddrinfo`, ...).
    public var function: String?
    /// Its return code (a libssh2 error code, an errno, or a getaddrinfo code).
    public var code: Int32?
    /// libssh2's last error text, strerror, gai_strerror, or our own explanation.
    public var message: String

    public init(host: String, phase: SSHPhase, kind: SSHErrorKind, function: String? = nil, code: Int32? = nil,
                message: String) {
        self.host = host
        self.phase = phase
        self.kind = kind
        self.function = function
        self.code = code
        self.message = message
    }

    public var description: String {
        var text = "\(host): \(phase.rawValue): \(message)"
        if let function {
            text += " (\(function)" + (code.map { " returned \($0)" } ?? "") + ")"
        }
        return text
    }
}

/// The outcome of one non-blocking libssh2 call that did not fail.
enum Step<Value> {
    case done(Value)
    /// libssh2 returned `LIBSSH2_ERROR_EAGAIN`: poll in `libssh2_session_block_directions` and call again.
    case wouldBlock
}

/// The one place libssh2 return codes become outcomes: EAGAIN means "would block", any other
/// negative code an `SSHError` carrying the host, phase, function, code and libssh2's own text.
///
/// `classify` maps the code to a kind for the phase at hand; codes it does not claim get the
/// phase's generic kind.
func libssh2Check<Value>(_ rc: Int, value: Value, function: String, session: OpaquePointer?, host: String,
                         phase: SSHPhase, classify: (Int32, String) -> SSHErrorKind? = { _, _ in nil })
    throws(SSHError) -> Step<Value> {
    if rc >= 0 { return .done(value) }
    let code = Int32(truncatingIfNeeded: rc)
    if code == CORS_LIBSSH2_ERROR_EAGAIN { return .wouldBlock }
    let message = session.map(LibSSH2.lastErrorMessage) ?? "libssh2 error \(code)"
    let kind = classify(code, message) ?? defaultKind(code: code, phase: phase)
    throw SSHError(host: host, phase: phase, kind: kind, function: function, code: code,
                   message: message.isEmpty ? "libssh2 error \(code)" : message)
}

/// For calls that return a pointer: NULL plus the session's last errno stands in for the return code.
func libssh2CheckPointer<P>(_ pointer: P?, function: String, session: OpaquePointer, host: String, phase: SSHPhase,
                            classify: (Int32, String) -> SSHErrorKind? = { _, _ in nil }) throws(SSHError) -> Step<P> {
    if let pointer { return .done(pointer) }
    var rc = Int(libssh2_session_last_errno(session))
    // NULL with no recorded error still is a failure, not success.
    if rc == 0 { rc = Int(CORS_LIBSSH2_ERROR_SOCKET_NONE) }
    switch try libssh2Check(rc, value: (), function: function, session: session, host: host, phase: phase,
                            classify: classify) {
    case .wouldBlock: return .wouldBlock
    case .done: fatalError("unreachable: a negative code never succeeds")
    }
}

private func defaultKind(code: Int32, phase: SSHPhase) -> SSHErrorKind {
    switch code {
    case CORS_LIBSSH2_ERROR_SOCKET_DISCONNECT, CORS_LIBSSH2_ERROR_SOCKET_RECV, CORS_LIBSSH2_ERROR_SOCKET_SEND:
        return .disconnected
    case CORS_LIBSSH2_ERROR_BANNER_RECV, CORS_LIBSSH2_ERROR_BANNER_SEND, CORS_LIBSSH2_ERROR_PROTO:
        return .protocolError
    case CORS_LIBSSH2_ERROR_TIMEOUT, CORS_LIBSSH2_ERROR_SOCKET_TIMEOUT:
        return phase == .handshake ? .handshakeTimeout : .io
    case CORS_LIBSSH2_ERROR_CHANNEL_FAILURE, CORS_LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED,
         CORS_LIBSSH2_ERROR_REQUEST_DENIED:
        return .channelFailure
    default:
        switch phase {
        case .handshake: return .protocolError
        case .shell: return .channelFailure
        default: return .io
        }
    }
}
