import CLibssh2
#if canImport(Glibc)
import Glibc
#endif

/// Ending a session: politely (flush, channel close and free, disconnect, session free) once
/// SSH is up, at once otherwise or when the polite close runs out of time.
extension Session {
    enum CloseStep { case flush, channelClose, channelFree, disconnect, sessionFree }

    /// What a state holds that must be given back, whatever phase the session ends in.
    struct Remains {
        var fd: Int32 = -1
        var session: OpaquePointer?
        var channel: OpaquePointer?
        var probe: KexProbe?
        var driver: D?
    }

    struct Closing {
        /// Freed step by step; teardown frees the rest at once.
        var remains: Remains
        /// What the driver queued before it closed, flushed unless the session failed.
        var pending: [UInt8]
        var step: CloseStep
        var deadline: ContinuousClock.Instant
    }

    /// What the current state holds.
    var remains: Remains {
        switch state {
        case .queued, .resolving, .finished:
            return Remains()
        case .connecting(let connect, _):
            return Remains(fd: connect.fd)
        case .handshaking(let handshake):
            return Remains(fd: handshake.transport.fd, session: handshake.transport.session)
        case .probing(let probing):
            return Remains(probe: probing.probe)
        case .hostKey(let login), .authList(let login), .authenticating(let login, _), .openingChannel(let login):
            return Remains(fd: login.transport.fd, session: login.transport.session)
        case .requestingPTY(let login, let channel), .startingShell(let login, let channel):
            return Remains(fd: login.transport.fd, session: login.transport.session, channel: channel)
        case .interactive(let shell):
            return Remains(fd: shell.transport.fd, session: shell.transport.session, channel: shell.channel,
                           driver: shell.driver)
        case .closing(let closing):
            return closing.remains
        }
    }

    /// Records the first error and ends the session: politely once SSH is up, at once before.
    func fail(_ failure: SSHError, _ run: RunContext, now: ContinuousClock.Instant) {
        // A finished session's result is final.
        if isFinished { return }
        if error == nil { error = failure }
        switch state {
        case .closing, .finished, .queued, .resolving, .connecting, .handshaking, .probing:
            teardown(now: now)
        case .hostKey, .authList, .authenticating, .openingChannel, .requestingPTY, .startingShell, .interactive:
            guard failure.kind == .disconnected else {
                beginClose(run, now: now)
                advance(run, now: now)
                return
            }
            // Nothing to be polite to. The driver still hears that the shell went away.
            if case .interactive(let shell) = state { shell.driver.endOfFile(now: now) }
            teardown(now: now)
        }
    }

    func beginClose(_ run: RunContext, now: ContinuousClock.Instant) {
        if isClosing || isFinished { return }
        mark(currentPhase.rawValue, now)
        let remains = self.remains
        var pending: [UInt8] = []
        if case .interactive(let shell) = state { pending = shell.pending }
        state = .closing(Closing(remains: remains, pending: pending, step: .flush, deadline: now + run.closeBudget))
    }

    func closeStep(_ closing: Closing, now: ContinuousClock.Instant) -> Bool {
        var closing = closing
        guard let session = closing.remains.session else {
            teardown(now: now)
            return false
        }
        // Errors while closing are not the node's result: move on to the next step.
        func attempt(_ rc: Int, next: CloseStep?) -> Bool {
            if rc == Int(CORS_LIBSSH2_ERROR_EAGAIN) {
                state = .closing(closing)
                return false
            }
            if let next { closing.step = next }
            state = .closing(closing)
            if next == nil { teardown(now: now) }
            return true
        }
        switch closing.step {
        case .flush:
            guard let channel = closing.remains.channel, !closing.pending.isEmpty, error == nil else {
                return attempt(0, next: .channelClose)
            }
            do {
                let written = try write(&closing.pending, to: channel, session: session)
                state = .closing(closing)
                return written > 0
            } catch {
                return attempt(0, next: .channelClose)
            }
        case .channelClose:
            guard let channel = closing.remains.channel else { return attempt(0, next: .disconnect) }
            return attempt(Int(libssh2_channel_close(channel)), next: .channelFree)
        case .channelFree:
            guard let channel = closing.remains.channel else { return attempt(0, next: .disconnect) }
            let rc = libssh2_channel_free(channel)
            if rc != CORS_LIBSSH2_ERROR_EAGAIN { closing.remains.channel = nil }
            return attempt(Int(rc), next: .disconnect)
        case .disconnect:
            return attempt(Int(cors_libssh2_session_disconnect(session, "cors-audit: done")), next: .sessionFree)
        case .sessionFree:
            let rc = libssh2_session_free(session)
            if rc != CORS_LIBSSH2_ERROR_EAGAIN { closing.remains.session = nil }
            return attempt(Int(rc), next: nil)
        }
    }

    /// Gives back what the state holds without waiting for the server.
    func release(_ remains: Remains) {
        remains.probe?.close()
        if remains.fd >= 0 {
            // A shut-down socket makes every libssh2 send/recv fail at once instead of blocking.
            shutdown(remains.fd, Int32(SHUT_RDWR))
        }
        if let channel = remains.channel { _ = libssh2_channel_free(channel) }
        if let session = remains.session {
            // With the socket shut down libssh2 cannot wait on it; a few tries bound the worst case.
            var attempts = 0
            while libssh2_session_free(session) == CORS_LIBSSH2_ERROR_EAGAIN && attempts < 3 { attempts += 1 }
        }
        if remains.fd >= 0 { close(remains.fd) }
    }

    func teardown(now: ContinuousClock.Instant) {
        if isFinished { return }
        let remains = self.remains
        // The phase that was cut short still gets its time (a slow refusal, a silent listener).
        mark(isClosing ? "close" : currentPhase.rawValue, now)
        release(remains)
        finish(driver: remains.driver)
    }

    /// The session's end: the driver, if the shell opened, gives its result, once.
    func finish(driver: D?) {
        state = .finished(SSHJobResult(host: target.host, error: error, info: info, driverResult: driver?.finish()))
    }
}
