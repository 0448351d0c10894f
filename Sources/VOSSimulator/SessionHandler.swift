import NIOCore
import NIOSSH

/// Checks passwords as a VOS node would, with the `reject_auth` and `keyboard_interactive_only`
/// faults. Keyboard-interactive answers arrive as password requests marked by the transport's
/// `KeyboardInteractiveShim`.
final class SimulatorAuthDelegate: NIOSSHServerUserAuthenticationDelegate {
    private let password: String
    private let rejectAll: Bool
    private let keyboardInteractiveOnly: Bool

    init(password: String, definition: NodeDefinition) {
        self.password = password
        rejectAll = definition.has(.rejectAuth)
        keyboardInteractiveOnly = definition.has(.keyboardInteractiveOnly) || definition.has(.kbdIntUnexpectedPrompt)
    }

    var supportedAuthenticationMethods: NIOSSHAvailableUserAuthenticationMethods {
        // `.hostBased` is the shim's stand-in for keyboard-interactive (never accepted as such).
        keyboardInteractiveOnly ? [.hostBased] : [.password, .hostBased]
    }

    func requestReceived(request: NIOSSHUserAuthenticationRequest,
                         responsePromise: EventLoopPromise<NIOSSHUserAuthenticationOutcome>) {
        guard !rejectAll, !request.username.isEmpty, case .password(let p) = request.request else {
            responsePromise.succeed(.failure)
            return
        }
        var given = p.password
        let viaKeyboard = given.hasPrefix(KeyboardInteractiveShim.passwordMarker)
        if viaKeyboard { given.removeFirst(KeyboardInteractiveShim.passwordMarker.count) }
        if keyboardInteractiveOnly && !viaKeyboard {
            responsePromise.succeed(.failure)
            return
        }
        responsePromise.succeed(given == password ? .success : .failure)
    }
}

/// One session channel: answers PTY/shell requests, rejects exec (as VOS does), and runs the CLI.
///
/// Confined to its channel's event loop; delays are scheduled on that loop, never slept.
final class VOSSessionHandler: ChannelInboundHandler {
    typealias InboundIn = SSHChannelData
    typealias OutboundOut = SSHChannelData

    private let node: SimulatedNode
    private var cli: VOSCLI?
    private var queue: [CLIStep] = []
    private var waiting: Scheduled<Void>?
    private var active = true

    init(node: SimulatedNode) {
        self.node = node
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // A client's EOF ends the session like `exit`, without half-open bookkeeping.
        context.channel.setOption(ChannelOptions.allowRemoteHalfClosure, value: false).whenFailure { _ in }
    }

    func channelInactive(context: ChannelHandlerContext) {
        active = false
        waiting?.cancel()
        waiting = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let request as SSHChannelRequestEvent.PseudoTerminalRequest:
            reply(context, ok: true, wanted: request.wantReply)
        case let request as SSHChannelRequestEvent.ShellRequest:
            guard cli == nil else { return reply(context, ok: false, wanted: request.wantReply) }
            reply(context, ok: true, wanted: request.wantReply)
            var cli = VOSCLI(node: node)
            queue += cli.start()
            self.cli = cli
            pump(context)
        case let request as SSHChannelRequestEvent.ExecRequest:
            reply(context, ok: false, wanted: request.wantReply)
        case let request as SSHChannelRequestEvent.SubsystemRequest:
            reply(context, ok: false, wanted: request.wantReply)
        case let request as SSHChannelRequestEvent.EnvironmentRequest:
            reply(context, ok: false, wanted: request.wantReply)
        case is SSHChannelRequestEvent.WindowChangeRequest:
            break
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        guard case .channel = message.type, case .byteBuffer(let buffer) = message.data, cli != nil else { return }
        cli!.feed(Array(buffer.readableBytesView))
        pump(context)
    }

    private func reply(_ context: ChannelHandlerContext, ok: Bool, wanted: Bool) {
        guard wanted else { return }
        if ok {
            context.channel.triggerUserOutboundEvent(ChannelSuccessEvent(), promise: nil)
        } else {
            context.channel.triggerUserOutboundEvent(ChannelFailureEvent(), promise: nil)
        }
    }

    /// Runs queued steps until a delay (which resumes it later) or until input is exhausted.
    private func pump(_ context: ChannelHandlerContext) {
        guard active, waiting == nil else { return }
        var wrote = false
        defer { if wrote { context.flush() } }
        while active {
            if queue.isEmpty {
                guard let steps = cli?.next(), !steps.isEmpty else { return }
                queue = steps
            }
            let step = queue.removeFirst()
            if case .write(let bytes) = step, bytes.count > 1, let interval = node.definition.dripInterval {
                // `drip_output`: one byte per write, each flushed on its own, with a pause between.
                queue.insert(contentsOf: bytes.flatMap { [CLIStep.write([$0]), .delay(interval)] }, at: 0)
                continue
            }
            switch step {
            case .write(let bytes):
                var buffer = context.channel.allocator.buffer(capacity: bytes.count)
                buffer.writeBytes(bytes)
                context.write(wrapOutboundOut(SSHChannelData(type: .channel, data: .byteBuffer(buffer))), promise: nil)
                wrote = true
            case .delay(let seconds):
                guard seconds > 0 else {
                    // A zero pause still ends the write on its own (a dripping node with no delay).
                    if wrote { context.flush(); wrote = false }
                    continue
                }
                if wrote { context.flush(); wrote = false }
                waiting = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
                    self.waiting = nil
                    self.pump(context)
                }
                return
            case .effect(let apply):
                apply()
            case .closeChannel:
                active = false
                if wrote { context.flush(); wrote = false }
                let channel = context.channel
                channel.triggerUserOutboundEvent(SSHChannelRequestEvent.ExitStatus(exitStatus: 0)).whenComplete { _ in
                    channel.close(promise: nil)
                }
                return
            case .disconnect:
                active = false
                if wrote { context.flush(); wrote = false }
                // The whole TCP connection, not just the channel: a node that died mid-output.
                let parent = context.channel.parent
                context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(20)) {
                    parent?.close(promise: nil)
                }
                return
            }
        }
    }
}

@available(*, unavailable)
extension VOSSessionHandler: Sendable {}

/// Closes a connection whose SSH layer failed (bad MAC, protocol error), as sshd would.
final class CloseOnErrorHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Any
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
