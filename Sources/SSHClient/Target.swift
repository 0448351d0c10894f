/// What to do with a host key that known_hosts does not confirm (OpenSSH's `StrictHostKeyChecking`).
public enum HostKeyPolicy: String, Sendable {
    /// Unknown and changed keys are both rejected.
    case strict
    /// An unknown key is appended to known_hosts and accepted; a changed key is rejected.
    case acceptNew = "accept-new"
    /// The key is not checked at all (the session info says so).
    case off
}

/// How to log in.
public enum SSHCredential: Sendable {
    /// A password, used for `password` and for the password prompts of `keyboard-interactive`.
    case password(String)
    /// A private key file (OpenSSH or PEM format); its public half is derived from it.
    case privateKey(path: String, passphrase: String?)
}

/// One node to connect to.
public struct SSHTarget: Sendable {
    /// The inventory name: the node's identity in results and errors, and the name looked up in
    /// known_hosts (OpenSSH's `HostKeyAlias` semantics: never the address).
    public var host: String
    /// Where to connect: a DNS name or an IP address.
    public var address: String
    public var port: Int
    public var username: String
    public var credential: SSHCredential
    /// The known_hosts file; nil means `~/.ssh/known_hosts`. A missing file counts as empty.
    public var knownHostsPath: String?
    public var hostKeyPolicy: HostKeyPolicy
    /// With host_key_policy off, whether a password (or keyboard-interactive answer) may still be
    /// sent: only when the operator said so on the command line (`--insecure-host-keys`); an
    /// unverified host may be anyone, and the password would be theirs.
    public var insecureHostKeys: Bool
    /// Limit for the TCP connect plus the SSH handshake together.
    public var connectTimeout: Duration
    /// Limit from the end of the handshake through host-key check, authentication and the shell
    /// opening (the driver then continues the login phase until its prompt with its own deadline).
    public var loginTimeout: Duration

    public init(host: String, address: String, port: Int = 22, username: String, credential: SSHCredential,
                knownHostsPath: String? = nil, hostKeyPolicy: HostKeyPolicy = .strict, insecureHostKeys: Bool = false,
                connectTimeout: Duration = .seconds(10), loginTimeout: Duration = .seconds(30)) {
        self.host = host
        self.address = address
        self.port = port
        self.username = username
        self.credential = credential
        self.knownHostsPath = knownHostsPath
        self.hostKeyPolicy = hostKeyPolicy
        self.insecureHostKeys = insecureHostKeys
        self.connectTimeout = connectTimeout
        self.loginTimeout = loginTimeout
    }

    /// True when the host key goes unchecked and the command line did not allow a password anyway.
    var withholdsPassword: Bool {
        guard hostKeyPolicy == .off, !insecureHostKeys, case .password = credential else { return false }
        return true
    }

    /// The name as written in known_hosts: `[host]:port` when the port is not 22, like OpenSSH.
    public var knownHostsName: String {
        port == 22 ? host : "[\(host)]:\(port)"
    }
}

/// What the session negotiated and how long each phase took; filled as far as the session got.
public struct SSHSessionInfo: Sendable {
    public var kex: String?
    public var hostKeyType: String?
    public var cipherClientToServer: String?
    public var cipherServerToClient: String?
    public var macClientToServer: String?
    public var macServerToClient: String?
    /// `SHA256:<base64 without padding>`, as OpenSSH prints it.
    public var hostKeyFingerprint: String?
    /// How the host key was treated when it was not simply found in known_hosts.
    public var hostKeyNote: String?
    /// The method that logged in (`password`, `keyboard-interactive`, `publickey`, `none`).
    public var authMethod: String?
    /// Seconds per phase, in order (`resolve`, `connect`, `handshake`, `host-key`, `auth`, `shell`, `io`, `close`).
    public var phaseTimings: [(phase: String, seconds: Double)]

    public init() {
        phaseTimings = []
    }
}

/// The driver's instruction after each event.
public enum ShellAction: Sendable, Equatable {
    /// Queue these bytes for the shell.
    case send([UInt8])
    /// Nothing to send; wait for more bytes, end of file, or the driver's deadline.
    case wait
    /// The driver is done and sends nothing more: the runner flushes what is queued, then closes
    /// the channel and the session politely.
    case close
}

/// Drives one interactive shell; called only on the runner's thread.
///
/// The runner creates the driver on its own thread (through `SSHJob.makeDriver`) when the shell
/// opens, so a driver need not be `Sendable`; only its `Result` leaves the thread.
public protocol ShellDriver: AnyObject {
    associatedtype Result: Sendable
    /// The shell is open; nothing has been received yet.
    func shellOpened(now: ContinuousClock.Instant) -> ShellAction
    /// Bytes from the shell (stdout and stderr merged), as they arrived.
    func received(_ bytes: [UInt8], now: ContinuousClock.Instant) -> ShellAction
    /// The server closed the channel (or the connection dropped).
    func endOfFile(now: ContinuousClock.Instant)
    /// The driver's own next deadline (prompt or command timeouts); nil for none.
    var deadline: ContinuousClock.Instant? { get }
    /// Called once when `deadline` passed; the runner then closes the session.
    func deadlinePassed(now: ContinuousClock.Instant)
    /// Called exactly once, at the end, whatever happened (if the shell opened).
    func finish() -> Result
}

/// One node and how to talk to it.
public struct SSHJob<Driver: ShellDriver>: Sendable {
    public var target: SSHTarget
    /// Makes the driver on the runner's thread once the shell is open.
    public var makeDriver: @Sendable () -> Driver

    public init(target: SSHTarget, makeDriver: @escaping @Sendable () -> Driver) {
        self.target = target
        self.makeDriver = makeDriver
    }
}

/// One node's outcome.
public struct SSHJobResult<R: Sendable>: Sendable {
    /// The target's inventory name.
    public var host: String
    /// Why the session failed, if it did; nil when it ended as the driver or the server chose.
    public var error: SSHError?
    public var info: SSHSessionInfo
    /// The driver's result; nil only if the shell never opened.
    public var driverResult: R?

    public init(host: String, error: SSHError?, info: SSHSessionInfo, driverResult: R?) {
        self.host = host
        self.error = error
        self.info = info
        self.driverResult = driverResult
    }
}

/// How far a run is, reported after each job ends.
public struct SSHProgress: Sendable {
    public var done: Int
    public var total: Int
    /// Jobs that ended with an `SSHError`.
    public var failed: Int

    public init(done: Int, total: Int, failed: Int) {
        self.done = done
        self.total = total
        self.failed = failed
    }
}
