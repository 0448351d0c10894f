import CLibssh2
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Shared by all sessions of one run; confined to the runner's thread.
final class RunContext {
    let knownHosts = KnownHostsStore()
    let resolver: Resolver
    /// How long a polite close may take before the socket is just shut.
    var closeBudget: Duration = .seconds(1)
    /// One read buffer for every session: they are read one at a time.
    var readBuffer = [UInt8](repeating: 0, count: 32 * 1024)
    /// Per-phase CPU accounting, when the runner was asked for it.
    var cpu: LoopCPU?

    init(resolver: Resolver) {
        self.resolver = resolver
    }
}

/// One node's session from resolution to the last free(), driven step by step by the poll loop.
/// Every call into libssh2 is non-blocking; a step that would block returns and the loop polls
/// the socket in the direction libssh2 asks for.
///
/// Each state holds what its phase works on (socket, libssh2 handles, deadline, driver), so a
/// handle lives exactly as long as a state that can use it, and teardown gives back what the
/// current state holds. The phases' steps are in the `Session+*.swift` files.
final class Session<D: ShellDriver> {
    enum State {
        case queued
        case resolving
        /// TCP connect; the deadline covers the handshake too.
        case connecting(NonBlockingConnect, deadline: ContinuousClock.Instant)
        case handshaking(Handshake)
        /// Reading the server's offer after a failed negotiation; the session's own transport is gone.
        case probing(OfferProbe)
        /// Entered and left in the step that ends the handshake (the check never waits): a failure
        /// there is placed in its phase and timed as such.
        case hostKey(Login)
        case authList(Login)
        case authenticating(Login, AuthPlan)
        case openingChannel(Login)
        case requestingPTY(Login, channel: OpaquePointer)
        case startingShell(Login, channel: OpaquePointer)
        case interactive(Shell)
        case closing(Closing)
        case finished(SSHJobResult<D.Result>)
    }

    /// The connected socket and the libssh2 session on it.
    struct Transport {
        let fd: Int32
        let session: OpaquePointer
    }

    /// From the end of the handshake until the shell runs, all under the login deadline.
    struct Login {
        let transport: Transport
        let deadline: ContinuousClock.Instant
    }

    let index: Int
    let job: SSHJob<D>
    var target: SSHTarget { job.target }
    /// Set only by the session's own steps (they live in several files, hence not private).
    var state: State = .queued
    /// What was negotiated and how long each phase took, filled in as the session goes.
    var info = SSHSessionInfo()
    /// The first failure; what follows it is a consequence.
    var error: SSHError?
    /// When the phase being timed began.
    var phaseStart: ContinuousClock.Instant = .now
    /// Answers keyboard-interactive prompts: the libssh2 session points to it for its whole life.
    let auth: AuthContext
    /// The loop's bookkeeping: the session's slot (its epoll tag), the socket and events registered for it, and
    /// when it was last stepped.
    var slot = -1
    var watched: (fd: Int32, events: Int16)?
    var lastAdvanced: ContinuousClock.Instant = .now

    init(index: Int, job: SSHJob<D>) {
        self.index = index
        self.job = job
        // Withheld from an unverified host: the keyboard-interactive callback then has nothing to give.
        if case .password(let password) = job.target.credential, !job.target.withholdsPassword {
            auth = AuthContext(password: password)
        } else {
            auth = AuthContext(password: nil)
        }
    }

    /// The job's outcome, once the session is finished.
    var result: SSHJobResult<D.Result>? {
        if case .finished(let result) = state { return result }
        return nil
    }

    var isFinished: Bool { result != nil }

    /// Which state the session is in, without what it holds (but with the connect's attempt, as each has its own
    /// socket): the loop re-registers the socket when this changes.
    var stateOrdinal: Int {
        switch state {
        case .queued: return 0
        case .resolving: return 1
        case .connecting(let connect, _): return 100 + connect.attempt
        case .handshaking: return 3
        case .probing: return 4
        case .hostKey: return 5
        case .authList: return 6
        case .authenticating: return 7
        case .openingChannel: return 8
        case .requestingPTY: return 9
        case .startingShell: return 10
        case .interactive: return 11
        case .closing: return 12
        case .finished: return 13
        }
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
            beginConnect(to: list.map { $0.with(port: target.port) }, run, now: now)
        }
    }

    /// The socket and events to poll for, or nil when the session waits on nothing but time.
    func pollRequest() -> (fd: Int32, events: Int16)? {
        switch state {
        case .queued, .resolving, .finished:
            return nil
        case .connecting(let connect, _):
            return (connect.fd, Int16(POLLOUT))
        case .probing(let probing):
            return (probing.probe.fd, probing.probe.events)
        case .interactive(let shell):
            // Always readable: the node may print at any time. Writability only when libssh2
            // says so: a write stalled on the channel window waits for inbound data, and polling
            // for POLLOUT then would spin.
            var events = Int16(POLLIN)
            if libssh2_session_block_directions(shell.transport.session) & CORS_LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 {
                events |= Int16(POLLOUT)
            }
            return (shell.transport.fd, events)
        default:
            guard let transport else { return nil }
            let directions = libssh2_session_block_directions(transport.session)
            var events: Int16 = 0
            if directions & CORS_LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
            if directions & CORS_LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
            // libssh2 reports no direction before its first would-block: reading is the safe bet.
            return (transport.fd, events == 0 ? Int16(POLLIN) : events)
        }
    }

    /// The earliest instant at which `tick` has something to do.
    var nextDeadline: ContinuousClock.Instant? {
        switch state {
        case .connecting(_, let deadline): return deadline
        case .handshaking(let handshake): return handshake.deadline
        case .interactive(let shell): return shell.driver.deadline
        case .probing(let probing): return probing.probe.deadline
        case .closing(let closing): return closing.deadline
        default: return login?.deadline
        }
    }

    /// Acts on deadlines that passed; true when it did something, so the loop steps the session
    /// at once rather than at the next socket event.
    @discardableResult
    func tick(_ run: RunContext, now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .connecting(let connect, let deadline):
            guard now >= deadline else { return false }
            fail(SSHError(host: target.host, phase: .connect, kind: .connectTimeout, function: "connect",
                          message: "TCP connect to \(describe(connect.address)) not done within \(target.connectTimeout)"),
                 run, now: now)
        case .handshaking(let handshake):
            guard now >= handshake.deadline else { return false }
            fail(handshakeTimeout(handshake), run, now: now)
        case .interactive(let shell):
            guard let deadline = shell.driver.deadline, now >= deadline else { return false }
            shell.driver.deadlinePassed(now: now)
            beginClose(run, now: now)
        case .probing(let probing):
            guard now >= probing.probe.deadline else { return false }
            finishProbe(probing, now: now)
        case .closing(let closing):
            guard now >= closing.deadline else { return false }
            teardown(now: now)
        default:
            guard let login, now >= login.deadline else { return false }
            fail(SSHError(host: target.host, phase: currentPhase, kind: .loginTimeout,
                          message: "login (host key, authentication, shell) not done within \(target.loginTimeout)"),
                 run, now: now)
        }
        return true
    }

    /// The whole run's deadline passed (or the run was cancelled): stop now, keep what we have.
    func abort(_ run: RunContext, now: ContinuousClock.Instant, message: String) {
        switch state {
        case .finished:
            return
        case .closing(var closing):
            closing.deadline = min(closing.deadline, now + run.closeBudget)
            state = .closing(closing)
        default:
            if error == nil {
                error = SSHError(host: target.host, phase: currentPhase, kind: .runDeadline, message: message)
            }
            beginClose(run, now: now)
        }
        advance(run, now: now)
    }

    /// Runs the state machine until it must wait for the socket or a timer.
    func advance(_ run: RunContext, now: ContinuousClock.Instant) {
        guard let cpu = run.cpu else {
            do {
                while try step(run, now: now) {}
            } catch {
                fail(error, run, now: now)
            }
            return
        }
        // Each step is charged to the phase it ran in; a failure's close to the phase that failed.
        cpu.begin()
        var phase = cpuPhase
        do {
            while try step(run, now: now) {
                cpu.charge(phase)
                phase = cpuPhase
            }
        } catch {
            fail(error, run, now: now)
        }
        cpu.charge(phase)
    }

    /// The phase the next step's CPU is charged to: the error phases, with the CLI conversation and the close apart.
    var cpuPhase: SSHCPUPhase {
        switch currentPhase {
        case .connect: return .connect
        case .handshake: return .handshake
        case .hostKey: return .hostKey
        case .auth: return .auth
        case .shell: return .shell
        case .io: if case .interactive = state { return .conversation } else { return .close }
        }
    }

    // MARK: - Steps

    /// One state's work; true when it moved on and the next state should run at once.
    private func step(_ run: RunContext, now: ContinuousClock.Instant) throws(SSHError) -> Bool {
        switch state {
        case .queued, .resolving, .hostKey, .finished:
            return false
        case .connecting(let connect, let deadline):
            return try finishConnect(connect, deadline: deadline, run, now: now)
        case .handshaking(let handshake):
            return try stepHandshake(handshake, run, now: now)
        case .probing(let probing):
            guard probing.probe.step() else { return false }
            finishProbe(probing, now: now)
            return true
        case .authList(let login):
            return try listAuthMethods(login, now: now)
        case .authenticating(let login, let plan):
            return try authenticate(login, plan, now: now)
        case .openingChannel(let login):
            return try openChannel(login)
        case .requestingPTY(let login, let channel):
            return try requestPTY(login, channel: channel)
        case .startingShell(let login, let channel):
            return try startShell(login, channel: channel, run, now: now)
        case .interactive(let shell):
            return try interact(shell, run, now: now)
        case .closing(let closing):
            return closeStep(closing, now: now)
        }
    }

    /// What the phases between handshake and shell share.
    var login: Login? {
        switch state {
        case .hostKey(let login), .authList(let login), .authenticating(let login, _), .openingChannel(let login),
             .requestingPTY(let login, _), .startingShell(let login, _):
            return login
        default:
            return nil
        }
    }

    /// The transport of a state that has a socket and a libssh2 session.
    var transport: Transport? {
        switch state {
        case .handshaking(let handshake):
            return handshake.transport
        case .interactive(let shell):
            return shell.transport
        case .closing(let closing):
            guard closing.remains.fd >= 0, let session = closing.remains.session else { return nil }
            return Transport(fd: closing.remains.fd, session: session)
        default:
            return login?.transport
        }
    }

    var currentPhase: SSHPhase {
        switch state {
        case .queued, .resolving, .connecting: return .connect
        case .handshaking, .probing: return .handshake
        case .hostKey: return .hostKey
        case .authList, .authenticating: return .auth
        case .openingChannel, .requestingPTY, .startingShell: return .shell
        case .interactive, .closing, .finished: return .io
        }
    }

    func mark(_ phase: String, _ now: ContinuousClock.Instant) {
        let elapsed = now - phaseStart
        info.phaseTimings.append((phase, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
        phaseStart = now
    }
}
