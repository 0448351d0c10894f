import CLibssh2
#if canImport(Glibc)
import Glibc
#endif

/// The channel: session channel, PTY, shell, then bytes both ways between node and driver.
extension Session {
    /// The running shell: its channel, its driver, and what the driver queued for the node.
    struct Shell {
        let transport: Transport
        let channel: OpaquePointer
        let driver: D
        var pending: [UInt8] = []

        /// Queues what the driver sends; true when the driver is done.
        mutating func take(_ action: ShellAction) -> Bool {
            switch action {
            case .send(let bytes):
                pending += bytes
                return false
            case .wait:
                return false
            case .close:
                return true
            }
        }
    }

    enum PumpOutcome {
        /// Nothing more until the socket is ready.
        case wait
        case driverClosed
        case endOfFile
    }

    /// Bytes handed to the driver at once, and read in one `pump` call, at most (see `pump`).
    static var chunk: Int { 256 * 1024 }
    static var budget: Int { 1024 * 1024 }

    /// A connection that dropped, as opposed to a refusal by the server.
    static func transportKind(_ code: Int32) -> SSHErrorKind? {
        switch code {
        case CORS_LIBSSH2_ERROR_SOCKET_DISCONNECT, CORS_LIBSSH2_ERROR_SOCKET_RECV, CORS_LIBSSH2_ERROR_SOCKET_SEND:
            return .disconnected
        default:
            return nil
        }
    }

    func openChannel(_ login: Login) throws(SSHError) -> Bool {
        let session = login.transport.session
        guard case .done(let channel) = try libssh2CheckPointer(
            cors_libssh2_channel_open_session(session), function: "libssh2_channel_open_ex",
            session: session, host: target.host, phase: .shell, classify: classifyChannel)
        else { return false }
        state = .requestingPTY(login, channel: channel)
        return true
    }

    func requestPTY(_ login: Login, channel: OpaquePointer) throws(SSHError) -> Bool {
        // VOS needs a terminal: vt100, wide enough that long origin lists do not wrap.
        guard case .done = try libssh2Check(
            Int(cors_libssh2_channel_request_pty(channel, "vt100", 5, 200, 50)), value: (),
            function: "libssh2_channel_request_pty_ex", session: login.transport.session, host: target.host, phase: .shell,
            classify: classifyChannel)
        else { return false }
        state = .startingShell(login, channel: channel)
        return true
    }

    func startShell(_ login: Login, channel: OpaquePointer, _ run: RunContext,
                    now: ContinuousClock.Instant) throws(SSHError) -> Bool {
        // A shell, not exec: the VOS CLI rejects exec requests.
        guard case .done = try libssh2Check(
            Int(cors_libssh2_channel_shell(channel)), value: (),
            function: "libssh2_channel_process_startup(shell)", session: login.transport.session, host: target.host,
            phase: .shell, classify: classifyChannel)
        else { return false }
        mark("shell", now)
        var shell = Shell(transport: login.transport, channel: channel, driver: job.makeDriver())
        let done = shell.take(shell.driver.shellOpened(now: now))
        state = .interactive(shell)
        if done { beginClose(run, now: now) }
        return true
    }

    /// Pumps the shell, then stores it back (with what is still pending) before acting on the outcome.
    func interact(_ shell: Shell, _ run: RunContext, now: ContinuousClock.Instant) throws(SSHError) -> Bool {
        var shell = shell
        let outcome: PumpOutcome
        do {
            outcome = try pump(&shell, run, now: now)
        } catch {
            state = .interactive(shell)
            throw error
        }
        state = .interactive(shell)
        switch outcome {
        case .wait:
            return false
        case .driverClosed:
            beginClose(run, now: now)
        case .endOfFile:
            shell.driver.endOfFile(now: now)
            beginClose(run, now: now)
        }
        return true
    }

    /// Moves bytes both ways until libssh2 would block. Writes can make libssh2 read and queue
    /// incoming packets, so after any write the reads run again before polling.
    ///
    /// Bounded for a node that floods: the driver hears every `Self.chunk` bytes (so its output cap
    /// acts while the flood goes on), and after `Self.budget` bytes in one call the loop serves the
    /// other sessions first (it steps this one again within its idle limit).
    private func pump(_ shell: inout Shell, _ run: RunContext, now: ContinuousClock.Instant) throws(SSHError) -> PumpOutcome {
        let channel = shell.channel
        let session = shell.transport.session
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
            if !incoming.isEmpty {
                let action = shell.driver.received(incoming, now: now)
                if shell.take(action) { return .driverClosed }
            }
            if let readFailure { throw readFailure }
            readThisCall += incoming.count
            // Reading one stream can pull the other stream's packets off the socket into
            // libssh2's queue, where poll() cannot see them: drain until nothing is queued.
            if !endOfFile && readThisCall < Self.budget
                && (libssh2_poll_channel_read(channel, 0) != 0 || libssh2_poll_channel_read(channel, 1) != 0) {
                continue
            }
            if endOfFile || libssh2_channel_eof(channel) != 0 { return .endOfFile }
            if shell.pending.isEmpty || readThisCall >= Self.budget {
                if !shell.pending.isEmpty { _ = try write(&shell.pending, to: channel, session: session) }
                return .wait
            }
            let written = try write(&shell.pending, to: channel, session: session)
            if written == 0 { return .wait }
        }
    }

    /// Writes what is pending; returns how many bytes went (0: would block).
    func write(_ pending: inout [UInt8], to channel: OpaquePointer, session: OpaquePointer) throws(SSHError) -> Int {
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
}

/// A refusal of the channel, the PTY or the shell, unless the connection dropped.
private func classifyChannel(_ code: Int32, _ message: String) -> SSHErrorKind? {
    code == CORS_LIBSSH2_ERROR_SOCKET_DISCONNECT ? .disconnected : .channelFailure
}
